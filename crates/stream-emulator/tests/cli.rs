//! The `stream-emulator` binary: first stdout line, flags, errors and Ctrl-C.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;
use stream_emulator::{DEMO_ACCOUNT_ID, DEMO_API_TOKEN};

const BINARY: &str = env!("CARGO_BIN_EXE_stream-emulator");

/// A running emulator process, killed on drop if a test fails before stopping it.
struct Running {
    child: Child,
    api_base: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary and reads the first stdout line, failing after 20 seconds.
fn spawn(args: &[&str]) -> Running {
    let mut child = Command::new(BINARY)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().unwrap();

    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = sender.send(line);
    });
    let line = receiver
        .recv_timeout(Duration::from_secs(20))
        .expect("first stdout line within 20 s");

    Running {
        child,
        api_base: line.trim_end().to_owned(),
    }
}

async fn list(api_base: &str, query: &str) -> Value {
    reqwest::Client::new()
        .get(format!(
            "{api_base}/accounts/{DEMO_ACCOUNT_ID}/stream?{query}"
        ))
        .bearer_auth(DEMO_API_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn is_api_base(line: &str) -> bool {
    let Some(rest) = line.strip_prefix("http://127.0.0.1:") else {
        return false;
    };
    let Some(port) = rest.strip_suffix("/client/v4") else {
        return false;
    };
    port.parse::<u16>().is_ok_and(|port| port > 0)
}

#[tokio::test]
async fn first_line_is_api_base() {
    let running = spawn(&["--port", "0", "--videos", "5"]);

    let body = list(&running.api_base, "include_counts=true").await;

    assert!(is_api_base(&running.api_base), "{:?}", running.api_base);
    assert_eq!(body["success"], true);
    assert_eq!(body["total"], 8);
}

#[tokio::test]
async fn hostile_titles_flag() {
    let running = spawn(&["--hostile-titles"]);

    let body = list(&running.api_base, "include_counts=true").await;

    let expected = stream_emulator::hostile_titles().len() + stream_emulator::samples::all().len();
    assert_eq!(body["total"], expected);
}

#[tokio::test]
async fn media_dir_seeds_files() {
    let dir = tempfile::tempdir().unwrap();
    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../samples/fractal-dive.mp4"
    );
    std::fs::copy(sample, dir.path().join("Vacation 2023.mp4")).unwrap();
    let dir_arg = dir.path().to_str().unwrap();

    let running = spawn(&["--media-dir", dir_arg]);
    let body = list(&running.api_base, "").await;

    let videos = body["result"].as_array().unwrap();
    assert_eq!(videos.len(), 1);
    assert_eq!(videos[0]["meta"]["name"], "Vacation 2023");
    assert_eq!(videos[0]["duration"].as_f64(), Some(6.0));
}

#[tokio::test]
async fn inclusive_bounds_flag() {
    let running = spawn(&["--videos", "3", "--inclusive-bounds"]);
    let first = list(&running.api_base, "limit=1").await;
    let created = first["result"][0]["created"]
        .as_str()
        .unwrap()
        .replace(':', "%3A");

    let page = list(&running.api_base, &format!("before={created}")).await;

    assert_eq!(page["result"].as_array().unwrap().len(), 6);
}

#[tokio::test]
async fn padded_video_flag_adds_video() {
    let running = spawn(&["--padded-video", "3000000000"]);

    let body = list(&running.api_base, "search=padded").await;

    let videos = body["result"].as_array().unwrap();
    assert_eq!(videos.len(), 1);
    assert_eq!(videos[0]["meta"]["name"], "Padded video (3000000000 bytes)");
}

#[test]
fn padded_video_too_small_rejected() {
    let output = Command::new(BINARY)
        .args(["--padded-video", "10"])
        .output()
        .unwrap();

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains("--padded-video"), "{stderr}");
}

#[test]
fn missing_media_dir_fails() {
    let output = Command::new(BINARY)
        .args(["--media-dir", "/nonexistent/offstream-media"])
        .output()
        .unwrap();

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    assert!(stderr.contains("/nonexistent/offstream-media"), "{stderr}");
}

#[tokio::test]
async fn clock_offset_sets_date() {
    let running = spawn(&["--clock-offset", "-600"]);

    let response = reqwest::Client::new()
        .get(format!(
            "{}/accounts/{DEMO_ACCOUNT_ID}/stream",
            running.api_base
        ))
        .bearer_auth(DEMO_API_TOKEN)
        .send()
        .await
        .unwrap();

    let date = response.headers()[reqwest::header::DATE].to_str().unwrap();
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let date = time::PrimitiveDateTime::parse(date, format)
        .unwrap()
        .assume_utc()
        .unix_timestamp();
    let expected = time::OffsetDateTime::now_utc().unix_timestamp() - 600;
    assert!(
        (date - expected).abs() <= 5,
        "Date {date}, expected about {expected}"
    );
}

#[test]
fn huge_clock_offset_rejected() {
    let output = Command::new(BINARY)
        .args(["--clock-offset", "99999999999"])
        .output()
        .unwrap();

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains("--clock-offset"), "{stderr}");
}

#[test]
fn negative_prepare_seconds_rejected() {
    let output = Command::new(BINARY)
        .args(["--prepare-seconds=-1"])
        .output()
        .unwrap();

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains("--prepare-seconds"), "{stderr}");
}

#[test]
fn help_states_defaults() {
    let output = Command::new(BINARY).arg("--help").output().unwrap();

    let help = String::from_utf8_lossy(&output.stdout);
    for flag in [
        "--port",
        "--account-id",
        "--api-token",
        "--media-dir",
        "--videos",
        "--prepare-seconds",
        "--inclusive-bounds",
        "--clock-offset",
        "--delivery-rate",
        "--cut-on-token-expiry",
    ] {
        assert!(help.contains(flag), "help lacks {flag}:\n{help}");
    }
    assert!(help.contains("[default: 3]"), "{help}");
}

#[cfg(unix)]
#[test]
fn interrupt_stops_cleanly() {
    let mut running = spawn(&[]);
    let pid = running.child.id().to_string();

    let sent = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    let mut status = None;
    for _ in 0..100 {
        status = running.child.try_wait().unwrap();
        if status.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }

    assert!(sent.success());
    assert!(status.is_some_and(|status| status.success()), "{status:?}");
}
