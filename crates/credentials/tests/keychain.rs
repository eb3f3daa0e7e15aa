//! Round trips of the credentials and the signing key through the real OS keychain, checked
//! independently with `secret-tool`.
//!
//! These tests run only when `OFFSTREAM_KEYCHAIN_TESTS=1`, which `scripts/with-keyring.sh` sets
//! after it starts a private D-Bus session with an unlocked gnome-keyring:
//!
//!     scripts/with-keyring.sh cargo test -p offstream-credentials
//!
//! Without it each test prints a line saying it was skipped and passes.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use offstream_credentials::{
    CredentialStore, Credentials, Error, SecretString, Source, ACCOUNT_ID_ENTRY, API_TOKEN_ENTRY,
    SIGNING_KEY_ENTRY,
};

const ACCOUNT: &str = "0123456789abcdef0123456789abcdef";
const TOKEN: &str = "Ab3dEf6hIj9lMn2pQr5tUv8xYz_-1234567890Ab";
const OTHER_ACCOUNT: &str = "fedcba9876543210fedcba9876543210";
const OTHER_TOKEN: &str = "Zz9yXx8wVv7uTt6sRr5qQp4oOn3mMl2kKj1iIh0g";
// The store treats the key as opaque text, so it need not be a real key.
const SIGNING_KEY: &str =
    r#"{"id":"0f1e2d3c4b5a69788796a5b4c3d2e1f0","pem":"LS0tLS1CRUdJTiBSU0E="}"#;

/// Returns true when the keychain tests should run, and prints a skip line otherwise.
fn keychain_tests_enabled(test: &str) -> bool {
    if std::env::var("OFFSTREAM_KEYCHAIN_TESTS").as_deref() == Ok("1") {
        return true;
    }
    // Written to stderr directly because the test harness swallows eprintln! output of passing
    // tests.
    let _ = writeln!(
        std::io::stderr(),
        "skipped {test}: set OFFSTREAM_KEYCHAIN_TESTS=1 or run under scripts/with-keyring.sh"
    );
    false
}

/// Returns a service name no other test or run uses, so tests can run in parallel.
fn service_name(test: &str) -> String {
    format!("dev.offstream.test.{}.{test}", std::process::id())
}

/// Returns a store that ignores the process environment, so CLOUDFLARE_* variables set on the
/// machine cannot change the results.
fn store(service: &str) -> CredentialStore {
    CredentialStore::with_environment(service, HashMap::<String, String>::new())
}

/// Reads an item with `secret-tool`, independently of keyring-rs. Returns None when absent.
fn secret_tool_lookup(service: &str, entry: &str) -> Option<String> {
    let output = Command::new("secret-tool")
        .args(["lookup", "service", service, "username", entry])
        .output()
        .expect("run secret-tool (apt-get install libsecret-tools)");
    if !output.status.success() {
        return None;
    }
    let value = String::from_utf8(output.stdout).expect("secret-tool prints UTF-8");
    Some(value.trim_end_matches('\n').to_owned())
}

/// Counts the items `secret-tool search --all` finds for one entry.
fn secret_tool_count(service: &str, entry: &str) -> usize {
    let output = Command::new("secret-tool")
        .args(["search", "--all", "service", service, "username", entry])
        .output()
        .expect("run secret-tool");
    let listing = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    listing
        .lines()
        .filter(|line| line.starts_with("[/"))
        .count()
}

/// Writes an item with `secret-tool`, as another program would.
fn secret_tool_store(service: &str, entry: &str, value: &str) {
    let mut child = Command::new("secret-tool")
        .args([
            "store",
            "--label",
            "offstream test",
            "service",
            service,
            "username",
            entry,
        ])
        .stdin(Stdio::piped())
        .spawn()
        .expect("run secret-tool");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(value.as_bytes())
        .expect("write secret");
    assert!(
        child.wait().expect("wait").success(),
        "secret-tool store failed"
    );
}

