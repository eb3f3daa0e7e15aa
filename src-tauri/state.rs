//! The app's managed state: profile, catalog, media server, credentials and the active account.
//!
//! The account part (client and job manager) exists only once credentials are known. It is
//! rebuilt when the user saves new credentials, changes the API base or the library folder.
//! Job snapshots from whichever manager is current are relayed into one broadcast channel, so
//! a UI that subscribed before the account existed still sees every job.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use offstream_credentials::{CredentialStore, Credentials, Source, DEFAULT_SERVICE};
use offstream_engine::{Catalog, EngineOptions, JobManager, JobSnapshot, LibraryItem};
use offstream_ipc::{AppStatus, CredentialSource, ErrorPayload};
use offstream_media_server::{ContentType, MediaServer};
use offstream_profile::{Origin, ProcessEnv, Profile};
use offstream_stream::{ApiToken, ClientConfig, DownloadType, StreamClient};
use stream_emulator::RunningEmulator;
use tauri::AppHandle;
use tauri_plugin_fs::FsExt;
use tokio::sync::broadcast;

use crate::error::{credential_error, engine_error, profile_error};
use crate::launch::LaunchOptions;

/// Snapshots the UI can fall behind before it misses some.
const EVENT_CAPACITY: usize = 1024;

/// Credentials in use, with the client and job manager built from them.
pub struct Account {
    pub account_id: String,
    /// Kept so the client can be rebuilt for a new API base without another keychain read.
    api_token: ApiToken,
    pub source: CredentialSource,
    pub client: StreamClient,
    pub jobs: JobManager,
}

/// Everything the commands share.
pub struct AppState {
    app: AppHandle,
    demo: Option<RunningEmulator>,
    profile: RwLock<Profile>,
    catalog: Arc<Catalog>,
    pub media: MediaServer,
    credentials: Arc<CredentialStore>,
    account: RwLock<Option<Arc<Account>>>,
    keychain_error: Mutex<Option<ErrorPayload>>,
    events: broadcast::Sender<JobSnapshot>,
    relay: Mutex<Option<tauri::async_runtime::JoinHandle<()>>>,
}

impl AppState {
    /// Resolves the profile, opens the catalog, starts the media server and loads credentials.
    ///
    /// # Errors
    /// A message naming the folder, file or port that could not be used.
    pub async fn start(app: &AppHandle, options: &LaunchOptions) -> Result<Self, String> {
        let demo = if options.demo {
            Some(crate::demo::start().await.map_err(|e| e.to_string())?)
        } else {
            None
        };

        let mut profile = Profile::resolve_with(&ProcessEnv, demo.as_ref().map(|_| "demo"))
            .map_err(|e| e.to_string())?;
        if let Some(emulator) = &demo {
            profile.api_base = emulator.api_base();
            profile.api_base_origin = Origin::Environment;
        }
        profile.create_dirs().map_err(|e| e.to_string())?;
        tracing::info!(
            data_dir = %profile.data_dir.display(),
            library_dir = %profile.library_dir.display(),
            demo = demo.is_some(),
            "resolved the profile"
        );

        let catalog = Arc::new(Catalog::open(&profile.data_dir).map_err(|e| e.to_string())?);
        let interrupted = catalog.mark_interrupted_jobs().map_err(|e| e.to_string())?;
        if interrupted > 0 {
            tracing::info!(
                interrupted,
                "marked jobs of the previous run as interrupted"
            );
        }
        let media = MediaServer::start().map_err(|e| e.to_string())?;
        let (events, _) = broadcast::channel(EVENT_CAPACITY);

        let state = Self {
            app: app.clone(),
            demo,
            profile: RwLock::new(profile),
            catalog,
            media,
            credentials: Arc::new(CredentialStore::new(DEFAULT_SERVICE)),
            account: RwLock::new(None),
            keychain_error: Mutex::new(None),
            events,
            relay: Mutex::new(None),
        };
        state.allow_library_reads();
        state.load_initial_credentials().await;
        Ok(state)
    }

