//! `offstream keys add|create|remove|status`: the signing key that signs tokens for private
//! videos.
//!
//! The key is stored only in the OS keychain, under the same service as the credentials, so
//! the desktop app and the CLI share it. Its material never reaches standard output, standard
//! error or a log: commands print the key id, which is public.
//!
//! `create` makes the key on Cloudflare before it can store it. When storing then fails, it
//! revokes the new key again, so the account is not left with an active key stored nowhere.

use std::io::{self, IsTerminal};
use std::path::PathBuf;

use offstream_signing::{KeyError, SigningKey};
use offstream_stream::Error as StreamError;

use super::key_input::{self, MaterialOrigin};
use super::login::prompt_line;
use super::output_result;
use crate::context::{Account, Context};
use crate::exit::{signing_keychain_error, CliError, ExitClass};
use crate::signing::{self, KeyState};
use crate::terminal;

/// Reads, parses and stores a key, then prints its id.
///
/// # Errors
/// A usage error for unreadable or invalid key material, and keychain failures.
pub async fn add(
    context: &Context,
    id: Option<String>,
    file: Option<PathBuf>,
) -> Result<(), CliError> {
    let interactive = file.is_none() && io::stdin().is_terminal();
    let id = match id {
        Some(id) => Some(id),
        None if interactive => Some(prompt_line(
            "Signing key id (press Enter if the key is a JWK with a kid): ",
        )?),
        None => None,
    };
    let (material, origin) = key_input::read(file.as_deref(), interactive)?;

    let key = SigningKey::parse(id.as_deref(), material.expose())
        .map_err(|error| material_error(&origin, &error))?;
    drop(material);
    tracing::debug!(
        key_id = key.id(),
        bits = key.bits(),
        "parsed the signing key"
    );

    let previous = stored_key_id(context).await;
    signing::save(context, &key).await?;
    terminal::print_note(&format!("Stored signing key {} in the keychain.", key.id()));
    note_replaced(previous.as_deref(), key.id());
    check_listed(context, key.id()).await;
    output_result(terminal::print_out(&format!("{}\n", key.id())))
}

/// Creates a key on the account after confirmation, stores it, and prints its id.
///
/// # Errors
/// A usage error without confirmation, the API errors of the create call, and keychain
/// failures (after which the new key is revoked again).
pub async fn create(context: &Context, yes: bool) -> Result<(), CliError> {
    let account = context.account().await?;
    let account_id = account.client.account_id().to_owned();
    let previous = stored_key_id(context).await;
    confirm_create(&account_id, previous.as_deref(), yes)?;

    // Fail before creating anything when the keychain cannot be used at all.
    context
        .with_store(|store| Ok(store.probe_keychain()))
        .await?
        .map_err(|error| signing_keychain_error(&error).with_hint(". Nothing was created"))?;

    let created = account
        .client
        .create_signing_key()
        .await
        .map_err(|error| account.explain(error))?;
    tracing::debug!(key_id = %created.id, "created a signing key");

    let key = match SigningKey::parse(Some(&created.id), created.pem.expose()) {
        Ok(key) => key,
        Err(error) => {
            let failure = CliError::new(
                ExitClass::General,
                format!(
                    "Cloudflare returned signing key {} in a form offstream cannot read ({})",
                    created.id,
                    error.code()
                ),
            );
            return Err(revoke_unstored(&account, &created.id, failure).await);
        }
    };
    drop(created);

    if let Err(error) = signing::save(context, &key).await {
        return Err(revoke_unstored(&account, key.id(), error).await);
    }
    terminal::print_note(&format!(
        "Created signing key {} on account {account_id} and stored it in the keychain.",
        key.id()
    ));
    note_replaced(previous.as_deref(), key.id());
    output_result(terminal::print_out(&format!("{}\n", key.id())))
}

