//! The account's video list.

use offstream_ipc::{ErrorPayload, VideoRow};
use tauri::State;

use super::CommandResult;
use crate::state::AppState;

/// Lists every video of the account (past the API's 1,000-per-page limit), optionally
/// filtered by a partial name match, with the types of each already offline.
#[tauri::command]
pub async fn list_videos(
    state: State<'_, AppState>,
    search: Option<String>,
) -> CommandResult<Vec<VideoRow>> {
    let account = state.require_account()?;
    let search = search.as_deref().map(str::trim).filter(|s| !s.is_empty());

    // The list shares the download queue's API budget, and a 429 here holds the queue too.
    // TODO: count every page of a long list against the budget, not only the first request.
    let budget = account.jobs.api_budget();
    budget.acquire().await;
    let videos = match account.client.list_all(search, |_| {}).await {
        Ok(videos) => videos,
        Err(error) => {
            if let offstream_stream::Error::RateLimited { retry_after } = &error {
                budget.record_rate_limit(*retry_after);
            }
            return Err(ErrorPayload::from(error));
        }
    };
    state.remember_listed(&videos);

    let mut offline = state.offline_types()?;
    Ok(videos
        .iter()
        .map(|video| VideoRow::new(video, offline.remove(&video.uid).unwrap_or_default()))
        .collect())
}
