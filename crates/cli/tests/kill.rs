//! `offstream download` killed with SIGKILL mid-transfer and started again: the file must end
//! byte-identical, the catalog intact and no `.part` left behind.
//!
//! The emulator throttles the body, so each run is killed while bytes arrive. The kill
//! moments come from a seeded RNG, so a failure can be replayed.

#![cfg(unix)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{run, sample_path, sha256_hex, Harness, SAMPLE_TITLE};
use offstream_engine::transfer::RESUME_OVERLAP;
use rand::{Rng, SeedableRng};
use rusqlite::{Connection, OpenFlags};
use stream_emulator::{DeliveryRecord, MediaFile, VideoSpec};

/// Seed of the kill moments.
const KILL_SEED: u64 = 0x6b11_1ed5;

/// Runs killed before the run that may finish.
const KILLS: usize = 3;

/// Size of the served file: the sample followed by a `free` box.
const FILE_LEN: u64 = 3_000_000;

/// Delivery rate, so a whole transfer lasts about three seconds.
const RATE: u64 = 1_000_000;

/// Returns the bytes the emulator serves for the sample padded to [`FILE_LEN`].
fn padded_sample() -> Vec<u8> {
    let mut bytes = std::fs::read(sample_path("harbor-pattern.mp4")).expect("sample MP4");
    let padding = u32::try_from(FILE_LEN - bytes.len() as u64).expect("padding fits 32 bits");
    bytes.extend_from_slice(&padding.to_be_bytes());
    bytes.extend_from_slice(b"free");
    bytes.resize(FILE_LEN as usize, 0);
    bytes
}

fn add_padded_video(harness: &Harness) -> String {
    let base = MediaFile::from_path(sample_path("harbor-pattern.mp4")).expect("sample MP4");
    harness.emulator.add_video(VideoSpec {
        name: Some(SAMPLE_TITLE.to_owned()),
        media: MediaFile::padded(base, FILE_LEN).expect("padded MP4"),
        ..VideoSpec::default()
    })
}

fn gets(harness: &Harness) -> Vec<DeliveryRecord> {
    harness
        .emulator
        .delivery_requests()
        .into_iter()
        .filter(|record| record.method == "GET")
        .collect()
}

/// Returns the `.part` files in the library folder with their sizes.
fn parts(dir: &Path) -> Vec<(PathBuf, u64)> {
    common::files_under(dir)
        .into_iter()
        .filter(|path| path.to_string_lossy().ends_with(".part"))
        .map(|path| {
            let len = std::fs::metadata(&path).expect("part metadata").len();
            (path, len)
        })
        .collect()
}

/// Starts the download, waits until its transfer began plus `delay`, and kills it.
async fn run_and_kill(harness: &Harness, uid: &str, delay: Duration) {
    let requests_before = gets(harness).len();
    let mut child = harness
        .command(&["download", uid])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");

    let started = Instant::now();
    while gets(harness).len() == requests_before {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the transfer did not start within 20 s"
        );
        assert!(
            child.try_wait().expect("child status").is_none(),
            "the download ended before it was killed"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(delay).await;

    // `Child::kill` sends SIGKILL on Unix, so the process gets no chance to clean up.
    child.kill().expect("SIGKILL is delivered");
    let status = child.wait().expect("the killed process is reaped");
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(9),
        "the process died of SIGKILL, not on its own: {status:?}"
    );
}

#[tokio::test]
async fn killed_download_resumes_identical() {
    let harness = Harness::start().await;
    let uid = add_padded_video(&harness);
    let expected = padded_sample();
    harness.emulator.set_delivery_rate(Some(RATE));
    let mut rng = rand::rngs::StdRng::seed_from_u64(KILL_SEED);
    let library = harness.library_dir();

    let mut resumes = 0;
    for kill in 0..KILLS {
        let delay = Duration::from_millis(rng.random_range(50..900));
        let requests_before = gets(&harness).len();
        let left = parts(&library);
        run_and_kill(&harness, &uid, delay).await;

        // A non-empty `.part` from the previous kill must be resumed, never restarted.
        if let [(_, len)] = left[..] {
            if len > 0 {
                let first = &gets(&harness)[requests_before];
                let start = len.saturating_sub(RESUME_OVERLAP);
                assert_eq!(
                    first.range,
                    Some(format!("bytes={start}-")),
                    "run {kill} after a {len}-byte part"
                );
                resumes += 1;
            }
        }
        assert!(
            parts(&library).len() <= 1,
            "one partial file at most after kill {kill}: {:?}",
            parts(&library)
        );
    }
    let left = parts(&library);
    let requests_before = gets(&harness).len();

    let result = run(harness.command(&["download", &uid])).await;

    assert_eq!(result.code, Some(0), "stderr: {}", result.stderr);
    let path = PathBuf::from(result.stdout.trim());
    assert!(
        std::fs::read(&path).unwrap() == expected,
        "bytes differ from the source"
    );
    if let [(_, len)] = left[..] {
        if len > 0 {
            let start = len.saturating_sub(RESUME_OVERLAP);
            assert_eq!(
                gets(&harness)[requests_before].range,
                Some(format!("bytes={start}-"))
            );
            resumes += 1;
        }
    }
    assert!(resumes >= 1, "at least one run resumed a partial file");
    assert!(parts(&library).is_empty(), "{:?}", parts(&library));
    assert_eq!(common::files_under(&library), vec![path.clone()]);

    let catalog = Connection::open_with_flags(
        harness.data_dir().join("catalog.sqlite3"),
        OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("the catalog opens read-only");
    let integrity: String = catalog
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let (count, sha256, stored_path): (i64, String, String) = catalog
        .query_row(
            "SELECT COUNT(*), MAX(sha256), MAX(path) FROM items",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .unwrap();
    assert_eq!(count, 1);
    assert_eq!(sha256, sha256_hex(&expected));
    assert_eq!(Path::new(&stored_path), path);
    let held_parts: i64 = catalog
        .query_row(
            "SELECT COUNT(*) FROM jobs WHERE part_path IS NOT NULL",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(held_parts, 0, "no job row still points at a partial file");
}

#[tokio::test]
async fn resume_finishes_killed_download() {
    let harness = Harness::start().await;
    let uid = add_padded_video(&harness);
    harness.emulator.set_delivery_rate(Some(RATE));
    run_and_kill(&harness, &uid, Duration::from_millis(300)).await;
    let left = parts(&harness.library_dir());
    assert_eq!(left.len(), 1, "the kill left one partial file: {left:?}");

    harness.emulator.set_delivery_rate(None);
    let result = run(harness.command(&["resume"])).await;

    assert_eq!(result.code, Some(0), "stderr: {}", result.stderr);
    let lines = result.stdout_lines();
    assert_eq!(lines.len(), 1, "one path: {}", result.stdout);
    assert_eq!(std::fs::read(lines[0]).unwrap(), padded_sample());
    assert!(parts(&harness.library_dir()).is_empty());
    let again = run(harness.command(&["resume"])).await;
    assert_eq!(again.code, Some(0), "stderr: {}", again.stderr);
    assert!(
        again.stdout.is_empty(),
        "nothing left to resume: {}",
        again.stdout
    );
}
