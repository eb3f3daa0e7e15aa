//! Byte-range requests (RFC 9110 section 14) for one representation of known length.
//!
//! Only single ranges are honoured. A header that is malformed, uses another unit or requests
//! several ranges is ignored and the whole file is sent, which RFC 9110 permits.

/// Response kind for a request's `Range` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeOutcome {
    /// 200 with the whole representation.
    Full,
    /// 206 with bytes `start..end` (end exclusive).
    Partial { start: u64, end: u64 },
    /// 416 with `Content-Range: bytes */LEN`.
    Unsatisfiable,
}

/// Evaluates a `Range` header value against a representation of `len` bytes.
pub fn evaluate(header: Option<&str>, len: u64) -> RangeOutcome {
    let Some(spec) = header.and_then(|value| value.trim().strip_prefix("bytes=")) else {
        return RangeOutcome::Full;
    };
    if spec.contains(',') {
        return RangeOutcome::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeOutcome::Full;
    };
    let (first, last) = (first.trim(), last.trim());

    if first.is_empty() {
        // Suffix range "-n": the last n bytes.
        let Ok(suffix) = last.parse::<u64>() else {
            return RangeOutcome::Full;
        };
        if suffix == 0 || len == 0 {
            return RangeOutcome::Unsatisfiable;
        }
        return RangeOutcome::Partial {
            start: len.saturating_sub(suffix),
            end: len,
        };
    }

    let Ok(start) = first.parse::<u64>() else {
        return RangeOutcome::Full;
    };
    let end = if last.is_empty() {
        len
    } else {
        match last.parse::<u64>() {
            Ok(last) if last >= start => last.saturating_add(1).min(len),
            _ => return RangeOutcome::Full,
        }
    };
    if start >= len {
        return RangeOutcome::Unsatisfiable;
    }
    RangeOutcome::Partial { start, end }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluate_table() {
        let cases: &[(Option<&str>, RangeOutcome)] = &[
            (None, RangeOutcome::Full),
            (
                Some("bytes=0-99"),
                RangeOutcome::Partial { start: 0, end: 100 },
            ),
            (
                Some("bytes=900-"),
                RangeOutcome::Partial {
                    start: 900,
                    end: 1000,
                },
            ),
            (
                Some("bytes=900-5000"),
                RangeOutcome::Partial {
                    start: 900,
                    end: 1000,
                },
            ),
            (
                Some("bytes=-100"),
                RangeOutcome::Partial {
                    start: 900,
                    end: 1000,
                },
            ),
            (
                Some("bytes=-5000"),
                RangeOutcome::Partial {
                    start: 0,
                    end: 1000,
                },
            ),
            (
                Some("bytes=999-999"),
                RangeOutcome::Partial {
                    start: 999,
                    end: 1000,
                },
            ),
            (Some("bytes=1000-"), RangeOutcome::Unsatisfiable),
            (Some("bytes=1000-1100"), RangeOutcome::Unsatisfiable),
            (Some("bytes=-0"), RangeOutcome::Unsatisfiable),
            (Some("bytes=5-1"), RangeOutcome::Full),
            (Some("bytes=0-1,5-9"), RangeOutcome::Full),
            (Some("items=0-1"), RangeOutcome::Full),
            (Some("bytes=abc"), RangeOutcome::Full),
            (Some("bytes=-"), RangeOutcome::Full),
        ];

        for (header, expected) in cases {
            assert_eq!(evaluate(*header, 1000), *expected, "Range: {header:?}");
        }
    }

    #[test]
    fn evaluate_empty_representation() {
        assert_eq!(evaluate(Some("bytes=0-"), 0), RangeOutcome::Unsatisfiable);
    }
}