    /// Stops the servers this state started.
    pub async fn shutdown(&self) {
        self.media.shutdown().await;
    }

    /// Returns the status the settings screen shows.
    pub fn status(&self) -> AppStatus {
        let profile = self.profile();
        let account = self.account();
        AppStatus {
            demo: self.demo.is_some(),
            credential_source: account
                .as_ref()
                .map_or(CredentialSource::None, |a| a.source),
            account_id: account.as_ref().map(|a| a.account_id.clone()),
            api_base: profile.api_base.clone(),
            api_base_from_env: profile.api_base_origin == Origin::Environment,
            library_dir: profile.library_dir.display().to_string(),
            library_dir_from_env: profile.library_dir_origin == Origin::Environment,
            keychain_error: lock(&self.keychain_error).clone(),
        }
    }

    /// Returns a copy of the current profile.
    pub fn profile(&self) -> Profile {
        self.profile
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Returns the active account, if credentials are known.
    pub fn account(&self) -> Option<Arc<Account>> {
        self.account
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Returns the active account or the error the UI shows when there is none.
    pub fn require_account(&self) -> Result<Arc<Account>, ErrorPayload> {
        self.account().ok_or_else(|| {
            ErrorPayload::new(
                "no_credentials",
                "No Cloudflare account is set up yet: enter the account id and an API token in Settings.",
            )
        })
    }

    /// Returns true in demo mode.
    pub fn is_demo(&self) -> bool {
        self.demo.is_some()
    }

    /// Returns the catalog.
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    /// Returns the credential store, shared so blocking keychain calls can move to a worker thread.
    pub fn credentials(&self) -> Arc<CredentialStore> {
        Arc::clone(&self.credentials)
    }

    /// Subscribes to the snapshots of every job.
    pub fn subscribe_jobs(&self) -> broadcast::Receiver<JobSnapshot> {
        self.events.subscribe()
    }

    /// Records why the keychain cannot be used, or clears it.
    pub fn set_keychain_error(&self, error: Option<ErrorPayload>) {
        *lock(&self.keychain_error) = error;
    }

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
        tracing::info!(source = ?source, "activated the account");
        Ok(())
    }

    /// Forgets the active account. Running jobs are cancelled first.
    pub fn deactivate(&self) {
        if let Some(account) = self.account() {
            for job in account.jobs.snapshots() {
                if !job.phase.is_terminal() {
                    let _ = account.jobs.cancel(job.id);
                }
            }
        }
        self.replace_account(None);
    }

    /// Saves a new API base URL and rebuilds the client.
    ///
    /// # Errors
    /// `invalid_input` for a URL that is not absolute http(s), `settings` when the settings
    /// file cannot be written.
    pub fn set_api_base(&self, api_base: Option<String>) -> Result<(), ErrorPayload> {
        let mut settings = self.load_settings()?;
        settings.api_base = match api_base.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(value) => {
                Some(offstream_profile::normalize_api_base(value).map_err(profile_error)?)
            }
        };
        self.store_settings(&settings)?;
        self.reload_profile()?;
        self.rebuild_account(false)
    }

    /// Saves a new library folder and moves the job manager to it.
    ///
    /// # Errors
    /// `busy` while downloads run, `invalid_input` for a relative path, and folder errors.
    pub fn set_library_dir(&self, path: PathBuf) -> Result<(), ErrorPayload> {
        if !path.is_absolute() {
            return Err(ErrorPayload::new(
                "invalid_input",
                format!(
                    "The library folder must be an absolute path, not {:?}.",
                    path.display().to_string()
                ),
            ));
        }
        if self.has_active_jobs() {
            return Err(ErrorPayload::new(
                "busy",
                "Downloads are running. Wait for them to finish or cancel them, then change the library folder.",
            ));
        }
        std::fs::create_dir_all(&path).map_err(|e| {
            ErrorPayload::new(
                "disk",
                format!(
                    "Cannot create the library folder {}: {e}. Choose a writable folder.",
                    path.display()
                ),
            )
        })?;

        let mut settings = self.load_settings()?;
        settings.library_dir = Some(path);
        self.store_settings(&settings)?;
        self.reload_profile()?;
        self.allow_library_reads();
        self.rebuild_account(true)
    }

