//! Credentials from environment variables, which override the keychain for CI and scripts.
//!
//! The variables are read through the [`Environment`] trait so tests can pass a map instead of
//! changing the process environment, which other tests running in parallel would see.

use std::collections::HashMap;

use crate::credentials::Credentials;
use crate::error::{Error, Result};

/// Environment variable with the Cloudflare account id.
pub const ENV_ACCOUNT_ID: &str = "CLOUDFLARE_ACCOUNT_ID";
/// Environment variable with the Cloudflare API token.
pub const ENV_API_TOKEN: &str = "CLOUDFLARE_API_TOKEN";

/// A source of environment variables.
pub trait Environment: Send + Sync {
    /// Returns the value of `name`, or None when it is not set.
    fn var(&self, name: &str) -> Option<String>;
}

/// The environment of the running process.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        // Lossy conversion keeps a non-UTF-8 value visible to validation, which then rejects
        // it with a message, instead of it looking unset.
        std::env::var_os(name).map(|value| value.to_string_lossy().into_owned())
    }
}

impl Environment for HashMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

/// Reads the credentials from `CLOUDFLARE_ACCOUNT_ID` and `CLOUDFLARE_API_TOKEN`.
///
/// A variable that is set to an empty or blank value counts as not set, as in `VAR= command`.
/// Returns `Ok(None)` when neither variable is set.
///
/// # Errors
///
/// Returns [`Error::IncompleteEnvironment`] when only one variable is set and [`Error::Invalid`]
/// when a value fails validation; the message then names the variable.
pub(crate) fn credentials_from(environment: &dyn Environment) -> Result<Option<Credentials>> {
    let account_id = non_blank(environment.var(ENV_ACCOUNT_ID));
    let api_token = non_blank(environment.var(ENV_API_TOKEN));

    let (account_id, api_token) = match (account_id, api_token) {
        (None, None) => return Ok(None),
        (Some(_), None) => {
            return Err(Error::IncompleteEnvironment {
                missing: ENV_API_TOKEN,
                present: ENV_ACCOUNT_ID,
            })
        }
        (None, Some(_)) => {
            return Err(Error::IncompleteEnvironment {
                missing: ENV_ACCOUNT_ID,
                present: ENV_API_TOKEN,
            })
        }
        (Some(account_id), Some(api_token)) => (account_id, api_token),
    };

    let credentials = Credentials::new(&account_id, &api_token).map_err(|error| match error {
        Error::Invalid { what } => Error::invalid(format!(
            "{what} (The value comes from {ENV_ACCOUNT_ID} or {ENV_API_TOKEN}; fix or unset them.)"
        )),
        other => other,
    })?;
    Ok(Some(credentials))
}

fn non_blank(value: Option<String>) -> Option<String> {
    value.filter(|value| !value.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "0123456789abcdef0123456789abcdef";
    const TOKEN: &str = "Ab3dEf6hIj9lMn2pQr5tUv8xYz_-1234567890Ab";

    fn environment(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect()
    }

    #[test]
    fn from_env_both_set() {
        let env = environment(&[(ENV_ACCOUNT_ID, ACCOUNT), (ENV_API_TOKEN, TOKEN)]);
        let credentials = credentials_from(&env).unwrap().expect("credentials");
        assert_eq!(credentials.account_id(), ACCOUNT);
        assert_eq!(credentials.api_token().expose(), TOKEN);
    }

    #[test]
    fn from_env_neither_set() {
        let env = environment(&[("HOME", "/root")]);
        assert!(credentials_from(&env).unwrap().is_none());
    }

    #[test]
    fn from_env_blank_counts_as_unset() {
        let env = environment(&[(ENV_ACCOUNT_ID, ""), (ENV_API_TOKEN, "  ")]);
        assert!(credentials_from(&env).unwrap().is_none());
    }

    #[test]
    fn from_env_token_missing() {
        let env = environment(&[(ENV_ACCOUNT_ID, ACCOUNT)]);
        let error = credentials_from(&env).unwrap_err();
        assert!(matches!(
            error,
            Error::IncompleteEnvironment {
                missing: ENV_API_TOKEN,
                present: ENV_ACCOUNT_ID
            }
        ));
    }

    #[test]
    fn from_env_account_missing() {
        let env = environment(&[(ENV_API_TOKEN, TOKEN), (ENV_ACCOUNT_ID, " ")]);
        let error = credentials_from(&env).unwrap_err();
        assert!(error
            .to_string()
            .starts_with("CLOUDFLARE_ACCOUNT_ID is not set"));
        assert!(!error.to_string().contains(TOKEN));
    }

    #[test]
    fn from_env_invalid_names_variables() {
        let env = environment(&[(ENV_ACCOUNT_ID, "acct"), (ENV_API_TOKEN, TOKEN)]);
        let message = credentials_from(&env).unwrap_err().to_string();
        assert!(message.contains("\"acct\""));
        assert!(message.contains(ENV_ACCOUNT_ID));
    }

    #[test]
    fn from_env_invalid_token_not_echoed() {
        let bad_token = "has space inside-token";
        let env = environment(&[(ENV_ACCOUNT_ID, ACCOUNT), (ENV_API_TOKEN, bad_token)]);
        let message = credentials_from(&env).unwrap_err().to_string();
        assert!(message.contains("spaces"));
        assert!(!message.contains("inside-token"));
    }
}
