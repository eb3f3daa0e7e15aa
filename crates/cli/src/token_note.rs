//! The one note that `download` prints when a private video first gets its token from
//! Cloudflare's token endpoint, which Cloudflare recommends only for low volumes.
//!
//! Only the engine reads whether a video is private, while the CLI sees uids and progress
//! snapshots.
//! The engine logs each token it makes at debug level with a `signer` field, so a tracing
//! layer with its own filter watches for that event while the visible log output keeps the
//! user's level. The note therefore appears at the first private video signed through the
//! token endpoint, and never for runs that download only public videos.
//!
//! NOTE: this depends on the engine's `signer` field in its "signed a token" debug event. The
//! integration test `fallback_download_notes_token_endpoint` fails if that event changes.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

use offstream_engine::TokenSigner;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Context, Filter, Layer};

use crate::terminal;

/// The note, printed once per run on standard error.
pub const NOTE: &str = "note: private videos get their signed tokens from Cloudflare's token endpoint, which Cloudflare recommends only for low volumes (about 1,000 tokens a day). For bulk downloads, run `offstream keys create` once, so tokens are signed on this computer";

/// The engine's crate, whose token events the layer reads.
const ENGINE_TARGET: &str = "offstream_engine";

/// A tracing layer that prints [`NOTE`] the first time the engine signs a token through the
/// token endpoint.
pub struct TokenEndpointNote {
    printed: AtomicBool,
    /// The engine's `Debug` text of [`TokenSigner::TokenApi`], which the event's field carries.
    token_api: String,
}

impl TokenEndpointNote {
    /// Returns the layer with the filter it needs: debug events of the engine only.
    pub fn layer<S>() -> impl Layer<S>
    where
        S: Subscriber + for<'lookup> tracing_subscriber::registry::LookupSpan<'lookup>,
    {
        let note = Self {
            printed: AtomicBool::new(false),
            token_api: format!("{:?}", TokenSigner::TokenApi),
        };
        note.with_filter(engine_debug())
    }
}

fn engine_debug<S>() -> impl Filter<S> {
    Targets::new().with_target(ENGINE_TARGET, Level::DEBUG)
}

impl<S: Subscriber> Layer<S> for TokenEndpointNote {
    fn on_event(&self, event: &Event<'_>, _context: Context<'_, S>) {
        if self.printed.load(Ordering::Relaxed) {
            return;
        }
        let mut signer = SignerField::default();
        event.record(&mut signer);
        if signer.value.as_deref() != Some(self.token_api.as_str()) {
            return;
        }
        if !self.printed.swap(true, Ordering::Relaxed) {
            terminal::print_note(NOTE);
        }
    }
}

/// Collects the `Debug` text of an event's `signer` field.
#[derive(Default)]
struct SignerField {
    value: Option<String>,
}

impl Visit for SignerField {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "signer" {
            self.value = Some(format!("{value:?}"));
        }
    }
}
