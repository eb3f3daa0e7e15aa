//! The sample videos from the repository's `samples/` folder, compiled into the binary.
//!
//! Embedding them lets the desktop demo mode and the `stream-emulator` binary run from an
//! installed copy with no data files. Titles, creators and the optional `requireSignedURLs`
//! flag (default false) come from `samples/samples.json`. Every entry there must have a
//! matching row in `EMBEDDED` (a unit test checks this). Each sample has a JPEG thumbnail, and
//! `CAPTIONS` gives some of them WebVTT caption tracks.

use std::sync::OnceLock;

use bytes::Bytes;
use serde::Deserialize;

use crate::media::MediaFile;
use crate::model::Caption;

/// One embedded sample: an MP4 with its M4A audio and the metadata from `samples.json`.
#[derive(Debug, Clone)]
pub struct Sample {
    /// File name of the MP4 in `samples/`, used as `meta.filename`.
    pub file: &'static str,
    /// Human title, used as `meta.name`.
    pub title: String,
    /// Creator id, or `None` like most real uploads.
    pub creator: Option<String>,
    /// `requireSignedURLs`: the video is private, so delivery needs a signed token.
    pub require_signed_urls: bool,
    /// The MP4 bytes.
    pub video: MediaFile,
    /// The M4A bytes (the MP4's AAC track).
    pub audio: MediaFile,
    /// A JPEG still, 270 pixels high, served as the thumbnail.
    pub thumbnail: Bytes,
    /// Caption tracks, all ready.
    pub captions: Vec<Caption>,
}

/// One embedded sample's files.
struct Embedded {
    file: &'static str,
    video: &'static [u8],
    audio: &'static [u8],
    thumbnail: &'static [u8],
}

const EMBEDDED: &[Embedded] = &[
    Embedded {
        file: "aurora-bars.mp4",
        video: include_bytes!("../../../samples/aurora-bars.mp4"),
        audio: include_bytes!("../../../samples/aurora-bars.m4a"),
        thumbnail: include_bytes!("../../../samples/aurora-bars.jpg"),
    },
    Embedded {
        file: "harbor-pattern.mp4",
        video: include_bytes!("../../../samples/harbor-pattern.mp4"),
        audio: include_bytes!("../../../samples/harbor-pattern.m4a"),
        thumbnail: include_bytes!("../../../samples/harbor-pattern.jpg"),
    },
    Embedded {
        file: "fractal-dive.mp4",
        video: include_bytes!("../../../samples/fractal-dive.mp4"),
        audio: include_bytes!("../../../samples/fractal-dive.m4a"),
        thumbnail: include_bytes!("../../../samples/fractal-dive.jpg"),
    },
];

/// Caption tracks of the samples: MP4 name, language tag, label, WebVTT text.
const CAPTIONS: &[(&str, &str, &str, &str)] = &[
    (
        "aurora-bars.mp4",
        "en",
        "English",
        include_str!("../../../samples/aurora-bars.en.vtt"),
    ),
    (
        "aurora-bars.mp4",
        "ja",
        "日本語",
        include_str!("../../../samples/aurora-bars.ja.vtt"),
    ),
];

const CATALOG_JSON: &str = include_str!("../../../samples/samples.json");

#[derive(Deserialize)]
struct CatalogEntry {
    file: String,
    title: String,
    creator: Option<String>,
    #[serde(default, rename = "requireSignedURLs")]
    require_signed_urls: bool,
}

/// Returns the embedded samples in `samples.json` order.
///
/// # Panics
/// Panics when `samples.json` does not parse or names a file that is not embedded; both are
/// build-time mistakes that the unit tests catch.
pub fn all() -> &'static [Sample] {
    static SAMPLES: OnceLock<Vec<Sample>> = OnceLock::new();
    SAMPLES.get_or_init(load)
}

fn load() -> Vec<Sample> {
    let entries: Vec<CatalogEntry> =
        serde_json::from_str(CATALOG_JSON).expect("samples/samples.json must be valid JSON");

    entries
        .into_iter()
        .map(|entry| {
            let embedded = EMBEDDED
                .iter()
                .find(|embedded| embedded.file == entry.file)
                .unwrap_or_else(|| {
                    panic!("samples.json names {}, which is not embedded", entry.file)
                });
            let captions = CAPTIONS
                .iter()
                .filter(|(file, ..)| *file == embedded.file)
                .map(|(_, language, label, vtt)| Caption::ready(*language, *label, *vtt))
                .collect();
            Sample {
                file: embedded.file,
                title: entry.title,
                creator: entry.creator,
                require_signed_urls: entry.require_signed_urls,
                video: MediaFile::from_bytes(Bytes::from_static(embedded.video)),
                audio: MediaFile::from_bytes(Bytes::from_static(embedded.audio)),
                thumbnail: Bytes::from_static(embedded.thumbnail),
                captions,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_covers_every_embedded_file() {
        let names: Vec<&str> = all().iter().map(|sample| sample.file).collect();

        for embedded in EMBEDDED {
            assert!(
                names.contains(&embedded.file),
                "{} has no samples.json entry",
                embedded.file
            );
        }
    }

    #[test]
    fn thumbnails_are_small_jpegs() {
        let total: usize = all().iter().map(|sample| sample.thumbnail.len()).sum();

        for sample in all() {
            assert!(
                sample.thumbnail.starts_with(&[0xFF, 0xD8, 0xFF]),
                "{} thumbnail is not a JPEG",
                sample.file
            );
        }
        assert!(total < 20 * 1024, "thumbnails take {total} bytes");
    }

    #[test]
    fn captions_are_webvtt() {
        let captions: Vec<&Caption> = all().iter().flat_map(|s| &s.captions).collect();

        assert!(captions.len() >= 2);
        for caption in captions {
            assert!(caption.vtt.starts_with("WEBVTT"), "{}", caption.language);
        }
    }

    #[test]
    fn captions_name_embedded_files() {
        for (file, language, ..) in CAPTIONS {
            assert!(
                EMBEDDED.iter().any(|embedded| embedded.file == *file),
                "caption {language} names {file}, which is not embedded"
            );
        }
    }

    #[test]
    fn one_sample_is_private() {
        let private: Vec<&str> = all()
            .iter()
            .filter(|sample| sample.require_signed_urls)
            .map(|sample| sample.file)
            .collect();

        assert_eq!(private, ["fractal-dive.mp4"]);
    }

    #[test]
    fn samples_are_playable_mp4s() {
        for sample in all() {
            let info = sample.video.probe().unwrap();
            assert!(
                info.duration_seconds.unwrap() > 1.0,
                "{} duration",
                sample.file
            );
            assert_eq!(info.dimensions, Some((640, 360)), "{} size", sample.file);
        }
    }

    #[test]
    fn sample_audio_is_mp4_container() {
        for sample in all() {
            let info = sample.audio.probe().unwrap();
            assert_eq!(info.dimensions, None, "{} audio has a picture", sample.file);
        }
    }
}
