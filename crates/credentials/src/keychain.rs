//! Access to the OS keychain through `keyring` 4 (its `v1` API), and the mapping of keyring
//! errors onto this crate's [`Error`].
//!
//! keyring 4 picks the store once per process, on the first `Entry::new`: Keychain on macOS,
//! Credential Manager on Windows, and the zbus Secret Service client elsewhere. If no Secret
//! Service is reachable at that moment, every later call reports the store as unavailable until
//! the process restarts.

use crate::error::{Error, Result};

/// Reads and writes one secret per entry name under a fixed service name.
pub(crate) trait Keychain: Send + Sync {
    /// Returns the stored value of `entry`, or None when it does not exist.
    fn get(&self, entry: &str) -> Result<Option<String>>;

    /// Creates or replaces `entry`.
    fn set(&self, entry: &str, value: &str) -> Result<()>;

    /// Deletes `entry`; a missing entry is not an error.
    fn delete(&self, entry: &str) -> Result<()>;
}

/// The OS keychain, with entries stored under one service name.
pub(crate) struct OsKeychain {
    service: String,
}

impl OsKeychain {
    pub(crate) fn new(service: String) -> Self {
        Self { service }
    }

    fn entry(&self, entry: &str) -> Result<keyring::Entry> {
        keyring::Entry::new(&self.service, entry).map_err(|error| map_error(error, entry))
    }
}

impl Keychain for OsKeychain {
    fn get(&self, entry: &str) -> Result<Option<String>> {
        match self.entry(entry)?.get_password() {
            Ok(value) => Ok(Some(value)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(error) => Err(map_error(error, entry)),
        }
    }

    fn set(&self, entry: &str, value: &str) -> Result<()> {
        self.entry(entry)?
            .set_password(value)
            .map_err(|error| map_error(error, entry))
    }

    fn delete(&self, entry: &str) -> Result<()> {
        match self.entry(entry)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(error) => Err(map_error(error, entry)),
        }
    }
}

/// Converts a keyring error into the variant a user can act on.
///
/// The store crates box their platform errors, so the Secret Service and macOS cases are
/// distinguished by message text.
// NOTE: the text matches follow secret-service 5.2 and zbus 5.19 messages; a rewording there
// turns Unavailable, Locked or Denied into Backend, which still shows the backend's message.
fn map_error(error: keyring::Error, entry: &str) -> Error {
    match error {
        keyring::Error::NoDefaultStore => Error::Unavailable {
            reason: store_failure_reason(),
        },
        keyring::Error::NoStorageAccess(inner) => {
            let text = inner.to_string().to_ascii_lowercase();
            // Secret Service reports a locked collection, a dismissed unlock prompt and a prompt
            // that could not be shown (no display or no default keyring) this way. All of them
            // leave the keyring locked.
            if text.contains("lock")
                || text.contains("prompt")
                || text.contains("result not returned")
            {
                Error::Locked
            } else {
                Error::Denied
            }
        }
        keyring::Error::PlatformFailure(inner) => {
            let text = inner.to_string();
            if is_missing_service(&text) {
                Error::Unavailable { reason: text }
            } else if text.to_ascii_lowercase().contains("cancel") {
                Error::Denied
            } else {
                Error::Backend {
                    detail: format!("{entry}: {text}"),
                }
            }
        }
        // These variants carry the stored bytes, so only a description is kept.
        keyring::Error::BadEncoding(_) => Error::Backend {
            detail: format!("the stored {entry} is not valid UTF-8"),
        },
        keyring::Error::BadDataFormat(_, _) => Error::Backend {
            detail: format!("the stored {entry} is malformed"),
        },
        keyring::Error::Ambiguous(items) => Error::Backend {
            detail: format!(
                "{} keychain items match {entry}; delete the duplicates and save again",
                items.len()
            ),
        },
        other => Error::Backend {
            detail: format!("{entry}: {other}"),
        },
    }
}

/// Returns why keyring could not set up its store, from the result it keeps for the process.
fn store_failure_reason() -> String {
    match keyring::Entry::store_status() {
        Err(error) => error.to_string(),
        Ok(()) => "the credential store was not initialised".to_owned(),
    }
}

