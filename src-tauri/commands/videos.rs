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
    let videos = account
        .client
        .list_all(search, |_| {})
        .await
        .map_err(ErrorPayload::from)?;

    let mut offline = state.offline_types()?;
    Ok(videos
        .iter()
        .map(|video| VideoRow::new(video, offline.remove(&video.uid).unwrap_or_default()))
        .collect())
}
