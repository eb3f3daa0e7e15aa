//! The starting point of every command: the resolved profile, the credential store, and the
//! Stream client built from the stored credentials.
//!
//! Keychain calls block (D-Bus on Linux, possibly an unlock prompt), so they run on Tokio's
//! blocking pool.

use std::sync::Arc;

use offstream_credentials::{
    CredentialStore, Credentials, Source, DEFAULT_SERVICE, ENV_ACCOUNT_ID, ENV_API_TOKEN,
};
use offstream_engine::Catalog;
use offstream_profile::Profile;
use offstream_stream::{ApiToken, ClientConfig, StreamClient};

use crate::exit::{CliError, ExitClass};

/// Keychain service name for tests, so they never touch the user's own entries. Not part of
/// the documented interface.
const ENV_KEYCHAIN_SERVICE: &str = "OFFSTREAM_KEYCHAIN_SERVICE";

/// The message for a profile without credentials.
const NO_CREDENTIALS: &str = "no Cloudflare credentials are set up. Run `offstream login`, or set CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN";

/// The profile and credential store of one run.
pub struct Context {
    pub profile: Profile,
    store: Arc<CredentialStore>,
}

/// Credentials in use and the client built from them.
pub struct Account {
    pub client: StreamClient,
    pub source: Source,
}

impl Context {
    /// Resolves the profile from the environment, settings and platform defaults.
    ///
    /// # Errors
    /// The profile's error, such as a settings file that is not valid JSON.
    pub fn resolve() -> Result<Self, CliError> {
        let profile = Profile::resolve()?;
        let service = std::env::var(ENV_KEYCHAIN_SERVICE)
            .ok()
            .filter(|name| !name.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_SERVICE.to_owned());
        tracing::debug!(
            data_dir = %profile.data_dir.display(),
            library_dir = %profile.library_dir.display(),
            api_base = %profile.api_base,
            keychain_service = %service,
            "resolved the profile"
        );
        Ok(Self {
            profile,
            store: Arc::new(CredentialStore::new(service)),
        })
    }

    /// Returns the keychain service name.
    pub fn keychain_service(&self) -> &str {
        self.store.service()
    }

    /// Loads the credentials (environment first, then keychain) on the blocking pool.
    /// Returns `Ok(None)` when none are stored.
    ///
    /// # Errors
    /// Invalid environment variables or stored values, and keychain failures.
    pub async fn load_credentials(&self) -> Result<Option<(Credentials, Source)>, CliError> {
        self.with_store(|store| store.load()).await
    }

    /// Returns the account built from the stored credentials.
    ///
    /// # Errors
    /// A credentials error telling the user to run `offstream login` when none are stored, the
    /// errors of [`Context::load_credentials`], and an invalid API base URL.
    pub async fn account(&self) -> Result<Account, CliError> {
        let Some((credentials, source)) = self.load_credentials().await? else {
            return Err(CliError::new(ExitClass::Credentials, NO_CREDENTIALS));
        };
        tracing::debug!(source = ?source, account_id = credentials.account_id(), "loaded credentials");
        Ok(Account {
            client: self.client(&credentials)?,
            source,
        })
    }

    /// Builds a Stream client for `credentials` against the profile's API base.
    ///
    /// # Errors
    /// A usage error when the API base URL or a value is unusable.
    pub fn client(&self, credentials: &Credentials) -> Result<StreamClient, CliError> {
        let config = ClientConfig::new(
            credentials.account_id(),
            ApiToken::new(credentials.api_token().expose()),
        )
        .with_api_base(&self.profile.api_base);
        Ok(StreamClient::new(config)?)
    }

    /// Opens the catalog in the data folder, creating both when missing.
    ///
    /// # Errors
    /// A disk or catalog error naming the file.
    pub fn open_catalog(&self) -> Result<Arc<Catalog>, CliError> {
        Ok(Arc::new(Catalog::open(&self.profile.data_dir)?))
    }

    /// Moves the credential store to a worker thread and runs `call` there.
    ///
    /// # Errors
    /// The error `call` returns.
    pub async fn with_store<T: Send + 'static>(
        &self,
        call: impl FnOnce(&CredentialStore) -> offstream_credentials::Result<T> + Send + 'static,
    ) -> Result<T, CliError> {
        let store = Arc::clone(&self.store);
        let result = tokio::task::spawn_blocking(move || call(&store))
            .await
            .map_err(|error| {
                CliError::new(
                    ExitClass::General,
                    format!("the keychain worker failed: {error}"),
                )
            })?;
        Ok(result?)
    }
}

impl Account {
    /// Converts an error of an API call, saying where the credentials came from when they were
    /// rejected, because that is where the user has to fix them.
    pub fn explain(&self, error: impl Into<CliError>) -> CliError {
        let error = error.into();
        if error.class() != ExitClass::Credentials {
            return error;
        }
        error.with_hint(&credential_origin(self.source))
    }
}

/// Returns a sentence naming where credentials of `source` are kept.
pub fn credential_origin(source: Source) -> String {
    match source {
        Source::Environment => format!(
            ". The credentials come from {ENV_ACCOUNT_ID} and {ENV_API_TOKEN}; fix or unset them"
        ),
        Source::Keychain => {
            ". The credentials come from the keychain; run `offstream login` to replace them"
                .to_owned()
        }
        Source::Session | Source::None => String::new(),
    }
}

/// Returns true when either credential environment variable is set to a non-blank value.
pub fn environment_has_credentials() -> bool {
    [ENV_ACCOUNT_ID, ENV_API_TOKEN].iter().any(|name| {
        std::env::var_os(name).is_some_and(|value| !value.to_string_lossy().trim().is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_names_environment_variables() {
        let text = credential_origin(Source::Environment);
        assert!(text.contains(ENV_API_TOKEN), "{text}");
    }

    #[test]
    fn origin_keychain_names_login() {
        let text = credential_origin(Source::Keychain);
        assert!(text.contains("offstream login"), "{text}");
    }
}
