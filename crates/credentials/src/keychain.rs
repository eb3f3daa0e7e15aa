//! Access to the OS keychain through keyring-core, and the mapping of keyring-core errors onto
//! this crate's [`Error`]. The `platform` module picks the store for each OS.
//!
//! Windows Credential Manager keeps at most 2,560 bytes per item, and the Windows store saves a
//! password there as UTF-16, which leaves 1,280 characters. That fits an account id and an API
//! token but not an RSA signing key, whose 2048-bit PEM alone is about 1,700 characters. So
//! [`Keychain::set_utf8`] stores the UTF-8 bytes instead. On the other platforms both forms
//! store the same bytes.
// NOTE: a value over 2,560 UTF-8 bytes, such as a 4096-bit RSA key in PEM, still does not fit on
// Windows. The store then returns TooLong, which `map_error` turns into Error::Backend naming the
// entry and the limit. The Windows path is not run by this crate's tests, which run on Linux.

mod platform;

use crate::error::{Error, Result};

/// Reads and writes one secret per entry name under a fixed service name.
pub(crate) trait Keychain: Send + Sync {
    /// Returns the stored value of `entry`, or None when it does not exist.
    fn get(&self, entry: &str) -> Result<Option<String>>;

    /// Creates or replaces `entry`.
    fn set(&self, entry: &str, value: &str) -> Result<()>;

    /// Returns the stored value of `entry` read as UTF-8 bytes, or None when it does not exist.
    /// Reads entries written by [`set_utf8`](Self::set_utf8).
    fn get_utf8(&self, entry: &str) -> Result<Option<String>>;

    /// Creates or replaces `entry`, storing `value` as UTF-8 bytes rather than as a password,
    /// which doubles the space on Windows.
    fn set_utf8(&self, entry: &str, value: &str) -> Result<()>;

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

    fn entry(&self, entry: &str) -> Result<keyring_core::Entry> {
        platform::ensure_os_store().map_err(|reason| Error::Unavailable {
            reason: reason.to_owned(),
        })?;

        keyring_core::Entry::new(&self.service, entry).map_err(|error| map_error(error, entry))
    }
}

impl Keychain for OsKeychain {
    fn get(&self, entry: &str) -> Result<Option<String>> {
        match self.entry(entry)?.get_password() {
            Ok(value) => Ok(Some(value)),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(error) => Err(map_error(error, entry)),
        }
    }

    fn set(&self, entry: &str, value: &str) -> Result<()> {
        self.entry(entry)?
            .set_password(value)
            .map_err(|error| map_error(error, entry))
    }

    fn get_utf8(&self, entry: &str) -> Result<Option<String>> {
        let bytes = match self.entry(entry)?.get_secret() {
            Ok(bytes) => bytes,
            Err(keyring_core::Error::NoEntry) => return Ok(None),
            Err(error) => return Err(map_error(error, entry)),
        };

        // FromUtf8Error contains the stored bytes, so it is dropped rather than formatted.
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| not_utf8(entry))
    }

    fn set_utf8(&self, entry: &str, value: &str) -> Result<()> {
        self.entry(entry)?
            .set_secret(value.as_bytes())
            .map_err(|error| map_error(error, entry))
    }

    fn delete(&self, entry: &str) -> Result<()> {
        match self.entry(entry)?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(error) => Err(map_error(error, entry)),
        }
    }
}

