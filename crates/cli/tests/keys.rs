//! `keys add|create|remove|status` and downloads of private videos, end to end: the real
//! binary, the emulator's keys and token endpoints, signed tokens checked at delivery, and the
//! real keychain.
//!
//! Tests that store a key run only when `OFFSTREAM_KEYCHAIN_TESTS=1`, which
//! `scripts/with-keyring.sh` sets:
//!
//!     scripts/with-keyring.sh cargo test -p offstream-cli --test keys
//!
//! Without it they print a skip line and pass. The others need no keychain.

mod common;

use std::path::PathBuf;
use std::process::Command;

use base64::Engine as _;
use common::{
    files_under, keychain_tests_enabled, run, run_with_stdin, sample_path, with_service, Harness,
    Run,
};
use offstream_stream::{CreatedSigningKey, TokenOptions};

/// The start of the note that the token endpoint fallback prints once per run.
const TOKEN_ENDPOINT_NOTE: &str =
    "note: private videos get their signed tokens from Cloudflare's token endpoint";

/// Returns the bytes of the private sample.
fn private_sample_bytes() -> Vec<u8> {
    std::fs::read(sample_path("fractal-dive.mp4")).expect("the private sample")
}

/// Creates a signing key on the emulator, as a user would in the dashboard or with curl.
async fn create_key_on_account(harness: &Harness) -> CreatedSigningKey {
    harness
        .client()
        .create_signing_key()
        .await
        .expect("the emulator creates a key")
}

/// Returns the number of times `needle` occurs in `haystack`.
fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

/// Returns the file that a successful download printed, after checking it is the private
/// sample byte for byte.
fn assert_private_sample(result: &Run) -> PathBuf {
    assert_eq!(result.code, Some(0), "stderr: {}", result.stderr);
    let path = PathBuf::from(result.stdout.trim());
    assert!(path.is_file(), "{}", result.stdout);
    assert!(
        std::fs::read(&path).unwrap() == private_sample_bytes(),
        "bytes differ from samples/fractal-dive.mp4"
    );
    path
}

/// Returns true when `bytes` starts like an HTML page.
fn looks_like_html(bytes: &[u8]) -> bool {
    let start: Vec<u8> = bytes
        .iter()
        .skip_while(|byte| byte.is_ascii_whitespace())
        .take(64)
        .map(u8::to_ascii_lowercase)
        .collect();
    start.starts_with(b"<")
        || bytes
            .windows(5)
            .any(|window| window.eq_ignore_ascii_case(b"<html"))
}

/// Returns the index of the first secret found in `haystack`; empty strings never match.
fn find_secret(haystack: &[u8], secrets: &[String]) -> Option<usize> {
    secrets.iter().position(|secret| {
        !secret.is_empty()
            && haystack
                .windows(secret.len())
                .any(|window| window == secret.as_bytes())
    })
}

// --- Without a keychain -------------------------------------------------------------------

#[tokio::test]
async fn fallback_download_notes_token_endpoint() {
    let harness = Harness::start().await;
    let first = harness.add_private_sample();
    let second = harness.add_private_sample();
    // No keychain service has a key under this name, so tokens come from the endpoint.
    let command = harness.command(&["download", &first, &second]);

    let result = run(command).await;

    assert_eq!(result.code, Some(0), "stderr: {}", result.stderr);
    let paths = result.stdout_lines();
    assert_eq!(paths.len(), 2, "{}", result.stdout);
    for path in paths {
        assert!(
            std::fs::read(path).unwrap() == private_sample_bytes(),
            "{path} differs from samples/fractal-dive.mp4"
        );
    }
    assert_eq!(
        count(&result.stderr, TOKEN_ENDPOINT_NOTE),
        1,
        "one note per run: {}",
        result.stderr
    );
    assert!(
        result.stderr.contains("offstream keys create"),
        "{}",
        result.stderr
    );
    assert!(
        harness.emulator.counters().token_requests >= 2,
        "each private video got a token from the endpoint"
    );
}

#[tokio::test]
async fn public_download_has_no_note() {
    let harness = Harness::start().await;
    let uid = harness.add_sample();

    let result = run(harness.command(&["download", &uid])).await;

    assert_eq!(result.code, Some(0), "stderr: {}", result.stderr);
    assert!(
        !result.stderr.contains(TOKEN_ENDPOINT_NOTE),
        "{}",
        result.stderr
    );
    assert_eq!(harness.emulator.counters().token_requests, 0);
}

