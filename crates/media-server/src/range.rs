//! Parses the HTTP `Range` request header (RFC 9110, section 14) for one file length.
//!
//! Only the `bytes` unit is supported. A request with several ranges gets the whole file (200),
//! because RFC 9110 lets a server ignore `Range` and browsers and GStreamer request one range at
//! a time, so multipart/byteranges responses are not worth their complexity. A header that does
//! not parse is ignored the same way.

/// The response to send for a request, given its `Range` header and the file length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RangeRequest {
    /// Send the whole file with 200.
    Full,
    /// Send bytes `start..=end` with 206.
    Partial {
        /// First byte offset, inclusive.
        start: u64,
        /// Last byte offset, inclusive.
        end: u64,
    },
    /// Send 416 because the range starts at or after the end of the file.
    Unsatisfiable,
}

impl RangeRequest {
    /// Resolves a `Range` header value against a file of `len` bytes.
    pub(crate) fn resolve(header: Option<&str>, len: u64) -> Self {
        let Some(header) = header else {
            return Self::Full;
        };
        let Some((unit, set)) = header.split_once('=') else {
            return Self::Full;
        };
        if !unit.trim().eq_ignore_ascii_case("bytes") {
            return Self::Full;
        }

        // HTTP list syntax allows empty elements such as "0-1,,".
        let specs: Vec<&str> = set
            .split(',')
            .map(str::trim)
            .filter(|spec| !spec.is_empty())
            .collect();
        match specs.as_slice() {
            [spec] => resolve_spec(spec, len),
            _ => Self::Full,
        }
    }
}

/// Resolves one `first-last`, `first-` or `-suffix` spec.
fn resolve_spec(spec: &str, len: u64) -> RangeRequest {
    let Some((first, last)) = spec.split_once('-') else {
        return RangeRequest::Full;
    };
    let (first, last) = (first.trim(), last.trim());

    if first.is_empty() {
        return resolve_suffix(last, len);
    }

    let Some(start) = parse_position(first) else {
        return RangeRequest::Full;
    };
    let end = if last.is_empty() {
        u64::MAX
    } else {
        match parse_position(last) {
            Some(end) if end >= start => end,
            // "5-2" or "5-x" is an invalid spec, which RFC 9110 says to ignore.
            _ => return RangeRequest::Full,
        }
    };

    if start >= len {
        return RangeRequest::Unsatisfiable;
    }
    RangeRequest::Partial {
        start,
        end: end.min(len - 1),
    }
}

/// Resolves `-suffix`: the last `suffix` bytes, or the whole file when it is shorter.
fn resolve_suffix(suffix: &str, len: u64) -> RangeRequest {
    let Some(suffix) = parse_position(suffix) else {
        return RangeRequest::Full;
    };
    if suffix == 0 || len == 0 {
        return RangeRequest::Unsatisfiable;
    }

    RangeRequest::Partial {
        start: len.saturating_sub(suffix),
        end: len - 1,
    }
}

/// Parses a run of ASCII digits. A value too large for u64 saturates, because it is still a
/// valid position that lies past the end of any file.
fn parse_position(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }

    Some(text.parse().unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::RangeRequest::{self, Full, Partial, Unsatisfiable};

    fn resolve(header: &str, len: u64) -> RangeRequest {
        RangeRequest::resolve(Some(header), len)
    }

    #[test]
    fn resolve_without_header_is_full() {
        assert_eq!(RangeRequest::resolve(None, 10), Full);
    }

    #[test]
    fn resolve_closed_range() {
        assert_eq!(resolve("bytes=2-5", 10), Partial { start: 2, end: 5 });
    }

    #[test]
    fn resolve_closed_range_clamps_end() {
        assert_eq!(resolve("bytes=2-500", 10), Partial { start: 2, end: 9 });
    }

    #[test]
    fn resolve_open_range() {
        assert_eq!(resolve("bytes=7-", 10), Partial { start: 7, end: 9 });
    }

    #[test]
    fn resolve_suffix_range() {
        assert_eq!(resolve("bytes=-3", 10), Partial { start: 7, end: 9 });
    }

    #[test]
    fn resolve_suffix_longer_than_file() {
        assert_eq!(resolve("bytes=-300", 10), Partial { start: 0, end: 9 });
    }

    #[test]
    fn resolve_zero_suffix_unsatisfiable() {
        assert_eq!(resolve("bytes=-0", 10), Unsatisfiable);
    }

    #[test]
    fn resolve_start_at_end_unsatisfiable() {
        assert_eq!(resolve("bytes=10-", 10), Unsatisfiable);
    }

    #[test]
    fn resolve_start_past_end_unsatisfiable() {
        assert_eq!(resolve("bytes=11-20", 10), Unsatisfiable);
    }

    #[test]
    fn resolve_empty_file_unsatisfiable() {
        assert_eq!(resolve("bytes=0-", 0), Unsatisfiable);
        assert_eq!(resolve("bytes=-5", 0), Unsatisfiable);
    }

    #[test]
    fn resolve_huge_start_unsatisfiable() {
        assert_eq!(resolve("bytes=99999999999999999999999-", 10), Unsatisfiable);
    }

    #[test]
    fn resolve_unit_case_insensitive() {
        assert_eq!(resolve("Bytes=0-0", 10), Partial { start: 0, end: 0 });
    }

    #[test]
    fn resolve_tolerates_spaces() {
        assert_eq!(resolve("bytes= 1 - 2 ", 10), Partial { start: 1, end: 2 });
    }

    #[test]
    fn resolve_multi_range_is_full() {
        assert_eq!(resolve("bytes=0-1,5-6", 10), Full);
    }

    #[test]
    fn resolve_ignores_empty_list_elements() {
        assert_eq!(resolve("bytes=0-1,,", 10), Partial { start: 0, end: 1 });
    }

    #[test]
    fn resolve_invalid_headers_are_full() {
        let cases = [
            "bytes=5-2",
            "bytes=a-b",
            "bytes=1-x",
            "bytes=-",
            "bytes=",
            "bytes=+1-2",
            "items=0-1",
            "bytes 0-1",
            "bytes=0x1-2",
        ];
        for header in cases {
            assert_eq!(resolve(header, 10), Full, "header {header:?}");
        }
    }
}
