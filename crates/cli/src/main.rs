//! `offstream`: the command line face of Offstream.
//!
//! It drives the same Tauri-free crates as the desktop app: `offstream-stream` for the API,
//! `offstream-engine` for downloads and the catalog, `offstream-credentials` for the keychain
//! and `offstream-profile` for the folders. It shares the app's catalog and library, so files
//! downloaded here appear in the app and the other way round.
//!
//! Commands: `videos`, `download`, `resume`, `sync`, `backup`, `library`, `login`, `logout`,
//! `status` and `keys` (see [`args::Command`]).
//!
//! Output contract:
//! - Results go to standard output: a table, one JSON array (`--json`), or one absolute path
//!   per downloaded file.
//! - Progress and errors go to standard error. On a terminal, progress is one line redrawn in
//!   place; otherwise it is a few plain lines per download. Each failure is one line that states
//!   what failed and what to do.
//! - The exit status tells the class of failure, see [`exit::ExitClass`]: 0 success, 1 other
//!   failure, 2 invalid arguments, settings or key material (or a clock too far off for
//!   signed tokens), 3 credentials or signing key missing, rejected or revoked, 4 video not
//!   found, 5 network or service failure, 6 file failed verification, 7 video not ready yet,
//!   130 interrupted with Ctrl-C.
//!
//! Environment: `CLOUDFLARE_ACCOUNT_ID` and `CLOUDFLARE_API_TOKEN` override the keychain;
//! `OFFSTREAM_DATA_DIR`, `OFFSTREAM_LIBRARY_DIR` and `OFFSTREAM_API_BASE` override the folders
//! and the API base URL; `RUST_LOG` overrides the log filter.
//!
//! No secret reaches standard output, standard error or the logs: API tokens, signing keys and
//! signed tokens stay inside the redacting wrapper types of the credential, client, signing
//! and engine crates.

mod args;
mod commands;
mod context;
mod exit;
mod format;
mod logging;
mod progress;
mod signing;
mod terminal;
mod token_note;

use std::process::ExitCode;

use clap::Parser;

use crate::args::Args;

fn main() -> ExitCode {
    // clap prints usage errors itself and exits with status 2, or 0 for --help and --version.
    let args = Args::parse();
    logging::init(args.verbose);

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            terminal::print_error(&format!("cannot start the async runtime: {error}"));
            return ExitCode::from(exit::ExitClass::General.code());
        }
    };

    let result = runtime.block_on(commands::run(args));
    terminal::clear_status();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            if let Some(message) = error.message() {
                terminal::print_error(message);
            }
            ExitCode::from(error.class().code())
        }
    }
}
