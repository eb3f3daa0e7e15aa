//! Tokens for videos that require signed URLs, and the download URLs that carry them.
//!
//! A private video's MP4 or M4A is served only to a URL whose uid segment is replaced by a
//! token with `downloadable: true`. [`TokenSigner`] selects how tokens are made: locally with the
//! account's signing key (no API call, suits bulk work) or by the API's token endpoint, which
//! Cloudflare recommends only for low volumes. Token times come from the server clock that the
//! client estimates from each response's `Date` header, so a computer whose clock is off still
//! makes valid tokens.
//!
//! Tokens and the URLs holding them are secrets: they live in [`SignedUrl`], whose `Debug`
//! prints a redaction, and no log line or error contains them.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use offstream_signing::{
    lifetime_for, peek_claims, token_times, AccessRule, SignedToken, SigningKey, TokenClaims,
};
use offstream_stream::{StreamClient, TokenOptions};

use crate::error::EngineError;

/// A token is renewed before a request when it has less than this left.
const RENEW_BEFORE_EXPIRY: Duration = Duration::from_secs(5 * 60);

/// The source of tokens for private videos.
#[derive(Clone, Default)]
pub enum TokenSigner {
    /// Signed locally with this key.
    Key(Arc<SigningKey>),
    /// Requested from `POST /stream/{uid}/token` for each transfer.
    TokenApi,
    /// Not set up: a private video fails with [`EngineError::SigningKeyNeeded`].
    #[default]
    None,
}

impl fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Key(key) => write!(f, "TokenSigner::Key({})", key.id()),
            Self::TokenApi => f.write_str("TokenSigner::TokenApi"),
            Self::None => f.write_str("TokenSigner::None"),
        }
    }
}

impl TokenSigner {
    /// Returns the id of the signing key, when tokens are signed locally.
    pub fn key_id(&self) -> Option<&str> {
        match self {
            Self::Key(key) => Some(key.id()),
            _ => None,
        }
    }
}

/// A download URL with a token in place of the uid. `Debug` never shows it.
pub(crate) struct SignedUrl {
    url: String,
    /// Expiry of the token in server-clock Unix seconds, when known.
    expires_at: Option<i64>,
}

impl fmt::Debug for SignedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SignedUrl(<redacted>)")
    }
}

impl SignedUrl {
    /// Returns the URL for the request; never log it.
    pub(crate) fn expose(&self) -> &str {
        &self.url
    }

    /// Returns true when the token expires within the renewal margin by the server clock.
    pub(crate) fn is_near_expiry(&self, server_now: i64) -> bool {
        let margin = i64::try_from(RENEW_BEFORE_EXPIRY.as_secs()).unwrap_or(i64::MAX);
        self.expires_at
            .is_some_and(|exp| exp.saturating_sub(server_now) < margin)
    }
}

/// The video and download URL a token is made for.
pub(crate) struct TokenTarget<'a> {
    pub uid: &'a str,
    /// The download URL the API returned, with the uid in its path.
    pub url: &'a str,
    /// Size of the file when known, to size the token's lifetime.
    pub expected_bytes: Option<u64>,
    pub access_rules: &'a [AccessRule],
}

/// Makes a token for `target` and returns the download URL that carries it.
///
/// # Errors
/// [`EngineError::SigningKeyNeeded`] when no signer is set up, [`EngineError::SigningKey`] when
/// the key cannot sign, [`EngineError::TokenRejected`] when the token endpoint returns a token
/// that cannot download this video, the API errors of the token endpoint, and
/// [`EngineError::InvalidResponse`] when the URL has no uid segment to replace.
pub(crate) async fn signed_url(
    signer: &TokenSigner,
    client: &StreamClient,
    target: &TokenTarget<'_>,
) -> Result<SignedUrl, EngineError> {
    let server_now = client.server_clock().now_unix();
    let times = token_times(server_now, lifetime_for(target.expected_bytes));

    let token = match signer {
        TokenSigner::None => {
            return Err(EngineError::SigningKeyNeeded {
                uid: target.uid.to_owned(),
            })
        }
        TokenSigner::Key(key) => {
            let claims = TokenClaims {
                sub: target.uid.to_owned(),
                kid: key.id().to_owned(),
                exp: times.exp,
                nbf: times.nbf,
                downloadable: true,
                access_rules: target.access_rules.to_vec(),
            };
            key.sign(&claims)
                .map_err(|error| EngineError::SigningKey(error.to_string()))?
        }
        TokenSigner::TokenApi => {
            let options = TokenOptions {
                downloadable: true,
                exp: Some(times.exp),
                nbf: Some(times.nbf),
            };
            let text = client.create_token(target.uid, &options).await?;
            let token = SignedToken::from_api(text.expose().to_owned());
            check_api_token(&token, target.uid)?;
            token
        }
    };

    let url = replace_uid(target.url, target.uid, token.expose()).ok_or_else(|| {
        EngineError::InvalidResponse {
            uid: target.uid.to_owned(),
            detail: "the download URL has no path segment with the video uid to put the token in"
                .to_owned(),
        }
    })?;
    Ok(SignedUrl {
        url,
        expires_at: token.expires_at().or(Some(times.exp)),
    })
}

