//! `download` and `library` end to end: real HTTP to the emulator, real files, real catalog.

mod common;

// The items marked `cfg(unix)` serve only the Ctrl-C test, which sends SIGINT with `kill`.
#[cfg(unix)]
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
#[cfg(unix)]
use std::process::Stdio;
#[cfg(unix)]
use std::sync::mpsc;
#[cfg(unix)]
use std::time::Duration;

use common::{ffprobe_accepts, run, sample_path, sha256_hex, Harness, SAMPLE_TITLE};
#[cfg(unix)]
use stream_emulator::{EmulatorConfig, Seed};

/// Returns the files in `dir` whose names end with `suffix`.
#[cfg(unix)]
fn files_ending(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.to_string_lossy().ends_with(suffix))
        .collect()
}

#[tokio::test]
async fn download_writes_source_bytes() {
    let harness = Harness::start().await;
    let uid = harness.add_sample();

    let result = run(harness.command(&["download", &uid])).await;

    assert_eq!(result.code, Some(0), "stderr: {}", result.stderr);
    let lines = result.stdout_lines();
    assert_eq!(lines.len(), 1, "one path per file: {}", result.stdout);
    let path = PathBuf::from(lines[0]);
    assert!(path.is_absolute(), "{}", path.display());
    assert!(
        path.starts_with(harness.library_dir()),
        "{}",
        path.display()
    );
    assert_eq!(path.extension().unwrap(), "mp4");
    let expected = std::fs::read(sample_path("harbor-pattern.mp4")).unwrap();
    assert!(
        std::fs::read(&path).unwrap() == expected,
        "bytes differ from the source"
    );
    if let Some(readable) = ffprobe_accepts(&path) {
        assert!(readable, "ffprobe rejects {}", path.display());
    }
}

#[tokio::test]
async fn download_shows_sparse_progress() {
    let harness = Harness::start().await;
    let uid = harness.add_sample();

    let result = run(harness.command(&["download", &uid])).await;

    assert_eq!(result.code, Some(0), "stderr: {}", result.stderr);
    let lines = result.stderr_lines();
    assert!(
        lines
            .iter()
            .any(|line| line.starts_with(&format!("{uid}: preparing"))),
        "{}",
        result.stderr
    );
    assert!(
        lines
            .iter()
            .any(|line| line == &format!("{uid}: verifying")),
        "{}",
        result.stderr
    );
    assert!(lines.len() < 20, "progress is sparse: {}", result.stderr);
    assert!(
        !result.stderr.contains('\r'),
        "no redraws without a terminal"
    );
}

#[tokio::test]
async fn download_quiet_prints_no_progress() {
    let harness = Harness::start().await;
    let uid = harness.add_sample();

    let result = run(harness.command(&["download", "--quiet", &uid])).await;

    assert_eq!(result.code, Some(0), "stderr: {}", result.stderr);
    assert_eq!(result.stderr, "");
}

#[tokio::test]
async fn library_json_shows_download() {
    let harness = Harness::start().await;
    let uid = harness.add_sample();
    let download = run(harness.command(&["download", &uid])).await;
    assert_eq!(download.code, Some(0), "stderr: {}", download.stderr);

    let result = run(harness.command_without_credentials(&["library", "--json"])).await;

    assert_eq!(result.code, Some(0), "stderr: {}", result.stderr);
    let json = result.json();
    let items = json.as_array().expect("one JSON array");
    assert_eq!(items.len(), 1);
    let item = &items[0];
    let expected = std::fs::read(sample_path("harbor-pattern.mp4")).unwrap();
    assert_eq!(item["uid"], uid.as_str());
    assert_eq!(item["name"], SAMPLE_TITLE);
    assert_eq!(item["path"], download.stdout.trim());
    assert_eq!(item["bytes"], expected.len() as u64);
    assert_eq!(item["sha256"], sha256_hex(&expected));
    assert_eq!(item["type"], "default");
    assert!(item["addedAt"].is_string());
    assert!(item["duration"]
        .as_f64()
        .is_some_and(|seconds| seconds > 0.0));
}

#[tokio::test]
async fn library_table_lists_file() {
    let harness = Harness::start().await;
    let uid = harness.add_sample();
    let download = run(harness.command(&["download", &uid])).await;
    assert_eq!(download.code, Some(0), "stderr: {}", download.stderr);

    let result = run(harness.command_without_credentials(&["library"])).await;

    assert_eq!(result.code, Some(0), "stderr: {}", result.stderr);
    let lines = result.stdout_lines();
    assert_eq!(lines.len(), 2, "{}", result.stdout);
    assert!(lines[1].starts_with(&uid), "{}", lines[1]);
    assert!(lines[1].ends_with(download.stdout.trim()), "{}", lines[1]);
}

