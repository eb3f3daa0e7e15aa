//! Credentials and settings.

use std::path::PathBuf;

use offstream_credentials::Credentials;
use offstream_ipc::{AppStatus, CredentialSource, ErrorPayload};
use offstream_stream::list::ListQuery;
use tauri::State;

use super::CommandResult;
use crate::error::{credential_error, join_error};
use crate::state::AppState;

/// Returns what the app is connected to and where it keeps files.
#[tauri::command]
pub fn app_status(state: State<'_, AppState>) -> AppStatus {
    state.status()
}

/// Checks the credentials with one API call, stores them (in the keychain, or for this run
/// only when `session_only` is set) and makes them the active account.
#[tauri::command]
pub async fn save_credentials(
    state: State<'_, AppState>,
    account_id: String,
    api_token: String,
    session_only: bool,
) -> CommandResult<AppStatus> {
    if state.is_demo() {
        return Err(ErrorPayload::new(
            "demo",
            "The demo account cannot be changed. Start Offstream without --demo to use your own account.",
        ));
    }
    if state.status().credential_source == CredentialSource::Environment {
        return Err(ErrorPayload::new(
            "environment",
            "CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN are set, and they override saved credentials. Unset them to use the keychain.",
        ));
    }
    let credentials =
        Credentials::new(&account_id, &api_token).map_err(|e| credential_error(&e))?;

    // One small list call proves the account id, the token and its Stream Read permission.
    let client = state.client_for(&credentials)?;
    let probe = ListQuery {
        limit: Some(1),
        ..ListQuery::default()
    };
    client.list_page(&probe).await.map_err(ErrorPayload::from)?;

    let store = state.credentials();
    let source = if session_only {
        store.use_session_only(credentials.clone());
        CredentialSource::Session
    } else {
        let to_save = credentials.clone();
        tauri::async_runtime::spawn_blocking(move || store.save(&to_save))
            .await
            .map_err(join_error)?
            .map_err(|e| credential_error(&e))?;
        CredentialSource::Keychain
    };
    state.set_keychain_error(None);
    state.activate(&credentials, source)?;
    Ok(state.status())
}

/// Deletes the stored credentials and cancels running jobs.
#[tauri::command]
pub async fn forget_credentials(state: State<'_, AppState>) -> CommandResult<AppStatus> {
    if state.is_demo() {
        return Err(ErrorPayload::new(
            "demo",
            "The demo account cannot be removed.",
        ));
    }
    let store = state.credentials();
    tauri::async_runtime::spawn_blocking(move || {
        store.clear_session();
        store.delete()
    })
    .await
    .map_err(join_error)?
    .map_err(|e| credential_error(&e))?;
    state.deactivate();
    Ok(state.status())
}

/// Sets the API base URL; `None` or an empty string restores the default.
#[tauri::command]
pub fn set_api_base(
    state: State<'_, AppState>,
    api_base: Option<String>,
) -> CommandResult<AppStatus> {
    if state.status().api_base_from_env {
        return Err(ErrorPayload::new(
            "environment",
            "The API base URL is fixed by OFFSTREAM_API_BASE (or demo mode) and cannot be changed here.",
        ));
    }
    state.set_api_base(api_base)?;
    Ok(state.status())
}

/// Sets the library folder.
#[tauri::command]
pub fn set_library_dir(state: State<'_, AppState>, path: String) -> CommandResult<AppStatus> {
    if state.status().library_dir_from_env {
        return Err(ErrorPayload::new(
            "environment",
            "The library folder is fixed by OFFSTREAM_LIBRARY_DIR and cannot be changed here.",
        ));
    }
    state.set_library_dir(PathBuf::from(path))?;
    Ok(state.status())
}
