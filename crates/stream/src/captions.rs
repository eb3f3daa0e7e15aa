//! Caption tracks of a video: `GET /stream/{uid}/captions` and the WebVTT text of one track.
//!
//! Main types: [`Caption`] (one listed track) and [`CaptionStatus`]. The list includes tracks
//! still being generated and failed ones, so callers keep only [`Caption::is_ready`] tracks.
//! [`StreamClient::caption_vtt`] returns the WebVTT text as sent, and rejects a body that is
//! not WebVTT (an HTML page from a proxy, say) instead of handing it on to be saved.

use serde::{Deserialize, Deserializer, Serialize};

use crate::client::{check_uid, StreamClient};
use crate::error::{excerpt, Error};
use crate::lenient;

/// Maximum length of a language tag accepted in a request path, in characters.
const MAX_LANGUAGE_LEN: usize = 64;

/// The signature every WebVTT file starts with, after an optional byte order mark.
const WEBVTT_SIGNATURE: &str = "WEBVTT";

/// One caption track of a video.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Caption {
    /// BCP 47 language tag, such as `en` or `pt-BR`; a video has one track per language.
    pub language: String,

    /// Name to show in a player, in the track's own language, such as `Deutsch`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub label: Option<String>,

    /// True for captions Stream generated with speech recognition.
    #[serde(default, deserialize_with = "lenient::bool_or_false")]
    pub generated: bool,

    /// Generation state; only `ready` tracks have a WebVTT file.
    #[serde(default)]
    pub status: CaptionStatus,
}

impl Caption {
    /// Returns true when the track's WebVTT file can be fetched.
    pub fn is_ready(&self) -> bool {
        self.status == CaptionStatus::Ready
    }

    /// Returns the label, or the language tag when the track has none.
    pub fn display_label(&self) -> &str {
        self.label
            .as_deref()
            .map(str::trim)
            .filter(|label| !label.is_empty())
            .unwrap_or(&self.language)
    }
}

/// Generation state of a caption track. States added to the API later are kept as
/// [`CaptionStatus::Other`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CaptionStatus {
    Ready,
    Inprogress,
    Error,
    #[default]
    Unknown,
    #[serde(untagged)]
    Other(String),
}

impl<'de> Deserialize<'de> for CaptionStatus {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let text = Option::<String>::deserialize(de)?.unwrap_or_default();
        Ok(match text.as_str() {
            "ready" => Self::Ready,
            "inprogress" => Self::Inprogress,
            "error" => Self::Error,
            "" => Self::Unknown,
            _ => Self::Other(text),
        })
    }
}

impl StreamClient {
    /// Lists the caption tracks of a video, including those still being generated.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown uid, [`Error::Auth`] for a rejected token, and the
    /// transport errors of every call.
    pub async fn captions(&self, uid: &str) -> Result<Vec<Caption>, Error> {
        check_uid(uid)?;
        let what = format!("captions of video '{uid}'");
        let path = format!("/stream/{uid}/captions");
        let tracks: Option<Vec<Caption>> = self
            .call(reqwest::Method::GET, &path, &[], &what)
            .await
            .map(|success| success.result)?;
        Ok(tracks.unwrap_or_default())
    }

    /// Fetches the WebVTT text of one caption track, as sent.
    ///
    /// # Errors
    /// - [`Error::Config`] for a uid or language tag that cannot be part of a URL path.
    /// - [`Error::NotFound`] when the video has no such track, or the track is not ready.
    /// - [`Error::InvalidResponse`] when the body is not UTF-8 text starting with `WEBVTT`.
    /// - The errors of [`StreamClient::captions`].
    pub async fn caption_vtt(&self, uid: &str, language: &str) -> Result<String, Error> {
        check_uid(uid)?;
        check_language(language)?;
        let what = format!("caption '{language}' of video '{uid}'");
        let path = format!("/stream/{uid}/captions/{language}/vtt");

        let body = self.get_raw(&path, "text/vtt", &what).await?;

        let invalid = |detail: &str| Error::InvalidResponse {
            request: format!("GET {path}"),
            status: 200,
            detail: detail.to_owned(),
            excerpt: excerpt(&body),
        };
        let text = std::str::from_utf8(&body)
            .map_err(|_| invalid("the caption file is not UTF-8 text, as WebVTT must be"))?;
        if !is_webvtt(text) {
            return Err(invalid("the caption file does not start with WEBVTT"));
        }
        Ok(text.to_owned())
    }
}

/// Returns true when `text` starts like a WebVTT file: an optional byte order mark, `WEBVTT`,
/// then the end of the text, a space, a tab or a line break.
pub fn is_webvtt(text: &str) -> bool {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let Some(rest) = text.strip_prefix(WEBVTT_SIGNATURE) else {
        return false;
    };
    rest.is_empty() || rest.starts_with([' ', '\t', '\n', '\r'])
}

/// Rejects language tags that would change the request path.
fn check_language(language: &str) -> Result<(), Error> {
    let valid = !language.is_empty()
        && language.len() <= MAX_LANGUAGE_LEN
        && language
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        return Ok(());
    }
    let shown: String = language.chars().take(MAX_LANGUAGE_LEN).collect();
    Err(Error::Config(format!(
        "'{shown}' is not a caption language tag: use a BCP 47 tag such as 'en' or 'pt-BR', as the caption list returns it"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webvtt_signature_cases() {
        let cases = [
            ("WEBVTT\n\n00:00.000 --> 00:01.000\nHi", true),
            ("\u{FEFF}WEBVTT\r\n", true),
            ("WEBVTT - with a header text\n", true),
            ("WEBVTT", true),
            ("WEBVTTX\n", false),
            ("webvtt\n", false),
            (" WEBVTT\n", false),
            ("<!DOCTYPE html><html>", false),
            ("", false),
        ];

        for (text, expected) in cases {
            assert_eq!(is_webvtt(text), expected, "{text:?}");
        }
    }

    #[test]
    fn language_rejects_path_characters() {
        for language in ["", "../en", "en/vtt", "en?x=1", "en%2F", "日本語"] {
            assert!(check_language(language).is_err(), "{language:?}");
        }
    }

    #[test]
    fn language_accepts_bcp47() {
        for language in ["en", "pt-BR", "zh-Hant-TW", "ja"] {
            assert!(check_language(language).is_ok(), "{language:?}");
        }
    }

    #[test]
    fn caption_parses_listed_track() {
        let json = r#"{"language":"de","label":"Deutsch","generated":false,"status":"ready"}"#;
        let caption: Caption = serde_json::from_str(json).unwrap();

        assert_eq!(caption.language, "de");
        assert_eq!(caption.display_label(), "Deutsch");
        assert!(caption.is_ready());
    }

    #[test]
    fn caption_tolerates_nulls() {
        let json = r#"{"language":"fr","label":null,"generated":null,"status":null}"#;
        let caption: Caption = serde_json::from_str(json).unwrap();

        assert_eq!(caption.display_label(), "fr");
        assert!(!caption.generated);
        assert!(!caption.is_ready());
    }

    #[test]
    fn caption_keeps_new_status() {
        let json = r#"{"language":"fr","status":"queued"}"#;
        let caption: Caption = serde_json::from_str(json).unwrap();

        assert_eq!(caption.status, CaptionStatus::Other("queued".to_owned()));
    }
}
