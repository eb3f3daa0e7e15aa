//! The Stream signing key: saved to the keychain, or kept for this run only, and loaded from there.
//!
//! The key arrives as an opaque [`SecretString`]: JSON text that the signing code writes and
//! parses. This module checks only that it is not blank and stores it byte for byte.
//!
//! The environment never supplies a signing key. A private key in a variable is inherited by
//! every child process and tends to end up in shell history and CI logs. Scripts store the key
//! once with `offstream keys add` and then read it from the keychain like the app does.

use std::sync::{MutexGuard, PoisonError};

use super::{CredentialStore, Source, SIGNING_KEY_ENTRY};
use crate::error::{Error, Result};
use crate::secret::SecretString;

impl CredentialStore {
    /// Saves the signing key to the keychain and drops a key kept for this run.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Invalid`] when `stored` is empty or blank, and [`Error::Unavailable`],
    /// [`Error::Locked`], [`Error::Denied`] or [`Error::Backend`] when the keychain cannot be
    /// written. A key kept for this run stays when the save fails.
    pub fn save_signing_key(&self, stored: &SecretString) -> Result<()> {
        if is_blank(stored) {
            return Err(Error::invalid(
                "The signing key to save is empty. Add the key again with its id and its PEM or \
                 JWK value.",
            ));
        }

        self.keychain.set_utf8(SIGNING_KEY_ENTRY, stored.expose())?;

        *self.session_signing_key() = None;
        tracing::info!(
            service = %self.service,
            entry = SIGNING_KEY_ENTRY,
            "saved the signing key to the keychain"
        );
        Ok(())
    }

    /// Returns the signing key and its source: the key kept for this run first, then the
    /// keychain. Returns `Ok(None)` when neither has one.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Invalid`] when the key found is blank, and [`Error::Unavailable`],
    /// [`Error::Locked`], [`Error::Denied`] or [`Error::Backend`] when the keychain cannot be
    /// read.
    pub fn load_signing_key(&self) -> Result<Option<(SecretString, Source)>> {
        if let Some(stored) = self.session_signing_key().clone() {
            if is_blank(&stored) {
                return Err(Error::invalid(
                    "The signing key kept for this run is empty. Add the key again.",
                ));
            }
            return Ok(Some((stored, Source::Session)));
        }

        let Some(value) = self.keychain.get_utf8(SIGNING_KEY_ENTRY)? else {
            return Ok(None);
        };
        let stored = SecretString::new(value);
        if is_blank(&stored) {
            return Err(Error::invalid(format!(
                "The signing key read from the keychain (entry \"{SIGNING_KEY_ENTRY}\") is \
                 empty. Remove the key and add it again."
            )));
        }
        Ok(Some((stored, Source::Keychain)))
    }

    /// Deletes the signing key from the keychain and drops a key kept for this run. A missing
    /// entry is fine. The account id and API token stay.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Unavailable`], [`Error::Locked`], [`Error::Denied`] or
    /// [`Error::Backend`] when the keychain cannot be changed. The key kept for this run is
    /// dropped even then.
    pub fn delete_signing_key(&self) -> Result<()> {
        *self.session_signing_key() = None;

        self.keychain.delete(SIGNING_KEY_ENTRY)?;

        tracing::info!(
            service = %self.service,
            entry = SIGNING_KEY_ENTRY,
            "deleted the signing key from the keychain"
        );
        Ok(())
    }

    /// Keeps `stored` in memory for this run only. [`load_signing_key`](Self::load_signing_key)
    /// then returns it with [`Source::Session`] until
    /// [`save_signing_key`](Self::save_signing_key),
    /// [`delete_signing_key`](Self::delete_signing_key) or
    /// [`clear_session_signing_key`](Self::clear_session_signing_key).
    ///
    /// Call this only when the user chose it, such as after [`Error::Unavailable`], because the
    /// store never falls back to memory on its own.
    pub fn use_session_signing_key(&self, stored: SecretString) {
        *self.session_signing_key() = Some(stored);
        tracing::info!(
            service = %self.service,
            entry = SIGNING_KEY_ENTRY,
            "keeping the signing key for this run only"
        );
    }

