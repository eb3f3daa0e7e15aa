//! Behaviour on a machine without a session D-Bus, such as a container or an SSH login.
//!
//! keyring picks its store once per process, so the check runs in a child process: this test
//! starts its own binary again with the D-Bus address removed and an empty XDG_RUNTIME_DIR, and
//! the child makes the assertions. It needs no keychain and always runs.

use std::collections::HashMap;
use std::process::Command;

use offstream_credentials::{CredentialStore, Credentials, Error, SecretString, Source};

const CHILD_FLAG: &str = "OFFSTREAM_NO_BUS_CHILD";
const TEST_NAME: &str = "keychain_unavailable_without_bus";
const SIGNING_KEY: &str = r#"{"id":"key-no-bus","pem":"LS0tLS1CRUdJTiBSU0E="}"#;

#[test]
fn keychain_unavailable_without_bus() {
    if std::env::var_os(CHILD_FLAG).is_some() {
        check_without_bus();
        return;
    }

    let runtime_dir = tempfile::tempdir().expect("temp dir");
    let output = Command::new(std::env::current_exe().expect("test binary path"))
        .args([TEST_NAME, "--exact", "--nocapture", "--test-threads=1"])
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env("XDG_RUNTIME_DIR", runtime_dir.path())
        .env(CHILD_FLAG, "1")
        .output()
        .expect("run child test process");

    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "child ran no test:\n{stdout}");
}

/// Runs in the child, where no session bus can be reached.
fn check_without_bus() {
    let store = CredentialStore::with_environment(
        "dev.offstream.test.no-bus",
        HashMap::<String, String>::new(),
    );
    let credentials = Credentials::new(
        "0123456789abcdef0123456789abcdef",
        "Ab3dEf6hIj9lMn2pQr5tUv8xYz_-1234567890Ab",
    )
    .unwrap();

    let load_error = store.load().expect_err("load must fail without a keychain");
    println!("load error: {load_error}");
    assert!(
        matches!(load_error, Error::Unavailable { .. }),
        "{load_error:?}"
    );
    let message = load_error.to_string();
    assert!(
        message.starts_with("No keychain is available ("),
        "{message}"
    );
    assert!(
        message.contains("install and start gnome-keyring"),
        "{message}"
    );
    assert!(message.contains("for this run only"), "{message}");

    let save_error = store
        .save(&credentials)
        .expect_err("save must fail without a keychain");
    assert!(
        matches!(save_error, Error::Unavailable { .. }),
        "{save_error:?}"
    );
    assert!(!save_error
        .to_string()
        .contains(credentials.api_token().expose()));

    store.use_session_only(credentials.clone());
    let (loaded, source) = store
        .load()
        .expect("load session")
        .expect("session credentials");
    assert_eq!(source, Source::Session);
    assert_eq!(loaded, credentials);

    check_signing_key_without_bus(&store);
}

/// Checks that the signing key gets the same errors as the credentials, and the same opt-in.
fn check_signing_key_without_bus(store: &CredentialStore) {
    let signing_key = SecretString::new(SIGNING_KEY);

    let load_error = store
        .load_signing_key()
        .expect_err("load_signing_key must fail without a keychain");
    println!("load_signing_key error: {load_error}");
    assert!(
        matches!(load_error, Error::Unavailable { .. }),
        "{load_error:?}"
    );
    assert!(
        load_error.to_string().contains("for this run only"),
        "{load_error}"
    );

    let save_error = store
        .save_signing_key(&signing_key)
        .expect_err("save_signing_key must fail without a keychain");
    assert!(
        matches!(save_error, Error::Unavailable { .. }),
        "{save_error:?}"
    );
    assert!(!save_error.to_string().contains(SIGNING_KEY));

    store.use_session_signing_key(signing_key);
    let (loaded, source) = store
        .load_signing_key()
        .expect("load session signing key")
        .expect("session signing key");
    assert_eq!(source, Source::Session);
    assert_eq!(loaded.expose(), SIGNING_KEY);

    let delete_error = store
        .delete_signing_key()
        .expect_err("delete_signing_key must fail without a keychain");
    assert!(
        matches!(delete_error, Error::Unavailable { .. }),
        "{delete_error:?}"
    );
    // The key kept for this run is gone, so the load reaches the missing keychain again.
    let reload_error = store
        .load_signing_key()
        .expect_err("load after delete must fail without a keychain");
    assert!(
        matches!(reload_error, Error::Unavailable { .. }),
        "{reload_error:?}"
    );
}