#[tokio::test]
async fn audio_writes_m4a() {
    let harness = Harness::start().await;
    let uid = harness.add_sample();

    let result = run(harness.command(&["download", "--audio", &uid])).await;

    assert_eq!(result.code, Some(0), "stderr: {}", result.stderr);
    let path = PathBuf::from(result.stdout.trim());
    assert_eq!(path.extension().unwrap(), "m4a");
    let expected = std::fs::read(sample_path("harbor-pattern.m4a")).unwrap();
    assert!(
        std::fs::read(&path).unwrap() == expected,
        "bytes differ from the source"
    );
    if let Some(readable) = ffprobe_accepts(&path) {
        assert!(readable, "ffprobe rejects {}", path.display());
    }
}

#[tokio::test]
async fn download_again_reuses_file() {
    let harness = Harness::start().await;
    let uid = harness.add_sample();
    let first = run(harness.command(&["download", &uid])).await;
    assert_eq!(first.code, Some(0), "stderr: {}", first.stderr);
    let deliveries = harness.emulator.delivery_count();

    let second = run(harness.command(&["download", &uid])).await;

    assert_eq!(second.code, Some(0), "stderr: {}", second.stderr);
    assert_eq!(second.stdout, first.stdout);
    assert_eq!(
        harness.emulator.delivery_count(),
        deliveries,
        "no second transfer"
    );
}

#[tokio::test]
async fn download_several_prints_each_path() {
    let harness = Harness::start().await;
    let first = harness.add_sample();
    let second = harness.add_sample();

    let result = run(harness.command(&["download", &first, &second, &first])).await;

    assert_eq!(result.code, Some(0), "stderr: {}", result.stderr);
    let lines = result.stdout_lines();
    assert_eq!(
        lines.len(),
        2,
        "a repeated uid is downloaded once: {}",
        result.stdout
    );
    assert_ne!(lines[0], lines[1], "each video gets its own file");
    for line in lines {
        assert!(Path::new(line).is_file(), "{line}");
    }
}

#[tokio::test]
async fn partial_failure_keeps_good_file() {
    let harness = Harness::start().await;
    let good = harness.add_sample();
    let missing = "0123456789abcdef0123456789abcdef";

    let result = run(harness.command(&["download", &good, missing])).await;

    assert_eq!(result.code, Some(4), "stderr: {}", result.stderr);
    assert_eq!(result.stdout_lines().len(), 1, "{}", result.stdout);
    assert!(Path::new(result.stdout.trim()).is_file());
    let errors: Vec<&str> = result
        .stderr_lines()
        .into_iter()
        .filter(|line| line.starts_with("error:"))
        .collect();
    assert!(errors[0].contains(missing), "{}", result.stderr);
    assert!(errors[0].contains("not found"), "{}", result.stderr);
    assert!(
        errors[1].contains("1 of 2 downloads failed"),
        "{}",
        result.stderr
    );
}

#[cfg(unix)]
#[tokio::test]
async fn interrupt_cancels_and_exits_130() {
    // A long preparation keeps the job waiting on Stream when the signal arrives.
    let harness = Harness::with_config(EmulatorConfig {
        seed: Seed::Empty,
        prepare_time: Duration::from_secs(60),
        ..EmulatorConfig::default()
    })
    .await;
    let uid = harness.add_sample();
    let mut command = harness.command(&["download", &uid]);

    let (code, stderr) = tokio::task::spawn_blocking(move || {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stderr = child.stderr.take().unwrap();
        let (lines, received) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let _ = lines.send(line.unwrap_or_default());
            }
        });

        let mut seen = Vec::new();
        loop {
            let line = received
                .recv_timeout(Duration::from_secs(20))
                .expect("a preparing line within 20 s");
            let preparing = line.contains("preparing");
            seen.push(line);
            if preparing {
                break;
            }
        }
        let killed = std::process::Command::new("kill")
            .args(["-s", "INT", &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(killed.success());

        let status = child.wait().expect("the binary ends");
        seen.extend(received.iter());
        (status.code(), seen.join("\n"))
    })
    .await
    .unwrap();

    assert_eq!(code, Some(130), "stderr: {stderr}");
    assert!(stderr.contains(&format!("cancelled: {uid}")), "{stderr}");
    assert!(files_ending(&harness.library_dir(), ".mp4").is_empty());
}

#[tokio::test]
async fn bulk_download_lists_once() {
    let harness = Harness::start().await;
    let uids: Vec<String> = (0..16).map(|_| harness.add_sample()).collect();
    let mut args = vec!["download"];
    args.extend(uids.iter().map(String::as_str));

    let result = run(harness.command(&args)).await;

    assert_eq!(result.code, Some(0), "stderr: {}", result.stderr);
    assert_eq!(result.stdout_lines().len(), 16, "{}", result.stdout);
    let calls = harness.emulator.api_by_endpoint();
    assert_eq!(
        calls.video, 0,
        "no GET /stream/{{uid}} per video: {calls:?}"
    );
    assert!(calls.list >= 1, "{calls:?}");
}
