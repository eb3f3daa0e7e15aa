//! The app's connection and storage status, as the settings screen shows it.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{ErrorPayload, SigningStatus};

/// The source of the credentials in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum CredentialSource {
    /// `CLOUDFLARE_ACCOUNT_ID` and `CLOUDFLARE_API_TOKEN`; they override the keychain.
    Environment,
    /// The OS keychain.
    Keychain,
    /// Kept in memory for this run only, because the user chose so.
    Session,
    /// The embedded demo account.
    Demo,
    /// Nothing yet: the settings screen must ask.
    None,
}

/// The app's state as the settings screen and the header show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AppStatus {
    /// True when the app runs against the embedded demo account.
    pub demo: bool,
    pub credential_source: CredentialSource,
    /// The account id in use; never the token.
    pub account_id: Option<String>,
    /// The API base URL in use.
    pub api_base: String,
    /// True when `OFFSTREAM_API_BASE` fixes the API base, so the setting is read-only.
    pub api_base_from_env: bool,
    /// Absolute path of the library folder.
    pub library_dir: String,
    /// True when `OFFSTREAM_LIBRARY_DIR` fixes the library folder.
    pub library_dir_from_env: bool,
    /// Absolute path of the folder that contains the app's rotating log files.
    pub log_dir: String,
    /// The reason the keychain could not be used, if it could not.
    pub keychain_error: Option<ErrorPayload>,
    /// How tokens for private videos are made.
    pub signing: SigningStatus,
    /// Downloads that transfer at the same time (1 to 8).
    pub max_transfers: u32,
}
