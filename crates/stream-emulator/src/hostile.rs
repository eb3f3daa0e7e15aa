//! Video titles that are dangerous as file names, for testing how a client names local files.
//!
//! Stream accepts any text as `meta.name`, so a client that names files after titles meets
//! Windows device names, path separators, `..`, trailing dots and spaces, control and
//! direction characters, titles longer than 255 bytes in UTF-8, and titles that differ only in
//! case or Unicode normalization, which case-insensitive or normalizing file systems (Windows,
//! macOS) treat as one name.

/// Number of CJK characters in the long titles: 250 characters are 750 bytes in UTF-8, far
/// beyond the 255-byte name limit of common file systems.
const LONG_TITLE_CHARS: usize = 250;

/// Returns the hostile titles, in a fixed order. Some entries are exact duplicates on purpose.
pub fn hostile_titles() -> Vec<String> {
    let fixed = [
        // Windows device names, bare, with an extension and with other case.
        "CON",
        "nul.txt",
        "con.mp4",
        "COM1",
        "lpt9.tar.gz",
        "Aux ",
        // Path separators and traversal.
        "a/b\\c",
        "..",
        ".",
        "../../etc/passwd",
        ".hidden",
        // Characters Windows forbids in names.
        "a:b*c?d\"e<f>g|h",
        // Leading and trailing spaces and dots, which Windows strips.
        "  trailing. ",
        "dots...",
        // Non-Latin scripts and emoji, including a ZWJ sequence.
        "講義 第1回",
        "講義 第1回",
        "🎬 Launch day 🚀",
        "👩\u{200D}👩\u{200D}👧 family",
        // Direction marks and overrides: the override makes `...4pm.mp4` read as `...4mp.exe`.
        "invoice\u{202E}4pm.exe",
        "\u{200F}שלום עולם",
        "مرحبا\u{200E} report",
        "zero\u{200B}width",
        // Duplicates that differ only in case.
        "Quarterly Review",
        "QUARTERLY REVIEW",
        "quarterly review",
        // Duplicates that differ only in Unicode normalization (NFC and NFD).
        "Caf\u{E9} recording",
        "Cafe\u{301} recording",
        // Control characters.
        "line\nbreak",
        "tab\there",
        "bell\u{7}",
        "nul\u{0}byte",
        "escape\u{1B}[31m red",
        "delete\u{7F}",
        // A media extension, and one in other case.
        "clip.mp4",
        "clip.MP4",
        // Nothing usable.
        "",
        "   ",
    ];

    let mut titles: Vec<String> = fixed.into_iter().map(str::to_owned).collect();
    // Two long titles that differ only at the end, so cutting them to length makes them equal.
    let long = "長".repeat(LONG_TITLE_CHARS - 1);
    titles.push(format!("{long}A"));
    titles.push(format!("{long}B"));
    titles
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_long_titles_exceed_name_limit() {
        let titles = hostile_titles();
        let longest = titles.iter().map(String::len).max().unwrap();

        assert!(longest > 255, "{longest} bytes");
    }

    #[test]
    fn hostile_titles_have_duplicates() {
        let titles = hostile_titles();
        let unique: std::collections::HashSet<&String> = titles.iter().collect();

        assert!(unique.len() < titles.len());
    }
}
