//! Tokens for private videos: the signing key in use, the token-endpoint choice, and the
//! [`TokenSigner`] the job manager gets from them.
//!
//! The key comes from the keychain at start, or is kept for this run only when the user chose
//! so. In demo mode keys are always kept for the run only, so a demo key never reaches the
//! user's keychain. The key material lives in memory as a parsed [`SigningKey`] and goes to
//! the keychain in its stored form. It is never written to a file or a log.

use std::sync::Arc;

use offstream_credentials::{SecretString, Source};
use offstream_engine::TokenSigner;
use offstream_ipc::{ErrorPayload, SigningKeySource, SigningMode, SigningStatus};
use offstream_signing::SigningKey;

use super::{lock, AppState};
use crate::error::{credential_error, join_error, key_error};

/// The signing key in use and where it is kept.
#[derive(Clone)]
pub struct ActiveKey {
    pub key: Arc<SigningKey>,
    pub source: SigningKeySource,
}

/// The store for a new key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStorage {
    Keychain,
    SessionOnly,
}

impl AppState {
    /// Returns the signing set-up as the settings screen shows it.
    pub fn signing_status(&self) -> SigningStatus {
        let key = lock(&self.signing_key).clone();
        let token_api_allowed = self.token_api_allowed();
        let mode = match (&key, token_api_allowed) {
            (Some(_), _) => SigningMode::Key,
            (None, true) => SigningMode::TokenApi,
            (None, false) => SigningMode::None,
        };
        SigningStatus {
            mode,
            key_id: key.as_ref().map(|active| active.key.id().to_owned()),
            key_source: key.as_ref().map(|active| active.source),
            token_api_allowed,
            clock_skew_seconds: self
                .account()
                .and_then(|account| account.client.server_clock().skew_secs()),
        }
    }

    /// Returns the signer that jobs use now.
    pub fn token_signer(&self) -> TokenSigner {
        match lock(&self.signing_key).as_ref() {
            Some(active) => TokenSigner::Key(Arc::clone(&active.key)),
            None if self.token_api_allowed() => TokenSigner::TokenApi,
            None => TokenSigner::None,
        }
    }

    /// Hands the current signer to the active account's job manager.
    pub(super) fn apply_signer(&self) {
        if let Some(account) = self.account() {
            account.jobs.set_signer(self.token_signer());
        }
    }

    /// Stores `key` and makes it the one in use.
    ///
    /// # Errors
    /// The keychain error when it cannot be written; the key in use stays as it was.
    pub async fn install_signing_key(
        &self,
        key: SigningKey,
        storage: KeyStorage,
    ) -> Result<(), ErrorPayload> {
        let store = self.credentials();
        let stored = SecretString::new(key.to_stored().expose());
        let source = if storage == KeyStorage::SessionOnly || self.is_demo() {
            store.use_session_signing_key(stored);
            SigningKeySource::Session
        } else {
            tauri::async_runtime::spawn_blocking(move || store.save_signing_key(&stored))
                .await
                .map_err(join_error)?
                .map_err(|e| credential_error(&e))?;
            SigningKeySource::Keychain
        };

        tracing::info!(key_id = key.id(), source = ?source, "signing key in use");
        *lock(&self.signing_key) = Some(ActiveKey {
            key: Arc::new(key),
            source,
        });
        self.apply_signer();
        Ok(())
    }

    /// Forgets the key in use, in the keychain and in memory.
    ///
    /// # Errors
    /// The keychain error when the entry cannot be deleted.
    pub async fn forget_signing_key(&self) -> Result<(), ErrorPayload> {
        let store = self.credentials();
        tauri::async_runtime::spawn_blocking(move || store.delete_signing_key())
            .await
            .map_err(join_error)?
            .map_err(|e| credential_error(&e))?;
        *lock(&self.signing_key) = None;
        self.apply_signer();
        Ok(())
    }

    /// Saves whether the token endpoint may be used when no key is stored.
    ///
    /// # Errors
    /// `settings` when the settings file cannot be written.
    pub fn set_token_api_fallback(&self, allowed: bool) -> Result<(), ErrorPayload> {
        let mut settings = self.load_settings()?;
        settings.token_api_fallback = allowed;
        self.store_settings(&settings)?;
        self.apply_signer();
        Ok(())
    }

    fn token_api_allowed(&self) -> bool {
        self.load_settings()
            .map(|settings| settings.token_api_fallback)
            .unwrap_or(false)
    }

    /// Loads the stored key at start. A key that no longer parses is reported and left in
    /// the keychain, so the user can see it in Settings and replace it.
    pub(super) async fn load_signing_key(&self) {
        if self.is_demo() {
            return;
        }
        let store = self.credentials();
        let loaded = tauri::async_runtime::spawn_blocking(move || store.load_signing_key()).await;
        let (stored, source) = match loaded {
            Ok(Ok(Some(found))) => found,
            Ok(Ok(None)) => return,
            Ok(Err(error)) => {
                tracing::warn!(
                    code = error.code(),
                    "cannot read the signing key from the keychain"
                );
                return;
            }
            Err(join_error) => {
                tracing::error!(%join_error, "the keychain worker failed");
                return;
            }
        };
        match SigningKey::from_stored(stored.expose()) {
            Ok(key) => {
                let source = match source {
                    Source::Session => SigningKeySource::Session,
                    _ => SigningKeySource::Keychain,
                };
                *lock(&self.signing_key) = Some(ActiveKey {
                    key: Arc::new(key),
                    source,
                });
            }
            Err(error) => {
                let payload = key_error(&error);
                tracing::warn!(code = %payload.code, "the stored signing key cannot be used");
            }
        }
    }
}
