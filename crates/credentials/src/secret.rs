//! A string that keeps itself out of logs and error messages.

use std::fmt;

/// A secret string, such as an API token or a signing key. `Debug` and `Display` print a
/// redaction, so `tracing` fields, `{:?}` in an error and panic messages show no secret; only
/// [`expose`](Self::expose) returns the value.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps `value` as is; validation happens in [`validate_api_token`](crate::validate_api_token).
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// Returns the secret for the few places that must send or store it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(<redacted>)")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_value() {
        let secret = SecretString::new("token-value-123");
        assert!(!format!("{secret:?}").contains("token-value-123"));
    }

    #[test]
    fn display_redacts_value() {
        let secret = SecretString::new("token-value-123");
        assert!(!format!("{secret}").contains("token-value-123"));
    }

    #[test]
    fn expose_returns_value() {
        assert_eq!(SecretString::new("abc").expose(), "abc");
    }
}
