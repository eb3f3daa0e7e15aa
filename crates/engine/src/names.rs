//! Local file names for downloads: portable, bounded and unique in the library folder.
//!
//! A name is built from the video's `meta.name` (the uid when it has none) and must work on
//! Windows, macOS and Linux alike, because a library folder can move between them:
//! - the characters `<>:"/\|?*` and control characters become `_`, and invisible direction
//!   and zero-width characters are removed, so a title cannot fake another extension;
//! - Windows device names (`CON`, `PRN`, `AUX`, `NUL`, `COM0`–`COM9`, `LPT0`–`LPT9`, also with
//!   the digits `¹²³`) get a `_` appended, whatever their case and whatever follows the first dot;
//! - leading and trailing dots and spaces are trimmed, so `..` and hidden files cannot occur;
//! - a media extension already in the title is dropped (`clip.mp4` stays `clip.mp4`);
//! - the text is NFC-normalized, the form Windows and Linux tools expect;
//! - the whole name, including the extension, a uniqueness suffix such as ` (12)` and the
//!   `.part` suffix of the file being downloaded, fits in 255 bytes, cut on a char boundary.
//!
//! Uniqueness is judged on [`fold`]ed names (NFC, then lowercase), because macOS and Windows
//! folders are case-insensitive and macOS folders also ignore the Unicode normalization form.
//! A name is taken when a file, its `.part` file or a catalog item already uses it.

use std::collections::HashSet;
use std::io;
use std::path::Path;

use unicode_normalization::UnicodeNormalization;

/// Maximum length of one file name in bytes on common file systems (ext4, APFS, NTFS in UTF-16
/// units is larger, so bytes are the tighter bound).
// NOTE: only the name is bounded, not the whole path. On Windows, std::fs (its `maybe_verbatim`)
// adds the `\\?\` prefix to paths of 248 or more UTF-16 units, so downloads still work in a deep
// library folder, but Explorer and programs without long-path support may fail to open the file.
pub const MAX_NAME_BYTES: usize = 255;

/// Suffix of a file that is still being downloaded.
pub const PART_SUFFIX: &str = ".part";

/// Extensions dropped from the end of a title because the download's own extension is added.
const MEDIA_EXTENSIONS: &[&str] = &[
    "mp4", "m4v", "m4a", "mov", "mkv", "webm", "avi", "wmv", "flv", "mpg", "mpeg", "3gp", "ogv",
    "mp3", "aac", "wav",
];

/// Windows device names, compared with the upper-cased part of a name before its first dot.
const RESERVED_NAMES: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7",
    "COM8", "COM9", "COM¹", "COM²", "COM³", "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6",
    "LPT7", "LPT8", "LPT9", "LPT¹", "LPT²", "LPT³",
];

/// Upper bound on the uniqueness counter, so a broken `taken` set cannot loop for ever.
const MAX_COUNTER: u32 = 100_000;

/// Sanitizes a title into a file stem: no extension, no uniqueness suffix.
///
/// Returns the uid when the title is missing or nothing usable is left of it. The stem is not
/// yet cut to length; [`candidate`] does that once the suffix is known.
pub fn sanitize_stem(title: Option<&str>, uid: &str) -> String {
    let title = title.unwrap_or_default();
    let normalized: String = title.nfc().collect();

    let replaced = replace_unsafe_chars(&normalized);
    // The end is trimmed before the extension is looked for (`clip.mp4 `), the start only
    // after it, so a title that is only an extension (`.mp4`) leaves nothing.
    let trimmed_end = replaced.trim_end_matches(['.', ' ']);
    let without_extension = trim_dots_and_spaces(drop_media_extension(trimmed_end));
    if without_extension.is_empty() {
        return uid.to_owned();
    }

    escape_reserved(without_extension)
}

/// Builds the file name for counter `n`: `stem.ext` for `n <= 1`, `stem (n).ext` after that.
///
/// The stem is cut on a char boundary so that the name plus [`PART_SUFFIX`] fits in
/// [`MAX_NAME_BYTES`].
pub fn candidate(stem: &str, n: u32, extension: &str) -> String {
    let suffix = if n <= 1 {
        String::new()
    } else {
        format!(" ({n})")
    };
    let reserved = suffix.len() + 1 + extension.len() + PART_SUFFIX.len();
    let budget = MAX_NAME_BYTES.saturating_sub(reserved);

    let cut = trim_dots_and_spaces(cut_to_bytes(stem, budget));
    format!("{cut}{suffix}.{extension}")
}

/// Folds a name for comparisons: NFC, then lowercase.
pub fn fold(name: &str) -> String {
    name.nfc().collect::<String>().to_lowercase()
}

/// The names already used in a library folder, folded for comparison.
#[derive(Debug, Default, Clone)]
pub struct TakenNames {
    folded: HashSet<String>,
}

