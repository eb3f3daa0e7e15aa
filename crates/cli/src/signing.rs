//! The stored signing key as the commands see it, and the token signer for `download`.
//!
//! The key lives only in the OS keychain (entry `signing-key` of the keychain service), as the
//! JSON text that `offstream-signing` writes. The environment never supplies it, so a key is
//! never inherited by child processes or written to shell history. Loading distinguishes a
//! keychain that cannot be read from an entry that no longer parses as a key, because the
//! fixes differ: unlock or start the keychain, or store the key again.
//!
//! Messages name the key by its id only; no text here contains key material.

use std::sync::Arc;

use offstream_credentials::{Error as CredentialError, Source};
use offstream_engine::TokenSigner;
use offstream_signing::{KeyError, SigningKey};

use crate::context::Context;
use crate::exit::{CliError, ExitClass};
use crate::terminal;

/// The status text for "no key stored": what private videos use instead.
pub const NO_KEY: &str = "none: private videos use Cloudflare's token endpoint, recommended only for low volumes. Run `offstream keys create` for bulk work";

/// The remedy for a stored key that no longer parses.
const STORE_AGAIN: &str =
    "Run `offstream keys remove`, then `offstream keys add` or `offstream keys create`";

/// The state of the signing key entry in the keychain.
pub enum KeyState {
    /// A key that parses, and where it was found. Shared, so the engine can take it as is.
    Found {
        key: Arc<SigningKey>,
        source: Source,
    },
    /// No key is stored.
    Missing,
    /// An entry exists but does not parse as a key.
    Unreadable(KeyError),
    /// The keychain cannot be read.
    Keychain(CredentialError),
}

/// Loads and parses the stored signing key on the blocking pool.
///
/// # Errors
/// Only a failed keychain worker; keychain and parse failures are [`KeyState`] values.
pub async fn load(context: &Context) -> Result<KeyState, CliError> {
    context
        .with_store(|store| {
            let state = match store.load_signing_key() {
                Ok(Some((stored, source))) => match SigningKey::from_stored(stored.expose()) {
                    Ok(key) => KeyState::Found {
                        key: Arc::new(key),
                        source,
                    },
                    Err(error) => KeyState::Unreadable(error),
                },
                Ok(None) => KeyState::Missing,
                Err(error) => KeyState::Keychain(error),
            };
            Ok(state)
        })
        .await
}

/// Stores `key` in the keychain on the blocking pool, replacing any stored key.
///
/// # Errors
/// The keychain error, worded for the signing key.
pub async fn save(context: &Context, key: &SigningKey) -> Result<(), CliError> {
    let stored = offstream_credentials::SecretString::new(key.to_stored().expose());
    context
        .with_store(move |store| Ok(store.save_signing_key(&stored)))
        .await?
        .map_err(|error| crate::exit::signing_keychain_error(&error))
}

/// Deletes the stored key on the blocking pool; a missing entry is fine.
///
/// # Errors
/// The keychain error, worded for the signing key.
pub async fn delete(context: &Context) -> Result<(), CliError> {
    context
        .with_store(|store| Ok(store.delete_signing_key()))
        .await?
        .map_err(|error| crate::exit::signing_keychain_error(&error))
}

