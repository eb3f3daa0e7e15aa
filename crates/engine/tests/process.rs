//! Tests that run the engine in a child process (this test binary run again with one ignored
//! test selected): a process killed with SIGKILL mid-transfer, and a library on a small tmpfs
//! that fills up. The emulator listens on 127.0.0.1 in whichever process needs it.
//!
//! The small file system needs an unprivileged user and mount namespace (`unshare --user
//! --map-root-user --mount`, util-linux). Where the kernel or a container forbids them, the
//! disk-full tests print why and pass without running.

#![cfg(target_os = "linux")]

mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use offstream_engine::{
    Catalog, EngineOptions, JobManager, JobNotice, JobPhase, JobSnapshot, LibraryItem,
};
use offstream_stream::DownloadType;
use stream_emulator::{Emulator, EmulatorConfig, MediaFile, RunningEmulator, Seed, VideoSpec};
use tokio::sync::broadcast::Receiver;

use support::{fast_options, sha256_hex};

/// Maximum time one step of a test may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// Environment variables that pass the setup to a child.
const ENV_API_BASE: &str = "OFFSTREAM_TEST_API_BASE";
const ENV_ACCOUNT: &str = "OFFSTREAM_TEST_ACCOUNT";
const ENV_TOKEN: &str = "OFFSTREAM_TEST_TOKEN";
const ENV_DATA: &str = "OFFSTREAM_TEST_DATA";
const ENV_LIBRARY: &str = "OFFSTREAM_TEST_LIBRARY";
const ENV_UIDS: &str = "OFFSTREAM_TEST_UIDS";

async fn emulator() -> RunningEmulator {
    let config = EmulatorConfig {
        seed: Seed::Empty,
        prepare_time: Duration::from_millis(200),
        ..EmulatorConfig::default()
    };
    Emulator::start(config).await.expect("emulator starts")
}

/// Returns the 556 kB sample video.
fn large_video() -> Bytes {
    Bytes::from(std::fs::read(support::samples_dir().join("fractal-dive.mp4")).unwrap())
}

fn add_large(emulator: &RunningEmulator, name: &str) -> String {
    emulator.add_video(VideoSpec {
        name: Some(name.to_owned()),
        media: MediaFile::from_bytes(large_video()),
        ..VideoSpec::default()
    })
}

fn client(emulator: &RunningEmulator) -> offstream_stream::StreamClient {
    support::client(
        &emulator.api_base(),
        emulator.account_id(),
        emulator.api_token(),
    )
}

async fn wait_for(
    events: &mut Receiver<JobSnapshot>,
    id: i64,
    done: impl Fn(&JobSnapshot) -> bool,
) -> JobSnapshot {
    tokio::time::timeout(STEP_TIMEOUT, async {
        loop {
            let snapshot = events.recv().await.expect("event stream open");
            if snapshot.id == id && done(&snapshot) {
                return snapshot;
            }
        }
    })
    .await
    .expect("the snapshot arrives in time")
}

async fn wait_done(manager: &JobManager, id: i64) -> LibraryItem {
    tokio::time::timeout(STEP_TIMEOUT, manager.wait(id))
        .await
        .expect("the job ends in time")
        .expect("the job succeeds")
}

fn transferred_at_least(bytes: u64) -> impl Fn(&JobSnapshot) -> bool {
    move |s| s.phase == JobPhase::Transferring && s.bytes_done >= bytes
}

fn env_path(name: &str) -> PathBuf {
    PathBuf::from(std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: this test runs only as the child of another test")
    }))
}

/// Returns the command that runs one ignored test of this binary.
fn child_command(test_name: &str) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args([
        "--exact",
        test_name,
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_process_resumes_on_restart() {
    let emulator = emulator().await;
    emulator.set_delivery_rate(Some(150_000));
    let uids = [
        add_large(&emulator, "Interrupted"),
        add_large(&emulator, "Paused by the user"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let library = dir.path().join("library");
    let source = large_video();

    let mut child = child_command("child_downloads_until_killed")
        .env(ENV_API_BASE, emulator.api_base())
        .env(ENV_ACCOUNT, emulator.account_id())
        .env(ENV_TOKEN, emulator.api_token())
        .env(ENV_DATA, &data)
        .env(ENV_LIBRARY, &library)
        .env(ENV_UIDS, uids.join(","))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    // A detached thread reads the child's output, so neither a blocked read nor a timeout
    // stalls this runtime, which serves the emulator to the child.
    let (line_sender, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line_sender.send(line).is_err() {
                return;
            }
        }
    });
    let ready = tokio::task::spawn_blocking(move || {
        let deadline = std::time::Instant::now() + STEP_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(ids) = line.strip_prefix("READY ") {
                        return Some(ids.to_owned());
                    }
                }
                Err(_) => return None,
            }
        }
    })
    .await
    .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let ready = ready.expect("the child printed READY in time");
    let (running, paused) = ready.split_once(' ').unwrap();
    let (running, paused): (i64, i64) = (running.parse().unwrap(), paused.parse().unwrap());
    emulator.set_delivery_rate(None);

    let catalog = Arc::new(Catalog::open(&data).unwrap());
    let integrity = catalog.integrity_check();
    let stored = catalog.job(running).unwrap().unwrap();
    let manager = JobManager::new(
        client(&emulator),
        Arc::clone(&catalog),
        &library,
        fast_options(),
    )
    .unwrap();
    let resumed = manager.resume_unfinished().unwrap();
    let item = wait_done(&manager, running).await;
    let paused_row = catalog.job(paused).unwrap().unwrap();

    assert!(integrity.is_ok(), "{integrity:?}");
    assert_eq!(stored.state, JobPhase::Transferring);
    assert_eq!(resumed, vec![running]);
    assert_eq!(std::fs::read(&item.path).unwrap(), source.as_ref());
    assert_eq!(manager.snapshot(paused).unwrap().phase, JobPhase::Paused);
    assert_eq!(paused_row.state, JobPhase::Paused);
    assert!(paused_row.part_path.is_some_and(|part| part.is_file()));
    assert!(
        manager.resume_unfinished().unwrap().is_empty(),
        "a second call resumes nothing"
    );

    manager.resume(paused).unwrap();
    let second = wait_done(&manager, paused).await;
    assert_eq!(second.sha256, sha256_hex(&source));
    assert!(catalog.integrity_check().is_ok());
}

