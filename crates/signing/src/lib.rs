//! Signing keys and signed tokens for private Cloudflare Stream videos.
//!
//! A video with `requireSignedURLs: true` serves its MP4 or M4A download only to a signed token
//! that carries `downloadable: true`, placed where the video uid goes in the download URL path:
//! `https://customer-<code>.cloudflarestream.com/<token>/downloads/default.mp4`. A token without
//! `downloadable`, a token for another `sub`, or a token in the query string gets 401 or 403.
//!
//! The token is an RS256 JWT (RSASSA-PKCS1-v1_5 with SHA-256, base64url without padding):
//! header `{"alg":"RS256","kid":<key id>}`, claims `sub` (video uid), `kid`, `exp` and `nbf`
//! (integer Unix seconds, `exp` at most 24 hours ahead), and optionally `downloadable` and
//! `accessRules` (at most five). Signing locally needs no API call per token, which matters
//! because Cloudflare recommends its token endpoint only for low volumes.
//!
//! Main items:
//! - [`SigningKey`]: parses the key as users paste it (PEM, JWK, or the base64 `pem` and `jwk`
//!   values of Stream's keys API), stores it for the keychain as a [`StoredKey`], and signs.
//! - [`TokenClaims`] and [`AccessRule`]: the contents of a token, checked before signing.
//! - [`token_times`] and [`lifetime_for`]: a validity window from the *server's* clock, with
//!   `nbf` back-dated and the lifetime sized to the download, so clock skew and long transfers
//!   do not break tokens.
//! - [`SignedToken`], [`peek_claims`] and [`looks_like_token`]: tokens the app made or the token
//!   endpoint returned, read without verification to check them.
//!
//! Invariants:
//! - A [`SigningKey`] contains a 32-character lowercase hexadecimal id and an RSA key of at least
//!   2048 bits.
//! - Times in signed tokens are seconds; values above 10^11 are rejected as milliseconds.
//! - Key material and token text never appear in `Debug`, `Display`, errors or logs:
//!   [`SigningKey`], [`StoredKey`] and [`SignedToken`] print redactions, and every error enum
//!   ([`KeyError`], [`RuleError`], [`SignError`], [`TokenError`]) describes values without
//!   echoing secrets. Each error has a stable `code()` for the UI.
//!
//! ```
//! use offstream_signing::{lifetime_for, peek_claims, token_times, SigningKey, TokenClaims};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let key = SigningKey::generate("8f926b1c4a7e4e0e9e4b0d3c2a1f5e6d")?;
//! # let material = key.to_pkcs1_pem();
//! // `material` is the `pem` or `jwk` value from Stream's keys API, as the user pasted it.
//! let key = SigningKey::parse(Some("8f926b1c4a7e4e0e9e4b0d3c2a1f5e6d"), &material)?;
//!
//! // The server's time: the local clock corrected by the skew seen in the API's Date header.
//! let server_now = 1_760_000_000;
//! let times = token_times(server_now, lifetime_for(Some(700 * 1024 * 1024)));
//! let uid = "ea95132c15732412d22c1476fa83f27a";
//! let token = key.sign(&TokenClaims::download(uid, key.id(), times))?;
//!
//! let url = format!("https://customer-abc.cloudflarestream.com/{}/downloads/default.mp4", token.expose());
//! assert!(peek_claims(token.expose())?.downloadable);
//! # let _ = url;
//! # Ok(())
//! # }
//! ```

mod base64url;
mod claims;
mod error;
mod jwk;
mod key;
mod material;
mod pem;
mod times;
mod token;

pub use claims::{
    validate_rules, AccessAction, AccessRule, AccessRuleType, TokenClaims, MAX_ACCESS_RULES,
};
pub use error::{KeyError, RuleError, SignError, TokenError};
pub use key::{SigningKey, StoredKey, MIN_KEY_BITS};
pub use times::{lifetime_for, token_times, TokenTimes, MAX_LIFETIME, MIN_LIFETIME, NBF_BACKDATE};
pub use token::{looks_like_token, peek_claims, PeekedClaims, SignedToken};
