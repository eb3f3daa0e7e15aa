//! The per-launch URL secret that keeps media URLs unguessable.

use std::fmt;

/// Number of random bytes in a secret: 256 bits, printed as 64 hex digits.
const SECRET_BYTES: usize = 32;

/// A random path segment that must prefix every media URL.
///
/// `Debug` prints a redaction so the secret cannot reach a log line by accident.
pub(crate) struct UrlSecret(String);

impl UrlSecret {
    /// Generates a secret from the thread-local CSPRNG (ChaCha, seeded from the OS).
    pub(crate) fn generate() -> Self {
        let bytes: [u8; SECRET_BYTES] = rand::random();
        Self(hex::encode(bytes))
    }

    /// Returns the secret for building URLs.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// Compares a candidate with the secret in time that depends only on the lengths, so
    /// response timing does not reveal how many leading characters of a guess were right.
    pub(crate) fn matches(&self, candidate: &str) -> bool {
        constant_time_eq(self.0.as_bytes(), candidate.as_bytes())
    }
}

impl fmt::Debug for UrlSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UrlSecret(<redacted>)")
    }
}

/// Compares two byte strings without an early exit on the first difference.
///
/// The length check may exit early: the secret's length is fixed and public.
fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    if left.len() != right.len() {
        return false;
    }

    let difference = left
        .iter()
        .zip(right)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));

    // black_box keeps the optimiser from turning the fold back into an early-exit comparison.
    std::hint::black_box(difference) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generate_is_64_hex_digits() {
        let secret = UrlSecret::generate();
        assert_eq!(secret.as_str().len(), 64);
        assert!(secret.as_str().bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn generate_differs_each_call() {
        assert_ne!(
            UrlSecret::generate().as_str(),
            UrlSecret::generate().as_str()
        );
    }

    #[test]
    fn matches_accepts_same_secret() {
        let secret = UrlSecret::generate();
        let copy = secret.as_str().to_owned();
        assert!(secret.matches(&copy));
    }

    #[test]
    fn matches_rejects_one_changed_char() {
        let secret = UrlSecret::generate();
        let mut guess = secret.as_str().to_owned();
        let last = if guess.ends_with('0') { "1" } else { "0" };
        guess.replace_range(63.., last);
        assert!(!secret.matches(&guess));
    }

    #[test]
    fn matches_rejects_prefix() {
        let secret = UrlSecret::generate();
        assert!(!secret.matches(&secret.as_str()[..32]));
    }

    #[test]
    fn debug_redacts_secret() {
        let secret = UrlSecret::generate();
        assert!(!format!("{secret:?}").contains(secret.as_str()));
    }
}
