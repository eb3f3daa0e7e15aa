//! Caption sidecar files: their names, atomic writes and removal.
//!
//! A library item's captions are WebVTT files next to its media file, named
//! `<media stem>.<language>.vtt`, which players such as VLC and mpv pick up on their own. The
//! language part keeps only ASCII letters, digits and `-`, so a tag from the API cannot add a
//! path separator or another extension. When that name is taken (the MP4 and the M4A of a video
//! share a stem), the media extension joins the name (`talk.m4a.en.vtt`), then a counter. A
//! name is taken when a file of that name exists or the catalog lists it, compared
//! case- and normalization-insensitively like media names. Every name, including the `.part`
//! of the file being written, fits in 255 bytes.
//!
//! The job that downloaded the media file fetches the captions (see `job.rs`); this module
//! does the file work.

use std::collections::HashSet;
use std::io::{self, Write};
use std::path::Path;

use tracing::{debug, warn};

use crate::catalog::LibraryItem;
use crate::names::{self, MAX_NAME_BYTES, PART_SUFFIX};

/// Language part used when a tag has no usable character: BCP 47 `und` (undetermined).
const UNDETERMINED_LANGUAGE: &str = "und";

/// Maximum length of the language part of a file name, in characters. Longer tags are cut.
const MAX_LANGUAGE_LEN: usize = 35;

/// Extension of caption files.
const CAPTION_EXTENSION: &str = "vtt";

/// Candidates tried for one caption before giving up.
const MAX_CANDIDATES: u32 = 100;

/// Largest caption file accepted, in bytes: Stream accepts uploads of at most 10 MB.
pub(crate) const MAX_CAPTION_BYTES: usize = 10 * 1024 * 1024;

/// Returns the language part of a caption file name: the tag's ASCII letters, digits and `-`
/// (`_` becomes `-`), at most 35 characters, or `und` when nothing is left.
pub(crate) fn sanitize_language(tag: &str) -> String {
    let kept: String = tag
        .trim()
        .chars()
        .map(|c| if c == '_' { '-' } else { c })
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(MAX_LANGUAGE_LEN)
        .collect();
    let trimmed = kept.trim_matches('-');
    if trimmed.is_empty() {
        UNDETERMINED_LANGUAGE.to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// The caption names already used in a library folder, folded for comparison.
#[derive(Debug, Default)]
pub(crate) struct TakenCaptionNames {
    folded: HashSet<String>,
}

impl TakenCaptionNames {
    /// Collects the names of every entry in `folder` and the names in `listed` (caption files
    /// the catalog lists, present or not).
    ///
    /// # Errors
    /// Returns the I/O error of listing the folder.
    pub(crate) fn collect(folder: &Path, listed: &[String]) -> io::Result<Self> {
        let mut taken = Self::default();
        for entry in std::fs::read_dir(folder)? {
            taken.insert(&entry?.file_name().to_string_lossy());
        }
        for name in listed {
            taken.insert(name);
        }
        Ok(taken)
    }

    /// Marks a name as used.
    pub(crate) fn insert(&mut self, name: &str) {
        self.folded.insert(names::fold(name));
    }

    fn is_taken(&self, name: &str) -> bool {
        let folded = names::fold(name);
        self.folded.contains(&folded) || self.folded.contains(&format!("{folded}{PART_SUFFIX}"))
    }
}

/// Returns the first free caption file name for the media file `media_name` and a sanitized
/// `language`, or `None` when every candidate is taken.
pub(crate) fn free_name(
    media_name: &str,
    language: &str,
    taken: &TakenCaptionNames,
) -> Option<String> {
    let media = Path::new(media_name);
    let stem = media
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_else(|| media_name.to_owned());
    let extension = media
        .extension()
        .map(|extension| extension.to_string_lossy().into_owned())
        .unwrap_or_default();

    (1..=MAX_CANDIDATES)
        .map(|n| candidate(&stem, &extension, language, n))
        .find(|name| !taken.is_taken(name))
}

/// Builds candidate `n`: `stem.lang.vtt`, then `stem.ext.lang.vtt`, then `stem.ext.n.lang.vtt`.
/// The stem is cut on a char boundary so the name plus `.part` fits in 255 bytes. A stem that
/// ends in a uniqueness counter such as ` (2)` keeps it, because the cut falls before it.
fn candidate(stem: &str, extension: &str, language: &str, n: u32) -> String {
    let middle = match (n, extension.is_empty()) {
        (1, _) => String::new(),
        (2, false) => format!(".{extension}"),
        (_, false) => format!(".{extension}.{n}"),
        (_, true) => format!(".{n}"),
    };
    let tail = format!("{middle}.{language}.{CAPTION_EXTENSION}");
    let budget = MAX_NAME_BYTES.saturating_sub(tail.len() + PART_SUFFIX.len());
    if stem.len() <= budget {
        return format!("{stem}{tail}");
    }

    let (base, counter) = split_counter(stem);
    let cut = cut_to_bytes(base, budget.saturating_sub(counter.len())).trim_end_matches([' ', '.']);
    format!("{cut}{counter}{tail}")
}

/// Splits a trailing uniqueness counter (` (12)`) off a stem; the counter part is empty when
/// there is none.
fn split_counter(stem: &str) -> (&str, &str) {
    let Some(open) = stem.rfind(" (") else {
        return (stem, "");
    };
    let digits = &stem[open + 2..];
    let is_counter = digits
        .strip_suffix(')')
        .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()));
    if is_counter {
        stem.split_at(open)
    } else {
        (stem, "")
    }
}