#[tokio::test]
async fn token_argument_exits_usage() {
    let harness = Harness::start().await;
    let uid = harness.add_private_sample();
    let options = TokenOptions {
        downloadable: true,
        ..TokenOptions::default()
    };
    let token = harness
        .client()
        .create_token(&uid, &options)
        .await
        .expect("the emulator issues a token");

    let result = run(harness.command(&["download", "--quiet", token.expose()])).await;

    assert_eq!(result.code, Some(2), "stderr: {}", result.stderr);
    let lines = result.stderr_lines();
    assert_eq!(lines.len(), 1, "one line: {}", result.stderr);
    assert!(
        lines[0].contains("argument 1 is or contains a signed token"),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("video's uid"), "{}", lines[0]);
    assert!(
        !result.stderr.contains(token.expose()),
        "the token is never printed"
    );
    assert_eq!(harness.emulator.delivery_count(), 0);
}

#[tokio::test]
async fn add_bad_material_exits_usage() {
    let harness = Harness::start().await;
    let material = "thisIsNotAKeyButLooksSecret0123456789";
    let command = harness.command_without_credentials(&[
        "keys",
        "add",
        "--id",
        "0123456789abcdef0123456789abcdef",
    ]);

    let result = run_with_stdin(command, material).await;

    assert_eq!(result.code, Some(2), "stderr: {}", result.stderr);
    let lines = result.stderr_lines();
    assert_eq!(lines.len(), 1, "one line: {}", result.stderr);
    assert!(
        lines[0].starts_with("error: cannot add the signing key from standard input:"),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("`pem` or `jwk`"), "{}", lines[0]);
    assert!(
        !result.stderr.contains(material),
        "the material is never echoed"
    );
    assert_eq!(result.stdout, "");
}

#[tokio::test]
async fn add_pem_without_id_names_option() {
    let harness = Harness::start().await;
    let created = create_key_on_account(&harness).await;
    let command = harness.command_without_credentials(&["keys", "add"]);

    let result = run_with_stdin(command, created.pem.expose()).await;

    assert_eq!(result.code, Some(2), "stderr: {}", result.stderr);
    assert!(result.stderr.contains("--id ID"), "{}", result.stderr);
    assert!(
        !result.stderr.contains(created.pem.expose()),
        "the material is never echoed"
    );
}

#[tokio::test]
async fn create_without_yes_creates_nothing() {
    let harness = Harness::start().await;

    let result = run(harness.command(&["keys", "create"])).await;

    assert_eq!(result.code, Some(2), "stderr: {}", result.stderr);
    assert!(result.stderr.contains("--yes"), "{}", result.stderr);
    let keys = harness.client().signing_keys().await.unwrap();
    assert!(keys.is_empty(), "no key on the account: {keys:?}");
}

#[tokio::test]
async fn status_shows_large_clock_skew() {
    let harness = Harness::start().await;
    harness.emulator.set_clock_offset(600);

    let result = run(harness.command(&["keys", "status"])).await;

    assert_eq!(result.code, Some(0), "stderr: {}", result.stderr);
    let clock = result
        .stdout_lines()
        .into_iter()
        .find(|line| line.starts_with("clock:"))
        .map(str::to_owned);
    let clock = clock.unwrap_or_else(|| panic!("a clock line: {}", result.stdout));
    assert!(clock.contains("10 min behind"), "{clock}");
}

// --- With the keychain --------------------------------------------------------------------

/// Runs `keys add` for `service` with `input` on standard input.
async fn add_key(harness: &Harness, service: &str, args: &[&str], input: &str) -> Run {
    let mut full = vec!["keys", "add"];
    full.extend_from_slice(args);
    let command = with_service(harness.command(&full), service);
    run_with_stdin(command, input).await
}

/// Downloads `uid` with the key of `service` and checks that no token came from the endpoint.
async fn download_with_key(harness: &Harness, service: &str, uid: &str) -> Run {
    let before = harness.emulator.counters().token_requests;
    let result = run(with_service(harness.command(&["download", uid]), service)).await;
    assert_eq!(
        harness.emulator.counters().token_requests,
        before,
        "tokens were signed locally, not by the endpoint"
    );
    assert!(
        !result.stderr.contains(TOKEN_ENDPOINT_NOTE),
        "{}",
        result.stderr
    );
    result
}

