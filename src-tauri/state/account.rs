//! The active account: credentials, the Stream client and the job manager built from them.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use offstream_credentials::{Credentials, Source};
use offstream_engine::{EngineOptions, JobManager};
use offstream_ipc::{CredentialSource, ErrorPayload};
use offstream_stream::{ApiToken, ClientConfig, StreamClient};
use tokio::sync::broadcast;

use super::{lock, AppState};
use crate::error::{credential_error, engine_error};

/// Credentials in use, with the client and job manager built from them.
pub struct Account {
    pub account_id: String,
    /// Kept so the client can be rebuilt for a new API base without another keychain read.
    api_token: ApiToken,
    pub source: CredentialSource,
    pub client: StreamClient,
    pub jobs: JobManager,
}

impl AppState {
    /// Builds a client for the given credentials against the current API base.
    ///
    /// # Errors
    /// The client's configuration error, such as an invalid API base URL.
    pub fn client_for(&self, credentials: &Credentials) -> Result<StreamClient, ErrorPayload> {
        let config = ClientConfig::new(
            credentials.account_id(),
            ApiToken::new(credentials.api_token().expose()),
        )
        .with_api_base(self.profile().api_base);
        StreamClient::new(config).map_err(ErrorPayload::from)
    }

    /// Makes the given credentials the active account.
    ///
    /// # Errors
    /// The error of [`AppState::client_for`], or an engine error when the library folder
    /// cannot be prepared.
    pub fn activate(
        &self,
        credentials: &Credentials,
        source: CredentialSource,
    ) -> Result<(), ErrorPayload> {
        let client = self.client_for(credentials)?;
        let jobs = match self.account() {
            // Keep running jobs: they pick up the new client on their next API call.
            Some(current) => {
                current.jobs.set_client(client.clone());
                current.jobs.clone()
            }
            None => self.new_job_manager(client.clone())?,
        };
        let account = Account {
            account_id: credentials.account_id().to_owned(),
            api_token: ApiToken::new(credentials.api_token().expose()),
            source,
            client,
            jobs,
        };
        self.replace_account(Some(account));
        self.apply_signer();
        tracing::info!(source = ?source, "activated the account");
        Ok(())
    }

    /// Forgets the active account. Running jobs are cancelled first.
    pub fn deactivate(&self) {
        if let Some(account) = self.account() {
            for job in account.jobs.snapshots() {
                if !job.phase.is_terminal() {
                    let _ = account.jobs.cancel(job.id, false);
                }
            }
        }
        self.replace_account(None);
    }

    pub(super) async fn load_initial_credentials(&self) {
        if let Some(emulator) = &self.demo {
            let credentials = Credentials::new(emulator.account_id(), emulator.api_token())
                .expect("the demo credentials are valid");
            if let Err(error) = self.activate(&credentials, CredentialSource::Demo) {
                tracing::error!(code = %error.code, "cannot activate the demo account");
            }
            return;
        }

        let store = self.credentials();
        let loaded = tauri::async_runtime::spawn_blocking(move || store.load()).await;
        match loaded {
            Ok(Ok(Some((credentials, source)))) => {
                if let Err(error) = self.activate(&credentials, source_of(source)) {
                    tracing::warn!(code = %error.code, "cannot use the stored credentials");
                }
            }
            Ok(Ok(None)) => tracing::info!("no credentials yet; the settings screen will ask"),
            Ok(Err(error)) => {
                tracing::warn!(code = error.code(), "cannot read the keychain");
                self.set_keychain_error(Some(credential_error(&error)));
            }
            Err(join_error) => tracing::error!(%join_error, "the keychain worker failed"),
        }
    }

    fn new_job_manager(&self, client: StreamClient) -> Result<JobManager, ErrorPayload> {
        let library_dir = self.profile().library_dir;
        let settings = self.load_settings()?;
        let defaults = EngineOptions::default();
        let options = EngineOptions {
            token_access_rules: settings.token_access_rules,
            max_concurrent_transfers: settings
                .max_transfers
                .map_or(defaults.max_concurrent_transfers, |count| count as usize),
            ..defaults
        };
        let jobs = JobManager::new(client, Arc::clone(&self.catalog), library_dir, options)
            .map_err(engine_error)?;

        // The first manager of this process restarts what the previous run left unfinished.
        // A later one (for a new library folder) must not run those jobs a second time.
        if !self.queue_resumed.swap(true, Ordering::SeqCst) {
            jobs.set_signer(self.token_signer());
            match jobs.resume_unfinished() {
                Ok(resumed) => {
                    if !resumed.is_empty() {
                        tracing::info!(
                            count = resumed.len(),
                            "resumed the previous run's downloads"
                        );
                    }
                    // The backups follow once the account exists (see `replace_account`).
                    self.backups_to_resume.store(true, Ordering::SeqCst);
                }
                Err(error) => {
                    tracing::warn!(code = error.code(), error = %error, "could not resume the previous run's downloads");
                }
            }
        }
        Ok(jobs)
    }

    /// Rebuilds the client (new API base) and, when asked, the job manager (new folder).
    pub(super) fn rebuild_account(&self, new_manager: bool) -> Result<(), ErrorPayload> {
        let Some(current) = self.account() else {
            return Ok(());
        };
        let config = ClientConfig::new(current.account_id.clone(), current.api_token.clone())
            .with_api_base(self.profile().api_base);
        let client = StreamClient::new(config).map_err(ErrorPayload::from)?;
        let jobs = if new_manager {
            self.new_job_manager(client.clone())?
        } else {
            current.jobs.set_client(client.clone());
            current.jobs.clone()
        };
        self.replace_account(Some(Account {
            account_id: current.account_id.clone(),
            api_token: current.api_token.clone(),
            source: current.source,
            client,
            jobs,
        }));
        self.apply_signer();
        Ok(())
    }

    fn replace_account(&self, account: Option<Account>) {
        // Thumbnails of the previous account's mirror are of no use any more.
        self.cancel_thumbnail_fetch();
        let account = account.map(Arc::new);
        let receiver = account.as_ref().map(|a| a.jobs.subscribe());
        *self.account.write().unwrap_or_else(|p| p.into_inner()) = account.clone();

        if let Some(account) = &account {
            if self.backups_to_resume.swap(false, Ordering::SeqCst) {
                self.resume_unfinished_backups(Arc::clone(account));
            }
        }

        let mut relay = lock(&self.relay);
        if let Some(task) = relay.take() {
            task.abort();
        }
        if let Some(mut receiver) = receiver {
            let events = self.events.clone();
            *relay = Some(tauri::async_runtime::spawn(async move {
                loop {
                    match receiver.recv().await {
                        Ok(snapshot) => {
                            let _ = events.send(snapshot);
                        }
                        Err(broadcast::error::RecvError::Lagged(missed)) => {
                            tracing::debug!(missed, "the job relay fell behind");
                        }
                        Err(broadcast::error::RecvError::Closed) => break,
                    }
                }
            }));
        }
    }
}

/// Maps the credential crate's source onto the IPC enum.
fn source_of(source: Source) -> CredentialSource {
    match source {
        Source::Environment => CredentialSource::Environment,
        Source::Keychain => CredentialSource::Keychain,
        Source::Session => CredentialSource::Session,
        Source::None => CredentialSource::None,
    }
}
