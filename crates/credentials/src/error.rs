//! The one error type of this crate, with a variant for each thing a user can fix.

/// Returns `T` or the credential [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Failures a UI can act on. No message contains the API token or the signing key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No keychain service could be reached, such as a Linux session without a Secret Service
    /// provider or without a session D-Bus.
    #[error(
        "No keychain is available ({reason}). On Linux, install and start gnome-keyring or \
         another Secret Service provider, or keep the credentials for this run only."
    )]
    Unavailable {
        /// The backend's description of what is missing.
        reason: String,
    },

    /// The keychain is locked, or has no default keyring yet, and no password prompt succeeded.
    #[error(
        "The keychain is locked, or has no default keyring yet. Unlock it (for example with your \
         desktop's Passwords and Keys app, or by logging in again) and try again, or keep the \
         credentials for this run only."
    )]
    Locked,

    /// The keychain refused access, such as a denied macOS prompt or an item owned by another app.
    #[error(
        "Access to the keychain was denied. Allow Offstream to use the keychain when the system \
         asks, then try again, or keep the credentials for this run only."
    )]
    Denied,

    /// An account id or API token is empty or has the wrong form.
    #[error("{what}")]
    Invalid {
        /// A sentence that names the value and states what is expected. It never contains the token.
        what: String,
    },

    /// Only one of the two environment variables is set.
    #[error(
        "{missing} is not set, but {present} is. Set both to use credentials from the \
         environment, or unset both to use the keychain."
    )]
    IncompleteEnvironment {
        /// The variable that is missing or empty.
        missing: &'static str,
        /// The variable that is set.
        present: &'static str,
    },

    /// Any other keychain failure.
    #[error("The keychain failed: {detail}")]
    Backend {
        /// The backend's error message, which never contains the stored secret.
        detail: String,
    },
}

impl Error {
    /// Returns a stable code for the UI to branch on: `unavailable`, `locked`, `denied`,
    /// `invalid`, `incomplete_environment` or `backend`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unavailable { .. } => "unavailable",
            Self::Locked => "locked",
            Self::Denied => "denied",
            Self::Invalid { .. } => "invalid",
            Self::IncompleteEnvironment { .. } => "incomplete_environment",
            Self::Backend { .. } => "backend",
        }
    }

    /// Builds an [`Error::Invalid`] from a sentence.
    pub(crate) fn invalid(what: impl Into<String>) -> Self {
        Self::Invalid { what: what.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unavailable_message_gives_remedy() {
        let message = Error::Unavailable {
            reason: "no session D-Bus".into(),
        }
        .to_string();
        assert!(message.starts_with("No keychain is available (no session D-Bus)."));
        assert!(message.contains("install and start gnome-keyring"));
        assert!(message.contains("for this run only"));
    }

    #[test]
    fn locked_message_says_unlock() {
        assert!(Error::Locked.to_string().contains("Unlock it"));
    }

    #[test]
    fn incomplete_environment_names_both() {
        let message = Error::IncompleteEnvironment {
            missing: "CLOUDFLARE_API_TOKEN",
            present: "CLOUDFLARE_ACCOUNT_ID",
        }
        .to_string();
        assert!(
            message.starts_with("CLOUDFLARE_API_TOKEN is not set, but CLOUDFLARE_ACCOUNT_ID is")
        );
    }

    #[test]
    fn codes_are_distinct() {
        let errors = [
            Error::Unavailable {
                reason: String::new(),
            },
            Error::Locked,
            Error::Denied,
            Error::invalid(""),
            Error::IncompleteEnvironment {
                missing: "",
                present: "",
            },
            Error::Backend {
                detail: String::new(),
            },
        ];
        let mut codes: Vec<_> = errors.iter().map(Error::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), errors.len());
    }
}
