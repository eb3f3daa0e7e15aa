//! Signing keys: RSA key generation, the `pem` and `jwk` encodings the keys API hands out, and
//! the key ring that the delivery host checks token signatures against.
//!
//! Main types: [`NewKey`] (the full material of a freshly generated key) and [`KeyRing`].
//! Invariants: key ids are 32 lowercase hex characters. The ring stores only public halves;
//! a key's private half exists in the reply that hands it out and in the secret log. A revoked
//! key stays in the ring, marked revoked, so the delivery host can tell "revoked" from
//! "unknown"; listings skip it.

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rsa::pkcs1::{EncodeRsaPrivateKey, LineEnding, RsaPrivateKeyRef};
use serde_json::json;
use time::OffsetDateTime;

/// Modulus size of generated keys, as the real service uses.
pub(crate) const KEY_BITS: usize = 2048;

/// Maximum number of active keys per account (revoked keys do not count).
pub(crate) const MAX_ACTIVE_KEYS: usize = 1000;

/// Public half of an RSA key: big-endian modulus and exponent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PublicKey {
    pub n: Vec<u8>,
    pub e: Vec<u8>,
}

/// A freshly generated key with every encoding the keys API returns.
pub(crate) struct NewKey {
    pub id: String,
    pub created: OffsetDateTime,
    /// PKCS#1 PEM text (`-----BEGIN RSA PRIVATE KEY-----`).
    pub pem: String,
    /// Standard base64 of [`Self::pem`], the `pem` field on the wire.
    pub pem_base64: String,
    /// JWK JSON text.
    pub jwk: String,
    /// Standard base64 of [`Self::jwk`], the `jwk` field on the wire.
    pub jwk_base64: String,
    /// The private exponent as base64url, as it appears inside the JWK.
    pub d_base64url: String,
    /// PKCS#1 DER of the private key, for signing.
    pub der: Vec<u8>,
    pub public: PublicKey,
}

impl NewKey {
    /// Returns every secret string of this key, for the secret log.
    pub fn secrets(&self) -> [&str; 5] {
        [
            &self.pem,
            &self.pem_base64,
            &self.jwk,
            &self.jwk_base64,
            &self.d_base64url,
        ]
    }
}

impl fmt::Debug for NewKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewKey")
            .field("id", &self.id)
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
}

/// Generates a 2048-bit RSA key with the given id. Takes tens of milliseconds, so call it from
/// a blocking task.
///
/// # Errors
/// Returns a message when key generation or encoding fails, which the `rsa` crate only does
/// for invalid parameters.
pub(crate) fn generate_key(id: String, created: OffsetDateTime) -> Result<NewKey, String> {
    let private = rsa::PrivateKey::new(&mut ThreadRng(rand::rng()), KEY_BITS)
        .map_err(|error| format!("RSA key generation failed: {error}"))?;
    let der = private
        .to_pkcs1_der()
        .map_err(|error| format!("PKCS#1 encoding failed: {error}"))?;
    let pem = private
        .to_pkcs1_pem(LineEnding::LF)
        .map_err(|error| format!("PEM encoding failed: {error}"))?;

    // The DER structure contains all eight integers a JWK needs, already reduced and trimmed.
    let parts = RsaPrivateKeyRef::try_from(der.as_bytes())
        .map_err(|error| format!("PKCS#1 decoding failed: {error}"))?;
    let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
    let d_base64url = b64(parts.private_exponent.as_bytes());
    let jwk = json!({
        "use": "sig",
        "kty": "RSA",
        "kid": id,
        "alg": "RS256",
        "n": b64(parts.modulus.as_bytes()),
        "e": b64(parts.public_exponent.as_bytes()),
        "d": d_base64url,
        "p": b64(parts.prime1.as_bytes()),
        "q": b64(parts.prime2.as_bytes()),
        "dp": b64(parts.exponent1.as_bytes()),
        "dq": b64(parts.exponent2.as_bytes()),
        "qi": b64(parts.coefficient.as_bytes()),
    })
    .to_string();
    let public = PublicKey {
        n: parts.modulus.as_bytes().to_vec(),
        e: parts.public_exponent.as_bytes().to_vec(),
    };

    Ok(NewKey {
        id,
        created,
        pem_base64: STANDARD.encode(pem.as_bytes()),
        pem: pem.to_string(),
        jwk_base64: STANDARD.encode(jwk.as_bytes()),
        jwk,
        d_base64url,
        der: der.as_bytes().to_vec(),
        public,
    })
}

/// Adapts `rand`'s thread-local CSPRNG (rand_core 0.9) to the rand_core 0.10 traits that
/// `rsa` 0.10 takes, so no second random-number crate is needed.
struct ThreadRng(rand::rngs::ThreadRng);

impl rsa::rand_core::TryRng for ThreadRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(rand::RngCore::next_u32(&mut self.0))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(rand::RngCore::next_u64(&mut self.0))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        rand::RngCore::fill_bytes(&mut self.0, dst);
        Ok(())
    }
}

// ThreadRng is ChaCha12 seeded from the operating system, a cryptographically secure generator.
impl rsa::rand_core::TryCryptoRng for ThreadRng {}

/// Result of looking up a token's `kid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyLookup {
    Active(PublicKey),
    Revoked,
    Unknown,
}

/// The ring's record of one key.
#[derive(Debug, Clone)]
struct Entry {
    created: OffsetDateTime,
    public: PublicKey,
    revoked: bool,
    /// False for the emulator's internal key, which the keys API never shows or revokes.
    listed: bool,
}

/// Reason a key could not be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyLimitReached;

/// All signing keys of the account, including revoked ones.
#[derive(Debug, Default)]
pub(crate) struct KeyRing {
    keys: HashMap<String, Entry>,
}