impl TakenNames {
    /// Creates an empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the names of every entry in `folder`. A folder that does not exist is empty.
    ///
    /// # Errors
    /// Returns the I/O error of listing the folder.
    pub fn from_folder(folder: &Path) -> io::Result<Self> {
        let mut taken = Self::new();
        let entries = match std::fs::read_dir(folder) {
            Ok(entries) => entries,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(taken),
            Err(error) => return Err(error),
        };
        for entry in entries {
            taken.insert(&entry?.file_name().to_string_lossy());
        }
        Ok(taken)
    }

    /// Marks a name as used.
    pub fn insert(&mut self, name: &str) {
        self.folded.insert(fold(name));
    }

    /// Returns true when `name` or `name.part` is already used.
    pub fn is_taken(&self, name: &str) -> bool {
        let folded = fold(name);
        self.folded.contains(&folded) || self.folded.contains(&format!("{folded}{PART_SUFFIX}"))
    }
}

/// Returns the first free name for `title` among `stem.ext`, `stem (2).ext`, `stem (3).ext`, ...
///
/// # Errors
/// Returns a message when every counter up to 100,000 is taken.
pub fn unique_name(
    title: Option<&str>,
    uid: &str,
    extension: &str,
    taken: &TakenNames,
) -> Result<String, String> {
    let stem = sanitize_stem(title, uid);
    (1..=MAX_COUNTER)
        .map(|n| candidate(&stem, n, extension))
        .find(|name| !taken.is_taken(name))
        .ok_or_else(|| format!("every name for '{stem}.{extension}' up to ({MAX_COUNTER}) is taken: tidy the library folder"))
}

fn replace_unsafe_chars(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '\t' | '\n' | '\r' => push_space(&mut out),
            ' ' => push_space(&mut out),
            '<' | '>' | ':' | '"' | '/' | '\\' | '|' | '?' | '*' => out.push('_'),
            c if is_invisible_format(c) => {}
            c if c.is_control() => out.push('_'),
            c => out.push(c),
        }
    }
    out
}

/// Collapses runs of white space into one space.
fn push_space(out: &mut String) {
    if !out.ends_with(' ') {
        out.push(' ');
    }
}

