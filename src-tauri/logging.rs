//! Logging to standard error through `tracing`.
//!
//! `RUST_LOG` overrides the level. Log lines carry video uids and job ids, never tokens or
//! download URLs: the crates log only those fields.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber.
pub fn init(verbose: bool) {
    // The HTTP stack stays at info even when verbose, because its debug lines name request
    // URLs, and a download URL of a private video carries a signed token.
    let default = if verbose {
        "debug,hyper=info,hyper_util=info,reqwest=info,h2=info,rustls=info"
    } else {
        "info"
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    // `try_init` fails only when a subscriber exists already, which is harmless.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
