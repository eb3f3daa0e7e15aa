//! The API calls a backup makes outside its download jobs: reading which downloads a video
//! already has, and deleting the downloads the backup enabled.
//!
//! Each attempt takes a token from the manager's [`crate::ApiBudget`], like every job does, so a
//! backup never pushes the account over Cloudflare's rate limit. A 429 blocks that budget for
//! the server's wait, and other transient failures (network, 5xx) are retried with a doubling
//! pause, up to the manager's `api_retries`.

use std::future::Future;
use std::time::Duration;

use offstream_stream::{DownloadType, Downloads, StreamClient};
use tracing::warn;

use crate::manager::JobManager;

/// Fetches the downloads of a video.
///
/// # Errors
/// The Stream error of the last attempt.
pub(super) async fn downloads(
    manager: &JobManager,
    uid: &str,
) -> Result<Downloads, offstream_stream::Error> {
    call(manager, uid, |client| {
        let uid = uid.to_owned();
        async move { client.downloads(&uid).await }
    })
    .await
}

/// Deletes one download type of a video.
///
/// # Errors
/// The Stream error of the last attempt; [`offstream_stream::Error::NotFound`] when the
/// download (or the video) does not exist.
pub(super) async fn delete_download(
    manager: &JobManager,
    uid: &str,
    download_type: DownloadType,
) -> Result<(), offstream_stream::Error> {
    call(manager, uid, |client| {
        let uid = uid.to_owned();
        async move { client.delete_download(&uid, Some(download_type)).await }
    })
    .await
}

async fn call<T, F, Fut>(
    manager: &JobManager,
    uid: &str,
    call: F,
) -> Result<T, offstream_stream::Error>
where
    F: Fn(StreamClient) -> Fut,
    Fut: Future<Output = Result<T, offstream_stream::Error>>,
{
    let budget = manager.api_budget();
    let options = &manager.shared.options;
    let mut attempt = 0;
    loop {
        budget.acquire().await;
        let error = match call(manager.client()).await {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        let rate_limited = match &error {
            offstream_stream::Error::RateLimited { retry_after } => {
                budget.record_rate_limit(*retry_after);
                true
            }
            _ => false,
        };
        // Not-ready does not apply here: these endpoints respond for any existing video.
        let transient =
            error.is_transient() && !matches!(error, offstream_stream::Error::NotReady { .. });
        if !transient || attempt >= options.api_retries {
            return Err(error);
        }

        warn!(
            uid,
            attempt = attempt + 1,
            code = error.code(),
            "Stream API call of a backup failed; retrying"
        );
        if !rate_limited {
            // The budget itself makes a rate-limited call wait for the server's lock-out.
            let pause = backoff(options.retry_base_delay, options.retry_max_delay, attempt);
            tokio::time::sleep(pause).await;
        }
        attempt += 1;
    }
}

/// Returns the pause before retry `attempt + 1`: `base * 2^attempt`, at most `max`, with
/// ±20 % jitter so that calls that failed together do not retry together.
fn backoff(base: Duration, max: Duration, attempt: u32) -> Duration {
    let pause = base.saturating_mul(2u32.saturating_pow(attempt)).min(max);
    pause.mul_f64(0.8 + 0.4 * crate::poll::jitter_unit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_cap() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(1);
        let first = backoff(base, max, 0);
        let capped = backoff(base, max, 10);
        assert!(
            first >= Duration::from_millis(80) && first <= Duration::from_millis(120),
            "{first:?}"
        );
        assert!(
            capped >= Duration::from_millis(800) && capped <= Duration::from_millis(1200),
            "{capped:?}"
        );
    }
}
