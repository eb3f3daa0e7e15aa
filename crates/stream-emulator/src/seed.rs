//! Builds the starting library: the embedded samples, a folder of MP4 files, synthetic videos,
//! and videos added at run time from a [`VideoSpec`].
//!
//! Sample videos copy `requireSignedURLs` from `samples/samples.json` and have the samples'
//! thumbnails and captions. Synthetic videos share a sample's bytes and thumbnail but have no
//! captions, and are public even when the sample is private. Hostile-title videos
//! ([`crate::hostile_titles`]) are synthetic videos with those titles.
//!
//! Folder rules: every `*.mp4` (any case) directly in the folder becomes a ready, public video
//! named after the file stem, with the duration and picture size from its MP4 header and its
//! modification time as `created`. A sibling `STEM.m4a` becomes its audio download. Folder
//! seeds have no per-video options.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};

use time::{Duration, OffsetDateTime};

use crate::config::{EmulatorConfig, Seed};
use crate::error::Error;
use crate::hostile::hostile_titles;
use crate::media::MediaFile;
use crate::model::{VideoSpec, VideoState};
use crate::samples;
use crate::store::{now_micros, truncate_to_micros, Video};

/// Topics that synthetic video names cycle through.
const SYNTHETIC_TOPICS: [&str; 8] = [
    "Product demo",
    "Team all-hands",
    "Customer interview",
    "Onboarding walkthrough",
    "Conference talk",
    "Release notes",
    "Support call",
    "Design review",
];

/// Gap between consecutive synthetic videos' `created` times.
const SYNTHETIC_SPACING: Duration = Duration::minutes(47);

/// Returns the videos for `config.seed` followed by `config.synthetic_videos` synthetic ones.
///
/// # Errors
/// Returns [`Error::Seed`] when the seed folder cannot be read, contains no MP4 file, or
/// contains a file that is not an MP4.
pub(crate) fn initial_videos(config: &EmulatorConfig) -> Result<Vec<Video>, Error> {
    let now = now_micros();

    let mut videos = match &config.seed {
        Seed::Samples => sample_videos(now),
        Seed::Folder(folder) => folder_videos(folder)?,
        Seed::Empty => Vec::new(),
    };
    videos.extend(synthetic_videos(config.synthetic_videos, now));
    if config.hostile_titles {
        videos.extend(hostile_videos(now));
    }
    assign_stable_uids(&config.account_id, &mut videos);
    Ok(videos)
}

/// Replaces the random uids of seeded videos with ones derived from the account id and each
/// video's file name (or name), so a restarted emulator serves the same uids. Without this, a
/// library built against the demo account or a media folder loses its link to the videos, and
/// a `.part` left by an interrupted download can never be resumed.
fn assign_stable_uids(account_id: &str, videos: &mut [Video]) {
    let mut taken = std::collections::HashSet::new();
    for (index, video) in videos.iter_mut().enumerate() {
        let key = video
            .filename
            .clone()
            .or_else(|| video.name.clone())
            .unwrap_or_else(|| index.to_string());
        let mut uid = stable_uid(account_id, &key);
        if !taken.insert(uid.clone()) {
            uid = stable_uid(account_id, &format!("{key}#{index}"));
            taken.insert(uid.clone());
        }
        video.uid = uid;
    }
}

/// Returns 32 lowercase hex characters derived from the account id and a key.
fn stable_uid(account_id: &str, key: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("{account_id}\n{key}").as_bytes());
    hex::encode(&digest[..16])
}

/// Turns a spec into a stored video with a fresh uid.
pub(crate) fn video_from_spec(spec: VideoSpec) -> Video {
    let created = spec.created.map_or_else(now_micros, truncate_to_micros);
    let info = spec.media.cached_info();
    let ready = spec.state == VideoState::Ready;

    Video {
        uid: new_uid(),
        name: spec.name,
        filename: spec.filename,
        creator: spec.creator,
        created,
        modified: created,
        ready_at: ready.then_some(created),
        state: spec.state,
        duration: spec
            .duration
            .or(info.and_then(|info| info.duration_seconds)),
        dimensions: info.and_then(|info| info.dimensions),
        require_signed_urls: spec.require_signed_urls,
        media: spec.media,
        audio: spec.audio,
        thumbnail: spec.thumbnail,
        captions: spec.captions,
        live_input: spec.live_input,
        downloads: BTreeMap::new(),
    }
}