#[test]
fn keychain_round_trip() {
    if !keychain_tests_enabled("keychain_round_trip") {
        return;
    }
    let service = service_name("round_trip");
    let store = store(&service);
    let credentials = Credentials::new(ACCOUNT, TOKEN).unwrap();

    store.save(&credentials).expect("save");
    let (loaded, source) = store.load().expect("load").expect("credentials after save");

    assert_eq!(source, Source::Keychain);
    assert_eq!(loaded.account_id(), ACCOUNT);
    assert_eq!(loaded.api_token().expose(), TOKEN);
    assert_eq!(
        secret_tool_lookup(&service, API_TOKEN_ENTRY).as_deref(),
        Some(TOKEN)
    );
    assert_eq!(
        secret_tool_lookup(&service, ACCOUNT_ID_ENTRY).as_deref(),
        Some(ACCOUNT)
    );

    store.delete().expect("delete");

    assert!(store.load().expect("load after delete").is_none());
    assert_eq!(secret_tool_lookup(&service, API_TOKEN_ENTRY), None);
    assert_eq!(secret_tool_lookup(&service, ACCOUNT_ID_ENTRY), None);
}

#[test]
fn keychain_survives_new_store() {
    if !keychain_tests_enabled("keychain_survives_new_store") {
        return;
    }
    let service = service_name("new_store");
    store(&service)
        .save(&Credentials::new(ACCOUNT, TOKEN).unwrap())
        .expect("save");

    let (loaded, source) = store(&service).load().expect("load").expect("credentials");

    assert_eq!(source, Source::Keychain);
    assert_eq!(loaded.api_token().expose(), TOKEN);
    store(&service).delete().expect("delete");
}

#[test]
fn keychain_save_replaces_items() {
    if !keychain_tests_enabled("keychain_save_replaces_items") {
        return;
    }
    let service = service_name("replace");
    let store = store(&service);

    store
        .save(&Credentials::new(ACCOUNT, TOKEN).unwrap())
        .expect("first save");
    store
        .save(&Credentials::new(OTHER_ACCOUNT, OTHER_TOKEN).unwrap())
        .expect("second save");
    let (loaded, _) = store.load().expect("load").expect("credentials");

    assert_eq!(loaded.account_id(), OTHER_ACCOUNT);
    assert_eq!(loaded.api_token().expose(), OTHER_TOKEN);
    assert_eq!(secret_tool_count(&service, API_TOKEN_ENTRY), 1);
    assert_eq!(secret_tool_count(&service, ACCOUNT_ID_ENTRY), 1);
    store.delete().expect("delete");
}

#[test]
fn keychain_reads_foreign_items() {
    if !keychain_tests_enabled("keychain_reads_foreign_items") {
        return;
    }
    let service = service_name("foreign");
    secret_tool_store(&service, ACCOUNT_ID_ENTRY, ACCOUNT);
    secret_tool_store(&service, API_TOKEN_ENTRY, TOKEN);

    let (loaded, source) = store(&service).load().expect("load").expect("credentials");

    assert_eq!(source, Source::Keychain);
    assert_eq!(loaded.account_id(), ACCOUNT);
    assert_eq!(loaded.api_token().expose(), TOKEN);
    store(&service).delete().expect("delete");
}

#[test]
fn keychain_account_only_is_empty() {
    if !keychain_tests_enabled("keychain_account_only_is_empty") {
        return;
    }
    let service = service_name("account_only");
    secret_tool_store(&service, ACCOUNT_ID_ENTRY, ACCOUNT);

    let loaded = store(&service).load().expect("load");

    assert!(loaded.is_none());
    store(&service).delete().expect("delete");
    assert_eq!(secret_tool_lookup(&service, ACCOUNT_ID_ENTRY), None);
}

#[test]
fn keychain_delete_missing_is_ok() {
    if !keychain_tests_enabled("keychain_delete_missing_is_ok") {
        return;
    }
    let service = service_name("delete_missing");
    assert!(store(&service).delete().is_ok());
}

#[test]
fn keychain_services_are_separate() {
    if !keychain_tests_enabled("keychain_services_are_separate") {
        return;
    }
    let first = service_name("separate_a");
    let second = service_name("separate_b");
    store(&first)
        .save(&Credentials::new(ACCOUNT, TOKEN).unwrap())
        .expect("save");

    let loaded = store(&second).load().expect("load");

    assert!(loaded.is_none());
    store(&first).delete().expect("delete");
}

