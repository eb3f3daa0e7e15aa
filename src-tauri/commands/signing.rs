//! Signing keys and the token-endpoint choice for private videos.

use offstream_ipc::{AppStatus, ErrorPayload, SigningKeyInput};
use offstream_signing::SigningKey;
use tauri::State;

use super::CommandResult;
use crate::error::key_error;
use crate::state::{AppState, KeyStorage};

/// Parses a pasted key (its id and the PEM or JWK, as text or base64) and stores it.
#[tauri::command]
pub async fn add_signing_key(
    state: State<'_, AppState>,
    input: SigningKeyInput,
) -> CommandResult<AppStatus> {
    let id = Some(input.key_id.trim()).filter(|id| !id.is_empty());
    let key = SigningKey::parse(id, &input.material).map_err(|e| key_error(&e))?;
    state
        .install_signing_key(key, storage(input.session_only))
        .await?;
    Ok(state.status())
}

/// Creates a signing key on the account (`POST .../stream/keys`) and stores it. The UI asks
/// for confirmation first, because the key is created on the Cloudflare account.
///
/// When the key cannot be stored, it is revoked again, so the account keeps no key that
/// nobody holds.
#[tauri::command]
pub async fn create_signing_key(
    state: State<'_, AppState>,
    session_only: Option<bool>,
) -> CommandResult<AppStatus> {
    let account = state.require_account()?;
    let created = account
        .client
        .create_signing_key()
        .await
        .map_err(ErrorPayload::from)?;
    let key = match SigningKey::parse(Some(&created.id), created.pem.expose()) {
        Ok(key) => key,
        Err(error) => {
            revoke_quietly(&account.client, &created.id).await;
            return Err(key_error(&error));
        }
    };

    if let Err(error) = state
        .install_signing_key(key, storage(session_only.unwrap_or(false)))
        .await
    {
        revoke_quietly(&account.client, &created.id).await;
        return Err(error);
    }
    Ok(state.status())
}

/// Removes the stored key; with `revoke`, also revokes it on Cloudflare first, which stops
/// every token it signed.
#[tauri::command]
pub async fn remove_signing_key(
    state: State<'_, AppState>,
    revoke: bool,
) -> CommandResult<AppStatus> {
    if revoke {
        let key_id = state.signing_status().key_id;
        if let Some(key_id) = key_id {
            let account = state.require_account()?;
            match account.client.revoke_signing_key(&key_id).await {
                Ok(()) | Err(offstream_stream::Error::NotFound { .. }) => {}
                Err(error) => return Err(ErrorPayload::from(error)),
            }
        }
    }
    state.forget_signing_key().await?;
    Ok(state.status())
}

/// Allows or stops the token endpoint for private videos while no key is stored.
#[tauri::command]
pub fn set_token_api_fallback(
    state: State<'_, AppState>,
    allowed: bool,
) -> CommandResult<AppStatus> {
    state.set_token_api_fallback(allowed)?;
    Ok(state.status())
}

fn storage(session_only: bool) -> KeyStorage {
    if session_only {
        KeyStorage::SessionOnly
    } else {
        KeyStorage::Keychain
    }
}

async fn revoke_quietly(client: &offstream_stream::StreamClient, key_id: &str) {
    if let Err(error) = client.revoke_signing_key(key_id).await {
        tracing::warn!(
            key_id,
            code = error.code(),
            "could not revoke the signing key that was not stored"
        );
    }
}
