//! Byte sizes (parsing `2GiB`, formatting MiB), medians and throughput in MiB/s.

use std::time::Duration;

/// Bytes in one MiB.
pub const MIB: u64 = 1024 * 1024;

/// Bytes in one GiB.
pub const GIB: u64 = 1024 * MIB;

/// Parses a size in bytes, optionally with a `KiB`, `MiB` or `GiB` suffix (binary units).
///
/// # Errors
/// Returns a message naming the value and the accepted forms.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (number, suffix) = trimmed.split_at(split);
    let factor = match suffix.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kib" | "k" => 1024,
        "mib" | "m" => MIB,
        "gib" | "g" => GIB,
        _ => return Err(invalid_size(text)),
    };
    let value: u64 = number.parse().map_err(|_| invalid_size(text))?;
    match value.checked_mul(factor) {
        Some(0) | None => Err(invalid_size(text)),
        Some(bytes) => Ok(bytes),
    }
}

fn invalid_size(text: &str) -> String {
    format!("invalid size {text:?}: use a whole number of bytes above 0, optionally followed by KiB, MiB or GiB (such as 512MiB)")
}

/// Formats a byte count as MiB or GiB with the unit, such as `512 MiB` or `2 GiB`.
pub fn format_size(bytes: u64) -> String {
    if bytes >= GIB && bytes.is_multiple_of(GIB) {
        format!("{} GiB", bytes / GIB)
    } else if bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// Returns `bytes` in MiB.
pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / MIB as f64
}

/// Returns the throughput of `bytes` moved in `elapsed`, in MiB/s.
pub fn mib_per_second(bytes: u64, elapsed: Duration) -> f64 {
    mib(bytes) / elapsed.as_secs_f64().max(f64::EPSILON)
}

/// Returns the median of `values`, the mean of the middle two for an even count, or `None`
/// when there are none.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);

    let middle = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        Some(sorted[middle])
    } else {
        Some((sorted[middle - 1] + sorted[middle]) / 2.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_size_suffixes() {
        assert_eq!(parse_size("2GiB"), Ok(2 * GIB));
        assert_eq!(parse_size("512MiB"), Ok(512 * MIB));
        assert_eq!(parse_size("64 mib"), Ok(64 * MIB));
        assert_eq!(parse_size("4096"), Ok(4096));
    }

    #[test]
    fn parse_size_rejects_bad_input() {
        assert!(parse_size("0").is_err());
        assert!(parse_size("2TB").is_err());
        assert!(parse_size("GiB").is_err());
        assert!(parse_size("99999999999GiB").is_err());
    }

    #[test]
    fn format_size_units() {
        assert_eq!(format_size(2 * GIB), "2 GiB");
        assert_eq!(format_size(512 * MIB), "512 MiB");
        assert_eq!(format_size(1000), "1000 bytes");
    }

    #[test]
    fn median_odd_and_even() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn throughput_in_mib_per_second() {
        let rate = mib_per_second(100 * MIB, Duration::from_secs(4));
        assert!((rate - 25.0).abs() < 1e-9);
    }
}
