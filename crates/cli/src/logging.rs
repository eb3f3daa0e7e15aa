//! Log output: tracing events on standard error, printed above the progress line.
//!
//! Without `--verbose` only warnings and errors are shown, such as a retried API call. With
//! it, the Offstream crates log at debug level. `RUST_LOG` replaces both filters. The
//! Offstream crates never put a secret into an event, but a `RUST_LOG` that turns on the HTTP
//! crates' debug lines shows request URLs.

use tracing_subscriber::EnvFilter;

use crate::terminal::{self, LogWriter};

/// The filter of `--verbose`: debug for Offstream's own crates, warnings for libraries. The
/// HTTP crates stay quiet because their debug lines name request URLs, and the download URL
/// of a private video can carry a signed token.
const VERBOSE_FILTER: &str = "warn,offstream=debug,offstream_stream=debug,offstream_engine=debug,offstream_credentials=debug,offstream_profile=debug";

/// Installs the global tracing subscriber.
pub fn init(verbose: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(if verbose { VERBOSE_FILTER } else { "warn" }));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(LogWriter::new)
        .with_ansi(terminal::stderr_is_terminal());

    // try_init fails only when a subscriber is already set, and `main` calls `init` once.
    if verbose {
        let _ = builder.try_init();
    } else {
        let _ = builder.without_time().with_target(false).try_init();
    }
}
