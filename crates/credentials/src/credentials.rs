//! The account id and API token pair, and the checks that catch pasting mistakes.
//!
//! Validation is lenient on purpose: it trims white space, accepts upper-case hex and a pasted
//! `Bearer ` prefix, and checks only what is certainly wrong. Token formats change (Cloudflare
//! added `cfut_`/`cfat_` prefixes in 2026), so the Stream API stays the judge of a token.
//! Error messages name the value for account ids, but never echo a token or any pasted value
//! long enough to be one.

use crate::error::{Error, Result};
use crate::secret::SecretString;

/// Length of a Cloudflare account id in hex digits.
const ACCOUNT_ID_LEN: usize = 32;

/// Hints on where to find each value, appended to validation messages.
const ACCOUNT_ID_HINT: &str =
    "Copy the Account ID from the Cloudflare dashboard (Account Home, or the Overview page of any site).";
const API_TOKEN_HINT: &str =
    "Create an API token with the Stream Read or Stream Write permission in the Cloudflare dashboard (My Profile > API Tokens).";

/// A validated account id and API token.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    account_id: String,
    api_token: SecretString,
}

impl Credentials {
    /// Validates and normalises both values (see [`validate_account_id`] and
    /// [`validate_api_token`]).
    ///
    /// # Errors
    ///
    /// Returns [`Error::Invalid`] naming the first value that is empty or has the wrong form.
    pub fn new(account_id: &str, api_token: &str) -> Result<Self> {
        Ok(Self {
            account_id: validate_account_id(account_id)?,
            api_token: validate_api_token(api_token)?,
        })
    }

    /// Returns the account id: 32 lower-case hex digits.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// Returns the API token.
    pub fn api_token(&self) -> &SecretString {
        &self.api_token
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("account_id", &self.account_id)
            .field("api_token", &self.api_token)
            .finish()
    }
}

/// Trims `raw` and checks it is a Cloudflare account id; returns it in lower case.
///
/// # Errors
///
/// Returns [`Error::Invalid`] when the value is empty or is not 32 hex digits.
pub fn validate_account_id(raw: &str) -> Result<String> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(Error::invalid(format!(
            "The account id is empty. {ACCOUNT_ID_HINT}"
        )));
    }
    if value.len() == ACCOUNT_ID_LEN && is_hex(value) {
        return Ok(value.to_ascii_lowercase());
    }

    // A value as long as a token may be one pasted into the wrong field, so it is not echoed.
    let shown = if value.chars().count() <= ACCOUNT_ID_LEN && !value.chars().any(char::is_control) {
        format!("\"{value}\"")
    } else {
        format!("of {} characters", value.chars().count())
    };
    let mut what = format!(
        "The account id {shown} is not valid: it must be {ACCOUNT_ID_LEN} hexadecimal characters \
         (0-9, a-f). {ACCOUNT_ID_HINT}"
    );
    if value.len() > ACCOUNT_ID_LEN {
        what.push_str(" If you pasted the API token here, move it to the token field.");
    }
    Err(Error::invalid(what))
}

/// Trims `raw`, drops a pasted `Bearer ` prefix and rejects tokens that are certainly wrong.
///
/// # Errors
///
/// Returns [`Error::Invalid`] when the token is empty, contains white space or non-ASCII
/// characters, or looks like an account id or a Global API Key. The message never contains the
/// token.
pub fn validate_api_token(raw: &str) -> Result<SecretString> {
    let value = strip_bearer(raw.trim());

    if value.is_empty() {
        return Err(Error::invalid(format!(
            "The API token is empty. {API_TOKEN_HINT}"
        )));
    }
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::invalid(
            "The API token contains spaces, line breaks or non-ASCII characters. Paste only the \
             token itself.",
        ));
    }
    if value.len() == ACCOUNT_ID_LEN && is_hex(value) {
        return Err(Error::invalid(format!(
            "The API token looks like an account id ({ACCOUNT_ID_LEN} hexadecimal characters). \
             {API_TOKEN_HINT}"
        )));
    }
    if looks_like_global_api_key(value) {
        return Err(Error::invalid(format!(
            "The API token looks like a Global API Key, which Offstream does not use. \
             {API_TOKEN_HINT}"
        )));
    }

    Ok(SecretString::new(value))
}

/// Removes an `Authorization` scheme pasted along with the token ("Bearer abc" or "Bearer").
fn strip_bearer(value: &str) -> &str {
    let Some(scheme) = value.get(..6) else {
        return value;
    };
    let rest = &value[6..];
    if scheme.eq_ignore_ascii_case("bearer")
        && (rest.is_empty() || rest.starts_with(char::is_whitespace))
    {
        rest.trim_start()
    } else {
        value
    }
}

