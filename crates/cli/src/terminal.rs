//! Shared access to standard output and standard error.
//!
//! On a terminal, standard error shows one status line that is redrawn in place (`\r` and an
//! erase-line sequence). Everything else printed while it is visible (a result on standard
//! output, an error line, a log event) first erases it and then draws it again below, so lines
//! never mix. One lock serializes all of this. When standard error is not a terminal, status
//! lines are ignored and nothing but plain lines is written.

use std::io::{self, IsTerminal, Write};
use std::sync::{Mutex, MutexGuard, OnceLock};

use unicode_width::UnicodeWidthChar;

/// Width assumed when the terminal does not report one.
const DEFAULT_WIDTH: usize = 80;

/// Moves to the start of the line and erases it (ANSI CSI 2K).
const ERASE_LINE: &str = "\r\x1b[2K";

struct Screen {
    /// The status line to show, already cut to the terminal width.
    status: Option<String>,
}

fn screen() -> MutexGuard<'static, Screen> {
    static SCREEN: Mutex<Screen> = Mutex::new(Screen { status: None });
    // The screen holds only the last status text, which stays valid after a panic.
    SCREEN
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Returns true when standard error is a terminal, which enables the status line.
pub fn stderr_is_terminal() -> bool {
    static TERMINAL: OnceLock<bool> = OnceLock::new();
    *TERMINAL.get_or_init(|| io::stderr().is_terminal())
}

/// Shows `text` as the status line on a terminal; does nothing otherwise.
pub fn show_status(text: &str) {
    if !stderr_is_terminal() {
        return;
    }
    let line = fit_width(text, terminal_width().saturating_sub(1));
    let mut screen = screen();
    if screen.status.as_deref() == Some(line.as_str()) {
        return;
    }
    let mut stderr = io::stderr().lock();
    // A status line is cosmetic: a failed write must not fail the command.
    let _ = write!(stderr, "{ERASE_LINE}{line}");
    let _ = stderr.flush();
    screen.status = Some(line);
}

/// Erases the status line, if one is shown.
pub fn clear_status() {
    let mut screen = screen();
    if screen.status.take().is_some() {
        let mut stderr = io::stderr().lock();
        let _ = write!(stderr, "{ERASE_LINE}");
        let _ = stderr.flush();
    }
}

/// Prints one line on standard error, keeping the status line below it.
pub fn print_note(line: &str) {
    with_status_hidden(|| {
        let mut stderr = io::stderr().lock();
        let _ = writeln!(stderr, "{line}");
        let _ = stderr.flush();
    });
}

/// Prints `error: MESSAGE` on standard error, as one line.
pub fn print_error(message: &str) {
    print_note(&format!("error: {}", one_line(message)));
}

/// Writes `text` to standard output and flushes it, keeping the status line below it.
///
/// # Errors
/// The write error, such as `BrokenPipe` when the reader of a pipe has gone.
pub fn print_out(text: &str) -> io::Result<()> {
    with_status_hidden(|| {
        let mut stdout = io::stdout().lock();
        stdout.write_all(text.as_bytes())?;
        stdout.flush()
    })
}

/// Runs `write` with the status line erased, then draws the status line again.
fn with_status_hidden<T>(write: impl FnOnce() -> T) -> T {
    let screen = screen();
    if screen.status.is_some() {
        let mut stderr = io::stderr().lock();
        let _ = write!(stderr, "{ERASE_LINE}");
        let _ = stderr.flush();
    }
    let result = write();
    if let Some(status) = &screen.status {
        let mut stderr = io::stderr().lock();
        let _ = write!(stderr, "{status}");
        let _ = stderr.flush();
    }
    result
}

fn terminal_width() -> usize {
    terminal_size::terminal_size_of(io::stderr())
        .map(|(width, _)| usize::from(width.0))
        .filter(|width| *width > 0)
        .unwrap_or(DEFAULT_WIDTH)
}

/// Joins the lines of a message with spaces and replaces control characters with spaces, so
/// an error is always one line and text from a server cannot move the cursor.
pub fn one_line(message: &str) -> String {
    let printable: String = message
        .chars()
        .map(|ch| if ch.is_control() { ' ' } else { ch })
        .collect();
    printable.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Cuts `text` to at most `width` terminal columns, ending with `…` when cut.
pub fn fit_width(text: &str, width: usize) -> String {
    let total: usize = text.chars().map(char_width).sum();
    if total <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for ch in text.chars() {
        let w = char_width(ch);
        // Keep one column for the ellipsis.
        if used + w + 1 > width {
            break;
        }
        out.push(ch);
        used += w;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// Returns the columns a character takes; control characters count as one because callers
/// replace them with spaces before printing.
pub fn char_width(ch: char) -> usize {
    ch.width().unwrap_or(1)
}

/// A log sink for tracing-subscriber: it collects one formatted event and prints it above the
/// status line when dropped.
pub struct LogWriter {
    buffer: Vec<u8>,
}

impl LogWriter {
    /// Returns an empty writer; tracing-subscriber calls this once per event.
    pub fn new() -> Self {
        Self { buffer: Vec::new() }
    }
}

impl Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for LogWriter {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.buffer);
        let text = text.trim_end_matches('\n');
        if !text.is_empty() {
            print_note(text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_width_keeps_short_text() {
        assert_eq!(fit_width("abc", 10), "abc");
    }

    #[test]
    fn fit_width_cuts_with_ellipsis() {
        assert_eq!(fit_width("abcdefghij", 5), "abcd…");
    }

    #[test]
    fn fit_width_counts_wide_characters() {
        // Each of these CJK characters takes two columns.
        assert_eq!(fit_width("日本語の題名", 7), "日本語…");
    }

    #[test]
    fn one_line_joins_lines() {
        assert_eq!(one_line("first\nsecond\n"), "first second");
    }

    #[test]
    fn one_line_drops_escape_sequences() {
        assert_eq!(one_line("a\x1b[2Kb"), "a [2Kb");
    }
}