/// Starts two downloads, waits until the first has 300 kB on disk, pauses the second, prints
/// `READY <running> <paused>` to stderr and waits to be killed.
#[tokio::test]
#[ignore = "the child of killed_process_resumes_on_restart"]
async fn child_downloads_until_killed() {
    let uids = std::env::var(ENV_UIDS).expect("OFFSTREAM_TEST_UIDS");
    let (running_uid, paused_uid) = uids.split_once(',').unwrap();
    let client = support::client(
        &std::env::var(ENV_API_BASE).unwrap(),
        &std::env::var(ENV_ACCOUNT).unwrap(),
        &std::env::var(ENV_TOKEN).unwrap(),
    );
    let catalog = Arc::new(Catalog::open(&env_path(ENV_DATA)).unwrap());
    let manager = JobManager::new(client, catalog, env_path(ENV_LIBRARY), fast_options()).unwrap();
    let mut events = manager.subscribe();

    let running = manager.start(running_uid, DownloadType::Default).unwrap();
    let paused = manager.start(paused_uid, DownloadType::Default).unwrap();
    wait_for(&mut events, running, transferred_at_least(300_000)).await;
    manager.pause(paused).unwrap();
    wait_for(&mut events, paused, |s| s.phase == JobPhase::Paused).await;

    // Stderr, because libtest did not pass this test's stdout through to a pipe.
    eprintln!("READY {running} {paused}");
    std::future::pending::<()>().await;
}

/// Runs one ignored test of this binary as root of a new user and mount namespace, with
/// `library` a tmpfs of `size` (a `mount -o size=` value). Returns `None`, after printing why,
/// when this system forbids unprivileged user namespaces.
fn run_in_small_fs(test_name: &str, library: &Path, size: &str) -> Option<std::process::Output> {
    let probe = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "true"])
        .output();
    match probe {
        Ok(output) if output.status.success() => {}
        Ok(output) => {
            eprintln!(
                "skipped: unshare cannot create a user namespace here: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            return None;
        }
        Err(error) => {
            eprintln!("skipped: unshare is not available: {error}");
            return None;
        }
    }

    let child = child_command(test_name);
    let script = r#"mount -t tmpfs -o "size=$2" offstream-test "$1" && shift 2 && exec "$@""#;
    let output = Command::new("unshare")
        .args([
            "--user",
            "--map-root-user",
            "--mount",
            "sh",
            "-c",
            script,
            "sh",
        ])
        .arg(library)
        .arg(size)
        .arg(child.get_program())
        .args(child.get_args())
        .env(ENV_LIBRARY, library)
        .output()
        .unwrap();
    Some(output)
}

fn assert_child_passed(output: &std::process::Output) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the child failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("1 passed"),
        "the child test did not run:\n{stdout}"
    );
}

#[test]
fn disk_full_before_transfer_pauses() {
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("library");
    std::fs::create_dir(&library).unwrap();
    if let Some(output) = run_in_small_fs("child_small_disk_preflight", &library, "300k") {
        assert_child_passed(&output);
    }
}

#[test]
fn disk_full_mid_transfer_pauses() {
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("library");
    std::fs::create_dir(&library).unwrap();
    if let Some(output) = run_in_small_fs("child_disk_fills_mid_transfer", &library, "4m") {
        assert_child_passed(&output);
    }
}

/// Engine options for the disk-full children: the free-space re-check every `recheck`.
fn disk_options(recheck: Duration) -> EngineOptions {
    EngineOptions {
        disk_recheck_interval: recheck,
        // Fewer catalog writes; the catalog is outside the small file system anyway.
        persist_interval: Duration::from_millis(200),
        ..fast_options()
    }
}

