//! A description of the machine for the results page: CPU, cores, memory, disk, OS and the
//! Rust compiler. Linux files under `/proc`, `/sys` and `/etc` supply most of it; a value that
//! cannot be read shows as `unknown`.

use std::path::Path;
use std::process::Command;

/// The machine that ran the benchmark.
#[derive(Debug, Clone)]
pub struct Machine {
    pub cpu_model: String,
    pub cores: usize,
    pub memory: String,
    pub disk: String,
    pub os: String,
    pub rustc: String,
    pub source: String,
}

const UNKNOWN: &str = "unknown";

impl Machine {
    /// Collects the description; `work_dir` picks the disk to describe.
    pub fn describe(work_dir: &Path) -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let os_release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();

        Self {
            cpu_model: cpu_model(&cpuinfo).unwrap_or_else(|| UNKNOWN.to_owned()),
            cores: std::thread::available_parallelism().map_or(0, usize::from),
            memory: memory_total(&meminfo).unwrap_or_else(|| UNKNOWN.to_owned()),
            disk: disk(work_dir).unwrap_or_else(|| UNKNOWN.to_owned()),
            os: os_name(&os_release, kernel.trim()),
            rustc: first_line("rustc", &["--version"]).unwrap_or_else(|| UNKNOWN.to_owned()),
            source: source_revision().unwrap_or_else(|| UNKNOWN.to_owned()),
        }
    }
}

/// Returns the `model name` of the first processor in `/proc/cpuinfo`.
fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo
        .lines()
        .find(|line| line.starts_with("model name"))
        .and_then(|line| line.split_once(':'))
        .map(|(_, value)| value.trim().to_owned())
}

/// Returns `MemTotal` from `/proc/meminfo` in GiB.
fn memory_total(meminfo: &str) -> Option<String> {
    let line = meminfo.lines().find(|line| line.starts_with("MemTotal:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(format!("{:.1} GiB", kib / 1024.0 / 1024.0))
}

/// Returns `PRETTY_NAME` from `/etc/os-release` with the kernel release.
fn os_name(os_release: &str, kernel: &str) -> String {
    let name = os_release
        .lines()
        .find_map(|line| line.strip_prefix("PRETTY_NAME="))
        .map(|value| value.trim_matches('"').to_owned())
        .unwrap_or_else(|| std::env::consts::OS.to_owned());
    if kernel.is_empty() {
        name
    } else {
        format!("{name}, Linux {kernel}")
    }
}

/// Returns the device, file system type and size of the disk that contains `work_dir`, and
/// whether the kernel reports it as rotational.
fn disk(work_dir: &Path) -> Option<String> {
    let output = Command::new("df")
        .args(["-P", "-T", "-h"])
        .arg(work_dir)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<&str> = text.lines().nth(1)?.split_whitespace().collect();
    let [device, fs_type, size, ..] = fields.as_slice() else {
        return None;
    };

    let kind = Path::new(device)
        .file_name()
        .and_then(|name| {
            std::fs::read_to_string(format!(
                "/sys/class/block/{}/queue/rotational",
                name.to_string_lossy()
            ))
            .ok()
        })
        .map(|value| match value.trim() {
            "0" => ", non-rotational per the kernel",
            "1" => ", rotational per the kernel",
            _ => "",
        })
        .unwrap_or("");
    Some(format!("{device} ({fs_type}, {size}{kind})"))
}

/// Returns the commit of the working tree and whether it has uncommitted changes.
fn source_revision() -> Option<String> {
    let commit = first_line("git", &["rev-parse", "--short", "HEAD"])?;
    let status = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .output()
        .ok()?;
    if status.stdout.is_empty() {
        Some(format!("commit {commit}"))
    } else {
        Some(format!("commit {commit} with uncommitted changes"))
    }
}

/// Runs `program` and returns the first line of its standard output when it succeeds.
fn first_line(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).output().ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines().next().map(|line| line.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_model_reads_first() {
        let text = "processor\t: 0\nmodel name\t: Example CPU @ 2.0GHz\nprocessor\t: 1\nmodel name\t: Other\n";
        assert_eq!(cpu_model(text).as_deref(), Some("Example CPU @ 2.0GHz"));
    }

    #[test]
    fn memory_total_in_gib() {
        let text = "MemTotal:       24683520 kB\nMemFree: 1 kB\n";
        assert_eq!(memory_total(text).as_deref(), Some("23.5 GiB"));
    }

    #[test]
    fn os_name_with_kernel() {
        let text = "NAME=\"Debian\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n";
        assert_eq!(
            os_name(text, "6.1.0"),
            "Debian GNU/Linux 12 (bookworm), Linux 6.1.0"
        );
    }
}