fn is_hex(value: &str) -> bool {
    value.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Global API Keys are 37 to 45 lower-case hex digits, or carry the `cfk_` prefix since 2026.
fn looks_like_global_api_key(value: &str) -> bool {
    let legacy = (37..=45).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    legacy || value.starts_with("cfk_")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "0123456789abcdef0123456789abcdef";
    const TOKEN: &str = "Ab3dEf6hIj9lMn2pQr5tUv8xYz_-1234567890Ab";

    fn invalid_message<T: std::fmt::Debug>(result: Result<T>) -> String {
        match result {
            Err(Error::Invalid { what }) => what,
            other => panic!("expected Error::Invalid, got {other:?}"),
        }
    }

    #[test]
    fn account_id_accepts_hex() {
        assert_eq!(validate_account_id(ACCOUNT).unwrap(), ACCOUNT);
    }

    #[test]
    fn account_id_trims_and_lowercases() {
        let raw = format!("  {}\n", ACCOUNT.to_uppercase());
        assert_eq!(validate_account_id(&raw).unwrap(), ACCOUNT);
    }

    #[test]
    fn account_id_empty_rejected() {
        let message = invalid_message(validate_account_id("  \t"));
        assert!(message.starts_with("The account id is empty."));
    }

    #[test]
    fn account_id_short_names_value() {
        let message = invalid_message(validate_account_id("abc123"));
        assert!(message.contains("\"abc123\""));
        assert!(message.contains("32 hexadecimal characters"));
    }

    #[test]
    fn account_id_non_hex_rejected() {
        let message = invalid_message(validate_account_id("0123456789abcdef0123456789abcdeg"));
        assert!(message.contains("\"0123456789abcdef0123456789abcdeg\""));
    }

    #[test]
    fn account_id_token_not_echoed() {
        let message = invalid_message(validate_account_id(TOKEN));
        assert!(!message.contains(TOKEN));
        assert!(message.contains("of 40 characters"));
        assert!(message.contains("move it to the token field"));
    }

    #[test]
    fn token_accepts_classic_form() {
        assert_eq!(validate_api_token(TOKEN).unwrap().expose(), TOKEN);
    }

    #[test]
    fn token_accepts_prefixed_form() {
        let token = format!("cfut_{TOKEN}abcd");
        assert_eq!(validate_api_token(&token).unwrap().expose(), token);
    }

    #[test]
    fn token_trims_white_space() {
        let raw = format!("\n {TOKEN}\t");
        assert_eq!(validate_api_token(&raw).unwrap().expose(), TOKEN);
    }

    #[test]
    fn token_strips_bearer_prefix() {
        let raw = format!("Bearer {TOKEN}");
        assert_eq!(validate_api_token(&raw).unwrap().expose(), TOKEN);
    }

    #[test]
    fn token_empty_rejected() {
        let message = invalid_message(validate_api_token(" "));
        assert!(message.starts_with("The API token is empty."));
    }

    #[test]
    fn token_bearer_only_rejected() {
        let message = invalid_message(validate_api_token("Bearer  "));
        assert!(message.starts_with("The API token is empty."));
    }

    #[test]
    fn token_starting_with_bearer_kept() {
        let token = format!("bearerX{TOKEN}");
        assert_eq!(validate_api_token(&token).unwrap().expose(), token);
    }

    #[test]
    fn token_non_ascii_rejected() {
        let message = invalid_message(validate_api_token("abcdé€fghijklmnop"));
        assert!(message.contains("non-ASCII"));
    }

    #[test]
    fn token_inner_space_rejected() {
        let raw = format!("{} {}", &TOKEN[..20], &TOKEN[20..]);
        let message = invalid_message(validate_api_token(&raw));
        assert!(message.contains("spaces"));
        assert!(!message.contains(&TOKEN[..20]));
    }

    #[test]
    fn token_account_id_rejected() {
        let message = invalid_message(validate_api_token(ACCOUNT));
        assert!(message.contains("looks like an account id"));
        assert!(!message.contains(ACCOUNT));
    }

    #[test]
    fn token_global_key_rejected() {
        let key = "0123456789abcdef0123456789abcdef01234";
        let message = invalid_message(validate_api_token(key));
        assert!(message.contains("Global API Key"));
        assert!(!message.contains(key));
    }

    #[test]
    fn token_cfk_prefix_rejected() {
        let message = invalid_message(validate_api_token(&format!("cfk_{TOKEN}")));
        assert!(message.contains("Global API Key"));
    }

    #[test]
    fn credentials_debug_redacts_token() {
        let credentials = Credentials::new(ACCOUNT, TOKEN).unwrap();
        let debug = format!("{credentials:?}");
        assert!(!debug.contains(TOKEN));
        assert!(debug.contains(ACCOUNT));
    }

    #[test]
    fn credentials_new_reports_account_first() {
        let message = invalid_message(Credentials::new("", ""));
        assert!(message.starts_with("The account id is empty."));
    }
}
