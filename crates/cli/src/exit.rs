//! Failure classes, their exit statuses, and the one error type the commands return.
//!
//! Every error of the core crates carries a stable code (`auth`, `network`, ...). This module
//! maps each code onto an [`ExitClass`], so scripts can branch on the exit status without
//! parsing text. The statuses are part of the CLI's interface and listed in `--help`.

use offstream_credentials::Error as CredentialError;
use offstream_engine::EngineError;
use offstream_profile::ProfileError;

/// The class of a failure, which sets the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitClass {
    /// Disk, catalog, an unexpected API response, or anything else (1).
    General,
    /// Invalid arguments, settings or key material, or a local clock so far off that signed
    /// tokens are refused (2, the status clap uses for usage errors).
    Usage,
    /// Credentials or the signing key missing, rejected, revoked, or unreadable from the
    /// keychain (3).
    Credentials,
    /// The video or account does not exist (4).
    NotFound,
    /// The API or the delivery host cannot be reached or failed: network, 5xx, rate limit (5).
    Network,
    /// A downloaded file is not a valid MP4 or M4A (6).
    Verification,
    /// The video is still processing, so nothing can be downloaded yet (7).
    NotReady,
    /// The user pressed Ctrl-C (130, the shell convention of 128 + SIGINT).
    Interrupted,
}

impl ExitClass {
    /// Returns the exit status of the class.
    pub fn code(self) -> u8 {
        match self {
            Self::General => 1,
            Self::Usage => 2,
            Self::Credentials => 3,
            Self::NotFound => 4,
            Self::Network => 5,
            Self::Verification => 6,
            Self::NotReady => 7,
            Self::Interrupted => 130,
        }
    }

    /// Returns the class of an engine or Stream client error code (see `EngineError::code`).
    pub fn from_code(code: &str) -> Self {
        match code {
            "auth" => Self::Credentials,
            code if is_signing_code(code) => Self::Credentials,
            "not_found" => Self::NotFound,
            "network" | "server" | "rate_limited" | "invalid_response" => Self::Network,
            "verify_failed" | "not_mp4" => Self::Verification,
            "not_ready" => Self::NotReady,
            // The system clock is a local setting to fix, and retrying before that fails again.
            "config" | "clock_skew" => Self::Usage,
            "cancelled" => Self::Interrupted,
            _ => Self::General,
        }
    }
}

/// Returns true for the engine's codes of a missing, unusable, revoked or refused signing
/// key or token. They are credential failures, but the API token is not the one to fix.
pub fn is_signing_code(code: &str) -> bool {
    matches!(
        code,
        "signing_key_needed" | "signing_key_invalid" | "signing_key_revoked" | "token_rejected"
    )
}

/// A failed command: its class and the line to print on standard error.
///
/// The message is `None` when the command already printed its errors (one line per failed
/// download), so `main` only sets the exit status.
#[derive(Debug)]
pub struct CliError {
    class: ExitClass,
    message: Option<String>,
}

impl CliError {
    /// Creates an error with a message for standard error.
    pub fn new(class: ExitClass, message: impl Into<String>) -> Self {
        Self {
            class,
            message: Some(message.into()),
        }
    }

    /// Creates an error whose messages were already printed.
    pub fn reported(class: ExitClass) -> Self {
        Self {
            class,
            message: None,
        }
    }

    /// Returns the class.
    pub fn class(&self) -> ExitClass {
        self.class
    }

    /// Returns the message to print, if any.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// Appends a sentence to the message.
    pub fn with_hint(mut self, hint: &str) -> Self {
        if let Some(message) = &mut self.message {
            message.push_str(hint);
        }
        self
    }
}

impl From<EngineError> for CliError {
    fn from(error: EngineError) -> Self {
        Self::new(ExitClass::from_code(error.code()), error.to_string())
    }
}

impl From<offstream_stream::Error> for CliError {
    fn from(error: offstream_stream::Error) -> Self {
        Self::new(ExitClass::from_code(error.code()), error.to_string())
    }
}

impl From<CredentialError> for CliError {
    fn from(error: CredentialError) -> Self {
        Self::new(ExitClass::Credentials, credential_message(&error))
    }
}

impl From<ProfileError> for CliError {
    fn from(error: ProfileError) -> Self {
        let class = match error {
            ProfileError::InvalidValue { .. } | ProfileError::InvalidSettings { .. } => {
                ExitClass::Usage
            }
            ProfileError::NoDataDir | ProfileError::Io { .. } => ExitClass::General,
        };
        Self::new(class, error.to_string())
    }
}

/// Converts a keychain error met while reading, storing or deleting the signing key. The
/// generic wording offers the credential environment variables, which cannot hold a key.
pub fn signing_keychain_error(error: &CredentialError) -> CliError {
    let message = match error {
        CredentialError::Unavailable { reason } => format!(
            "no keychain is available ({reason}). The signing key is kept only in the OS keychain. On Linux, install and start gnome-keyring or another Secret Service provider. Without a stored key, private videos use Cloudflare's token endpoint"
        ),
        CredentialError::Locked => {
            "the keychain is locked. Unlock it and try again".to_owned()
        }
        CredentialError::Denied => {
            "access to the keychain was denied. Allow offstream to use the keychain when the system asks, then try again".to_owned()
        }
        other => other.to_string(),
    };
    CliError::new(ExitClass::Credentials, message)
}

