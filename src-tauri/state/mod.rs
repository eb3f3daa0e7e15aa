//! The app's managed state: profile, catalog, media server, credentials, the active account,
//! the mirror's background work and the running backups.
//!
//! The account part (client and job manager) exists only once credentials are known. It is
//! rebuilt when the user saves new credentials, changes the API base or the library folder.
//! Job snapshots from whichever manager is current are relayed into one broadcast channel, so
//! a UI that subscribed before the account existed still receives every job.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use offstream_credentials::{CredentialStore, DEFAULT_SERVICE};
use offstream_engine::backup::{BackupHandle, BackupId};
use offstream_engine::{Catalog, JobSnapshot, ThumbnailCache};
use offstream_ipc::{AppStatus, CredentialSource, ErrorPayload};
use offstream_media_server::MediaServer;
use offstream_profile::{Origin, ProcessEnv, Profile};
use stream_emulator::RunningEmulator;
use tauri::AppHandle;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

mod account;
mod backups;
mod library;
mod mirror;
mod signing;
mod storage;
mod thumbnails;

pub use account::Account;
pub use signing::KeyStorage;

use crate::error::profile_error;
use crate::launch::LaunchOptions;
use crate::notify::Notifier;

/// The backups this run started or took up again, by id.
type BackupRegistry = Arc<Mutex<HashMap<BackupId, BackupHandle>>>;

/// Simultaneous transfers when the user has not chosen a number.
const DEFAULT_MAX_TRANSFERS: u32 = 2;

/// Largest number of simultaneous transfers the settings accept.
const MAX_TRANSFERS_LIMIT: u32 = 8;

/// Snapshots the UI can fall behind before it misses some.
const EVENT_CAPACITY: usize = 1024;

/// Everything the commands share.
pub struct AppState {
    app: AppHandle,
    demo: Option<RunningEmulator>,
    profile: RwLock<Profile>,
    catalog: Arc<Catalog>,
    pub media: Arc<MediaServer>,
    thumbnails: Arc<ThumbnailCache>,
    credentials: Arc<CredentialStore>,
    account: RwLock<Option<Arc<Account>>>,
    keychain_error: Mutex<Option<ErrorPayload>>,
    signing_key: Mutex<Option<signing::ActiveKey>>,
    /// Set once the unfinished jobs of the previous run were restarted, which happens when
    /// the first job manager of this process exists.
    queue_resumed: std::sync::atomic::AtomicBool,
    /// Set when the previous run's jobs were resumed, until its unfinished backups are
    /// taken up too.
    backups_to_resume: std::sync::atomic::AtomicBool,
    /// Videos of the last list, by uid, so a download started from it skips a fetch.
    listed: Mutex<std::collections::HashMap<String, offstream_stream::Video>>,
    events: broadcast::Sender<JobSnapshot>,
    relay: Mutex<Option<tauri::async_runtime::JoinHandle<()>>>,
    /// Held while a sync of the mirror runs, so two syncs never write it at once.
    sync_lock: tokio::sync::Mutex<()>,
    /// Stops the background thumbnail download of the last sync.
    thumbnail_fetch: Mutex<Option<CancellationToken>>,
    backups: BackupRegistry,
    notifier: Notifier,
}

impl AppState {
    /// Resolves the profile, opens the catalog, starts the media server and loads credentials.
    ///
    /// # Errors
    /// A message naming the folder, file or port that could not be used.
    pub async fn start(app: &AppHandle, options: &LaunchOptions) -> Result<Self, String> {
        let demo = if options.demo {
            Some(crate::demo::start().await?)
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
        let media = Arc::new(MediaServer::start().map_err(|e| e.to_string())?);
        let thumbnails = Arc::new(ThumbnailCache::new(&profile.data_dir));
        let (events, _) = broadcast::channel(EVENT_CAPACITY);
        let backups = BackupRegistry::default();
        let notifier = Notifier::start(
            app.clone(),
            events.subscribe(),
            backups::lookup(Arc::clone(&backups)),
        );

        let state = Self {
            app: app.clone(),
            demo,
            profile: RwLock::new(profile),
            catalog,
            media,
            thumbnails,
            credentials: Arc::new(CredentialStore::new(DEFAULT_SERVICE)),
            account: RwLock::new(None),
            keychain_error: Mutex::new(None),
            signing_key: Mutex::new(None),
            queue_resumed: std::sync::atomic::AtomicBool::new(false),
            backups_to_resume: std::sync::atomic::AtomicBool::new(false),
            listed: Mutex::new(std::collections::HashMap::new()),
            events,
            relay: Mutex::new(None),
            sync_lock: tokio::sync::Mutex::new(()),
            thumbnail_fetch: Mutex::new(None),
            backups,
            notifier,
        };
        state.allow_library_reads();
        state.load_signing_key().await;
        state.load_initial_credentials().await;
        Ok(state)
    }

    /// Stops the background work and the servers this state started.
    pub async fn shutdown(&self) {
        self.cancel_thumbnail_fetch();
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
            log_dir: profile.log_dir.display().to_string(),
            keychain_error: lock(&self.keychain_error).clone(),
            signing: self.signing_status(),
            max_transfers: account
                .as_ref()
                .and_then(|a| u32::try_from(a.jobs.max_transfers()).ok())
                .or_else(|| self.load_settings().ok().and_then(|s| s.max_transfers))
                .unwrap_or(DEFAULT_MAX_TRANSFERS),
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

    /// Returns the snapshots of the active account's jobs, or none without an account.
    pub fn job_snapshots(&self) -> Vec<JobSnapshot> {
        self.account()
            .map(|account| account.jobs.snapshots())
            .unwrap_or_default()
    }

    /// Returns the task that raises OS notifications.
    pub fn notifier(&self) -> &Notifier {
        &self.notifier
    }

    /// Subscribes to the snapshots of every job.
    pub fn subscribe_jobs(&self) -> broadcast::Receiver<JobSnapshot> {
        self.events.subscribe()
    }

    /// Records why the keychain cannot be used, or clears it.
    pub fn set_keychain_error(&self, error: Option<ErrorPayload>) {
        *lock(&self.keychain_error) = error;
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

    /// Keeps the videos of a list, replacing those of the previous one.
    pub fn remember_listed(&self, videos: &[offstream_stream::Video]) {
        let mut listed = lock(&self.listed);
        listed.clear();
        listed.extend(
            videos
                .iter()
                .map(|video| (video.uid.clone(), video.clone())),
        );
    }

    /// Returns a video of the last list.
    pub fn listed_video(&self, uid: &str) -> Option<offstream_stream::Video> {
        lock(&self.listed).get(uid).cloned()
    }

    /// Saves the number of simultaneous transfers and applies it to the running queue.
    ///
    /// # Errors
    /// `invalid_input` outside 1 to 8, `settings` when the settings file cannot be written.
    pub fn set_max_transfers(&self, count: u32) -> Result<(), ErrorPayload> {
        if !(1..=MAX_TRANSFERS_LIMIT).contains(&count) {
            return Err(ErrorPayload::new(
                "invalid_input",
                format!("{count} simultaneous transfers is not possible: choose 1 to {MAX_TRANSFERS_LIMIT}."),
            ));
        }
        let mut settings = self.load_settings()?;
        settings.max_transfers = Some(count);
        self.store_settings(&settings)?;
        if let Some(account) = self.account() {
            account
                .jobs
                .set_max_transfers(count as usize)
                .map_err(crate::error::engine_error)?;
        }
        Ok(())
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

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}
