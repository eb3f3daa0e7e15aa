//! Demo mode: an embedded Stream emulator seeded with the sample videos.
//!
//! The demo account lives in its own profile (`<data dir>/demo`), so trying the app never
//! mixes sample videos into a real library, and its credentials are the emulator's own, never
//! written to the keychain.

use std::time::Duration;

use stream_emulator::{Emulator, EmulatorConfig, RunningEmulator};

/// How long the emulator takes to prepare a download, so the preparing phase is visible.
const DEMO_PREPARE_TIME: Duration = Duration::from_secs(4);

/// Starts the embedded emulator on 127.0.0.1.
///
/// # Errors
/// The emulator's error when its port cannot be opened.
pub async fn start() -> Result<RunningEmulator, stream_emulator::Error> {
    let config = EmulatorConfig {
        prepare_time: DEMO_PREPARE_TIME,
        ..EmulatorConfig::default()
    };
    let emulator = Emulator::start(config).await?;
    tracing::info!(api_base = %emulator.api_base(), "started the demo emulator");
    Ok(emulator)
}