impl KeyRing {
    /// Returns the number of listed keys that are not revoked.
    pub fn active_count(&self) -> usize {
        self.keys
            .values()
            .filter(|entry| entry.listed && !entry.revoked)
            .count()
    }

    /// Adds a key the keys API hands out.
    ///
    /// # Errors
    /// Returns [`KeyLimitReached`] when [`MAX_ACTIVE_KEYS`] keys are active.
    pub fn insert(
        &mut self,
        id: &str,
        created: OffsetDateTime,
        public: PublicKey,
    ) -> Result<(), KeyLimitReached> {
        if self.active_count() >= MAX_ACTIVE_KEYS {
            return Err(KeyLimitReached);
        }
        self.keys
            .insert(id.to_owned(), Entry::new(created, public, true));
        Ok(())
    }

    /// Adds the emulator's internal key, which listings and revocation ignore.
    pub fn insert_internal(&mut self, id: &str, created: OffsetDateTime, public: PublicKey) {
        self.keys
            .insert(id.to_owned(), Entry::new(created, public, false));
    }

    /// Revokes a listed key; returns false for an unknown, internal or already revoked id.
    pub fn revoke(&mut self, id: &str) -> bool {
        match self.keys.get_mut(id) {
            Some(entry) if entry.listed && !entry.revoked => {
                entry.revoked = true;
                true
            }
            _ => false,
        }
    }

    /// Returns `(id, created)` of every active listed key, oldest first.
    pub fn list(&self) -> Vec<(String, OffsetDateTime)> {
        let mut keys: Vec<(String, OffsetDateTime)> = self
            .keys
            .iter()
            .filter(|(_, entry)| entry.listed && !entry.revoked)
            .map(|(id, entry)| (id.clone(), entry.created))
            .collect();
        keys.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
        keys
    }

    /// Looks up the key a token names in its `kid`.
    pub fn lookup(&self, kid: &str) -> KeyLookup {
        match self.keys.get(kid) {
            Some(entry) if entry.revoked => KeyLookup::Revoked,
            Some(entry) => KeyLookup::Active(entry.public.clone()),
            None => KeyLookup::Unknown,
        }
    }
}

impl Entry {
    fn new(created: OffsetDateTime, public: PublicKey, listed: bool) -> Self {
        Self {
            created,
            public,
            revoked: false,
            listed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn public(tag: u8) -> PublicKey {
        PublicKey {
            n: vec![tag; 4],
            e: vec![1, 0, 1],
        }
    }

    #[test]
    fn generated_key_encodings_agree() {
        let key = generate_key("ab".repeat(16), datetime!(2024-01-01 00:00 UTC)).unwrap();
        let pem = String::from_utf8(STANDARD.decode(&key.pem_base64).unwrap()).unwrap();
        let jwk: serde_json::Value =
            serde_json::from_slice(&STANDARD.decode(&key.jwk_base64).unwrap()).unwrap();

        assert_eq!(pem, key.pem);
        assert!(pem.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
        assert_eq!(jwk["kid"], key.id);
        assert_eq!(jwk["alg"], "RS256");
        assert_eq!(jwk["use"], "sig");
        assert_eq!(jwk["e"], "AQAB");
        assert_eq!(jwk["d"], key.d_base64url);
        assert_eq!(key.public.n.len(), KEY_BITS / 8);
        for field in ["n", "p", "q", "dp", "dq", "qi"] {
            assert!(
                jwk[field].as_str().is_some_and(|v| !v.is_empty()),
                "{field}"
            );
        }
    }

    #[test]
    fn debug_hides_material() {
        let key = generate_key("cd".repeat(16), datetime!(2024-01-01 00:00 UTC)).unwrap();

        let text = format!("{key:?}");

        assert!(!text.contains(&key.d_base64url));
        assert!(!text.contains("PRIVATE KEY"));
    }

    #[test]
    fn ring_revoke_then_lookup() {
        let mut ring = KeyRing::default();
        ring.insert("a", datetime!(2024-01-01 00:00 UTC), public(1))
            .unwrap();

        let revoked = ring.revoke("a");
        let again = ring.revoke("a");

        assert!(revoked);
        assert!(!again);
        assert_eq!(ring.lookup("a"), KeyLookup::Revoked);
        assert_eq!(ring.lookup("b"), KeyLookup::Unknown);
        assert!(ring.list().is_empty());
    }

    #[test]
    fn ring_internal_key_unlisted() {
        let mut ring = KeyRing::default();
        ring.insert_internal("internal", datetime!(2024-01-01 00:00 UTC), public(2));

        let revoked = ring.revoke("internal");

        assert!(!revoked);
        assert!(ring.list().is_empty());
        assert_eq!(ring.lookup("internal"), KeyLookup::Active(public(2)));
    }

    #[test]
    fn ring_limit_counts_active_keys() {
        let mut ring = KeyRing::default();
        let created = datetime!(2024-01-01 00:00 UTC);
        for index in 0..MAX_ACTIVE_KEYS {
            ring.insert(&index.to_string(), created, public(3)).unwrap();
        }

        let over = ring.insert("over", created, public(3));
        ring.revoke("0");
        let after_revoke = ring.insert("after", created, public(3));

        assert_eq!(over, Err(KeyLimitReached));
        assert_eq!(after_revoke, Ok(()));
    }

    #[test]
    fn ring_lists_oldest_first() {
        let mut ring = KeyRing::default();
        ring.insert("new", datetime!(2024-01-02 00:00 UTC), public(4))
            .unwrap();
        ring.insert("old", datetime!(2024-01-01 00:00 UTC), public(5))
            .unwrap();

        let ids: Vec<String> = ring.list().into_iter().map(|(id, _)| id).collect();

        assert_eq!(ids, ["old", "new"]);
    }
}