/// Zero-width and bidirectional formatting characters: invisible, and the bidi overrides can
/// make `song\u{202E}4pm.exe` display as `songexe.mp4`.
fn is_invisible_format(ch: char) -> bool {
    matches!(ch,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

fn trim_dots_and_spaces(text: &str) -> &str {
    text.trim_matches(|c| c == '.' || c == ' ')
}

fn drop_media_extension(text: &str) -> &str {
    let Some((stem, extension)) = text.rsplit_once('.') else {
        return text;
    };
    let lower = extension.to_ascii_lowercase();
    if MEDIA_EXTENSIONS.contains(&lower.as_str()) {
        stem
    } else {
        text
    }
}

/// Appends `_` to a Windows device name at the start of `stem`, so `con.txt` becomes `con_.txt`.
fn escape_reserved(stem: &str) -> String {
    let first_segment = stem.split('.').next().unwrap_or_default();
    let device = first_segment.trim_end_matches(' ');
    if RESERVED_NAMES.contains(&device.to_uppercase().as_str()) {
        format!("{device}_{}", &stem[device.len()..])
    } else {
        stem.to_owned()
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

#[cfg(test)]
mod tests {
    use super::*;

    const UID: &str = "0123456789abcdef0123456789abcdef";

    fn name_for(title: Option<&str>) -> String {
        unique_name(title, UID, "mp4", &TakenNames::new()).unwrap()
    }

    #[test]
    fn sanitize_hostile_titles() {
        let cases: &[(Option<&str>, &str)] = &[
            (Some("clip.mp4"), "clip.mp4"),
            (Some("movie.MP4"), "movie.mp4"),
            (Some("clip.mov"), "clip.mp4"),
            (Some("Lecture 1.2"), "Lecture 1.2.mp4"),
            (Some("a/b\\c:d*e?f\"g<h>i|j"), "a_b_c_d_e_f_g_h_i_j.mp4"),
            (Some("Q1/Q2 review"), "Q1_Q2 review.mp4"),
            (Some("CON"), "CON_.mp4"),
            (Some("con.mp4"), "con_.mp4"),
            (Some("Nul .txt"), "Nul_ .txt.mp4"),
            (Some("aux"), "aux_.mp4"),
            (Some("COM1"), "COM1_.mp4"),
            (Some("com¹"), "com¹_.mp4"),
            (Some("LPT³.tar.gz"), "LPT³_.tar.gz.mp4"),
            (Some("lpt0"), "lpt0_.mp4"),
            (Some("COM10"), "COM10.mp4"),
            (Some("CONSOLE"), "CONSOLE.mp4"),
            (Some(".."), "0123456789abcdef0123456789abcdef.mp4"),
            (Some("..."), "0123456789abcdef0123456789abcdef.mp4"),
            (Some(" . "), "0123456789abcdef0123456789abcdef.mp4"),
            (Some(".mp4"), "0123456789abcdef0123456789abcdef.mp4"),
            (Some("../../etc/passwd"), "_.._etc_passwd.mp4"),
            (Some(".hidden"), "hidden.mp4"),
            (Some("  spaced  "), "spaced.mp4"),
            (Some("trailing dots..."), "trailing dots.mp4"),
            (Some("tab\there\r\nnext"), "tab here next.mp4"),
            (Some("bell\u{7}ring"), "bell_ring.mp4"),
            (Some("nul\u{0}byte"), "nul_byte.mp4"),
            (Some("song\u{202E}4pm.exe"), "song4pm.exe.mp4"),
            (Some("zero\u{200B}width"), "zerowidth.mp4"),
            (Some("講義 第1回.mp4"), "講義 第1回.mp4"),
            (Some("e\u{301}te\u{301}"), "\u{e9}t\u{e9}.mp4"),
            (Some(""), "0123456789abcdef0123456789abcdef.mp4"),
            (None, "0123456789abcdef0123456789abcdef.mp4"),
        ];
        for (title, expected) in cases {
            assert_eq!(&name_for(*title), expected, "title {title:?}");
        }
    }

    #[test]
    fn sanitize_never_yields_separator() {
        let titles = ["a/b", "a\\b", "/", "\\\\server\\share", "C:\\x"];
        for title in titles {
            let name = name_for(Some(title));
            assert!(!name.contains('/'), "{name}");
            assert!(!name.contains('\\'), "{name}");
        }
    }

    #[test]
    fn candidate_fits_with_part_suffix() {
        let long = "あ".repeat(200);
        for n in [1, 2, 12, 99_999] {
            let name = candidate(&sanitize_stem(Some(&long), UID), n, "mp4");
            assert!(
                name.len() + PART_SUFFIX.len() <= MAX_NAME_BYTES,
                "n {n}: {} bytes",
                name.len()
            );
        }
    }

    #[test]
    fn candidate_cuts_on_char_boundary() {
        let long = "é".repeat(300);
        let name = candidate(&long, 12, "m4a");
        assert!(name.ends_with(" (12).m4a"));
        assert!(name.starts_with("éé"));
        assert_eq!(name.len() + PART_SUFFIX.len(), MAX_NAME_BYTES - 1);
    }

    #[test]
    fn candidate_trims_after_cut() {
        let stem = format!("{}. tail", "a".repeat(244));
        let name = candidate(&stem, 1, "mp4");
        assert_eq!(name, format!("{}.mp4", "a".repeat(244)));
    }

    #[test]
    fn unique_skips_existing_file_case_insensitively() {
        let mut taken = TakenNames::new();
        taken.insert("Clip.MP4");
        let name = unique_name(Some("clip"), UID, "mp4", &taken).unwrap();
        assert_eq!(name, "clip (2).mp4");
    }

    #[test]
    fn unique_skips_part_file() {
        let mut taken = TakenNames::new();
        taken.insert("clip.mp4.part");
        let name = unique_name(Some("clip"), UID, "mp4", &taken).unwrap();
        assert_eq!(name, "clip (2).mp4");
    }

    #[test]
    fn unique_ignores_normalization_form() {
        let mut taken = TakenNames::new();
        taken.insert("e\u{301}te\u{301}.mp4");
        let name = unique_name(Some("\u{e9}t\u{e9}"), UID, "mp4", &taken).unwrap();
        assert_eq!(name, "\u{e9}t\u{e9} (2).mp4");
    }

    #[test]
    fn unique_counts_past_several() {
        let mut taken = TakenNames::new();
        for name in ["clip.mp4", "clip (2).mp4", "clip (3).mp4.part"] {
            taken.insert(name);
        }
        let name = unique_name(Some("clip"), UID, "mp4", &taken).unwrap();
        assert_eq!(name, "clip (4).mp4");
    }

    #[test]
    fn unique_allows_other_extension() {
        let mut taken = TakenNames::new();
        taken.insert("clip.mp4");
        let name = unique_name(Some("clip"), UID, "m4a", &taken).unwrap();
        assert_eq!(name, "clip.m4a");
    }

    #[test]
    fn taken_names_read_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Talk.mp4"), b"x").unwrap();
        let taken = TakenNames::from_folder(dir.path()).unwrap();
        assert!(taken.is_taken("talk.mp4"));
        assert!(!taken.is_taken("talk.m4a"));
    }

    #[test]
    fn taken_names_missing_folder_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let taken = TakenNames::from_folder(&dir.path().join("missing")).unwrap();
        assert!(!taken.is_taken("a.mp4"));
    }

    #[test]
    fn created_files_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let titles = [
            "a:b",
            "CON",
            "講義 第1回",
            "clip.mp4",
            "trailing. ",
            "x|y?z*",
        ];
        for title in titles {
            let name = name_for(Some(title));
            let path = dir.path().join(&name);
            std::fs::write(&path, b"data").unwrap();
            assert_eq!(std::fs::read(&path).unwrap(), b"data", "{name}");
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), titles.len());
    }
}