fn cut_to_bytes(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Writes `text` to `folder/name` through a `.part` file that is renamed into place, so a
/// crash never leaves a half-written caption under its final name.
///
/// # Errors
/// Returns the I/O error of writing, syncing or renaming; the `.part` file is removed then.
pub(crate) fn write_atomically(folder: &Path, name: &str, text: &str) -> io::Result<()> {
    let path = folder.join(name);
    let part = folder.join(format!("{name}{PART_SUFFIX}"));

    let written = (|| {
        let mut file = std::fs::File::create(&part)?;
        file.write_all(text.as_bytes())?;
        file.sync_data()?;
        std::fs::rename(&part, &path)
    })();
    if written.is_err() {
        if let Err(error) = std::fs::remove_file(&part) {
            if error.kind() != io::ErrorKind::NotFound {
                warn!(error = %error, "could not remove a partial caption file");
            }
        }
    }
    written
}

/// Removes the caption files of an item. A file that is already gone is fine; one that
/// cannot be removed is logged and left.
pub(crate) fn remove_files(item: &LibraryItem) {
    let Some(folder) = item.path.parent() else {
        return;
    };
    for caption in &item.captions {
        if !is_plain_name(&caption.file_name) {
            warn!(
                item_id = item.id,
                "skipping a caption entry whose file name is not a plain name"
            );
            continue;
        }
        let path = folder.join(&caption.file_name);
        match std::fs::remove_file(&path) {
            Ok(()) => {
                debug!(item_id = item.id, language = %caption.language, "caption file deleted")
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => {
                warn!(item_id = item.id, path = %path.display(), error = %error, "could not delete a caption file");
            }
        }
    }
}

/// Returns true for a name without path separators that is not `.` or `..`, so joining it to
/// the library folder stays in that folder.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_table() {
        let cases = [
            ("en", "en"),
            ("pt-BR", "pt-BR"),
            ("en_US", "en-US"),
            ("../etc", "etc"),
            ("ja/vtt", "javtt"),
            ("日本語", "und"),
            ("", "und"),
            ("--", "und"),
        ];

        for (tag, expected) in cases {
            assert_eq!(sanitize_language(tag), expected, "{tag:?}");
        }
    }

    #[test]
    fn language_is_bounded() {
        let long = "a".repeat(100);

        assert_eq!(sanitize_language(&long).len(), MAX_LANGUAGE_LEN);
    }

    #[test]
    fn free_name_prefers_player_form() {
        let taken = TakenCaptionNames::default();

        assert_eq!(
            free_name("Talk (2).mp4", "en", &taken).as_deref(),
            Some("Talk (2).en.vtt")
        );
    }

    #[test]
    fn free_name_adds_extension_when_taken() {
        let mut taken = TakenCaptionNames::default();
        taken.insert("talk.EN.vtt");

        let second = free_name("talk.m4a", "en", &taken).unwrap();
        taken.insert(&second);
        let third = free_name("talk.m4a", "en", &taken).unwrap();

        assert_eq!(second, "talk.m4a.en.vtt");
        assert_eq!(third, "talk.m4a.3.en.vtt");
    }

    #[test]
    fn free_name_fits_255_bytes() {
        let media = format!("{}.mp4", "長".repeat(80));

        let name = free_name(&media, "zh-Hant-TW", &TakenCaptionNames::default()).unwrap();

        assert!(
            name.len() + PART_SUFFIX.len() <= MAX_NAME_BYTES,
            "{}",
            name.len()
        );
        assert!(name.ends_with(".zh-Hant-TW.vtt"), "{name}");
    }

    #[test]
    fn long_stem_keeps_counter() {
        let media = format!("{} (2).mp4", "長".repeat(80));

        let name = free_name(&media, "en", &TakenCaptionNames::default()).unwrap();

        assert!(name.ends_with("長 (2).en.vtt"), "{name}");
        assert!(
            name.len() + PART_SUFFIX.len() <= MAX_NAME_BYTES,
            "{}",
            name.len()
        );
    }

    #[test]
    fn split_counter_cases() {
        assert_eq!(split_counter("talk (12)"), ("talk", " (12)"));
        assert_eq!(split_counter("talk (draft)"), ("talk (draft)", ""));
        assert_eq!(split_counter("talk ()"), ("talk ()", ""));
        assert_eq!(split_counter("talk"), ("talk", ""));
    }

    #[test]
    fn taken_includes_part_files() {
        let mut taken = TakenCaptionNames::default();
        taken.insert("a.en.vtt.part");

        assert_eq!(
            free_name("a.mp4", "en", &taken).as_deref(),
            Some("a.mp4.en.vtt")
        );
    }

    #[test]
    fn write_atomically_leaves_no_part() {
        let dir = tempfile::tempdir().unwrap();

        write_atomically(dir.path(), "a.en.vtt", "WEBVTT\n").unwrap();

        assert_eq!(
            std::fs::read_to_string(dir.path().join("a.en.vtt")).unwrap(),
            "WEBVTT\n"
        );
        assert!(!dir.path().join("a.en.vtt.part").exists());
    }

    #[test]
    fn plain_name_cases() {
        assert!(is_plain_name("a.en.vtt"));
        assert!(!is_plain_name("../a.en.vtt"));
        assert!(!is_plain_name("a\\b.vtt"));
        assert!(!is_plain_name(".."));
    }
}
