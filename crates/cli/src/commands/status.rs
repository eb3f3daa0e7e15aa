//! `offstream status`: where the credentials come from, the signing key, the API base URL and
//! the folders.
//!
//! It makes no API call. A keychain that cannot be read is reported in the output, not as a
//! failure, because showing that is the point of the command.

use offstream_credentials::{Source, DEFAULT_SERVICE, ENV_ACCOUNT_ID, ENV_API_TOKEN};
use offstream_profile::{Origin, ENV_API_BASE, ENV_LIBRARY_DIR};

use super::output_result;
use crate::context::Context;
use crate::exit::CliError;
use crate::signing;
use crate::terminal;

/// Prints the status lines on standard output.
///
/// # Errors
/// A failed write to standard output, or a failed keychain worker thread.
pub async fn run(context: &Context) -> Result<(), CliError> {
    let (credentials, account) = match context.load_credentials().await {
        Ok(Some((credentials, source))) => {
            (describe_source(source), credentials.account_id().to_owned())
        }
        Ok(None) => (
            format!("none (run `offstream login`, or set {ENV_ACCOUNT_ID} and {ENV_API_TOKEN})"),
            "-".to_owned(),
        ),
        Err(error) => (
            format!(
                "unreadable: {}",
                terminal::one_line(error.message().unwrap_or_default())
            ),
            "-".to_owned(),
        ),
    };

    // Reading the key makes no API call; `offstream keys status` checks it on the account.
    let signing_key = signing::describe(&signing::load(context).await?);

    let profile = &context.profile;
    let mut lines = vec![
        ("credentials", credentials),
        ("account id", account),
        ("signing key", signing_key),
        (
            "API base",
            with_origin(&profile.api_base, profile.api_base_origin, ENV_API_BASE),
        ),
        ("data folder", profile.data_dir.display().to_string()),
        ("catalog", profile.catalog_path().display().to_string()),
        (
            "library folder",
            with_origin(
                &profile.library_dir.display().to_string(),
                profile.library_dir_origin,
                ENV_LIBRARY_DIR,
            ),
        ),
    ];
    if context.keychain_service() != DEFAULT_SERVICE {
        lines.push(("keychain service", context.keychain_service().to_owned()));
    }

    output_result(terminal::print_out(&render(&lines)))
}

/// Returns `name: value` lines with the values aligned in one column.
pub(super) fn render(lines: &[(&str, String)]) -> String {
    let width = lines.iter().map(|(name, _)| name.len()).max().unwrap_or(0) + 2;
    lines
        .iter()
        .map(|(name, value)| format!("{:<width$}{value}\n", format!("{name}:")))
        .collect()
}

fn describe_source(source: Source) -> String {
    match source {
        Source::Environment => format!("environment ({ENV_ACCOUNT_ID}, {ENV_API_TOKEN})"),
        Source::Keychain => "keychain".to_owned(),
        Source::Session => "this run only".to_owned(),
        Source::None => "none".to_owned(),
    }
}

fn with_origin(value: &str, origin: Origin, variable: &str) -> String {
    match origin {
        Origin::Environment => format!("{value} (from {variable})"),
        Origin::Settings => format!("{value} (from settings.json)"),
        Origin::Default => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_names_variable() {
        let text = with_origin("http://127.0.0.1:1", Origin::Environment, ENV_API_BASE);
        assert_eq!(text, "http://127.0.0.1:1 (from OFFSTREAM_API_BASE)");
    }

    #[test]
    fn render_aligns_values() {
        let lines = [("a", "1".to_owned()), ("long name", "2".to_owned())];
        assert_eq!(render(&lines), "a:         1\nlong name: 2\n");
    }

    #[test]
    fn source_keychain_is_one_word() {
        assert_eq!(describe_source(Source::Keychain), "keychain");
    }
}
