//! Cloudflare account id, API token and Stream signing key storage for the CLI and the desktop
//! app.
//!
//! [`CredentialStore::load`] looks in three places, in this order:
//! 1. The environment variables `CLOUDFLARE_ACCOUNT_ID` and `CLOUDFLARE_API_TOKEN`, which
//!    override everything else when both are set. One without the other is an error.
//! 2. Credentials the user chose to keep for this run only ([`CredentialStore::use_session_only`]).
//!    The store never falls back to memory on its own; the caller must opt in.
//! 3. The OS keychain through keyring-core and one store crate per OS, picked with `cfg`:
//!    Keychain on macOS, Credential Manager on Windows and the Secret Service (gnome-keyring,
//!    KWallet) over D-Bus on Linux and the BSDs. Other targets build, but report no keychain.
//!
//! The Stream signing key has its own methods ([`CredentialStore::save_signing_key`],
//! [`CredentialStore::load_signing_key`] and the rest). It is kept in the keychain entry
//! [`SIGNING_KEY_ENTRY`], or for this run only when the user chooses so, never in the environment
//! or a file. [`CredentialStore::delete`] leaves it in place.
//!
//! The token and the key are each held in a [`SecretString`] whose `Debug` and `Display` print a
//! redaction, and no error message or log line contains them. Errors are one [`Error`] enum
//! whose variants map to what a user can do: start a keychain, unlock it, allow access, or fix a
//! value.
//!
//! Every keychain call blocks: it is D-Bus IPC on Linux and may wait for an unlock prompt.
//! Async callers must run [`CredentialStore`] methods inside `tokio::task::spawn_blocking`.

mod credentials;
mod environment;
mod error;
mod keychain;
mod secret;
mod store;

pub use credentials::{validate_account_id, validate_api_token, Credentials};
pub use environment::{Environment, ProcessEnvironment, ENV_ACCOUNT_ID, ENV_API_TOKEN};
pub use error::{Error, Result};
pub use secret::SecretString;
pub use store::{
    CredentialStore, Source, ACCOUNT_ID_ENTRY, API_TOKEN_ENTRY, DEFAULT_SERVICE, SIGNING_KEY_ENTRY,
};
