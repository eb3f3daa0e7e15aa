//! The OS keychain store, picked with `cfg` at compile time and registered as keyring-core's
//! default store once per process.
//!
//! - macOS: the user's keychain, through apple-native-keyring-store (`keychain` feature).
//! - Windows: generic credentials in Credential Manager, through windows-native-keyring-store.
//! - Linux and the BSDs: the Secret Service on the session D-Bus (gnome-keyring, KWallet),
//!   through zbus-secret-service-keyring-store with its pure-Rust session encryption.
//!
//! Other targets compile too, and there every keychain call fails with a message naming the OS.
//! The `cfg` lists here must match the target tables in this crate's Cargo.toml.
//!
//! The first keychain call creates the store, and the outcome is kept for the process. So on
//! Linux a Secret Service that could not be reached then stays unavailable until a restart,
//! because the store connects to D-Bus once, when it is created.

use std::sync::{Arc, LazyLock};

use keyring_core::CredentialStore;

/// The outcome of creating the OS store. `Err` contains why it failed.
static OS_STORE_STATUS: LazyLock<Result<(), String>> = LazyLock::new(register_os_store);

/// Makes the OS store keyring-core's default store on the first call. Returns why the store is
/// missing, on this call and every later one, when it could not be created.
pub(super) fn ensure_os_store() -> Result<(), &'static str> {
    match &*OS_STORE_STATUS {
        Ok(()) => Ok(()),
        Err(reason) => Err(reason.as_str()),
    }
}

fn register_os_store() -> Result<(), String> {
    match create_os_store() {
        Ok(store) => {
            tracing::info!(store = %store.vendor(), "using the OS keychain");
            keyring_core::set_default_store(store);
            Ok(())
        }
        Err(reason) => {
            // Debug only: every keychain call returns this reason to its caller, which reports it.
            tracing::debug!(%reason, "the OS keychain could not be opened");
            Err(reason)
        }
    }
}

#[cfg(target_os = "macos")]
fn create_os_store() -> Result<Arc<CredentialStore>, String> {
    let store: Arc<CredentialStore> =
        apple_native_keyring_store::keychain::Store::new().map_err(|error| error.to_string())?;
    Ok(store)
}

#[cfg(target_os = "windows")]
fn create_os_store() -> Result<Arc<CredentialStore>, String> {
    let store: Arc<CredentialStore> =
        windows_native_keyring_store::Store::new().map_err(|error| error.to_string())?;
    Ok(store)
}

#[cfg(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd",
    target_os = "dragonfly"
))]
fn create_os_store() -> Result<Arc<CredentialStore>, String> {
    let store: Arc<CredentialStore> =
        zbus_secret_service_keyring_store::Store::new().map_err(|error| error.to_string())?;
    Ok(store)
}

#[cfg(not(any(
    target_os = "macos",
    target_os = "windows",
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd",
    target_os = "dragonfly"
)))]
fn create_os_store() -> Result<Arc<CredentialStore>, String> {
    Err(unsupported_os_reason(std::env::consts::OS))
}

/// Explains that `os` has no keychain store in this build.
// Only targets without a store call this, but it is compiled everywhere so its test runs.
#[allow(dead_code)]
fn unsupported_os_reason(os: &str) -> String {
    format!("Offstream has no keychain support on {os}, only on macOS, Windows, Linux and the BSDs")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_os_reason_names_os() {
        let reason = unsupported_os_reason("haiku");
        assert!(reason.contains("on haiku"), "{reason}");
    }
}