/// Rewrites keychain errors for the command line. The credential crate's own messages offer
/// "keep the credentials for this run only", which is a desktop dialog the CLI does not have.
fn credential_message(error: &CredentialError) -> String {
    const ALTERNATIVE: &str =
        "or set CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN to skip the keychain";
    match error {
        CredentialError::Unavailable { reason } => format!(
            "no keychain is available ({reason}). On Linux, install and start gnome-keyring or another Secret Service provider and run `offstream login`, {ALTERNATIVE}"
        ),
        CredentialError::Locked => format!("the keychain is locked. Unlock it and try again, {ALTERNATIVE}"),
        CredentialError::Denied => format!(
            "access to the keychain was denied. Allow offstream to use the keychain when the system asks, {ALTERNATIVE}"
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn codes_are_distinct() {
        let classes = [
            ExitClass::General,
            ExitClass::Usage,
            ExitClass::Credentials,
            ExitClass::NotFound,
            ExitClass::Network,
            ExitClass::Verification,
            ExitClass::NotReady,
            ExitClass::Interrupted,
        ];
        let mut codes: Vec<u8> = classes.iter().map(|class| class.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), classes.len());
    }

    #[test]
    fn engine_codes_map_to_classes() {
        let cases = [
            ("auth", ExitClass::Credentials),
            ("not_found", ExitClass::NotFound),
            ("network", ExitClass::Network),
            ("server", ExitClass::Network),
            ("rate_limited", ExitClass::Network),
            ("verify_failed", ExitClass::Verification),
            ("not_mp4", ExitClass::Verification),
            ("not_ready", ExitClass::NotReady),
            ("config", ExitClass::Usage),
            ("clock_skew", ExitClass::Usage),
            ("signing_key_needed", ExitClass::Credentials),
            ("signing_key_invalid", ExitClass::Credentials),
            ("signing_key_revoked", ExitClass::Credentials),
            ("token_rejected", ExitClass::Credentials),
            ("cancelled", ExitClass::Interrupted),
            ("disk", ExitClass::General),
            ("catalog", ExitClass::General),
        ];
        for (code, class) in cases {
            assert_eq!(ExitClass::from_code(code), class, "code {code}");
        }
    }

    #[test]
    fn stream_auth_is_credentials() {
        let error = offstream_stream::Error::Auth {
            status: 403,
            detail: "Authentication error (code 10000)".into(),
        };
        assert_eq!(CliError::from(error).class(), ExitClass::Credentials);
    }

    #[test]
    fn engine_verify_is_verification() {
        let error = EngineError::Verify {
            path: "/library/a.mp4.part".into(),
            reason: "no moov box".into(),
        };
        assert_eq!(CliError::from(error).class().code(), 6);
    }

    #[test]
    fn engine_disk_is_general() {
        let error = EngineError::disk(
            "/library",
            std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied"),
        );
        let error = CliError::from(error);
        assert_eq!(error.class(), ExitClass::General);
        assert!(error.message().unwrap().contains("/library"));
    }

    #[test]
    fn engine_stream_network_is_network() {
        let error = EngineError::Stream(Arc::new(offstream_stream::Error::Network {
            host: "127.0.0.1".into(),
            detail: "the connection failed".into(),
        }));
        assert_eq!(CliError::from(error).class(), ExitClass::Network);
    }

    #[test]
    fn unavailable_keychain_names_alternatives() {
        let error = CliError::from(CredentialError::Unavailable {
            reason: "no session D-Bus".into(),
        });
        let message = error.message().unwrap();
        assert!(message.contains("offstream login"), "{message}");
        assert!(message.contains("CLOUDFLARE_API_TOKEN"), "{message}");
        assert!(!message.contains("for this run only"), "{message}");
    }

    #[test]
    fn engine_revoked_key_is_credentials() {
        let error = EngineError::SigningKeyRevoked {
            key_id: "0123456789abcdef0123456789abcdef".into(),
        };
        assert_eq!(CliError::from(error).class().code(), 3);
    }

    #[test]
    fn engine_clock_skew_is_usage() {
        let error = EngineError::ClockSkew {
            uid: "0123456789abcdef0123456789abcdef".into(),
            skew_secs: 600,
        };
        assert_eq!(CliError::from(error).class().code(), 2);
    }

    #[test]
    fn signing_keychain_error_skips_environment() {
        let error = signing_keychain_error(&CredentialError::Unavailable {
            reason: "no session D-Bus".into(),
        });
        let message = error.message().unwrap();
        assert!(message.contains("gnome-keyring"), "{message}");
        assert!(!message.contains("CLOUDFLARE_API_TOKEN"), "{message}");
        assert_eq!(error.class(), ExitClass::Credentials);
    }

    #[test]
    fn hint_extends_message() {
        let error = CliError::new(ExitClass::NotFound, "video 'a' not found").with_hint(". Hint");
        assert_eq!(error.message(), Some("video 'a' not found. Hint"));
    }

    #[test]
    fn reported_has_no_message() {
        assert_eq!(CliError::reported(ExitClass::General).message(), None);
    }
}