/// Converts a keyring-core error into the variant a user can act on.
///
/// The store crates box their platform errors, so the Secret Service and macOS cases are
/// distinguished by message text.
// NOTE: the text matches follow secret-service 5.2 and zbus 5.19 messages; a rewording there
// turns Unavailable, Locked or Denied into Backend, which still shows the backend's message.
fn map_error(error: keyring_core::Error, entry: &str) -> Error {
    match error {
        // `entry` registers the store before it creates an entry, so this means that another
        // part of the process removed keyring-core's default store.
        keyring_core::Error::NoDefaultStore => Error::Unavailable {
            reason: "no default keychain store is registered".to_owned(),
        },
        keyring_core::Error::NoStorageAccess(inner) => {
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
        keyring_core::Error::PlatformFailure(inner) => {
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
        keyring_core::Error::BadEncoding(_) => not_utf8(entry),
        keyring_core::Error::BadDataFormat(_, _) => Error::Backend {
            detail: format!("the stored {entry} is malformed"),
        },
        keyring_core::Error::Ambiguous(items) => Error::Backend {
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

fn not_utf8(entry: &str) -> Error {
    Error::Backend {
        detail: format!("the stored {entry} is not valid UTF-8"),
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
    use std::sync::{Arc, Mutex};

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

        fn get_utf8(&self, entry: &str) -> Result<Option<String>> {
            self.get(entry)
        }

        fn set_utf8(&self, entry: &str, value: &str) -> Result<()> {
            self.set(entry, value)
        }

        fn delete(&self, entry: &str) -> Result<()> {
            self.check()?;
            self.entries.lock().unwrap().remove(entry);
            Ok(())
        }
    }

    /// Lets a test keep a handle on the keychain that the store owns.
    impl Keychain for Arc<MemoryKeychain> {
        fn get(&self, entry: &str) -> Result<Option<String>> {
            self.as_ref().get(entry)
        }

        fn set(&self, entry: &str, value: &str) -> Result<()> {
            self.as_ref().set(entry, value)
        }

        fn get_utf8(&self, entry: &str) -> Result<Option<String>> {
            self.as_ref().get_utf8(entry)
        }

        fn set_utf8(&self, entry: &str, value: &str) -> Result<()> {
            self.as_ref().set_utf8(entry, value)
        }

        fn delete(&self, entry: &str) -> Result<()> {
            self.as_ref().delete(entry)
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
    fn map_no_default_store_is_unavailable() {
        let mapped = map_error(keyring_core::Error::NoDefaultStore, "api-token");
        assert!(matches!(mapped, Error::Unavailable { .. }), "{mapped:?}");
    }

    #[test]
    fn map_locked_collection() {
        let error = keyring_core::Error::NoStorageAccess(boxed("SS Error: object locked"));
        assert!(matches!(map_error(error, "api-token"), Error::Locked));
    }

    #[test]
    fn map_dismissed_prompt_is_locked() {
        let error = keyring_core::Error::NoStorageAccess(boxed("SS error: prompt dismissed"));
        assert!(matches!(map_error(error, "api-token"), Error::Locked));
    }

    #[test]
    fn map_other_storage_access_is_denied() {
        let error = keyring_core::Error::NoStorageAccess(boxed("write permission error"));
        assert!(matches!(map_error(error, "api-token"), Error::Denied));
    }

    #[test]
    fn map_missing_provider_is_unavailable() {
        let text = "zbus error: org.freedesktop.DBus.Error.ServiceUnknown: The name \
                    org.freedesktop.secrets was not provided by any .service files";
        let error = keyring_core::Error::PlatformFailure(boxed(text));
        assert!(matches!(
            map_error(error, "api-token"),
            Error::Unavailable { .. }
        ));
    }

    #[test]
    fn map_lost_bus_is_unavailable() {
        let text = "zbus error: Failed to connect to address `unix:path=/run/user/0/bus`: \
                    No such file or directory (os error 2)";
        let error = keyring_core::Error::PlatformFailure(boxed(text));
        assert!(matches!(
            map_error(error, "api-token"),
            Error::Unavailable { .. }
        ));
    }

    #[test]
    fn map_cancel_is_denied() {
        let error = keyring_core::Error::PlatformFailure(boxed("User canceled the operation."));
        assert!(matches!(map_error(error, "api-token"), Error::Denied));
    }

    #[test]
    fn map_other_failure_is_backend() {
        let error = keyring_core::Error::PlatformFailure(boxed("disk on fire"));
        let mapped = map_error(error, "api-token");
        assert_eq!(
            mapped.to_string(),
            "The keychain failed: api-token: disk on fire"
        );
    }

    #[test]
    fn map_bad_encoding_hides_bytes() {
        let error = keyring_core::Error::BadEncoding(b"secret\xff".to_vec());
        let message = map_error(error, "api-token").to_string();
        assert!(message.contains("not valid UTF-8"));
        assert!(!message.contains("secret"));
    }

    #[test]
    fn map_too_long_names_entry() {
        let error = keyring_core::Error::TooLong("secret".to_owned(), 2560);
        let message = map_error(error, "signing-key").to_string();
        assert!(message.contains("signing-key"));
        assert!(message.contains("2560"));
    }
}