/// Deletes the stored key, revoking it on Cloudflare first when asked.
///
/// # Errors
/// Keychain failures, a stored key whose id cannot be read when `revoke` is set, and the API
/// errors of the revoke call other than "not found".
pub async fn remove(context: &Context, revoke: bool) -> Result<(), CliError> {
    let key_id = match signing::load(context).await? {
        KeyState::Missing => {
            terminal::print_note("No signing key is stored in the keychain; nothing to remove.");
            return Ok(());
        }
        KeyState::Keychain(error) => return Err(signing_keychain_error(&error)),
        KeyState::Unreadable(error) if revoke => {
            return Err(CliError::new(
                ExitClass::Credentials,
                format!(
                    "the signing key stored in the keychain is unreadable ({}), so its id is unknown and it cannot be revoked from here. Run `offstream keys remove` without --revoke, then revoke the key in the Cloudflare dashboard",
                    signing::unreadable_reason(&error)
                ),
            ))
        }
        KeyState::Unreadable(_) => None,
        KeyState::Found { key, .. } => Some(key.id().to_owned()),
    };

    let revoked = match (&key_id, revoke) {
        (Some(id), true) => Some(revoke_key(context, id).await?),
        _ => None,
    };
    signing::delete(context).await.map_err(|error| match &key_id {
        Some(id) if revoked.is_some() => error.with_hint(&format!(
            ". Signing key {id} is revoked on Cloudflare already, so the stored copy is useless; run `offstream keys remove` again"
        )),
        _ => error,
    })?;

    let message = match (key_id, revoked) {
        (Some(id), Some(Revocation::Revoked)) => {
            format!("Revoked signing key {id} on Cloudflare and removed it from the keychain.")
        }
        (Some(id), Some(Revocation::AlreadyGone)) => format!(
            "Removed signing key {id} from the keychain. The account did not have it anymore, so there was nothing to revoke."
        ),
        (Some(id), None) => format!(
            "Removed signing key {id} from the keychain. Cloudflare accepts tokens signed with it until the key is revoked; revoke it in the Cloudflare dashboard if nothing else uses it."
        ),
        (None, _) => "Removed the unreadable signing key from the keychain.".to_owned(),
    };
    terminal::print_note(&message);
    Ok(())
}

/// Prints the stored key, whether the account lists it, and the clock skew when large.
///
/// Keychain and API failures are reported in the output, not as errors.
///
/// # Errors
/// A failed write to standard output, or a failed keychain worker thread.
pub async fn status(context: &Context) -> Result<(), CliError> {
    let state = signing::load(context).await?;
    let mut lines = vec![("signing key", signing::describe(&state))];

    let key_id = match &state {
        KeyState::Found { key, .. } => Some(key.id().to_owned()),
        _ => None,
    };
    match context.account().await {
        Ok(account) => {
            let listed = account.client.signing_keys().await;
            match (listed, &key_id) {
                (Ok(keys), Some(id)) if keys.iter().any(|listed| listed.id == *id) => {
                    lines.push((
                        "on Cloudflare",
                        format!("listed on account {}", account.client.account_id()),
                    ));
                }
                (Ok(_), Some(_)) => lines.push((
                    "on Cloudflare",
                    format!(
                        "not listed on account {}: the key was revoked or belongs to another account, so Cloudflare refuses its tokens. Run `offstream keys remove`, then `offstream keys create`",
                        account.client.account_id()
                    ),
                )),
                (Ok(_), None) => {}
                (Err(error), _) => lines.push((
                    "on Cloudflare",
                    format!(
                        "not checked: {}",
                        terminal::one_line(account.explain(error).message().unwrap_or_default())
                    ),
                )),
            }
            let clock = account.client.server_clock();
            if clock.is_skew_large() {
                lines.push((
                    "clock",
                    signing::describe_skew(clock.skew_secs().unwrap_or_default()),
                ));
            }
        }
        Err(error) => {
            tracing::debug!(
                error = error.message().unwrap_or_default(),
                "no credentials for the key check"
            );
            if key_id.is_some() {
                lines.push((
                    "on Cloudflare",
                    "not checked: no credentials (run `offstream login`)".to_owned(),
                ));
            }
        }
    }

    output_result(terminal::print_out(&super::status::render(&lines)))
}

/// The outcome of revoking a key on Cloudflare.
enum Revocation {
    Revoked,
    /// The account did not list the key (HTTP 404), which is the state revoking aims for.
    AlreadyGone,
}

async fn revoke_key(context: &Context, id: &str) -> Result<Revocation, CliError> {
    let account = context.account().await?;
    match account.client.revoke_signing_key(id).await {
        Ok(()) => Ok(Revocation::Revoked),
        Err(StreamError::NotFound { .. }) => Ok(Revocation::AlreadyGone),
        Err(error) => Err(account.explain(error).with_hint(&format!(
            ". Signing key {id} is still stored; nothing was removed"
        ))),
    }
}

