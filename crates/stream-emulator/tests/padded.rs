//! Padded MP4s: a real MP4 grown to a chosen length with a `free` box, served over HTTP.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{start, Api};
use reqwest::{header, Method, StatusCode};
use stream_emulator::{EmulatorConfig, MediaFile, RunningEmulator, Seed, VideoSpec};

/// Starts an emulator with one ready video padded to `total_len` bytes; returns its MP4 URL.
async fn padded_video(total_len: u64) -> (RunningEmulator, String) {
    let emulator = start(EmulatorConfig {
        seed: Seed::Empty,
        prepare_time: Duration::ZERO,
        ..EmulatorConfig::default()
    })
    .await;
    let base = stream_emulator::samples::all()[0].video.clone();
    let media = MediaFile::padded(base, total_len).unwrap();
    let uid = emulator.add_video(VideoSpec {
        media,
        ..VideoSpec::default()
    });
    Api::new(&emulator)
        .json(Method::POST, &format!("/{uid}/downloads"))
        .await;
    let url = format!("{}/{uid}/downloads/default.mp4", emulator.delivery_base());
    (emulator, url)
}

fn ffprobe_available() -> bool {
    Command::new("ffprobe").arg("-version").output().is_ok()
}

/// Runs ffprobe on `input` and returns the container duration in seconds.
fn ffprobe_duration(input: &str) -> f64 {
    let output = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "csv=p=0",
            input,
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "ffprobe failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn padded_download_is_valid_mp4() {
    let base_len = stream_emulator::samples::all()[0].video.len();
    let total = base_len + 1_000_000;
    let (_emulator, url) = padded_video(total).await;

    let bytes = reqwest::get(&url).await.unwrap().bytes().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("padded.mp4");
    std::fs::write(&path, &bytes).unwrap();
    let info = stream_emulator::mp4::parse(&mut std::fs::File::open(&path).unwrap()).unwrap();

    assert_eq!(bytes.len() as u64, total);
    assert!(info.duration_seconds.unwrap() > 0.0);
    if ffprobe_available() {
        let duration = ffprobe_duration(path.to_str().unwrap());
        assert!(
            (duration - info.duration_seconds.unwrap()).abs() < 0.1,
            "ffprobe: {duration}"
        );
    } else {
        eprintln!("ffprobe not installed; checked with the crate's box walk only");
    }
}

#[tokio::test]
async fn padded_huge_ranges_and_probe() {
    let total = 3u64 << 30;
    let (_emulator, url) = padded_video(total).await;
    let client = reqwest::Client::new();

    let tail = client
        .get(&url)
        .header(header::RANGE, "bytes=-4")
        .send()
        .await
        .unwrap();
    let content_range = tail.headers()[header::CONTENT_RANGE]
        .to_str()
        .unwrap()
        .to_owned();
    let tail_status = tail.status();
    let tail_bytes = tail.bytes().await.unwrap();

    assert_eq!(tail_status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        content_range,
        format!("bytes {}-{}/{total}", total - 4, total - 1)
    );
    assert_eq!(&tail_bytes[..], &[0u8; 4]);
    if ffprobe_available() {
        // ffprobe seeks with Range requests, so it reads the box headers, not 3 GiB.
        let duration = tokio::task::spawn_blocking(move || ffprobe_duration(&url))
            .await
            .unwrap();
        assert!(duration > 0.0);
    }
}