/// Returns whether a message reports that no Secret Service provider or D-Bus session exists.
fn is_missing_service(text: &str) -> bool {
    const MARKERS: [&str; 4] = [
        "was not provided by any .service files",
        "Failed to connect to address",
        "ServiceUnknown",
        "no secret service provider or dbus session found",
    ];
    MARKERS.iter().any(|marker| text.contains(marker))
}

#[cfg(test)]
pub(crate) mod memory {
    //! An in-memory [`Keychain`] for the unit tests of the store, with error injection.

    use std::collections::HashMap;
    use std::sync::Mutex;

    use super::Keychain;
    use crate::error::{Error, Result};

    /// Stores entries in a map; `failing` makes every call return the given error kind.
    #[derive(Default)]
    pub(crate) struct MemoryKeychain {
        pub(crate) entries: Mutex<HashMap<String, String>>,
        pub(crate) failing: Mutex<Option<fn() -> Error>>,
        pub(crate) fail_on_set_of: Mutex<Option<&'static str>>,
    }

    impl MemoryKeychain {
        fn check(&self) -> Result<()> {
            match *self.failing.lock().unwrap() {
                Some(make_error) => Err(make_error()),
                None => Ok(()),
            }
        }
    }

    impl Keychain for MemoryKeychain {
        fn get(&self, entry: &str) -> Result<Option<String>> {
            self.check()?;
            Ok(self.entries.lock().unwrap().get(entry).cloned())
        }

        fn set(&self, entry: &str, value: &str) -> Result<()> {
            self.check()?;
            if *self.fail_on_set_of.lock().unwrap() == Some(entry) {
                return Err(Error::Locked);
            }
            self.entries
                .lock()
                .unwrap()
                .insert(entry.to_owned(), value.to_owned());
            Ok(())
        }

        fn delete(&self, entry: &str) -> Result<()> {
            self.check()?;
            self.entries.lock().unwrap().remove(entry);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(message: &str) -> Box<dyn std::error::Error + Send + Sync> {
        Box::new(std::io::Error::other(message.to_owned()))
    }

    #[test]
    fn map_locked_collection() {
        let error = keyring::Error::NoStorageAccess(boxed("SS Error: object locked"));
        assert!(matches!(map_error(error, "api-token"), Error::Locked));
    }

    #[test]
    fn map_dismissed_prompt_is_locked() {
        let error = keyring::Error::NoStorageAccess(boxed("SS error: prompt dismissed"));
        assert!(matches!(map_error(error, "api-token"), Error::Locked));
    }

    #[test]
    fn map_other_storage_access_is_denied() {
        let error = keyring::Error::NoStorageAccess(boxed("write permission error"));
        assert!(matches!(map_error(error, "api-token"), Error::Denied));
    }

    #[test]
    fn map_missing_provider_is_unavailable() {
        let text = "zbus error: org.freedesktop.DBus.Error.ServiceUnknown: The name \
                    org.freedesktop.secrets was not provided by any .service files";
        let error = keyring::Error::PlatformFailure(boxed(text));
        assert!(matches!(
            map_error(error, "api-token"),
            Error::Unavailable { .. }
        ));
    }

    #[test]
    fn map_lost_bus_is_unavailable() {
        let text = "zbus error: Failed to connect to address `unix:path=/run/user/0/bus`: \
                    No such file or directory (os error 2)";
        let error = keyring::Error::PlatformFailure(boxed(text));
        assert!(matches!(
            map_error(error, "api-token"),
            Error::Unavailable { .. }
        ));
    }

    #[test]
    fn map_cancel_is_denied() {
        let error = keyring::Error::PlatformFailure(boxed("User canceled the operation."));
        assert!(matches!(map_error(error, "api-token"), Error::Denied));
    }

    #[test]
    fn map_other_failure_is_backend() {
        let error = keyring::Error::PlatformFailure(boxed("disk on fire"));
        let mapped = map_error(error, "api-token");
        assert_eq!(
            mapped.to_string(),
            "The keychain failed: api-token: disk on fire"
        );
    }

    #[test]
    fn map_bad_encoding_hides_bytes() {
        let error = keyring::Error::BadEncoding(b"secret\xff".to_vec());
        let message = map_error(error, "api-token").to_string();
        assert!(message.contains("not valid UTF-8"));
        assert!(!message.contains("secret"));
    }
}
