//! Log output: tracing events on standard error, printed above the progress line.
//!
//! Without `--verbose` only warnings and errors are shown, such as a retried API call. With
//! it, the Offstream crates log at debug level. `RUST_LOG` replaces both filters. The
//! Offstream crates never put a secret into an event, but a `RUST_LOG` that turns on the HTTP
//! crates' debug lines shows request URLs.
//!
//! A second layer with its own filter watches the engine for the token endpoint note (see
//! [`crate::token_note`]); it prints nothing else, whatever the log level.

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter, Layer, Registry};

use crate::terminal::{self, LogWriter};
use crate::token_note::TokenEndpointNote;

/// The filter of `--verbose`: debug for Offstream's own crates, warnings for libraries. The
/// HTTP crates stay quiet because their debug lines name request URLs, and the download URL
/// of a private video can carry a signed token.
const VERBOSE_FILTER: &str = "warn,offstream=debug,offstream_stream=debug,offstream_engine=debug,offstream_credentials=debug,offstream_profile=debug,offstream_signing=debug";

/// Installs the global tracing subscriber.
pub fn init(verbose: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(if verbose { VERBOSE_FILTER } else { "warn" }));
    let output = fmt::layer()
        .with_writer(LogWriter::new)
        .with_ansi(terminal::stderr_is_terminal());
    let output: Box<dyn Layer<Registry> + Send + Sync> = if verbose {
        output.boxed()
    } else {
        output.without_time().with_target(false).boxed()
    };

    // try_init fails only when a subscriber is already set, and `main` calls `init` once.
    let _ = tracing_subscriber::registry()
        .with(output.with_filter(filter))
        .with(TokenEndpointNote::layer())
        .try_init();
}