/// Returns the signer for `download`: the stored key, or else Cloudflare's token endpoint.
///
/// A keychain that cannot be read does not stop public downloads: on a machine without a
/// keychain (a CI runner with credentials in the environment) no key can be stored, so the
/// token endpoint is the only way anyway.
///
/// # Errors
/// A credentials error when a stored key no longer parses, because silently falling back
/// would hide a broken set-up that the user chose.
pub async fn download_signer(context: &Context) -> Result<TokenSigner, CliError> {
    match load(context).await? {
        KeyState::Found { key, source } => {
            tracing::debug!(key_id = key.id(), source = ?source, "signing tokens with the stored key");
            Ok(TokenSigner::Key(key))
        }
        KeyState::Missing => {
            tracing::debug!("no signing key is stored; private videos use the token endpoint");
            Ok(TokenSigner::TokenApi)
        }
        KeyState::Unreadable(error) => Err(unreadable_error(&error)),
        KeyState::Keychain(CredentialError::Unavailable { reason }) => {
            tracing::debug!(%reason, "no keychain; private videos use the token endpoint");
            Ok(TokenSigner::TokenApi)
        }
        KeyState::Keychain(error) => {
            let message = crate::exit::signing_keychain_error(&error);
            terminal::print_note(&format!(
                "warning: cannot read the signing key: {}. Private videos use Cloudflare's token endpoint for this run",
                message.message().unwrap_or_default()
            ));
            Ok(TokenSigner::TokenApi)
        }
    }
}

/// Returns the error for a stored entry that no longer parses as a key.
pub fn unreadable_error(error: &KeyError) -> CliError {
    CliError::new(
        ExitClass::Credentials,
        format!(
            "the signing key stored in the keychain is unreadable ({}). {STORE_AGAIN}",
            unreadable_reason(error)
        ),
    )
}

/// Returns why a stored entry does not parse; the text contains no key material.
pub fn unreadable_reason(error: &KeyError) -> String {
    match error {
        KeyError::InvalidStored { reason } => reason.clone(),
        other => other.code().to_owned(),
    }
}

/// Describes the stored key for a status line: its id and source, or why there is none.
pub fn describe(state: &KeyState) -> String {
    match state {
        KeyState::Found { key, source } => format!("{} ({})", key.id(), describe_source(*source)),
        KeyState::Missing => NO_KEY.to_owned(),
        KeyState::Unreadable(error) => {
            format!("unreadable ({}). {STORE_AGAIN}", unreadable_reason(error))
        }
        KeyState::Keychain(error) => format!(
            "cannot be read: {}",
            crate::exit::signing_keychain_error(error)
                .message()
                .unwrap_or_default()
        ),
    }
}

fn describe_source(source: Source) -> &'static str {
    match source {
        Source::Session => "this run only",
        Source::Keychain | Source::Environment | Source::None => "keychain",
    }
}

/// Describes a clock offset (server minus local, in seconds) for a status line.
pub fn describe_skew(skew_secs: i64) -> String {
    let minutes = (skew_secs.unsigned_abs() + 30) / 60;
    let amount = if minutes == 0 {
        format!("{} s", skew_secs.unsigned_abs())
    } else {
        format!("{minutes} min")
    };
    // A positive offset means the server is ahead, so this computer is behind.
    let direction = if skew_secs >= 0 { "behind" } else { "ahead of" };
    format!(
        "this computer's clock is {amount} {direction} Cloudflare's. Tokens are timed by Cloudflare's clock, but set the clock (turn on automatic time) to avoid refused tokens"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skew_behind_in_minutes() {
        let text = describe_skew(600);
        assert!(
            text.starts_with("this computer's clock is 10 min behind"),
            "{text}"
        );
    }

    #[test]
    fn skew_ahead_in_seconds() {
        let text = describe_skew(-20);
        assert!(
            text.starts_with("this computer's clock is 20 s ahead of"),
            "{text}"
        );
    }

    #[test]
    fn unreadable_names_remedy() {
        let error = unreadable_error(&KeyError::InvalidStored {
            reason: "the JSON lacks a string id or pem".into(),
        });
        let message = error.message().unwrap();
        assert!(
            message.contains("the JSON lacks a string id or pem"),
            "{message}"
        );
        assert!(message.contains("offstream keys remove"), "{message}");
        assert_eq!(error.class(), ExitClass::Credentials);
    }

    #[test]
    fn missing_key_names_token_endpoint() {
        let text = describe(&KeyState::Missing);
        assert!(text.contains("token endpoint"), "{text}");
        assert!(text.contains("offstream keys create"), "{text}");
    }
}
