//! The sample videos from the repository's `samples/` folder, compiled into the binary.
//!
//! Embedding them lets the desktop demo mode and the `stream-emulator` binary run from an
//! installed copy with no data files. Titles, creators and the optional `requireSignedURLs`
//! flag (default false) come from `samples/samples.json`. Every entry there must have a
//! matching row in `EMBEDDED` (a unit test checks this).

use std::sync::OnceLock;

use serde::Deserialize;

use crate::media::MediaFile;

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
}

/// The embedded files: MP4 name, MP4 bytes, M4A bytes.
const EMBEDDED: &[(&str, &[u8], &[u8])] = &[
    (
        "aurora-bars.mp4",
        include_bytes!("../../../samples/aurora-bars.mp4"),
        include_bytes!("../../../samples/aurora-bars.m4a"),
    ),
    (
        "harbor-pattern.mp4",
        include_bytes!("../../../samples/harbor-pattern.mp4"),
        include_bytes!("../../../samples/harbor-pattern.m4a"),
    ),
    (
        "fractal-dive.mp4",
        include_bytes!("../../../samples/fractal-dive.mp4"),
        include_bytes!("../../../samples/fractal-dive.m4a"),
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
            let (file, video, audio) = EMBEDDED
                .iter()
                .find(|(file, _, _)| *file == entry.file)
                .unwrap_or_else(|| {
                    panic!("samples.json names {}, which is not embedded", entry.file)
                });
            Sample {
                file,
                title: entry.title,
                creator: entry.creator,
                require_signed_urls: entry.require_signed_urls,
                video: MediaFile::from_bytes(bytes::Bytes::from_static(video)),
                audio: MediaFile::from_bytes(bytes::Bytes::from_static(audio)),
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

        for (file, _, _) in EMBEDDED {
            assert!(names.contains(file), "{file} has no samples.json entry");
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
