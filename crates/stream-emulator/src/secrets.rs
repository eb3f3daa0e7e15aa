//! The secret log: every secret string the emulator handed out or received, kept so a test can
//! grep files and logs for leaks.
//!
//! It contains the API token, each signing key's `pem` and `jwk` (base64 and decoded text, and
//! the JWK's `d`), each token the token endpoint issued or signed with a caller's `pem`, each
//! `pem` a caller sent, and each token presented on the delivery host. Entries are
//! deduplicated and kept in first-seen order. Nothing here is ever logged.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

/// Append-only, deduplicated list of secret strings.
#[derive(Default)]
pub(crate) struct SecretLog {
    inner: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    order: Vec<String>,
    seen: HashSet<String>,
}

impl SecretLog {
    /// Records a secret; empty strings and repeats are ignored.
    pub fn record(&self, secret: &str) {
        if secret.is_empty() {
            return;
        }
        let mut entries = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.seen.insert(secret.to_owned()) {
            entries.order.push(secret.to_owned());
        }
    }

    /// Returns every recorded secret in first-seen order.
    pub fn all(&self) -> Vec<String> {
        let entries = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        entries.order.clone()
    }
}

impl std::fmt::Debug for SecretLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretLog([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_dedupes_and_keeps_order() {
        let log = SecretLog::default();

        log.record("b");
        log.record("a");
        log.record("b");
        log.record("");

        assert_eq!(log.all(), ["b", "a"]);
    }
}
