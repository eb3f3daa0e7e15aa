//! The error shape every command returns.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A failed command: a stable machine-readable `code` the UI can branch on, and a `message`
/// for people that states what failed and what to do. Neither ever contains a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ErrorPayload {
    pub code: String,
    pub message: String,
}

impl ErrorPayload {
    /// Creates a payload from a code and a message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
        }
    }
}

impl From<offstream_stream::Error> for ErrorPayload {
    fn from(error: offstream_stream::Error) -> Self {
        Self::new(error.code(), error.to_string())
    }
}

impl From<offstream_engine::EngineError> for ErrorPayload {
    fn from(error: offstream_engine::EngineError) -> Self {
        Self::new(error.code(), error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_code_and_message() {
        let payload = ErrorPayload::new("auth", "authentication failed");
        let json = serde_json::to_value(&payload).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "auth", "message": "authentication failed"})
        );
    }

    #[test]
    fn stream_not_found_keeps_code() {
        let error = offstream_stream::Error::NotFound {
            what: "video 'abc'".into(),
        };
        let payload = ErrorPayload::from(error);
        assert_eq!(payload.code, "not_found");
        assert_eq!(payload.message, "video 'abc' not found");
    }
}
