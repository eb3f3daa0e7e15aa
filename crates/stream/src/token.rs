//! The API token, kept out of every log line and error message.

use std::fmt;

/// A Cloudflare API token. `Debug` and `Display` print a redaction, so the token cannot leak
/// through `tracing` fields, `{:?}` in an error, or a panic message.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiToken(String);

impl ApiToken {
    /// Wraps a token, trimming the white space that copy and paste tends to add.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into().trim().to_owned())
    }

    /// Returns the token for the one place that needs it: the `Authorization` header.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Returns true when the token is empty after trimming.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiToken(<redacted>)")
    }
}

impl fmt::Display for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_token() {
        let token = ApiToken::new("secret-value-123");
        assert!(!format!("{token:?}").contains("secret-value-123"));
        assert!(!format!("{token}").contains("secret-value-123"));
    }

    #[test]
    fn new_trims_white_space() {
        assert_eq!(ApiToken::new("  abc\n").expose(), "abc");
    }
}
