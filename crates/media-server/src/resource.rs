//! The resource a URL of the server names: a media file, a video's thumbnail or a caption file.
//!
//! Uids and language tags become URL path segments, so they are limited to characters that
//! need no escaping. A registration with any other character is rejected, and a request with
//! one cannot match a registration.

use std::fmt;

/// Maximum uid length accepted; Stream uids are 32 hex digits.
const MAX_UID_LEN: usize = 64;

/// Maximum language tag length accepted; BCP 47 tags in practice stay far below it.
const MAX_LANGUAGE_LEN: usize = 35;

/// A file the server serves, as named in its URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Resource {
    /// A library file by catalog id: `/<secret>/media/<id>`.
    Media(i64),
    /// The cached thumbnail of a video by uid: `/<secret>/thumbnails/<uid>`.
    Thumbnail(String),
    /// A caption file of a library item by catalog id and language tag:
    /// `/<secret>/captions/<id>/<language>`.
    Caption {
        /// The catalog id of the item.
        id: i64,
        /// The BCP 47 language tag, such as `en` or `pt-BR`.
        language: String,
    },
}

impl Resource {
    /// Returns the URL path after the secret, or `None` when a uid or language tag contains
    /// characters a path segment cannot carry unescaped.
    pub(crate) fn path(&self) -> Option<String> {
        match self {
            Self::Media(id) => Some(format!("media/{id}")),
            Self::Thumbnail(uid) => is_uid(uid).then(|| format!("thumbnails/{uid}")),
            Self::Caption { id, language } => {
                is_language(language).then(|| format!("captions/{id}/{language}"))
            }
        }
    }

    /// Parses the segments after the secret. Ids must be in the exact form [`Resource::path`]
    /// writes, so percent-encoded, `+`-prefixed or zero-padded variants are rejected rather
    /// than normalised.
    pub(crate) fn parse(segments: &[&str]) -> Option<Self> {
        match segments {
            ["media", id] => parse_id(id).map(Self::Media),
            ["thumbnails", uid] if is_uid(uid) => Some(Self::Thumbnail((*uid).to_owned())),
            ["captions", id, language] if is_language(language) => Some(Self::Caption {
                id: parse_id(id)?,
                language: (*language).to_owned(),
            }),
            _ => None,
        }
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Media(id) => write!(f, "media file of id {id}"),
            Self::Thumbnail(uid) => write!(f, "thumbnail of video {uid:?}"),
            Self::Caption { id, language } => {
                write!(f, "{language:?} captions of id {id}")
            }
        }
    }
}

fn parse_id(text: &str) -> Option<i64> {
    let id: i64 = text.parse().ok()?;
    (id.to_string() == text).then_some(id)
}

fn is_uid(text: &str) -> bool {
    (1..=MAX_UID_LEN).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn is_language(text: &str) -> bool {
    (1..=MAX_LANGUAGE_LEN).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_media_id() {
        assert_eq!(Resource::parse(&["media", "42"]), Some(Resource::Media(42)));
    }

    #[test]
    fn parse_negative_media_id() {
        assert_eq!(Resource::parse(&["media", "-3"]), Some(Resource::Media(-3)));
    }

    #[test]
    fn parse_rejects_non_canonical_ids() {
        for id in ["042", "+42", "42.mp4", "", "%34%32", "..", "4 2"] {
            assert_eq!(Resource::parse(&["media", id]), None, "id {id:?}");
        }
    }

    #[test]
    fn parse_thumbnail_uid() {
        assert_eq!(
            Resource::parse(&["thumbnails", "ab12cd"]),
            Some(Resource::Thumbnail("ab12cd".into()))
        );
    }

    #[test]
    fn parse_rejects_unsafe_uids() {
        let long = "a".repeat(65);
        for uid in ["", "..", "a.b", "a%2fb", "é", long.as_str()] {
            assert_eq!(Resource::parse(&["thumbnails", uid]), None, "uid {uid:?}");
        }
    }

    #[test]
    fn parse_caption() {
        assert_eq!(
            Resource::parse(&["captions", "7", "pt-BR"]),
            Some(Resource::Caption {
                id: 7,
                language: "pt-BR".into()
            })
        );
    }

    #[test]
    fn parse_rejects_unsafe_languages() {
        for language in ["", "en_US", "..", "en.vtt", "en%20"] {
            assert_eq!(
                Resource::parse(&["captions", "7", language]),
                None,
                "language {language:?}"
            );
        }
    }

    #[test]
    fn parse_rejects_wrong_shapes() {
        let cases: [&[&str]; 5] = [
            &["media"],
            &["media", "1", "x"],
            &["captions", "7"],
            &["thumbnails"],
            &["other", "1"],
        ];
        for segments in cases {
            assert_eq!(Resource::parse(segments), None, "segments {segments:?}");
        }
    }

    #[test]
    fn path_round_trips() {
        let resource = Resource::Caption {
            id: 3,
            language: "en".into(),
        };
        let path = resource.path().unwrap();
        let segments: Vec<&str> = path.split('/').collect();
        assert_eq!(Resource::parse(&segments), Some(resource));
    }

    #[test]
    fn path_rejects_unsafe_uid() {
        assert_eq!(Resource::Thumbnail("a/b".into()).path(), None);
    }
}
