//! Logging through `tracing`, to standard error and to a rotating file in the log folder.
//!
//! `RUST_LOG` overrides the level. Log lines carry video uids and job ids, never tokens or
//! download URLs: the crates log only those fields. The HTTP crates are held at info whatever
//! the level, because their debug lines name request URLs, and a download URL of a private
//! video carries a signed token.

use std::path::Path;
use std::sync::Arc;

use offstream_logfile::{RotatingFile, RotationPolicy};
use tracing::Level;
use tracing_subscriber::filter::{filter_fn, EnvFilter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, Layer, Registry};

/// Name of the log files without extension: `offstream.log`, `offstream.1.log`, ….
const LOG_STEM: &str = "offstream";

/// Crates whose debug and trace lines may contain request URLs.
const HTTP_CRATES: &[&str] = &["hyper", "hyper_util", "reqwest", "h2", "rustls"];

/// Installs the global subscriber: standard error always, and `offstream.log` in `log_dir`
/// when the folder can be created and the file opened. Otherwise the reason is logged once.
pub fn init(verbose: bool, log_dir: Result<&Path, String>) {
    let opened = log_dir.and_then(|dir| {
        RotatingFile::open(dir, RotationPolicy::new(LOG_STEM))
            .map_err(|error| format!("cannot open a log file in {}: {error}", dir.display()))
    });
    let (file, failure) = match opened {
        Ok(file) => (Some(Arc::new(file)), None),
        Err(reason) => (None, Some(reason)),
    };

    // `try_init` fails only when a subscriber exists already, which is harmless.
    let _ = subscriber(env_filter(verbose), file).try_init();
    if let Some(reason) = failure {
        tracing::warn!("{reason}; logging to standard error only");
    }
}

/// Logs the line that opens each run in the log file. It names no path, because paths often
/// contain the user's name. The process id distinguishes the runs in one file.
pub fn log_start(demo: bool) {
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        pid = std::process::id(),
        os = std::env::consts::OS,
        arch = std::env::consts::ARCH,
        demo,
        "Offstream started"
    );
}

fn env_filter(verbose: bool) -> EnvFilter {
    let default = if verbose { "debug" } else { "info" };
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default))
}

/// Builds the subscriber: `filter` chooses the levels, and both outputs drop the HTTP crates'
/// detail lines.
fn subscriber(
    filter: EnvFilter,
    file: Option<Arc<RotatingFile>>,
) -> impl tracing::Subscriber + Send + Sync {
    let stderr = fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(filter_fn(|metadata| {
            !is_http_detail(metadata.target(), *metadata.level())
        }));
    let file = file.map(|file| {
        fmt::layer()
            .with_ansi(false)
            .with_writer(file)
            .with_filter(filter_fn(|metadata| {
                !is_http_detail(metadata.target(), *metadata.level())
            }))
    });
    Registry::default().with(filter).with(stderr).with(file)
}

/// Returns true for a line below info from one of [`HTTP_CRATES`] or their modules.
fn is_http_detail(target: &str, level: Level) -> bool {
    if level <= Level::INFO {
        return false;
    }
    HTTP_CRATES.iter().any(|name| {
        target
            .strip_prefix(name)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_debug_is_detail() {
        assert!(is_http_detail("hyper", Level::DEBUG));
        assert!(is_http_detail("hyper_util::client::legacy", Level::TRACE));
        assert!(is_http_detail("reqwest::connect", Level::DEBUG));
        assert!(!is_http_detail("reqwest::connect", Level::INFO));
        assert!(!is_http_detail("reqwest::connect", Level::WARN));
    }

    #[test]
    fn similar_names_are_not_http() {
        assert!(!is_http_detail("hyperlink", Level::DEBUG));
        assert!(!is_http_detail("offstream_engine::transfer", Level::DEBUG));
    }

    /// Runs the real subscriber with a file in a temporary folder, at debug level as with
    /// `--verbose`, and checks what reaches the file.
    #[test]
    fn file_gets_lines_without_http_detail() {
        let temp = tempfile::tempdir().unwrap();
        let file =
            Arc::new(RotatingFile::open(temp.path(), RotationPolicy::new(LOG_STEM)).unwrap());
        let subscriber = subscriber(EnvFilter::new("debug"), Some(Arc::clone(&file)));

        tracing::subscriber::with_default(subscriber, || {
            tracing::debug!(target: "offstream_engine::transfer", job_id = 7, "transfer resumed");
            tracing::debug!(target: "reqwest::connect", "GET http://127.0.0.1/signed-token-url");
            tracing::info!(target: "reqwest::connect", "connection pool ready");
        });

        let text = std::fs::read_to_string(temp.path().join("offstream.log")).unwrap();
        assert!(text.contains("transfer resumed"), "{text}");
        assert!(text.contains("job_id=7"), "{text}");
        assert!(text.contains("connection pool ready"), "{text}");
        assert!(!text.contains("signed-token-url"), "{text}");
        assert!(
            !text.contains('\u{1b}'),
            "no colour codes in the file: {text:?}"
        );
    }
}