    /// Forgets the signing key kept for this run. A key in the keychain stays.
    pub fn clear_session_signing_key(&self) {
        *self.session_signing_key() = None;
    }

    // The key is replaced whole, so a lock poisoned by a panic still contains a valid value.
    fn session_signing_key(&self) -> MutexGuard<'_, Option<SecretString>> {
        self.session_signing_key
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Returns whether `stored` is empty or only white space, the one check this crate makes.
fn is_blank(stored: &SecretString) -> bool {
    stored.expose().trim().is_empty()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;

    use super::*;
    use crate::credentials::Credentials;
    use crate::environment::{ENV_ACCOUNT_ID, ENV_API_TOKEN};
    use crate::keychain::memory::MemoryKeychain;
    use crate::keychain::Keychain;
    use crate::store::{ACCOUNT_ID_ENTRY, API_TOKEN_ENTRY};

    const ACCOUNT: &str = "0123456789abcdef0123456789abcdef";
    const TOKEN: &str = "Ab3dEf6hIj9lMn2pQr5tUv8xYz_-1234567890Ab";
    // Opaque to this crate, so the values need not be real keys.
    const KEY: &str = r#"{"id":"key-one","pem":"LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQ=="}"#;
    const OTHER_KEY: &str = r#"{"id":"key-two","pem":"b3RoZXIta2V5LW1hdGVyaWFs"}"#;

    fn store_with(env: &[(&str, &str)]) -> (CredentialStore, Arc<MemoryKeychain>) {
        let environment: HashMap<String, String> = env
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        let keychain = Arc::new(MemoryKeychain::default());
        let store = CredentialStore::with_keychain(environment, Arc::clone(&keychain));
        (store, keychain)
    }

    fn store() -> (CredentialStore, Arc<MemoryKeychain>) {
        store_with(&[])
    }

    fn key(value: &str) -> SecretString {
        SecretString::new(value)
    }

    fn stored_entry(keychain: &MemoryKeychain) -> Option<String> {
        keychain
            .entries
            .lock()
            .unwrap()
            .get(SIGNING_KEY_ENTRY)
            .cloned()
    }

    fn invalid_message<T: std::fmt::Debug>(result: Result<T>) -> String {
        match result {
            Err(Error::Invalid { what }) => what,
            other => panic!("expected Error::Invalid, got {other:?}"),
        }
    }

    #[test]
    fn load_key_empty_is_none() {
        let (store, _) = store();
        assert!(store.load_signing_key().unwrap().is_none());
    }

    #[test]
    fn load_key_after_save_is_keychain() {
        let (store, _) = store();
        store.save_signing_key(&key(KEY)).unwrap();

        let (loaded, source) = store.load_signing_key().unwrap().expect("signing key");

        assert_eq!(source, Source::Keychain);
        assert_eq!(loaded.expose(), KEY);
    }

    #[test]
    fn save_key_writes_entry() {
        let (store, keychain) = store();
        store.save_signing_key(&key(KEY)).unwrap();
        assert_eq!(stored_entry(&keychain).as_deref(), Some(KEY));
    }

    #[test]
    fn save_key_keeps_value_verbatim() {
        let (store, keychain) = store();
        let value = "  not JSON, kept as is\n";

        store.save_signing_key(&key(value)).unwrap();
        let (loaded, _) = store.load_signing_key().unwrap().expect("signing key");

        assert_eq!(stored_entry(&keychain).as_deref(), Some(value));
        assert_eq!(loaded.expose(), value);
    }

    #[test]
    fn save_key_replaces_old_key() {
        let (store, _) = store();
        store.save_signing_key(&key(KEY)).unwrap();
        store.save_signing_key(&key(OTHER_KEY)).unwrap();

        let (loaded, _) = store.load_signing_key().unwrap().expect("signing key");

        assert_eq!(loaded.expose(), OTHER_KEY);
    }

    #[test]
    fn save_key_blank_is_invalid() {
        for blank in ["", " \n\t"] {
            let (store, keychain) = store();

            let message = invalid_message(store.save_signing_key(&key(blank)));

            assert!(
                message.starts_with("The signing key to save is empty."),
                "{message}"
            );
            assert_eq!(stored_entry(&keychain), None, "{blank:?} was stored");
        }
    }

    #[test]
    fn save_key_clears_session_key() {
        let (store, _) = store();
        store.use_session_signing_key(key(OTHER_KEY));
        store.save_signing_key(&key(KEY)).unwrap();

        let (loaded, source) = store.load_signing_key().unwrap().expect("signing key");

        assert_eq!(source, Source::Keychain);
        assert_eq!(loaded.expose(), KEY);
    }

    #[test]
    fn save_key_failure_keeps_session_key() {
        let (store, keychain) = store();
        store.use_session_signing_key(key(OTHER_KEY));
        *keychain.failing.lock().unwrap() = Some(|| Error::Locked);

        let error = store.save_signing_key(&key(KEY)).unwrap_err();
        let (loaded, source) = store.load_signing_key().unwrap().expect("signing key");

        assert!(matches!(error, Error::Locked), "{error:?}");
        assert_eq!(source, Source::Session);
        assert_eq!(loaded.expose(), OTHER_KEY);
    }

    #[test]
    fn save_key_keeps_credentials_session() {
        let (store, _) = store();
        store.use_session_only(Credentials::new(ACCOUNT, TOKEN).unwrap());
        store.save_signing_key(&key(KEY)).unwrap();

        let (_, source) = store.load().unwrap().expect("credentials");

        assert_eq!(source, Source::Session);
    }

    #[test]
    fn load_key_session_before_keychain() {
        let (store, _) = store();
        store.save_signing_key(&key(KEY)).unwrap();
        store.use_session_signing_key(key(OTHER_KEY));

        let (loaded, source) = store.load_signing_key().unwrap().expect("signing key");

        assert_eq!(source, Source::Session);
        assert_eq!(loaded.expose(), OTHER_KEY);
    }

    #[test]
    fn load_key_session_skips_broken_keychain() {
        let (store, keychain) = store();
        *keychain.failing.lock().unwrap() = Some(|| Error::Unavailable {
            reason: "no bus".into(),
        });
        store.use_session_signing_key(key(KEY));

        let (loaded, source) = store.load_signing_key().unwrap().expect("signing key");

        assert_eq!(source, Source::Session);
        assert_eq!(loaded.expose(), KEY);
    }

    #[test]
    fn load_key_unavailable_without_opt_in() {
        let (store, keychain) = store();
        *keychain.failing.lock().unwrap() = Some(|| Error::Unavailable {
            reason: "no bus".into(),
        });

        let error = store.load_signing_key().unwrap_err();

        assert!(matches!(error, Error::Unavailable { .. }), "{error:?}");
    }

    #[test]
    fn load_key_locked_like_credentials() {
        let (store, keychain) = store();
        *keychain.failing.lock().unwrap() = Some(|| Error::Locked);

        let key_error = store.load_signing_key().unwrap_err();
        let credentials_error = store.load().unwrap_err();

        assert_eq!(key_error.code(), "locked");
        assert_eq!(key_error.code(), credentials_error.code());
    }

    #[test]
    fn load_key_ignores_environment() {
        let (store, _) = store_with(&[
            (ENV_ACCOUNT_ID, ACCOUNT),
            (ENV_API_TOKEN, TOKEN),
            ("OFFSTREAM_SIGNING_KEY", KEY),
        ]);
        assert!(store.load_signing_key().unwrap().is_none());
    }

    #[test]
    fn load_key_blank_stored_is_invalid() {
        let (store, keychain) = store();
        keychain.set_utf8(SIGNING_KEY_ENTRY, " ").unwrap();

        let message = invalid_message(store.load_signing_key());

        assert!(message.contains("read from the keychain"), "{message}");
        assert!(message.contains(SIGNING_KEY_ENTRY), "{message}");
    }

    #[test]
    fn load_key_blank_session_is_invalid() {
        let (store, _) = store();
        store.use_session_signing_key(key(""));

        let message = invalid_message(store.load_signing_key());

        assert!(message.contains("kept for this run"), "{message}");
    }

    #[test]
    fn clear_session_key_falls_back() {
        let (store, _) = store();
        store.save_signing_key(&key(KEY)).unwrap();
        store.use_session_signing_key(key(OTHER_KEY));

        store.clear_session_signing_key();
        let (loaded, source) = store.load_signing_key().unwrap().expect("signing key");

        assert_eq!(source, Source::Keychain);
        assert_eq!(loaded.expose(), KEY);
    }

    #[test]
    fn clear_session_key_keeps_credentials() {
        let (store, _) = store();
        store.use_session_only(Credentials::new(ACCOUNT, TOKEN).unwrap());
        store.use_session_signing_key(key(KEY));

        store.clear_session_signing_key();

        assert!(store.load().unwrap().is_some());
    }

    #[test]
    fn delete_key_removes_entry_and_session() {
        let (store, keychain) = store();
        store.save_signing_key(&key(KEY)).unwrap();
        store.use_session_signing_key(key(OTHER_KEY));

        store.delete_signing_key().unwrap();

        assert_eq!(stored_entry(&keychain), None);
        assert!(store.load_signing_key().unwrap().is_none());
    }

    #[test]
    fn delete_key_missing_is_ok() {
        let (store, _) = store();
        assert!(store.delete_signing_key().is_ok());
    }

    #[test]
    fn delete_key_keeps_credentials() {
        let (store, keychain) = store();
        store
            .save(&Credentials::new(ACCOUNT, TOKEN).unwrap())
            .unwrap();
        store.save_signing_key(&key(KEY)).unwrap();

        store.delete_signing_key().unwrap();
        let entries = keychain.entries.lock().unwrap();

        assert!(entries.contains_key(ACCOUNT_ID_ENTRY));
        assert!(entries.contains_key(API_TOKEN_ENTRY));
    }

    #[test]
    fn delete_key_failure_drops_session() {
        let (store, keychain) = store();
        store.use_session_signing_key(key(KEY));
        *keychain.failing.lock().unwrap() = Some(|| Error::Denied);

        let error = store.delete_signing_key().unwrap_err();
        *keychain.failing.lock().unwrap() = None;

        assert!(matches!(error, Error::Denied), "{error:?}");
        assert!(store.load_signing_key().unwrap().is_none());
    }

    #[test]
    fn delete_credentials_keeps_key() {
        let (store, keychain) = store();
        store
            .save(&Credentials::new(ACCOUNT, TOKEN).unwrap())
            .unwrap();
        store.save_signing_key(&key(KEY)).unwrap();

        store.delete().unwrap();
        let (loaded, source) = store.load_signing_key().unwrap().expect("signing key");

        assert!(store.load().unwrap().is_none());
        assert_eq!(stored_entry(&keychain).as_deref(), Some(KEY));
        assert_eq!(source, Source::Keychain);
        assert_eq!(loaded.expose(), KEY);
    }

    #[test]
    fn delete_credentials_keeps_session_key() {
        let (store, _) = store();
        store.use_session_signing_key(key(KEY));

        store.delete().unwrap();
        let (_, source) = store.load_signing_key().unwrap().expect("signing key");

        assert_eq!(source, Source::Session);
    }

    #[test]
    fn debug_hides_key() {
        let (store, _) = store();
        store.save_signing_key(&key(KEY)).unwrap();
        let loaded = store.load_signing_key();
        store.use_session_signing_key(key(OTHER_KEY));

        let loaded_debug = format!("{loaded:?}");
        let store_debug = format!("{store:?}");

        assert!(loaded_debug.contains("Keychain"), "{loaded_debug}");
        assert!(!loaded_debug.contains(KEY), "{loaded_debug}");
        assert!(!loaded_debug.contains("key-one"), "{loaded_debug}");
        assert!(!store_debug.contains(OTHER_KEY), "{store_debug}");
        assert!(!store_debug.contains("key-two"), "{store_debug}");
    }
}