/// Removes the key of `service`, so the test leaves the keyring as it found it.
async fn remove_key(harness: &Harness, service: &str) {
    let result = run(with_service(
        harness.command_without_credentials(&["keys", "remove"]),
        service,
    ))
    .await;
    assert_eq!(result.code, Some(0), "stderr: {}", result.stderr);
}

/// Checks the output of a successful `keys add`: the id on standard output, no material.
fn assert_added(result: &Run, created: &CreatedSigningKey, material: &str) {
    assert_eq!(result.code, Some(0), "stderr: {}", result.stderr);
    assert_eq!(result.stdout.trim(), created.id);
    assert!(
        !result.stderr.contains(material.trim()),
        "the material is never echoed"
    );
    assert!(
        !result.stderr.contains("warning"),
        "the account lists the key: {}",
        result.stderr
    );
}

#[tokio::test]
async fn add_base64_pem_signs_download() {
    const TEST: &str = "add_base64_pem_signs_download";
    if !keychain_tests_enabled(TEST) {
        return;
    }
    let harness = Harness::start().await;
    let uid = harness.add_private_sample();
    let created = create_key_on_account(&harness).await;
    let material = created.pem.expose();

    let added = add_key(&harness, TEST, &["--id", &created.id], material).await;

    assert_added(&added, &created, material);
    assert_private_sample(&download_with_key(&harness, TEST, &uid).await);
    remove_key(&harness, TEST).await;
}

#[tokio::test]
async fn add_decoded_pem_signs_download() {
    const TEST: &str = "add_decoded_pem_signs_download";
    if !keychain_tests_enabled(TEST) {
        return;
    }
    let harness = Harness::start().await;
    let uid = harness.add_private_sample();
    let created = create_key_on_account(&harness).await;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(created.pem.expose())
        .expect("the API's pem is base64");
    let material = String::from_utf8(decoded).expect("PEM text");
    assert!(material.starts_with("-----BEGIN RSA PRIVATE KEY-----"));

    let added = add_key(&harness, TEST, &["--id", &created.id], &material).await;

    assert_added(&added, &created, &material);
    assert_private_sample(&download_with_key(&harness, TEST, &uid).await);
    remove_key(&harness, TEST).await;
}

#[tokio::test]
async fn add_jwk_file_takes_kid() {
    const TEST: &str = "add_jwk_file_takes_kid";
    if !keychain_tests_enabled(TEST) {
        return;
    }
    let harness = Harness::start().await;
    let uid = harness.add_private_sample();
    let created = create_key_on_account(&harness).await;
    let jwk = created.jwk.as_ref().expect("the API returns a jwk");
    let file = harness.dir.path().join("key.jwk");
    std::fs::write(&file, jwk.expose()).unwrap();

    // No --id: the JWK's kid names the key.
    let added = add_key(&harness, TEST, &["--file", file.to_str().unwrap()], "").await;

    assert_added(&added, &created, jwk.expose());
    assert_private_sample(&download_with_key(&harness, TEST, &uid).await);
    remove_key(&harness, TEST).await;
}

#[tokio::test]
async fn create_then_download_private() {
    const TEST: &str = "create_then_download_private";
    if !keychain_tests_enabled(TEST) {
        return;
    }
    let harness = Harness::start().await;
    let uid = harness.add_private_sample();

    let created = run(with_service(
        harness.command(&["keys", "create", "--yes"]),
        TEST,
    ))
    .await;

    assert_eq!(created.code, Some(0), "stderr: {}", created.stderr);
    let id = created.stdout.trim().to_owned();
    let listed = harness.client().signing_keys().await.unwrap();
    assert!(
        listed.iter().any(|key| key.id == id),
        "the account lists {id}: {listed:?}"
    );

    let status = run(with_service(harness.command(&["keys", "status"]), TEST)).await;
    assert_eq!(status.code, Some(0), "stderr: {}", status.stderr);
    assert!(
        status
            .stdout
            .contains(&format!("signing key:   {id} (keychain)")),
        "{}",
        status.stdout
    );
    assert!(
        status.stdout.contains("listed on account"),
        "{}",
        status.stdout
    );

    let overview = run(with_service(harness.command(&["status"]), TEST)).await;
    assert!(
        overview.stdout.contains(&format!("{id} (keychain)")),
        "{}",
        overview.stdout
    );

    assert_private_sample(&download_with_key(&harness, TEST, &uid).await);
    remove_key(&harness, TEST).await;
}