/// Returns a random uid: 32 lowercase hex characters, like the real service's.
pub(crate) fn new_uid() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

fn sample_videos(now: OffsetDateTime) -> Vec<Video> {
    // Ages spread over a month so the demo library looks lived-in.
    let ages = [
        Duration::hours(27),
        Duration::days(9) + Duration::minutes(13),
        Duration::days(31) + Duration::hours(5),
    ];

    samples::all()
        .iter()
        .enumerate()
        .map(|(index, sample)| {
            video_from_spec(VideoSpec {
                name: Some(sample.title.clone()),
                filename: Some(sample.file.to_owned()),
                creator: sample.creator.clone(),
                created: Some(
                    now - ages[index % ages.len()]
                        - Duration::days(40 * (index / ages.len()) as i64),
                ),
                media: sample.video.clone(),
                audio: Some(sample.audio.clone()),
                require_signed_urls: sample.require_signed_urls,
                thumbnail: sample.thumbnail.clone(),
                captions: sample.captions.clone(),
                ..VideoSpec::default()
            })
        })
        .collect()
}

/// Returns `count` public videos named after [`SYNTHETIC_TOPICS`], sharing the sample bytes.
fn synthetic_videos(count: usize, now: OffsetDateTime) -> Vec<Video> {
    let samples = samples::all();

    (0..count)
        .map(|index| {
            let sample = &samples[index % samples.len()];
            let topic = SYNTHETIC_TOPICS[index % SYNTHETIC_TOPICS.len()];
            // Sub-second jitter keeps times realistic; it stays below the spacing, so every
            // synthetic video has a distinct `created` value.
            let jitter = Duration::microseconds((index as i64 * 7_919) % 1_000_000);
            let created = now - SYNTHETIC_SPACING * (index as i32 + 1) - jitter;

            video_from_spec(VideoSpec {
                name: Some(format!("{topic} #{:05}", index + 1)),
                filename: Some(format!("synthetic-{:05}.mp4", index + 1)),
                creator: (index % 4 == 0).then(|| "synthetic-studio".to_owned()),
                created: Some(created),
                media: sample.video.clone(),
                audio: Some(sample.audio.clone()),
                thumbnail: sample.thumbnail.clone(),
                ..VideoSpec::default()
            })
        })
        .collect()
}

/// Returns one public video per hostile title, created a minute apart, one hour before `now`.
fn hostile_videos(now: OffsetDateTime) -> Vec<Video> {
    hostile_titles()
        .into_iter()
        .enumerate()
        .map(|(index, title)| {
            video_from_spec(VideoSpec {
                name: Some(title),
                filename: Some(format!("hostile-{:03}.mp4", index + 1)),
                created: Some(now - Duration::hours(1) - Duration::minutes(index as i64)),
                ..VideoSpec::default()
            })
        })
        .collect()
}

fn folder_videos(folder: &Path) -> Result<Vec<Video>, Error> {
    let seed_error = |path: &Path, source: io::Error| Error::Seed {
        path: path.to_owned(),
        source,
    };

    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .map_err(|source| seed_error(folder, source))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| has_extension(path, "mp4") && path.is_file())
        .collect();
    files.sort();

    if files.is_empty() {
        return Err(seed_error(
            folder,
            io::Error::new(
                io::ErrorKind::NotFound,
                "the folder contains no .mp4 files; add some or omit the media folder",
            ),
        ));
    }

    files
        .iter()
        .map(|path| folder_video(path).map_err(|source| seed_error(path, source)))
        .collect()
}

