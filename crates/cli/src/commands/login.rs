//! `offstream login` and `offstream logout`: the credentials in the OS keychain.
//!
//! Login reads the API token from standard input when it is not a terminal (for scripts:
//! `printf %s "$TOKEN" | offstream login --account-id ID`), else from a prompt that does not
//! echo. The token is checked with one list request (`limit=1`) before anything is stored,
//! so a typo never replaces working credentials.

use std::io::{self, BufRead, IsTerminal, Read, Write};

use offstream_credentials::{validate_account_id, Credentials, ENV_ACCOUNT_ID, ENV_API_TOKEN};
use offstream_stream::list::ListQuery;

use crate::context::{environment_has_credentials, Context};
use crate::exit::{CliError, ExitClass};
use crate::terminal;

/// Reads, checks and stores the credentials.
///
/// # Errors
/// A usage error when the account id is missing in a script, a credentials error for invalid
/// or rejected values, the API error of the check, and keychain failures.
pub async fn login(context: &Context, account_id: Option<String>) -> Result<(), CliError> {
    let interactive = io::stdin().is_terminal();
    let account_id = match account_id {
        Some(account_id) => account_id,
        None if interactive => prompt_line("Cloudflare account id: ")?,
        None => {
            return Err(CliError::new(
                ExitClass::Usage,
                "the account id is missing: pass --account-id ID when the API token comes from standard input",
            ))
        }
    };
    // Check the account id before asking for the token, so a typo is caught first.
    validate_account_id(&account_id)?;

    let token = if interactive {
        rpassword::prompt_password("Cloudflare API token (input is hidden): ")
            .map_err(|error| read_error("the API token from the terminal", &error))?
    } else {
        read_stdin()?
    };
    let credentials = Credentials::new(&account_id, &token)?;

    let client = context.client(&credentials)?;
    let query = ListQuery {
        limit: Some(1),
        ..ListQuery::default()
    };
    client
        .list_page(&query)
        .await
        .map_err(|error| CliError::from(error).with_hint(". Nothing was stored"))?;
    tracing::debug!(
        account_id = credentials.account_id(),
        "the API accepted the token"
    );

    let saved = credentials.clone();
    context.with_store(move |store| store.save(&saved)).await?;
    terminal::print_note(&format!(
        "Saved the credentials of account {} in the keychain.",
        credentials.account_id()
    ));
    if environment_has_credentials() {
        terminal::print_note(&format!(
            "Note: {ENV_ACCOUNT_ID} and {ENV_API_TOKEN} are set and take precedence over the keychain until you unset them."
        ));
    }
    Ok(())
}

/// Deletes the stored credentials.
///
/// # Errors
/// Keychain failures.
pub async fn logout(context: &Context) -> Result<(), CliError> {
    context.with_store(|store| store.delete()).await?;
    terminal::print_note("Deleted the stored credentials from the keychain.");
    if environment_has_credentials() {
        terminal::print_note(&format!(
            "Note: {ENV_ACCOUNT_ID} and {ENV_API_TOKEN} are still set, so commands keep using them."
        ));
    }
    Ok(())
}

/// Prints `prompt` on standard error and reads one line from standard input.
pub(super) fn prompt_line(prompt: &str) -> Result<String, CliError> {
    let mut stderr = io::stderr().lock();
    let _ = write!(stderr, "{prompt}");
    let _ = stderr.flush();
    drop(stderr);

    let mut line = String::new();
    io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|error| read_error("the answer", &error))?;
    Ok(line.trim().to_owned())
}

/// Reads the token from standard input; validation trims the final newline.
fn read_stdin() -> Result<String, CliError> {
    let mut token = String::new();
    io::stdin()
        .lock()
        .read_to_string(&mut token)
        .map_err(|error| read_error("the API token from standard input", &error))?;
    Ok(token)
}

fn read_error(subject: &str, error: &io::Error) -> CliError {
    CliError::new(
        ExitClass::General,
        format!("cannot read {subject}: {error}"),
    )
}
