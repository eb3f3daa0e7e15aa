//! [`CredentialStore`]: where credentials and the signing key are looked up, saved and deleted.
//!
//! The account id and API token are handled here. The signing key has its own methods in the
//! `signing_key` module, because it has its own lifetime: forgetting the credentials keeps it.

mod signing_key;

use std::sync::{Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};

use crate::credentials::Credentials;
use crate::environment::{credentials_from, Environment, ProcessEnvironment};
use crate::error::{Error, Result};
use crate::keychain::{Keychain, OsKeychain};
use crate::secret::SecretString;

/// The keychain service name the app uses.
pub const DEFAULT_SERVICE: &str = "dev.offstream.app";
/// Keychain entry (the "user" or "account" attribute) that stores the account id.
pub const ACCOUNT_ID_ENTRY: &str = "account-id";
/// Keychain entry that stores the API token.
pub const API_TOKEN_ENTRY: &str = "api-token";
/// Keychain entry that stores the Stream signing key, as the JSON text the signing code writes.
pub const SIGNING_KEY_ENTRY: &str = "signing-key";

/// Origin of loaded credentials or of a loaded signing key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// `CLOUDFLARE_ACCOUNT_ID` and `CLOUDFLARE_API_TOKEN`. Never the source of a signing key.
    Environment,
    /// The OS keychain.
    Keychain,
    /// Kept in memory for this run only, because the user chose so.
    Session,
    /// Nothing is configured; for status reports when a load returns `Ok(None)`.
    None,
}

/// Loads, saves and deletes the account id, the API token and the signing key.
///
/// Every method that touches the keychain blocks (D-Bus IPC on Linux, possibly an unlock
/// prompt); async callers must call it inside `tokio::task::spawn_blocking`.
pub struct CredentialStore {
    service: String,
    environment: Box<dyn Environment>,
    keychain: Box<dyn Keychain>,
    session: Mutex<Option<Credentials>>,
    session_signing_key: Mutex<Option<SecretString>>,
}

impl CredentialStore {
    /// Creates a store that reads the process environment and the OS keychain under `service`
    /// (the app passes [`DEFAULT_SERVICE`]; tests pass their own name).
    pub fn new(service: impl Into<String>) -> Self {
        Self::with_environment(service, ProcessEnvironment)
    }

    /// Creates a store that reads environment variables from `environment` instead of the
    /// process, and the OS keychain under `service`.
    pub fn with_environment(
        service: impl Into<String>,
        environment: impl Environment + 'static,
    ) -> Self {
        let service = service.into();
        Self {
            keychain: Box::new(OsKeychain::new(service.clone())),
            service,
            environment: Box::new(environment),
            session: Mutex::new(None),
            session_signing_key: Mutex::new(None),
        }
    }

    /// Returns the keychain service name.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// Returns the credentials and their source: the environment first, then credentials kept
    /// for this run, then the keychain. Returns `Ok(None)` when none of them has any.
    ///
    /// A keychain with only one of the two entries (left by an interrupted save) counts as
    /// empty, so the user is asked for both values again.
    ///
    /// # Errors
    ///
    /// Returns [`Error::IncompleteEnvironment`] or [`Error::Invalid`] for bad environment
    /// variables, [`Error::Invalid`] for a stored value that fails validation, and
    /// [`Error::Unavailable`], [`Error::Locked`], [`Error::Denied`] or [`Error::Backend`] when
    /// the keychain cannot be read.
    pub fn load(&self) -> Result<Option<(Credentials, Source)>> {
        if let Some(credentials) = credentials_from(self.environment.as_ref())? {
            return Ok(Some((credentials, Source::Environment)));
        }
        if let Some(credentials) = self.session().clone() {
            return Ok(Some((credentials, Source::Session)));
        }

        let api_token = self.keychain.get(API_TOKEN_ENTRY)?;
        let account_id = self.keychain.get(ACCOUNT_ID_ENTRY)?;
        match (account_id, api_token) {
            (Some(account_id), Some(api_token)) => {
                let credentials = stored_credentials(&account_id, &api_token)?;
                Ok(Some((credentials, Source::Keychain)))
            }
            (None, None) => Ok(None),
            (account_id, _) => {
                let missing = if account_id.is_none() {
                    ACCOUNT_ID_ENTRY
                } else {
                    API_TOKEN_ENTRY
                };
                tracing::warn!(
                    service = %self.service,
                    missing,
                    "keychain holds only one of the two credential entries; treating as empty"
                );
                Ok(None)
            }
        }
    }