#[test]
fn signing_key_round_trip() {
    if !keychain_tests_enabled("signing_key_round_trip") {
        return;
    }
    let service = service_name("key_round_trip");
    let store = store(&service);

    store
        .save_signing_key(&SecretString::new(SIGNING_KEY))
        .expect("save signing key");
    let loaded = store.load_signing_key().expect("load signing key");
    let (key, source) = loaded.as_ref().expect("signing key after save");

    assert_eq!(*source, Source::Keychain);
    assert_eq!(key.expose(), SIGNING_KEY);
    assert!(!format!("{loaded:?}").contains(SIGNING_KEY));
    assert_eq!(
        secret_tool_lookup(&service, SIGNING_KEY_ENTRY).as_deref(),
        Some(SIGNING_KEY)
    );

    store.delete_signing_key().expect("delete signing key");

    assert!(store
        .load_signing_key()
        .expect("load after delete")
        .is_none());
    assert_eq!(secret_tool_lookup(&service, SIGNING_KEY_ENTRY), None);
}

#[test]
fn signing_key_survives_new_store() {
    if !keychain_tests_enabled("signing_key_survives_new_store") {
        return;
    }
    let service = service_name("key_new_store");
    store(&service)
        .save_signing_key(&SecretString::new(SIGNING_KEY))
        .expect("save signing key");

    let (key, source) = store(&service)
        .load_signing_key()
        .expect("load signing key")
        .expect("signing key");

    assert_eq!(source, Source::Keychain);
    assert_eq!(key.expose(), SIGNING_KEY);
    store(&service).delete_signing_key().expect("delete");
}

