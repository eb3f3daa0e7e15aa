//! Signing keys (`/stream/keys`) and the token endpoint (`/stream/{uid}/token`).
//!
//! Both return secrets: a new key's private material, shown only once, and signed tokens. They
//! arrive in [`SecretText`], whose `Debug` and `Display` print a redaction, and an unparseable
//! response from these endpoints never quotes its body in the error.

use std::fmt;

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::client::{Sensitivity, StreamClient};
use crate::error::Error;

/// Secret text from the API (key material or a token). `Debug` and `Display` redact it.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct SecretText(String);

impl SecretText {
    /// Wraps secret text.
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// Returns the text, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretText(<redacted>)")
    }
}

impl fmt::Display for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A signing key the API just created. `pem` and `jwk` are base64 text, as the API sends them,
/// and are never shown again by Cloudflare.
#[derive(Debug, Clone, Deserialize)]
pub struct CreatedSigningKey {
    /// Key id, the `kid` of tokens signed with it.
    pub id: String,
    /// Base64 of the PKCS#1 PEM private key.
    pub pem: SecretText,
    /// Base64 of the JWK private key.
    #[serde(default)]
    pub jwk: Option<SecretText>,
    /// Creation time as the API states it.
    #[serde(default)]
    pub created: Option<String>,
}

/// A signing key as the key list shows it: no key material.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SigningKeySummary {
    /// Key id.
    pub id: String,
    /// Creation time as the API states it.
    #[serde(default)]
    pub created: Option<String>,
}

/// Options of `POST /stream/{uid}/token`. Times are Unix seconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenOptions {
    /// Lets the token fetch MP4 and M4A downloads.
    pub downloadable: bool,
    /// Expiry; the API default is one hour and the maximum 24 hours after issuing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Not-before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
}

#[derive(Deserialize)]
struct TokenResult {
    token: SecretText,
}

impl StreamClient {
    /// Creates a signing key on the account through `POST /stream/keys`.
    ///
    /// # Errors
    /// [`Error::Auth`] when the token may not manage Stream, and the transport errors of every
    /// call. An unexpected body is reported without quoting it, because it may hold the key.
    pub async fn create_signing_key(&self) -> Result<CreatedSigningKey, Error> {
        let body = serde_json::json!({});
        self.request(
            Method::POST,
            "/stream/keys",
            Some(&body),
            "signing keys",
            Sensitivity::Secret,
        )
        .await
        .map(|success| success.result)
    }

    /// Lists the account's signing keys (ids only).
    ///
    /// # Errors
    /// As [`StreamClient::create_signing_key`].
    pub async fn signing_keys(&self) -> Result<Vec<SigningKeySummary>, Error> {
        self.request(
            Method::GET,
            "/stream/keys",
            None,
            "signing keys",
            Sensitivity::Public,
        )
        .await
        .map(|success| success.result)
    }

    /// Revokes a signing key: every token it signed stops working.
    ///
    /// # Errors
    /// [`Error::NotFound`] for a key the account does not have, and the errors of
    /// [`StreamClient::create_signing_key`].
    pub async fn revoke_signing_key(&self, id: &str) -> Result<(), Error> {
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Error::Config(format!(
                "'{id}' is not a signing key id: a key id is 32 letters and digits"
            )));
        }
        let what = format!("signing key '{id}'");
        let _: crate::client::Success<serde_json::Value> = self
            .request(
                Method::DELETE,
                &format!("/stream/keys/{id}"),
                None,
                &what,
                Sensitivity::Public,
            )
            .await?;
        Ok(())
    }

    /// Asks the API to sign a token for one video through `POST /stream/{uid}/token`.
    ///
    /// Cloudflare recommends this endpoint only for low volumes (about 1,000 tokens a day);
    /// bulk work should sign locally with a signing key.
    ///
    /// # Errors
    /// As [`StreamClient::video`].
    pub async fn create_token(
        &self,
        uid: &str,
        options: &TokenOptions,
    ) -> Result<SecretText, Error> {
        crate::client::check_uid(uid)?;
        let body = serde_json::to_value(options)
            .map_err(|e| Error::Config(format!("cannot encode the token request ({e})")))?;
        let what = format!("video '{uid}'");
        let success: crate::client::Success<TokenResult> = self
            .request(
                Method::POST,
                &format!("/stream/{uid}/token"),
                Some(&body),
                &what,
                Sensitivity::Secret,
            )
            .await?;
        Ok(success.result.token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_text_redacts() {
        let secret = SecretText::new("LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVkt");
        assert!(!format!("{secret:?}").contains("LS0t"));
        assert!(!format!("{secret}").contains("LS0t"));
    }

    #[test]
    fn created_key_debug_hides_material() {
        let key: CreatedSigningKey = serde_json::from_str(
            r#"{"id":"abc","pem":"cGVtLW1hdGVyaWFs","jwk":"andrLW1hdGVyaWFs","created":"2021-06-15T21:06:54Z"}"#,
        )
        .unwrap();
        let shown = format!("{key:?}");
        assert!(!shown.contains("cGVtLW1hdGVyaWFs"), "{shown}");
        assert!(!shown.contains("andrLW1hdGVyaWFs"), "{shown}");
    }

    #[test]
    fn token_options_skip_unset_times() {
        let json = serde_json::to_value(TokenOptions {
            downloadable: true,
            exp: Some(100),
            nbf: None,
        })
        .unwrap();
        assert_eq!(json, serde_json::json!({"downloadable": true, "exp": 100}));
    }
}