#[tokio::test]
async fn revoked_key_fails_download() {
    const TEST: &str = "revoked_key_fails_download";
    if !keychain_tests_enabled(TEST) {
        return;
    }
    // Two computers share one key; the first revokes it, and the second has a stale copy.
    let first = format!("{TEST}.first");
    let second = format!("{TEST}.second");
    let harness = Harness::start().await;
    let uid = harness.add_private_sample();
    let created = create_key_on_account(&harness).await;
    let material = created.pem.expose();
    for service in [&first, &second] {
        let added = add_key(&harness, service, &["--id", &created.id], material).await;
        assert_added(&added, &created, material);
    }

    let removed = run(with_service(
        harness.command(&["keys", "remove", "--revoke"]),
        &first,
    ))
    .await;

    assert_eq!(removed.code, Some(0), "stderr: {}", removed.stderr);
    assert!(removed.stderr.contains("Revoked"), "{}", removed.stderr);
    let remaining = run(with_service(harness.command(&["keys", "status"]), &first)).await;
    assert!(
        remaining.stdout.starts_with("signing key: none"),
        "{}",
        remaining.stdout
    );
    let stale = run(with_service(harness.command(&["keys", "status"]), &second)).await;
    assert!(stale.stdout.contains("not listed"), "{}", stale.stdout);

    let download = run(with_service(harness.command(&["download", &uid]), &second)).await;

    assert_eq!(download.code, Some(3), "stderr: {}", download.stderr);
    assert_eq!(download.stdout, "");
    let error = download
        .stderr_lines()
        .into_iter()
        .find(|line| line.starts_with("error:"))
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("an error line: {}", download.stderr));
    assert!(error.contains(&uid), "{error}");
    assert!(error.contains("revoked"), "{error}");
    assert!(error.contains(&created.id), "{error}");
    assert!(error.contains("offstream keys remove"), "{error}");
    for file in files_under(&harness.library_dir()) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !looks_like_html(&bytes),
            "error page kept as {}",
            file.display()
        );
        assert!(
            file.extension()
                .is_some_and(|extension| extension == "part"),
            "only a partial file may stay: {}",
            file.display()
        );
    }
    remove_key(&harness, &second).await;
}

#[tokio::test]
async fn secrets_never_leave_keychain() {
    const TEST: &str = "secrets_never_leave_keychain";
    if !keychain_tests_enabled(TEST) {
        return;
    }
    let with_key = format!("{TEST}.key");
    let without_key = format!("{TEST}.endpoint");
    let harness = Harness::start().await;
    let signed = harness.add_private_sample();
    let fetched = harness.add_private_sample();
    let verbose = |args: &[&str], service: &str| -> Command {
        let mut command = with_service(harness.command(args), service);
        command.arg("--verbose").env("RUST_LOG", "trace");
        command
    };

    let mut runs = vec![run(verbose(&["keys", "create", "--yes"], &with_key)).await];
    runs.push(run(verbose(&["download", &signed], &with_key)).await);
    runs.push(run(verbose(&["download", &fetched], &without_key)).await);
    runs.push(run(verbose(&["keys", "status"], &with_key)).await);

    for result in &runs {
        assert_eq!(result.code, Some(0), "stderr: {}", result.stderr);
    }
    assert!(
        runs[2].stderr.contains(TOKEN_ENDPOINT_NOTE),
        "the second download used the token endpoint: {}",
        runs[2].stderr
    );
    let mut secrets = harness.emulator.issued_secrets();
    secrets.push(harness.emulator.api_token().to_owned());
    // The API token, the key's pem and jwk (base64 and text, and the JWK's d), the endpoint's
    // token and the tokens presented at delivery.
    assert!(
        secrets.len() >= 7,
        "the emulator recorded {} secrets",
        secrets.len()
    );

    for (index, result) in runs.iter().enumerate() {
        let found = find_secret(result.stdout.as_bytes(), &secrets);
        assert_eq!(found, None, "secret in the stdout of run {index}");
        let found = find_secret(result.stderr.as_bytes(), &secrets);
        assert_eq!(found, None, "secret in the stderr of run {index}");
    }
    let files: Vec<PathBuf> = [harness.data_dir(), harness.library_dir()]
        .iter()
        .flat_map(|dir| files_under(dir))
        .collect();
    assert!(files.len() >= 3, "catalog and two videos: {files:?}");
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        assert_eq!(
            find_secret(&bytes, &secrets),
            None,
            "secret in {}",
            file.display()
        );
    }
    remove_key(&harness, &with_key).await;
}
