//! Conversions of the crates' errors into the `{code, message}` payload the UI receives.
//!
//! Codes are stable: the UI branches on them (for example `keychain_unavailable` offers to keep
//! the credentials for this run only). Messages come from the crates and never hold a secret.

use offstream_ipc::ErrorPayload;

/// Maps a keychain or credential validation error.
pub fn credential_error(error: &offstream_credentials::Error) -> ErrorPayload {
    let code = match error.code() {
        "unavailable" => "keychain_unavailable",
        "locked" => "keychain_locked",
        "denied" => "keychain_denied",
        "invalid" => "invalid_input",
        "incomplete_environment" => "incomplete_environment",
        _ => "keychain_error",
    };
    ErrorPayload::new(code, error.to_string())
}

/// Maps a signing key that cannot be parsed or used. The message names the problem, never
/// the key material.
pub fn key_error(error: &offstream_signing::KeyError) -> ErrorPayload {
    ErrorPayload::new("invalid_key", error.to_string())
}

/// Maps an engine or catalog error.
pub fn engine_error(error: offstream_engine::EngineError) -> ErrorPayload {
    ErrorPayload::from(error)
}

/// Maps a profile or settings error.
pub fn profile_error(error: offstream_profile::ProfileError) -> ErrorPayload {
    let code = match error {
        offstream_profile::ProfileError::InvalidValue { .. } => "invalid_input",
        _ => "settings",
    };
    ErrorPayload::new(code, error.to_string())
}

/// Maps a failed background task, which only happens when a worker thread panicked.
pub fn join_error(error: tauri::Error) -> ErrorPayload {
    ErrorPayload::new("internal", format!("A background task failed: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unavailable_keychain_has_stable_code() {
        let error = offstream_credentials::Error::Unavailable {
            reason: "no session bus".into(),
        };
        let payload = credential_error(&error);
        assert_eq!(payload.code, "keychain_unavailable");
        assert!(payload.message.contains("this run only"));
    }

    #[test]
    fn invalid_api_base_is_invalid_input() {
        let error = offstream_profile::normalize_api_base("nope").unwrap_err();
        assert_eq!(profile_error(error).code, "invalid_input");
    }
}