/// Revokes a key that was created but could not be stored, and returns `failure` with a
/// sentence on how that went.
async fn revoke_unstored(account: &Account, id: &str, failure: CliError) -> CliError {
    match account.client.revoke_signing_key(id).await {
        Ok(()) | Err(StreamError::NotFound { .. }) => {
            tracing::debug!(key_id = id, "revoked the key that could not be stored");
            failure.with_hint(&format!(
                ". Signing key {id} was revoked on Cloudflare again, so nothing changed"
            ))
        }
        Err(error) => failure.with_hint(&format!(
            ". Revoking the new signing key {id} failed too ({}); revoke it in the Cloudflare dashboard",
            terminal::one_line(&error.to_string())
        )),
    }
}

/// Asks for confirmation on a terminal; requires `--yes` otherwise.
fn confirm_create(account_id: &str, previous: Option<&str>, yes: bool) -> Result<(), CliError> {
    if yes {
        return Ok(());
    }
    if !io::stdin().is_terminal() {
        return Err(CliError::new(
            ExitClass::Usage,
            "creating a signing key on Cloudflare needs confirmation: pass --yes when standard input is not a terminal",
        ));
    }

    let replaces = match previous {
        Some(id) => format!(
            " It replaces the stored signing key {id}, which stays valid on Cloudflare until revoked."
        ),
        None => String::new(),
    };
    let answer = prompt_line(&format!(
        "This creates a signing key on Cloudflare account {account_id} and stores it in the keychain.{replaces} Continue? [y/N] "
    ))?;
    if matches!(answer.to_ascii_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        Err(CliError::new(
            ExitClass::General,
            "cancelled: no signing key was created",
        ))
    }
}

/// Returns the id of the stored key, if one parses; for the "replaced" note only.
async fn stored_key_id(context: &Context) -> Option<String> {
    match signing::load(context).await {
        Ok(KeyState::Found { key, .. }) => Some(key.id().to_owned()),
        _ => None,
    }
}

fn note_replaced(previous: Option<&str>, new: &str) {
    if let Some(previous) = previous.filter(|previous| *previous != new) {
        terminal::print_note(&format!(
            "It replaces signing key {previous}, which stays valid on Cloudflare until revoked."
        ));
    }
}

/// Warns when the account does not list the key, because Cloudflare then refuses its tokens.
/// Skipped without credentials: a key may be added before `offstream login`.
async fn check_listed(context: &Context, id: &str) {
    let Ok(account) = context.account().await else {
        tracing::debug!("no credentials; skipped checking that the account lists the key");
        return;
    };
    match account.client.signing_keys().await {
        Ok(keys) if keys.iter().any(|listed| listed.id == id) => {
            tracing::debug!(key_id = id, "the account lists the key");
        }
        Ok(_) => terminal::print_note(&format!(
            "warning: account {} does not list signing key {id}, so Cloudflare refuses tokens signed with it. Check that the key belongs to this account, or run `offstream keys create`.",
            account.client.account_id()
        )),
        Err(error) => terminal::print_note(&format!(
            "warning: cannot check that account {} lists signing key {id}: {}",
            account.client.account_id(),
            terminal::one_line(account.explain(error).message().unwrap_or_default())
        )),
    }
}

/// Returns the error for key material that does not parse. The signing crate's messages
/// never quote the material.
fn material_error(origin: &MaterialOrigin, error: &KeyError) -> CliError {
    let mut message = format!(
        "cannot add the signing key from {origin}: {}",
        lower_first(error.to_string().trim_end_matches('.'))
    );
    if matches!(error, KeyError::MissingId) {
        message.push_str(". Pass it with --id ID");
    }
    CliError::new(ExitClass::Usage, message)
}

/// Lowercases the first letter of a sentence, unless it starts an acronym such as `PEM`.
fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if first.is_uppercase() && second.is_lowercase() => {
            first.to_lowercase().chain(text.chars().skip(1)).collect()
        }
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_first_sentence() {
        assert_eq!(lower_first("The key is empty"), "the key is empty");
    }

    #[test]
    fn lower_first_keeps_acronym() {
        assert_eq!(lower_first("PEM block"), "PEM block");
    }

    #[test]
    fn material_error_is_usage() {
        let error = material_error(&MaterialOrigin::Stdin, &KeyError::Empty);
        assert_eq!(error.class(), ExitClass::Usage);
        let message = error.message().unwrap();
        assert!(
            message.starts_with(
                "cannot add the signing key from standard input: the signing key is empty"
            ),
            "{message}"
        );
    }

    #[test]
    fn missing_id_names_option() {
        let error = material_error(&MaterialOrigin::Stdin, &KeyError::MissingId);
        assert!(error.message().unwrap().ends_with("Pass it with --id ID"));
    }
}