    /// Saves both values to the keychain and drops any credentials kept for this run.
    ///
    /// While the environment variables are set, [`load`](Self::load) keeps returning them.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Unavailable`], [`Error::Locked`], [`Error::Denied`] or
    /// [`Error::Backend`] when the keychain cannot be written. The token is written first and
    /// removed again if the account id cannot be written, so a failed save leaves no partial
    /// pair behind when that removal succeeds.
    pub fn save(&self, credentials: &Credentials) -> Result<()> {
        self.keychain
            .set(API_TOKEN_ENTRY, credentials.api_token().expose())?;
        if let Err(error) = self
            .keychain
            .set(ACCOUNT_ID_ENTRY, credentials.account_id())
        {
            if let Err(cleanup) = self.keychain.delete(API_TOKEN_ENTRY) {
                tracing::warn!(service = %self.service, error = %cleanup, "failed to remove the token after a failed save");
            }
            return Err(error);
        }

        *self.session() = None;
        tracing::info!(service = %self.service, "saved credentials to the keychain");
        Ok(())
    }

    /// Deletes both keychain entries and any credentials kept for this run. Entries that do
    /// not exist are fine.
    ///
    /// The signing key stays, in the keychain and in memory. It belongs to the same account, but
    /// a user who forgets the token to enter it again should not lose a key that Stream shows
    /// only once. [`delete_signing_key`](Self::delete_signing_key) removes it.
    ///
    /// # Errors
    ///
    /// Returns the first keychain error; both deletions are attempted either way.
    pub fn delete(&self) -> Result<()> {
        *self.session() = None;

        let token_result = self.keychain.delete(API_TOKEN_ENTRY);
        let account_result = self.keychain.delete(ACCOUNT_ID_ENTRY);
        token_result.and(account_result)?;

        tracing::info!(service = %self.service, "deleted credentials from the keychain");
        Ok(())
    }

    /// Keeps `credentials` in memory for this run only; [`load`](Self::load) returns them with
    /// [`Source::Session`] until [`save`](Self::save), [`delete`](Self::delete) or
    /// [`clear_session`](Self::clear_session). Call this only when the user chose it, such as
    /// after [`Error::Unavailable`].
    pub fn use_session_only(&self, credentials: Credentials) {
        *self.session() = Some(credentials);
        tracing::info!(service = %self.service, "keeping credentials for this run only");
    }

    /// Forgets credentials kept for this run.
    pub fn clear_session(&self) {
        *self.session() = None;
    }

    /// Checks that the keychain can be read, for a status check at startup.
    ///
    /// # Errors
    ///
    /// Returns the same keychain errors as [`load`](Self::load).
    pub fn probe_keychain(&self) -> Result<()> {
        self.keychain.get(ACCOUNT_ID_ENTRY).map(|_| ())
    }

    // Credentials are replaced whole, so a lock poisoned by a panic still holds a valid value.
    fn session(&self) -> MutexGuard<'_, Option<Credentials>> {
        self.session.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[cfg(test)]
    fn with_keychain(
        environment: impl Environment + 'static,
        keychain: impl Keychain + 'static,
    ) -> Self {
        Self {
            service: "test".to_owned(),
            environment: Box::new(environment),
            keychain: Box::new(keychain),
            session: Mutex::new(None),
            session_signing_key: Mutex::new(None),
        }
    }
}

impl std::fmt::Debug for CredentialStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialStore")
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

