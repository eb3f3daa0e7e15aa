//! How the app signs tokens for private videos, as the settings screen and the first-download
//! dialog show it.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The way tokens for videos that require signed URLs are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum SigningMode {
    /// Signed locally with the stored signing key; no API call per token.
    Key,
    /// Requested from `POST .../stream/{uid}/token` per download, which Cloudflare recommends
    /// only for low volumes.
    TokenApi,
    /// Neither is set up: taking a private video offline must first ask the user.
    None,
}

/// Where the signing key in use is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum SigningKeySource {
    /// The OS keychain.
    Keychain,
    /// Kept in memory for this run only, because the keychain could not be used and the user
    /// chose so.
    Session,
}

/// The signing set-up, without any key material.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SigningStatus {
    pub mode: SigningMode,
    /// Id of the stored signing key, when there is one.
    pub key_id: Option<String>,
    pub key_source: Option<SigningKeySource>,
    /// True when the user allowed the token endpoint as the fallback for videos signed
    /// without a key.
    pub token_api_allowed: bool,
    /// Server clock minus this computer's clock, in seconds, from the API's last `Date` header.
    #[ts(type = "number | null")]
    pub clock_skew_seconds: Option<i64>,
}

/// A signing key the user pastes: its id and the `pem` or `jwk` value the keys API returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SigningKeyInput {
    /// The key id. May be empty when the material is a JWK that names its `kid`.
    pub key_id: String,
    /// PEM or JWK, as text or in the base64 form the API returns. Never logged or echoed.
    pub material: String,
    /// Keeps the key in memory for this run only, when the keychain cannot be used.
    pub session_only: bool,
}
