//! Human formats for sizes, durations and times, and a plain-text table.
//!
//! Tables align columns by terminal width (a CJK character takes two columns), cut long
//! titles with `…`, and replace control characters, because titles are free text from
//! Stream. The last column is never padded, so a long path at the end does not widen the rest.

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use crate::terminal::char_width;

/// Formats a byte count with binary units: `512 B`, `1.5 KiB`, `12.3 MiB`.
pub fn bytes(count: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if count < 1024 {
        return format!("{count} B");
    }
    let mut value = count as f64 / 1024.0;
    let mut unit = UNITS[0];
    for next in &UNITS[1..] {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = next;
    }
    format!("{value:.1} {unit}")
}

/// Formats seconds as `m:ss` or `h:mm:ss`; `-` when unknown.
pub fn duration(seconds: Option<f64>) -> String {
    let Some(seconds) = seconds.filter(|s| s.is_finite() && *s >= 0.0) else {
        return "-".to_owned();
    };
    let total = seconds.round() as u64;
    let (hours, minutes, secs) = (total / 3600, total / 60 % 60, total % 60);
    if hours > 0 {
        format!("{hours}:{minutes:02}:{secs:02}")
    } else {
        format!("{minutes}:{secs:02}")
    }
}

/// Formats an RFC 3339 time as `YYYY-MM-DD HH:MM` in UTC, or returns it unchanged when it
/// does not parse.
pub fn time(rfc3339: &str) -> String {
    match OffsetDateTime::parse(rfc3339, &Rfc3339) {
        Ok(time) => {
            let utc = time.to_offset(UtcOffset::UTC);
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02}",
                utc.year(),
                u8::from(utc.month()),
                utc.day(),
                utc.hour(),
                utc.minute()
            )
        }
        Err(_) => rfc3339.to_owned(),
    }
}

/// A plain-text table with a header row.
pub struct Table {
    header: Vec<&'static str>,
    /// Maximum columns per cell, by column; `None` leaves a column uncut.
    limits: Vec<Option<usize>>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// Creates a table with these column titles.
    pub fn new(header: Vec<&'static str>) -> Self {
        let limits = vec![None; header.len()];
        Self {
            header,
            limits,
            rows: Vec::new(),
        }
    }

    /// Cuts the cells of `column` to at most `width` terminal columns.
    pub fn limit(mut self, column: usize, width: usize) -> Self {
        self.limits[column] = Some(width);
        self
    }

    /// Appends a row; missing cells are empty.
    pub fn push(&mut self, cells: Vec<String>) {
        let row = (0..self.header.len())
            .map(|column| {
                let text = printable(cells.get(column).map_or("", String::as_str));
                match self.limits[column] {
                    Some(width) => crate::terminal::fit_width(&text, width),
                    None => text,
                }
            })
            .collect();
        self.rows.push(row);
    }

    /// Returns the table as lines ending in `\n`.
    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.header.iter().map(|title| text_width(title)).collect();
        for row in &self.rows {
            for (column, cell) in row.iter().enumerate() {
                widths[column] = widths[column].max(text_width(cell));
            }
        }

        let header: Vec<String> = self
            .header
            .iter()
            .map(|title| (*title).to_owned())
            .collect();
        let mut out = String::new();
        for row in std::iter::once(&header).chain(&self.rows) {
            let last = row.len() - 1;
            for (column, cell) in row.iter().enumerate() {
                out.push_str(cell);
                if column < last {
                    let padding = widths[column] - text_width(cell) + 2;
                    out.push_str(&" ".repeat(padding));
                }
            }
            out.push('\n');
        }
        out
    }
}

fn text_width(text: &str) -> usize {
    text.chars().map(char_width).sum()
}

/// Replaces control characters (a newline in a title, an escape sequence) with spaces.
fn printable(text: &str) -> String {
    text.chars()
        .map(|ch| if ch.is_control() { ' ' } else { ch })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_small_stays_exact() {
        assert_eq!(bytes(512), "512 B");
    }

    #[test]
    fn bytes_uses_binary_units() {
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(5 * 1024 * 1024), "5.0 MiB");
        assert_eq!(bytes(3 * 1024 * 1024 * 1024), "3.0 GiB");
    }

    #[test]
    fn duration_short_and_long() {
        assert_eq!(duration(Some(5.4)), "0:05");
        assert_eq!(duration(Some(125.0)), "2:05");
        assert_eq!(duration(Some(3723.0)), "1:02:03");
    }

    #[test]
    fn duration_unknown_is_dash() {
        assert_eq!(duration(None), "-");
        assert_eq!(duration(Some(f64::NAN)), "-");
    }

    #[test]
    fn time_converts_to_utc() {
        assert_eq!(time("2024-03-01T23:30:00.000001+02:00"), "2024-03-01 21:30");
    }

    #[test]
    fn time_keeps_unparsable_text() {
        assert_eq!(time("yesterday"), "yesterday");
    }

    #[test]
    fn table_aligns_columns() {
        let mut table = Table::new(vec!["UID", "NAME"]);
        table.push(vec!["a".into(), "first".into()]);
        table.push(vec!["bbbb".into(), "second".into()]);
        assert_eq!(table.render(), "UID   NAME\na     first\nbbbb  second\n");
    }

    #[test]
    fn table_aligns_wide_characters() {
        let mut table = Table::new(vec!["NAME", "X"]);
        table.push(vec!["日本".into(), "1".into()]);
        table.push(vec!["abcde".into(), "2".into()]);
        let rendered = table.render();
        let lines: Vec<&str> = rendered.lines().collect();
        assert_eq!(lines[1], "日本   1");
        assert_eq!(lines[2], "abcde  2");
    }

    #[test]
    fn table_cuts_limited_column() {
        let mut table = Table::new(vec!["NAME", "X"]).limit(0, 6);
        table.push(vec!["a very long title".into(), "1".into()]);
        assert!(table.render().contains("a ver…"));
    }

    #[test]
    fn table_replaces_control_characters() {
        let mut table = Table::new(vec!["NAME"]);
        table.push(vec!["two\nlines".into()]);
        assert_eq!(table.render(), "NAME\ntwo lines\n");
    }
}
