//! `login`, `status`, `download` and `logout` through the real OS keychain.
//!
//! These tests run only when `OFFSTREAM_KEYCHAIN_TESTS=1`, which `scripts/with-keyring.sh`
//! sets after it starts a private D-Bus session with an unlocked gnome-keyring:
//!
//!     scripts/with-keyring.sh cargo test -p offstream-cli --test keychain
//!
//! Without it each test prints a line saying it was skipped and passes. Each test uses its
//! own keychain service name, so it never touches the user's entries or another test's.

mod common;

use std::path::Path;

use common::{keychain_tests_enabled, run, run_with_stdin, with_service, Harness};

#[tokio::test]
async fn login_download_logout_cycle() {
    const TEST: &str = "login_download_logout_cycle";
    if !keychain_tests_enabled(TEST) {
        return;
    }
    let harness = Harness::start().await;
    let uid = harness.add_sample();
    let account_id = harness.emulator.account_id().to_owned();
    let token = harness.emulator.api_token().to_owned();
    let command = |args: &[&str]| with_service(harness.command_without_credentials(args), TEST);

    let login = run_with_stdin(
        command(&["login", "--account-id", &account_id]),
        &format!("{token}\n"),
    )
    .await;
    assert_eq!(login.code, Some(0), "stderr: {}", login.stderr);
    assert!(!login.stderr.contains(&token), "the token is never printed");

    let status = run(command(&["status"])).await;
    assert_eq!(status.code, Some(0), "stderr: {}", status.stderr);
    let source = status
        .stdout
        .lines()
        .find(|line| line.starts_with("credentials:"))
        .expect("a credentials line");
    assert!(source.ends_with(" keychain"), "{source}");
    assert!(status.stdout.contains(&account_id), "{}", status.stdout);
    assert!(
        !status.stdout.contains(&token),
        "the token is never printed"
    );

    let download = run(command(&["download", &uid])).await;
    assert_eq!(download.code, Some(0), "stderr: {}", download.stderr);
    assert!(
        Path::new(download.stdout.trim()).is_file(),
        "{}",
        download.stdout
    );

    let logout = run(command(&["logout"])).await;
    assert_eq!(logout.code, Some(0), "stderr: {}", logout.stderr);

    let videos = run(command(&["videos"])).await;
    assert_eq!(videos.code, Some(3), "stderr: {}", videos.stderr);
    assert!(
        videos.stderr.contains("offstream login"),
        "{}",
        videos.stderr
    );
}

#[tokio::test]
async fn login_bad_token_keeps_old_credentials() {
    const TEST: &str = "login_bad_token_keeps_old_credentials";
    if !keychain_tests_enabled(TEST) {
        return;
    }
    let harness = Harness::start().await;
    let account_id = harness.emulator.account_id().to_owned();
    let token = harness.emulator.api_token().to_owned();
    let command = |args: &[&str]| with_service(harness.command_without_credentials(args), TEST);
    let good = run_with_stdin(command(&["login", "--account-id", &account_id]), &token).await;
    assert_eq!(good.code, Some(0), "stderr: {}", good.stderr);

    let bad = run_with_stdin(
        command(&["login", "--account-id", &account_id]),
        "wrongTokenForTheEmulator000000000000000000",
    )
    .await;

    assert_eq!(bad.code, Some(3), "stderr: {}", bad.stderr);
    let videos = run(command(&["videos", "--json"])).await;
    assert_eq!(
        videos.code,
        Some(0),
        "the first token still works: {}",
        videos.stderr
    );
    let logout = run(command(&["logout"])).await;
    assert_eq!(logout.code, Some(0), "stderr: {}", logout.stderr);
}