    /// Returns the library items with their media URLs registered on the media server.
    ///
    /// # Errors
    /// The catalog's error.
    pub fn library_items(&self) -> Result<Vec<LibraryItem>, ErrorPayload> {
        let items = self.catalog.items().map_err(engine_error)?;
        let files = items.iter().map(|item| offstream_media_server::MediaFile {
            id: item.id,
            path: item.path.clone(),
            content_type: content_type(item.download_type),
        });
        for error in self.media.replace_all(files) {
            tracing::warn!(%error, "a library file cannot be served to the player");
        }
        Ok(items)
    }

    /// Returns, per uid, the download types already in the library.
    ///
    /// # Errors
    /// The catalog's error.
    pub fn offline_types(&self) -> Result<HashMap<String, Vec<DownloadType>>, ErrorPayload> {
        let mut map: HashMap<String, Vec<DownloadType>> = HashMap::new();
        for item in self.catalog.items().map_err(engine_error)? {
            map.entry(item.uid).or_default().push(item.download_type);
        }
        Ok(map)
    }

    fn has_active_jobs(&self) -> bool {
        self.account().is_some_and(|account| {
            account
                .jobs
                .snapshots()
                .iter()
                .any(|job| !job.phase.is_terminal())
        })
    }

    /// Lets the UI's fs plugin read (never write) inside the library folder, so it can show
    /// files removed outside the app as missing.
    fn allow_library_reads(&self) {
        let dir = self.profile().library_dir;
        // TODO: also drop the previous folder from the scope after a change; the fs scope has
        // only a permanent `forbid`, which would break switching back within one run.
        if let Err(error) = self.app.fs_scope().allow_directory(&dir, true) {
            tracing::warn!(%error, "cannot allow the UI to read the library folder");
        }
    }

    async fn load_initial_credentials(&self) {
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
        JobManager::new(
            client,
            Arc::clone(&self.catalog),
            library_dir,
            EngineOptions::default(),
        )
        .map_err(engine_error)
    }

    /// Rebuilds the client (new API base) and, when asked, the job manager (new folder).
    fn rebuild_account(&self, new_manager: bool) -> Result<(), ErrorPayload> {
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
        Ok(())
    }

    fn replace_account(&self, account: Option<Account>) {
        let account = account.map(Arc::new);
        let receiver = account.as_ref().map(|a| a.jobs.subscribe());
        *self.account.write().unwrap_or_else(|p| p.into_inner()) = account;

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

    fn load_settings(&self) -> Result<offstream_profile::Settings, ErrorPayload> {
        offstream_profile::Settings::load(&self.profile().data_dir).map_err(profile_error)
    }

    fn store_settings(&self, settings: &offstream_profile::Settings) -> Result<(), ErrorPayload> {
        settings
            .save(&self.profile().data_dir)
            .map_err(profile_error)
    }

    fn reload_profile(&self) -> Result<(), ErrorPayload> {
        let demo_name = self.demo.as_ref().map(|_| "demo");
        let mut profile = Profile::resolve_with(&ProcessEnv, demo_name).map_err(profile_error)?;
        if let Some(emulator) = &self.demo {
            profile.api_base = emulator.api_base();
            profile.api_base_origin = Origin::Environment;
        }
        profile.create_dirs().map_err(profile_error)?;
        *self.profile.write().unwrap_or_else(|p| p.into_inner()) = profile;
        Ok(())
    }
}

/// Maps the credential crate's source onto the IPC enum.
pub fn source_of(source: Source) -> CredentialSource {
    match source {
        Source::Environment => CredentialSource::Environment,
        Source::Keychain => CredentialSource::Keychain,
        Source::Session => CredentialSource::Session,
        Source::None => CredentialSource::None,
    }
}

fn content_type(download_type: DownloadType) -> ContentType {
    match download_type {
        DownloadType::Default => ContentType::VideoMp4,
        DownloadType::Audio => ContentType::AudioMp4,
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}