/// Checks what the token endpoint returned before using it: a token without `downloadable`
/// or for another video would only fail at the delivery host with a vaguer error.
fn check_api_token(token: &SignedToken, uid: &str) -> Result<(), EngineError> {
    let claims = peek_claims(token.expose()).map_err(|error| EngineError::TokenRejected {
        uid: uid.to_owned(),
        detail: format!("the token endpoint returned an unreadable token ({error})"),
    })?;
    if !claims.downloadable {
        return Err(EngineError::TokenRejected {
            uid: uid.to_owned(),
            detail: "the token endpoint returned a token without `downloadable`, which cannot fetch downloads; add a signing key instead".to_owned(),
        });
    }
    if claims.sub.as_deref().is_some_and(|sub| sub != uid) {
        return Err(EngineError::TokenRejected {
            uid: uid.to_owned(),
            detail: "the token endpoint returned a token for another video".to_owned(),
        });
    }
    Ok(())
}

/// Returns `url` with its path segment equal to `uid` replaced by `token`, or `None` when no
/// segment equals the uid. The query and host are kept.
pub(crate) fn replace_uid(url: &str, uid: &str, token: &str) -> Option<String> {
    let mut parsed = url::Url::parse(url).ok()?;
    let segments: Vec<String> = parsed.path_segments()?.map(str::to_owned).collect();
    let position = segments.iter().position(|segment| segment == uid)?;

    let mut replaced = segments;
    replaced[position] = token.to_owned();
    parsed.path_segments_mut().ok()?.clear().extend(&replaced);
    Some(parsed.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const UID: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn replace_uid_swaps_the_segment() {
        let url = format!("https://customer-x.cloudflarestream.com/{UID}/downloads/default.mp4");
        let replaced = replace_uid(&url, UID, "eyJ.a.b").unwrap();
        assert_eq!(
            replaced,
            "https://customer-x.cloudflarestream.com/eyJ.a.b/downloads/default.mp4"
        );
    }

    #[test]
    fn replace_uid_keeps_query() {
        let url = format!("http://127.0.0.1:9/{UID}/downloads/audio.m4a?filename=x");
        let replaced = replace_uid(&url, UID, "t.o.k").unwrap();
        assert!(
            replaced.ends_with("/t.o.k/downloads/audio.m4a?filename=x"),
            "{replaced}"
        );
    }

    #[test]
    fn replace_uid_needs_the_segment() {
        let url = "https://videodelivery.net/other/downloads/default.mp4";
        assert_eq!(replace_uid(url, UID, "t"), None);
    }

    fn api_token(downloadable: bool, sub: &str) -> SignedToken {
        let key = SigningKey::generate("0123456789abcdef0123456789abcdef").unwrap();
        let times = token_times(1_700_000_000, Duration::from_secs(3600));
        let claims = TokenClaims {
            sub: sub.to_owned(),
            kid: key.id().to_owned(),
            exp: times.exp,
            nbf: times.nbf,
            downloadable,
            access_rules: Vec::new(),
        };
        key.sign(&claims).unwrap()
    }

    #[test]
    fn api_token_without_downloadable_is_rejected() {
        let error = check_api_token(&api_token(false, UID), UID).unwrap_err();
        assert_eq!(error.code(), "token_rejected");
        assert!(error.to_string().contains("downloadable"), "{error}");
    }

    #[test]
    fn api_token_for_other_video_is_rejected() {
        let other = "fedcba9876543210fedcba9876543210";
        let error = check_api_token(&api_token(true, other), UID).unwrap_err();
        assert!(error.to_string().contains("another video"), "{error}");
    }

    #[test]
    fn api_token_for_this_video_passes() {
        assert!(check_api_token(&api_token(true, UID), UID).is_ok());
    }

    #[test]
    fn near_expiry_uses_the_margin() {
        let url = SignedUrl {
            url: String::new(),
            expires_at: Some(1_000),
        };
        assert!(url.is_near_expiry(900));
        assert!(!url.is_near_expiry(0));
    }

    #[test]
    fn signed_url_debug_redacts() {
        let url = SignedUrl {
            url: "https://h/secret-token/downloads/default.mp4".to_owned(),
            expires_at: None,
        };
        assert!(!format!("{url:?}").contains("secret-token"));
    }
}