/// Validates values read back from the keychain, saying where they came from.
fn stored_credentials(account_id: &str, api_token: &str) -> Result<Credentials> {
    let in_keychain = |error: Error| {
        match error {
        Error::Invalid { what } => Error::invalid(format!(
            "{what} (The value was read from the keychain; enter the credentials again to replace it.)"
        )),
        other => other,
    }
    };
    Credentials::new(account_id, api_token).map_err(in_keychain)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;

    use super::*;
    use crate::environment::{ENV_ACCOUNT_ID, ENV_API_TOKEN};
    use crate::keychain::memory::MemoryKeychain;

    const ACCOUNT: &str = "0123456789abcdef0123456789abcdef";
    const TOKEN: &str = "Ab3dEf6hIj9lMn2pQr5tUv8xYz_-1234567890Ab";
    const OTHER_ACCOUNT: &str = "fedcba9876543210fedcba9876543210";
    const OTHER_TOKEN: &str = "Zz9yXx8wVv7uTt6sRr5qQp4oOn3mMl2kKj1iIh0g";

    fn store_with(env: &[(&str, &str)]) -> (CredentialStore, Arc<MemoryKeychain>) {
        let environment: HashMap<String, String> = env
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        let keychain = Arc::new(MemoryKeychain::default());
        let store = CredentialStore::with_keychain(environment, Arc::clone(&keychain));
        (store, keychain)
    }

    fn credentials(account: &str, token: &str) -> Credentials {
        Credentials::new(account, token).unwrap()
    }

    #[test]
    fn load_empty_is_none() {
        let (store, _) = store_with(&[]);
        assert!(store.load().unwrap().is_none());
    }

    #[test]
    fn load_after_save_is_keychain() {
        let (store, _) = store_with(&[]);
        store.save(&credentials(ACCOUNT, TOKEN)).unwrap();

        let (loaded, source) = store.load().unwrap().expect("credentials");

        assert_eq!(source, Source::Keychain);
        assert_eq!(loaded.account_id(), ACCOUNT);
        assert_eq!(loaded.api_token().expose(), TOKEN);
    }

    #[test]
    fn load_env_overrides_keychain() {
        let (store, _) = store_with(&[
            (ENV_ACCOUNT_ID, OTHER_ACCOUNT),
            (ENV_API_TOKEN, OTHER_TOKEN),
        ]);
        store.save(&credentials(ACCOUNT, TOKEN)).unwrap();

        let (loaded, source) = store.load().unwrap().expect("credentials");

        assert_eq!(source, Source::Environment);
        assert_eq!(loaded.account_id(), OTHER_ACCOUNT);
        assert_eq!(loaded.api_token().expose(), OTHER_TOKEN);
    }

    #[test]
    fn load_env_overrides_session() {
        let (store, _) = store_with(&[
            (ENV_ACCOUNT_ID, OTHER_ACCOUNT),
            (ENV_API_TOKEN, OTHER_TOKEN),
        ]);
        store.use_session_only(credentials(ACCOUNT, TOKEN));

        let (_, source) = store.load().unwrap().expect("credentials");

        assert_eq!(source, Source::Environment);
    }

    #[test]
    fn load_env_skips_broken_keychain() {
        let (store, keychain) = store_with(&[(ENV_ACCOUNT_ID, ACCOUNT), (ENV_API_TOKEN, TOKEN)]);
        *keychain.failing.lock().unwrap() = Some(|| Error::Locked);

        let (_, source) = store.load().unwrap().expect("credentials");

        assert_eq!(source, Source::Environment);
    }

    #[test]
    fn load_half_env_is_error() {
        let (store, _) = store_with(&[(ENV_API_TOKEN, TOKEN)]);
        store.save(&credentials(ACCOUNT, TOKEN)).unwrap();

        let error = store.load().unwrap_err();

        assert!(matches!(
            error,
            Error::IncompleteEnvironment {
                missing: ENV_ACCOUNT_ID,
                ..
            }
        ));
    }

    #[test]
    fn load_session_before_keychain() {
        let (store, _) = store_with(&[]);
        store.save(&credentials(ACCOUNT, TOKEN)).unwrap();
        store.use_session_only(credentials(OTHER_ACCOUNT, OTHER_TOKEN));

        let (loaded, source) = store.load().unwrap().expect("credentials");

        assert_eq!(source, Source::Session);
        assert_eq!(loaded.account_id(), OTHER_ACCOUNT);
    }

    #[test]
    fn load_unavailable_without_opt_in() {
        let (store, keychain) = store_with(&[]);
        *keychain.failing.lock().unwrap() = Some(|| Error::Unavailable {
            reason: "no bus".into(),
        });

        let error = store.load().unwrap_err();

        assert!(matches!(error, Error::Unavailable { .. }));
    }

    #[test]
    fn session_works_without_keychain() {
        let (store, keychain) = store_with(&[]);
        *keychain.failing.lock().unwrap() = Some(|| Error::Unavailable {
            reason: "no bus".into(),
        });
        store.use_session_only(credentials(ACCOUNT, TOKEN));

        let (_, source) = store.load().unwrap().expect("credentials");

        assert_eq!(source, Source::Session);
    }

    #[test]
    fn clear_session_forgets() {
        let (store, _) = store_with(&[]);
        store.use_session_only(credentials(ACCOUNT, TOKEN));
        store.clear_session();
        assert!(store.load().unwrap().is_none());
    }

    #[test]
    fn save_clears_session() {
        let (store, _) = store_with(&[]);
        store.use_session_only(credentials(OTHER_ACCOUNT, OTHER_TOKEN));
        store.save(&credentials(ACCOUNT, TOKEN)).unwrap();

        let (_, source) = store.load().unwrap().expect("credentials");

        assert_eq!(source, Source::Keychain);
    }

    #[test]
    fn save_failure_removes_token() {
        let (store, keychain) = store_with(&[]);
        *keychain.fail_on_set_of.lock().unwrap() = Some(ACCOUNT_ID_ENTRY);

        let error = store.save(&credentials(ACCOUNT, TOKEN)).unwrap_err();

        assert!(matches!(error, Error::Locked));
        assert!(keychain.entries.lock().unwrap().is_empty());
    }

    #[test]
    fn load_partial_keychain_is_none() {
        let (store, keychain) = store_with(&[]);
        keychain.set(ACCOUNT_ID_ENTRY, ACCOUNT).unwrap();
        assert!(store.load().unwrap().is_none());
    }

    #[test]
    fn load_garbage_keychain_is_invalid() {
        let (store, keychain) = store_with(&[]);
        keychain.set(ACCOUNT_ID_ENTRY, "not-an-account").unwrap();
        keychain.set(API_TOKEN_ENTRY, TOKEN).unwrap();

        let message = store.load().unwrap_err().to_string();

        assert!(message.contains("\"not-an-account\""));
        assert!(message.contains("read from the keychain"));
    }

    #[test]
    fn delete_removes_both_and_session() {
        let (store, keychain) = store_with(&[]);
        store.save(&credentials(ACCOUNT, TOKEN)).unwrap();
        store.use_session_only(credentials(ACCOUNT, TOKEN));

        store.delete().unwrap();

        assert!(keychain.entries.lock().unwrap().is_empty());
        assert!(store.load().unwrap().is_none());
    }

    #[test]
    fn delete_missing_is_ok() {
        let (store, _) = store_with(&[]);
        assert!(store.delete().is_ok());
    }

    #[test]
    fn probe_reports_keychain_error() {
        let (store, keychain) = store_with(&[]);
        *keychain.failing.lock().unwrap() = Some(|| Error::Denied);
        assert!(matches!(store.probe_keychain(), Err(Error::Denied)));
    }

    #[test]
    fn store_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<CredentialStore>();
    }

    #[test]
    fn source_serializes_snake_case() {
        assert_eq!(
            serde_json::to_string(&Source::Keychain).unwrap(),
            "\"keychain\""
        );
    }
}