/// A manager whose library is the tmpfs and whose catalog is in a normal temporary folder.
struct SmallDisk {
    _data: tempfile::TempDir,
    library: PathBuf,
    catalog: Arc<Catalog>,
    manager: JobManager,
}

impl SmallDisk {
    fn new(emulator: &RunningEmulator, options: EngineOptions) -> Self {
        let data = tempfile::tempdir().unwrap();
        let library = env_path(ENV_LIBRARY);
        let catalog = Arc::new(Catalog::open(data.path()).unwrap());
        let manager =
            JobManager::new(client(emulator), Arc::clone(&catalog), &library, options).unwrap();
        Self {
            _data: data,
            library,
            catalog,
            manager,
        }
    }

    fn remount(&self, size: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.library)
            .status()
            .unwrap();
        assert!(status.success(), "remount to {size}");
    }
}

/// The library has room for 300 kB and the video is 556 kB: the job pauses before writing, and a
/// user resume after the volume grew completes it.
#[tokio::test]
#[ignore = "the child of disk_full_before_transfer_pauses, in a 300 kB tmpfs"]
async fn child_small_disk_preflight() {
    let emulator = emulator().await;
    let uid = add_large(&emulator, "Too big");
    let disk = SmallDisk::new(&emulator, disk_options(Duration::from_secs(3600)));
    let source = large_video();
    let mut events = disk.manager.subscribe();

    let id = disk.manager.start(&uid, DownloadType::Default).unwrap();
    let paused = wait_for(&mut events, id, |s| s.phase == JobPhase::Paused).await;
    let row = disk.catalog.job(id).unwrap().unwrap();
    let part = row.part_path.clone().expect("the partial file is recorded");

    assert_eq!(
        paused.notice,
        Some(JobNotice::DiskFull {
            needed_bytes: Some(source.len() as u64)
        })
    );
    assert_eq!(row.state, JobPhase::Paused);
    assert_eq!(row.notice, paused.notice);
    assert_eq!(
        std::fs::metadata(&part).unwrap().len(),
        0,
        "nothing written"
    );
    assert!(disk.catalog.integrity_check().is_ok());

    disk.remount("4m");
    disk.manager.resume(id).unwrap();
    let item = wait_done(&disk.manager, id).await;
    assert_eq!(std::fs::read(&item.path).unwrap(), source.as_ref());
    assert_eq!(
        disk.manager.snapshot(id).unwrap().notice,
        None,
        "the notice is cleared"
    );
}

/// Fills the 4 MB library while the video transfers: the write fails with ENOSPC, the job
/// pauses with its partial file, and the free-space re-check resumes it once the filler is
/// deleted.
#[tokio::test]
#[ignore = "the child of disk_full_mid_transfer_pauses, in a 4 MB tmpfs"]
async fn child_disk_fills_mid_transfer() {
    let emulator = emulator().await;
    emulator.set_delivery_rate(Some(150_000));
    let uid = add_large(&emulator, "Filled up");
    let disk = SmallDisk::new(&emulator, disk_options(Duration::from_millis(200)));
    let source = large_video();
    let mut events = disk.manager.subscribe();

    let id = disk.manager.start(&uid, DownloadType::Default).unwrap();
    // Past the 256 KiB write buffer, so the partial file has bytes on disk.
    wait_for(&mut events, id, transferred_at_least(300_000)).await;
    let filler = disk.library.join("filler.bin");
    fill_volume(&filler);
    let paused = wait_for(&mut events, id, |s| s.phase == JobPhase::Paused).await;

    let row = disk.catalog.job(id).unwrap().unwrap();
    let part = std::fs::read(
        row.part_path
            .as_ref()
            .expect("the partial file is recorded"),
    )
    .unwrap();
    let needed = (source.len() - part.len()) as u64;
    assert_eq!(
        paused.notice,
        Some(JobNotice::DiskFull {
            needed_bytes: Some(needed)
        })
    );
    assert!(!part.is_empty(), "the partial file keeps its bytes");
    assert_eq!(
        &part[..],
        &source[..part.len()],
        "the partial file is a prefix"
    );
    assert_eq!(row.state, JobPhase::Paused);
    assert!(disk.catalog.integrity_check().is_ok());

    // Still full: the re-check leaves the job paused.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(disk.manager.snapshot(id).unwrap().phase, JobPhase::Paused);

    std::fs::remove_file(&filler).unwrap();
    emulator.set_delivery_rate(None);
    let item = wait_done(&disk.manager, id).await;
    assert_eq!(std::fs::read(&item.path).unwrap(), source.as_ref());
}

/// Writes zeros to `path` until the volume is full.
fn fill_volume(path: &Path) {
    use std::io::Write;
    let mut file = std::fs::File::create(path).unwrap();
    let block = vec![0u8; 64 * 1024];
    loop {
        match file.write(&block) {
            Ok(0) => return,
            Ok(_) => {}
            Err(error) if error.kind() == std::io::ErrorKind::StorageFull => return,
            Err(error) => panic!("filling the volume failed: {error}"),
        }
    }
}