fn folder_video(path: &Path) -> io::Result<Video> {
    let media = MediaFile::from_path(path)?;
    let info = media.probe()?;

    let audio_path = path.with_extension("m4a");
    let audio = if audio_path.is_file() {
        Some(MediaFile::from_path(&audio_path)?)
    } else {
        None
    };
    let created = std::fs::metadata(path)?
        .modified()
        .map(OffsetDateTime::from)
        .unwrap_or_else(|_| OffsetDateTime::now_utc());

    let stem = path
        .file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let filename = path
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    tracing::debug!(path = %path.display(), has_audio = audio.is_some(), "seeding video from file");

    Ok(video_from_spec(VideoSpec {
        name: Some(stem),
        filename: Some(filename),
        created: Some(created),
        duration: info.duration_seconds,
        media,
        audio,
        ..VideoSpec::default()
    }))
}

fn has_extension(path: &Path, extension: &str) -> bool {
    path.extension()
        .and_then(OsStr::to_str)
        .is_some_and(|found| found.eq_ignore_ascii_case(extension))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_uids_survive_restart() {
        let config = EmulatorConfig {
            synthetic_videos: 20,
            ..EmulatorConfig::default()
        };
        let first: Vec<String> = initial_videos(&config)
            .unwrap()
            .into_iter()
            .map(|v| v.uid)
            .collect();
        let second: Vec<String> = initial_videos(&config)
            .unwrap()
            .into_iter()
            .map(|v| v.uid)
            .collect();
        assert_eq!(first, second);
        let unique: std::collections::HashSet<&String> = first.iter().collect();
        assert_eq!(unique.len(), first.len(), "seeded uids are distinct");
    }

    #[test]
    fn seeded_uids_depend_on_account() {
        let config = EmulatorConfig::default();
        let other = EmulatorConfig {
            account_id: "0123456789abcdef0123456789abcdef".into(),
            ..EmulatorConfig::default()
        };
        let first = initial_videos(&config).unwrap()[0].uid.clone();
        let second = initial_videos(&other).unwrap()[0].uid.clone();
        assert_ne!(first, second);
    }

    #[test]
    fn sample_privacy_from_catalog() {
        let config = EmulatorConfig {
            synthetic_videos: 3,
            ..EmulatorConfig::default()
        };

        let videos = initial_videos(&config).unwrap();

        let private: Vec<Option<&str>> = videos
            .iter()
            .filter(|video| video.require_signed_urls)
            .map(|video| video.filename.as_deref())
            .collect();
        assert_eq!(private, [Some("fractal-dive.mp4")]);
    }

    #[test]
    fn new_uid_is_32_lowercase_hex() {
        let uid = new_uid();

        assert_eq!(uid.len(), 32);
        assert!(uid
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    }

    #[test]
    fn synthetic_videos_distinct_names_and_times() {
        let videos = synthetic_videos(500, now_micros());

        let names: std::collections::HashSet<_> = videos.iter().map(|v| v.name.clone()).collect();
        let times: std::collections::HashSet<_> = videos.iter().map(|v| v.created).collect();
        assert_eq!(names.len(), 500);
        assert_eq!(times.len(), 500);
    }

    #[test]
    fn hostile_seed_adds_every_title() {
        let config = EmulatorConfig {
            seed: Seed::Empty,
            hostile_titles: true,
            ..EmulatorConfig::default()
        };

        let videos = initial_videos(&config).unwrap();

        let names: Vec<Option<String>> = videos.iter().map(|v| v.name.clone()).collect();
        let expected: Vec<Option<String>> = hostile_titles().into_iter().map(Some).collect();
        assert_eq!(names, expected);
    }

    #[test]
    fn sample_seed_has_captions_and_thumbnails() {
        let videos = initial_videos(&EmulatorConfig::default()).unwrap();

        let captioned = videos.iter().filter(|v| !v.captions.is_empty()).count();
        assert!(captioned >= 1);
        for video in &videos {
            assert!(
                video.thumbnail.starts_with(&[0xFF, 0xD8, 0xFF]),
                "{:?}",
                video.name
            );
        }
    }

    #[test]
    fn folder_without_mp4_is_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), "hello").unwrap();

        let result = folder_videos(dir.path());

        assert!(matches!(result, Err(Error::Seed { .. })));
    }

    #[test]
    fn folder_rejects_non_mp4_content() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("fake.mp4"), "not a video").unwrap();

        let result = folder_videos(dir.path());

        assert!(matches!(result, Err(Error::Seed { .. })));
    }
}