/// A 4096-bit RSA key in PEM is about 3,200 characters, and this value is about 4,000 bytes.
/// The Secret Service stores it whole, but Windows Credential Manager would reject it because it
/// keeps at most 2,560 bytes per item.
#[test]
fn signing_key_large_value_round_trip() {
    if !keychain_tests_enabled("signing_key_large_value_round_trip") {
        return;
    }
    let service = service_name("key_large");
    let large = format!(r#"{{"id":"key","pem":"{}"}}"#, "QUJD".repeat(1000));
    let store = store(&service);

    store
        .save_signing_key(&SecretString::new(large.clone()))
        .expect("save large signing key");
    let (key, _) = store
        .load_signing_key()
        .expect("load signing key")
        .expect("signing key");

    assert_eq!(key.expose(), large);
    store.delete_signing_key().expect("delete");
}

#[test]
fn signing_key_save_replaces_item() {
    if !keychain_tests_enabled("signing_key_save_replaces_item") {
        return;
    }
    let service = service_name("key_replace");
    let store = store(&service);
    let newer = SIGNING_KEY.replace("0f1e", "aaaa");

    store
        .save_signing_key(&SecretString::new(SIGNING_KEY))
        .expect("first save");
    store
        .save_signing_key(&SecretString::new(newer.clone()))
        .expect("second save");
    let (key, _) = store
        .load_signing_key()
        .expect("load signing key")
        .expect("signing key");

    assert_eq!(key.expose(), newer);
    assert_eq!(secret_tool_count(&service, SIGNING_KEY_ENTRY), 1);
    store.delete_signing_key().expect("delete");
}

#[test]
fn signing_key_reads_foreign_item() {
    if !keychain_tests_enabled("signing_key_reads_foreign_item") {
        return;
    }
    let service = service_name("key_foreign");
    secret_tool_store(&service, SIGNING_KEY_ENTRY, SIGNING_KEY);

    let (key, source) = store(&service)
        .load_signing_key()
        .expect("load signing key")
        .expect("signing key");

    assert_eq!(source, Source::Keychain);
    assert_eq!(key.expose(), SIGNING_KEY);
    store(&service).delete_signing_key().expect("delete");
}

#[test]
fn signing_key_kept_by_delete() {
    if !keychain_tests_enabled("signing_key_kept_by_delete") {
        return;
    }
    let service = service_name("key_kept");
    let store = store(&service);
    store
        .save(&Credentials::new(ACCOUNT, TOKEN).unwrap())
        .expect("save credentials");
    store
        .save_signing_key(&SecretString::new(SIGNING_KEY))
        .expect("save signing key");

    store.delete().expect("delete credentials");
    let reloaded = self::store(&service);

    assert!(reloaded.load().expect("load").is_none());
    assert_eq!(secret_tool_lookup(&service, API_TOKEN_ENTRY), None);
    assert_eq!(
        secret_tool_lookup(&service, SIGNING_KEY_ENTRY).as_deref(),
        Some(SIGNING_KEY)
    );
    assert!(reloaded
        .load_signing_key()
        .expect("load signing key")
        .is_some());
    reloaded.delete_signing_key().expect("delete signing key");
}

#[test]
fn signing_key_delete_missing_is_ok() {
    if !keychain_tests_enabled("signing_key_delete_missing_is_ok") {
        return;
    }
    let service = service_name("key_delete_missing");
    assert!(store(&service).delete_signing_key().is_ok());
}

#[test]
fn signing_key_session_over_keychain() {
    if !keychain_tests_enabled("signing_key_session_over_keychain") {
        return;
    }
    let service = service_name("key_session");
    let store = store(&service);
    let session_key = SIGNING_KEY.replace("0f1e", "bbbb");
    store
        .save_signing_key(&SecretString::new(SIGNING_KEY))
        .expect("save signing key");

    store.use_session_signing_key(SecretString::new(session_key.clone()));
    let (key, source) = store
        .load_signing_key()
        .expect("load signing key")
        .expect("signing key");

    assert_eq!(source, Source::Session);
    assert_eq!(key.expose(), session_key);
    assert_eq!(
        secret_tool_lookup(&service, SIGNING_KEY_ENTRY).as_deref(),
        Some(SIGNING_KEY)
    );
    store.delete_signing_key().expect("delete");
}

/// Set in the child process of `keychain_without_login_keyring_is_locked`.
const LOCKED_CHILD_FLAG: &str = "OFFSTREAM_LOCKED_KEYRING_CHILD";

/// A session whose gnome-keyring was started by D-Bus activation, without `--unlock`, has no
/// login keyring, and creating one needs a password prompt that cannot be shown. A save must
/// then fail with `Locked` rather than hang or report success. The check runs in a child
/// process inside its own `dbus-run-session`, because keyring binds to one bus per process.
#[test]
fn keychain_without_login_keyring_is_locked() {
    if std::env::var_os(LOCKED_CHILD_FLAG).is_some() {
        let store = store("dev.offstream.test.locked");
        let error = store
            .save(&Credentials::new(ACCOUNT, TOKEN).unwrap())
            .expect_err("save must fail without a login keyring");
        println!("save error: {error}");
        assert!(matches!(error, Error::Locked), "{error:?}");
        assert!(error.to_string().contains("Unlock it"));

        let key_error = store
            .save_signing_key(&SecretString::new(SIGNING_KEY))
            .expect_err("saving the signing key must fail without a login keyring");
        println!("save_signing_key error: {key_error}");
        assert!(matches!(key_error, Error::Locked), "{key_error:?}");
        return;
    }
    if !keychain_tests_enabled("keychain_without_login_keyring_is_locked") {
        return;
    }

    let session_dir = tempfile::tempdir().expect("temp dir");
    let runtime_dir = session_dir.path().join("runtime");
    let data_dir = session_dir.path().join("data");
    for dir in [&runtime_dir, &data_dir] {
        std::fs::create_dir(dir).expect("create dir");
        set_private(dir);
    }
    let test_binary = std::env::current_exe().expect("test binary path");
    let mut command = Command::new("dbus-run-session");
    command
        .arg("--")
        .arg(test_binary)
        .args([
            "keychain_without_login_keyring_is_locked",
            "--exact",
            "--nocapture",
        ])
        .env("XDG_RUNTIME_DIR", &runtime_dir)
        .env("XDG_DATA_HOME", &data_dir)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env(LOCKED_CHILD_FLAG, "1");
    run_child_test(command, "dbus-run-session (apt-get install dbus)");
}

/// Set in the child process of `keychain_locked_collection_is_locked`.
const LOCKED_COLLECTION_CHILD_FLAG: &str = "OFFSTREAM_LOCKED_COLLECTION_CHILD";

/// A keyring that contains the items but was locked after they were saved must give the same
/// `Locked` error for the signing key as for the credentials. Locking the collection would break
/// the other tests on the shared bus, so the check runs in a child process inside its own
/// `scripts/with-keyring.sh` session. Without a display the unlock prompt cannot be shown, so
/// gnome-keyring fails it at once.
#[test]
fn keychain_locked_collection_is_locked() {
    if std::env::var_os(LOCKED_COLLECTION_CHILD_FLAG).is_some() {
        check_locked_collection();
        return;
    }
    if !keychain_tests_enabled("keychain_locked_collection_is_locked") {
        return;
    }

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/with-keyring.sh");
    let test_binary = std::env::current_exe().expect("test binary path");
    let mut command = Command::new("bash");
    command
        .arg(script)
        .arg(test_binary)
        .args([
            "keychain_locked_collection_is_locked",
            "--exact",
            "--nocapture",
        ])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env(LOCKED_COLLECTION_CHILD_FLAG, "1")
        // The outer run of the script sets this, and it would make the script skip its own
        // session and lock the keyring of this one.
        .env_remove("OFFSTREAM_WITH_KEYRING_INNER");
    run_child_test(command, "scripts/with-keyring.sh");
}

/// Runs in the child: saves both kinds of secret, locks the login collection and reads them.
fn check_locked_collection() {
    let service = "dev.offstream.test.locked-collection";
    let before = store(service);
    before
        .save(&Credentials::new(ACCOUNT, TOKEN).unwrap())
        .expect("save credentials while unlocked");
    before
        .save_signing_key(&SecretString::new(SIGNING_KEY))
        .expect("save signing key while unlocked");

    lock_login_collection();
    let after = store(service);
    let credentials_error = after.load().expect_err("load must fail while locked");
    let key_error = after
        .load_signing_key()
        .expect_err("load_signing_key must fail while locked");
    let save_key_error = after
        .save_signing_key(&SecretString::new(SIGNING_KEY))
        .expect_err("save_signing_key must fail while locked");
    println!("load error: {credentials_error}");
    println!("load_signing_key error: {key_error}");
    println!("save_signing_key error: {save_key_error}");

    assert!(
        matches!(credentials_error, Error::Locked),
        "{credentials_error:?}"
    );
    assert!(matches!(key_error, Error::Locked), "{key_error:?}");
    assert!(
        matches!(save_key_error, Error::Locked),
        "{save_key_error:?}"
    );
    assert!(!key_error.to_string().contains(SIGNING_KEY));
}

/// Locks the login keyring that `scripts/with-keyring.sh` created, through the Secret Service
/// `Lock` method, which needs no prompt.
fn lock_login_collection() {
    let status = Command::new("dbus-send")
        .args([
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.secrets",
            "/org/freedesktop/secrets",
            "org.freedesktop.Secret.Service.Lock",
            "array:objpath:/org/freedesktop/secrets/collection/login",
        ])
        .stdout(Stdio::null())
        .status()
        .expect("run dbus-send (apt-get install dbus)");
    assert!(status.success(), "dbus-send Lock failed: {status}");
}

/// Runs `command`, which starts this test binary again for one test, and checks that the child
/// ran that test and passed. `program` names what is run, for the error when it cannot start.
fn run_child_test(mut command: Command, program: &str) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("run {program}: {error}"));

    // A prompt that waits for a user would hang the suite, so the child gets a deadline.
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("poll child").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("child test did not finish within 60 seconds");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let output = child.wait_with_output().expect("child output");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "child ran no test:\n{stdout}");
}

#[cfg(unix)]
fn set_private(dir: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).expect("chmod 0700");
}

#[cfg(not(unix))]
fn set_private(_dir: &std::path::Path) {}
