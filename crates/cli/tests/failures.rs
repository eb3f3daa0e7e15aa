//! Failures: each gives its exit status and one line on standard error that states what to
//! do, and never shows the token.

mod common;

use common::{run, run_with_stdin, Harness};

/// A well-formed token the emulator does not know.
const WRONG_TOKEN: &str = "wrongTokenForTheEmulator000000000000000000";

#[tokio::test]
async fn bad_token_exits_auth() {
    let harness = Harness::start().await;

    let result = run(harness.command_with_token(&["videos"], WRONG_TOKEN)).await;

    assert_eq!(result.code, Some(3), "stderr: {}", result.stderr);
    let lines = result.stderr_lines();
    assert_eq!(lines.len(), 1, "one line: {}", result.stderr);
    assert!(lines[0].starts_with("error: "), "{}", lines[0]);
    assert!(lines[0].contains("Stream Read"), "{}", lines[0]);
    assert!(lines[0].contains("CLOUDFLARE_API_TOKEN"), "{}", lines[0]);
    assert!(
        !result.stderr.contains(WRONG_TOKEN),
        "the token is never printed"
    );
    assert!(
        !result.stdout.contains(WRONG_TOKEN),
        "the token is never printed"
    );
}

#[tokio::test]
async fn bad_token_download_exits_auth() {
    let harness = Harness::start().await;
    let uid = harness.add_sample();

    let result = run(harness.command_with_token(&["download", "--quiet", &uid], WRONG_TOKEN)).await;

    assert_eq!(result.code, Some(3), "stderr: {}", result.stderr);
    let lines = result.stderr_lines();
    assert_eq!(lines.len(), 1, "one line: {}", result.stderr);
    assert!(lines[0].contains(&uid), "{}", lines[0]);
    assert!(lines[0].contains("Stream Read"), "{}", lines[0]);
    assert!(
        !result.stderr.contains(WRONG_TOKEN),
        "the token is never printed"
    );
}

#[tokio::test]
async fn unknown_uid_exits_not_found() {
    let harness = Harness::start().await;
    let uid = "0123456789abcdef0123456789abcdef";

    let result = run(harness.command(&["download", "--quiet", uid])).await;

    assert_eq!(result.code, Some(4), "stderr: {}", result.stderr);
    let lines = result.stderr_lines();
    assert_eq!(lines.len(), 1, "one line: {}", result.stderr);
    assert!(lines[0].contains(uid), "{}", lines[0]);
    assert!(lines[0].contains("not found"), "{}", lines[0]);
    assert_eq!(result.stdout, "");
}

#[tokio::test]
async fn malformed_uid_exits_usage() {
    let harness = Harness::start().await;

    let result = run(harness.command(&["download", "--quiet", "../etc"])).await;

    assert_eq!(result.code, Some(2), "stderr: {}", result.stderr);
    assert!(
        result.stderr.contains("'../etc' is not a video uid"),
        "{}",
        result.stderr
    );
}

#[tokio::test]
async fn closed_port_cannot_reach() {
    let harness = Harness::start().await;
    // Bind a port, then free it, so nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut command = harness.command(&["videos"]);
    command.env(
        "OFFSTREAM_API_BASE",
        format!("http://127.0.0.1:{port}/client/v4"),
    );

    let result = run(command).await;

    assert_eq!(result.code, Some(5), "stderr: {}", result.stderr);
    let lines = result.stderr_lines();
    assert_eq!(lines.len(), 1, "one line: {}", result.stderr);
    assert!(lines[0].contains("cannot reach 127.0.0.1"), "{}", lines[0]);
}

#[tokio::test]
async fn missing_credentials_names_login() {
    let harness = Harness::start().await;

    let result = run(harness.command_without_credentials(&["videos"])).await;

    assert_eq!(result.code, Some(3), "stderr: {}", result.stderr);
    let lines = result.stderr_lines();
    assert_eq!(lines.len(), 1, "one line: {}", result.stderr);
    assert!(lines[0].contains("offstream login"), "{}", lines[0]);
    assert!(lines[0].contains("CLOUDFLARE_API_TOKEN"), "{}", lines[0]);
}

#[tokio::test]
async fn half_environment_names_variable() {
    let harness = Harness::start().await;
    let mut command = harness.command_without_credentials(&["videos"]);
    command.env("CLOUDFLARE_ACCOUNT_ID", harness.emulator.account_id());

    let result = run(command).await;

    assert_eq!(result.code, Some(3), "stderr: {}", result.stderr);
    assert!(
        result.stderr.contains("CLOUDFLARE_API_TOKEN is not set"),
        "{}",
        result.stderr
    );
}

#[tokio::test]
async fn invalid_api_base_exits_usage() {
    let harness = Harness::start().await;
    let mut command = harness.command(&["videos"]);
    command.env("OFFSTREAM_API_BASE", "ftp://127.0.0.1/client/v4");

    let result = run(command).await;

    assert_eq!(result.code, Some(2), "stderr: {}", result.stderr);
    assert!(
        result.stderr.contains("ftp://127.0.0.1/client/v4"),
        "{}",
        result.stderr
    );
}

#[tokio::test]
async fn login_bad_token_stores_nothing() {
    let harness = Harness::start().await;
    let account_id = harness.emulator.account_id().to_owned();
    let command = harness.command_without_credentials(&["login", "--account-id", &account_id]);

    // The check fails before the keychain is touched, so this runs without a keychain.
    let result = run_with_stdin(command, &format!("{WRONG_TOKEN}\n")).await;

    assert_eq!(result.code, Some(3), "stderr: {}", result.stderr);
    let lines = result.stderr_lines();
    assert_eq!(lines.len(), 1, "one line: {}", result.stderr);
    assert!(lines[0].contains("Stream Read"), "{}", lines[0]);
    assert!(lines[0].contains("Nothing was stored"), "{}", lines[0]);
    assert!(
        !result.stderr.contains(WRONG_TOKEN),
        "the token is never printed"
    );
}

#[tokio::test]
async fn login_script_needs_account_id() {
    let harness = Harness::start().await;
    let command = harness.command_without_credentials(&["login"]);

    let result = run_with_stdin(command, "some-token\n").await;

    assert_eq!(result.code, Some(2), "stderr: {}", result.stderr);
    assert!(result.stderr.contains("--account-id"), "{}", result.stderr);
}

#[tokio::test]
async fn login_invalid_account_names_value() {
    let harness = Harness::start().await;
    let command = harness.command_without_credentials(&["login", "--account-id", "abc123"]);

    let result = run_with_stdin(command, "some-token\n").await;

    assert_eq!(result.code, Some(3), "stderr: {}", result.stderr);
    assert!(result.stderr.contains("\"abc123\""), "{}", result.stderr);
}
