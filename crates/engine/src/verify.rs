//! Checks that a download is a real MP4 (or M4A) before it enters the library.
//!
//! Three gates, from cheap to thorough:
//! 1. [`check_content_type`]: the response `Content-Type` is `video/*` or `audio/*`.
//! 2. [`check_leading_bytes`]: the body starts with an `ftyp` box header. This runs on the first
//!    bytes, before anything is written, so an HTML or JSON error page never reaches the disk.
//! 3. [`inspect_file`]: after the transfer, a walk over the top-level boxes that reads box headers
//!    only (seek, never the payload). It handles 64-bit sizes (`size == 1`) and a last box that
//!    runs to the end (`size == 0`), rejects a box that claims more bytes than the file has, and
//!    requires `ftyp` first and a `moov`. The `mvhd` box inside `moov` gives the duration.
//!
//! [`check_duration`] then compares that duration with the one the API reported.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use crate::error::EngineError;

/// Number of leading bytes [`check_leading_bytes`] needs: one box header.
pub const SNIFF_LEN: usize = 8;

/// Largest duration difference accepted regardless of length, in seconds.
pub const DURATION_TOLERANCE_SECS: f64 = 2.0;

/// Relative duration difference accepted for long videos (2 %).
pub const DURATION_TOLERANCE_RATIO: f64 = 0.02;

/// The facts the box walk read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Mp4Info {
    /// The `ftyp` major brand, such as `isom` or `M4A `.
    pub major_brand: String,
    /// Duration from `mvhd` in seconds; `None` when the file marks it unknown.
    pub duration: Option<f64>,
    /// File length in bytes.
    pub len: u64,
}

/// Checks a response `Content-Type` for `video/*` or `audio/*`.
///
/// # Errors
/// Returns the reason, naming the type that was sent, when it is missing or another type.
pub fn check_content_type(content_type: Option<&str>) -> Result<(), String> {
    let Some(value) = content_type else {
        return Err("the response has no Content-Type".to_owned());
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if essence.starts_with("video/") || essence.starts_with("audio/") {
        Ok(())
    } else {
        Err(format!(
            "the response has Content-Type '{essence}', expected video/* or audio/*"
        ))
    }
}

/// Checks that a body starts with an `ftyp` box header.
///
/// # Errors
/// Returns a reason that describes the body instead (an HTML page, JSON, too short).
pub fn check_leading_bytes(bytes: &[u8]) -> Result<(), String> {
    if bytes.len() < SNIFF_LEN {
        return Err(format!(
            "the content has only {} bytes, too few for an MP4 file",
            bytes.len()
        ));
    }

    let size = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    if &bytes[4..8] != b"ftyp" {
        return Err(describe_non_mp4(bytes));
    }
    if size != 1 && size < 8 {
        return Err(format!("the 'ftyp' box has an invalid size of {size}"));
    }
    Ok(())
}

/// Says what a body that is not an MP4 looks like, without quoting it (it may echo a token).
fn describe_non_mp4(bytes: &[u8]) -> String {
    let start = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .copied()
        .unwrap_or(0);
    match start {
        b'<' => "the content is an HTML or XML page, not an MP4 file".to_owned(),
        b'{' | b'[' => "the content is JSON, not an MP4 file".to_owned(),
        _ => format!(
            "the content does not start with an 'ftyp' box (first bytes: {})",
            hex::encode(&bytes[..SNIFF_LEN])
        ),
    }
}

/// Walks the top-level boxes of the file at `path` and reads its duration.
///
/// # Errors
/// [`EngineError::Verify`] naming the file and the defect (truncated, no `moov`, ...), or
/// [`EngineError::Disk`] when the file cannot be read.
pub fn inspect_file(path: &Path) -> Result<Mp4Info, EngineError> {
    let mut file = File::open(path).map_err(|e| EngineError::disk(path, e))?;
    let len = file
        .metadata()
        .map_err(|e| EngineError::disk(path, e))?
        .len();

    match inspect(&mut file, len) {
        Ok(info) => Ok(info),
        Err(Defect::Io(error)) => Err(EngineError::disk(path, error)),
        Err(Defect::Invalid(reason)) => Err(EngineError::Verify {
            path: path.to_owned(),
            reason,
        }),
    }
}

/// Checks a file duration against the API's, within 2 s or 2 %, whichever is larger.
/// Passes when either value is unknown.
///
/// # Errors
/// Returns the reason with both durations.
pub fn check_duration(actual: Option<f64>, expected: Option<f64>) -> Result<(), String> {
    let (Some(actual), Some(expected)) = (actual, expected) else {
        return Ok(());
    };
    let tolerance = DURATION_TOLERANCE_SECS.max(expected * DURATION_TOLERANCE_RATIO);
    if (actual - expected).abs() <= tolerance {
        Ok(())
    } else {
        Err(format!(
            "the file lasts {actual:.2} s but Stream reports {expected:.2} s"
        ))
    }
}

/// Why a box walk failed: an I/O error or a defect in the file.
#[derive(Debug)]
pub(crate) enum Defect {
    Io(io::Error),
    Invalid(String),
}

impl From<io::Error> for Defect {
    fn from(error: io::Error) -> Self {
        Self::Io(error)
    }
}

/// One box header: where the box starts, how long it is, its type and header length.
struct BoxHeader {
    start: u64,
    size: u64,
    kind: [u8; 4],
    header_len: u64,
}

impl BoxHeader {
    fn kind_text(&self) -> String {
        self.kind.escape_ascii().to_string()
    }

    fn payload_start(&self) -> u64 {
        self.start + self.header_len
    }

    fn end(&self) -> u64 {
        self.start + self.size
    }
}

/// Walks the boxes of a file of `len` bytes; see [`inspect_file`].
pub(crate) fn inspect<R: Read + Seek>(reader: &mut R, len: u64) -> Result<Mp4Info, Defect> {
    let mut leading = [0u8; SNIFF_LEN];
    let leading_len = len.min(SNIFF_LEN as u64) as usize;
    reader.seek(SeekFrom::Start(0))?;
    reader.read_exact(&mut leading[..leading_len])?;
    check_leading_bytes(&leading[..leading_len]).map_err(Defect::Invalid)?;

    let mut pos = 0;
    let mut major_brand = None;
    let mut moov = None;
    while pos < len {
        let header = read_header(reader, pos, len)?;
        match &header.kind {
            b"ftyp" => major_brand = Some(read_brand(reader, &header)?),
            b"moov" => moov = Some((header.payload_start(), header.end())),
            _ => {}
        }
        pos = header.end();
    }

    let major_brand = major_brand.unwrap_or_default();
    let Some((moov_start, moov_end)) = moov else {
        return Err(Defect::Invalid(
            "the file has no 'moov' box (movie header), so players cannot open it".to_owned(),
        ));
    };
    let duration = read_duration(reader, moov_start, moov_end)?;

    Ok(Mp4Info {
        major_brand,
        duration,
        len,
    })
}

/// Reads the box header at `pos`; the box must end at or before `limit`.
fn read_header<R: Read + Seek>(reader: &mut R, pos: u64, limit: u64) -> Result<BoxHeader, Defect> {
    let remaining = limit - pos;
    if remaining < 8 {
        return Err(Defect::Invalid(format!(
            "the file is truncated: {remaining} stray bytes at offset {pos}, too few for a box header"
        )));
    }

    let mut header = [0u8; 8];
    reader.seek(SeekFrom::Start(pos))?;
    reader.read_exact(&mut header)?;
    let size32 = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
    let kind = [header[4], header[5], header[6], header[7]];

    let (size, header_len) = match size32 {
        0 => (remaining, 8),
        1 => {
            if remaining < 16 {
                return Err(Defect::Invalid(format!(
                    "the file is truncated inside the 64-bit header of the '{}' box at offset {pos}",
                    kind.escape_ascii()
                )));
            }
            let mut large = [0u8; 8];
            reader.read_exact(&mut large)?;
            (u64::from_be_bytes(large), 16)
        }
        n => (u64::from(n), 8),
    };

    let header = BoxHeader {
        start: pos,
        size,
        kind,
        header_len,
    };
    if size < header_len {
        return Err(Defect::Invalid(format!(
            "the '{}' box at offset {pos} has an invalid size of {size}",
            header.kind_text()
        )));
    }
    if size > remaining {
        return Err(Defect::Invalid(format!(
            "the file is truncated: the '{}' box at offset {pos} needs {size} bytes but only {remaining} remain",
            header.kind_text()
        )));
    }
    Ok(header)
}

fn read_brand<R: Read + Seek>(reader: &mut R, header: &BoxHeader) -> Result<String, Defect> {
    if header.size < header.header_len + 4 {
        return Err(Defect::Invalid(
            "the 'ftyp' box is too short to name a brand".to_owned(),
        ));
    }
    let mut brand = [0u8; 4];
    reader.seek(SeekFrom::Start(header.payload_start()))?;
    reader.read_exact(&mut brand)?;
    Ok(brand.escape_ascii().to_string())
}

/// Finds `mvhd` among the children of `moov` and returns its duration in seconds.
fn read_duration<R: Read + Seek>(
    reader: &mut R,
    start: u64,
    end: u64,
) -> Result<Option<f64>, Defect> {
    let mut pos = start;
    while pos < end {
        let child = read_header(reader, pos, end)?;
        if &child.kind == b"mvhd" {
            return parse_mvhd(reader, &child);
        }
        pos = child.end();
    }
    Err(Defect::Invalid(
        "the 'moov' box has no 'mvhd' (movie header) box".to_owned(),
    ))
}

/// Reads timescale and duration: version 0 has 32-bit times, version 1 has 64-bit ones.
fn parse_mvhd<R: Read + Seek>(reader: &mut R, header: &BoxHeader) -> Result<Option<f64>, Defect> {
    const V0_LEN: u64 = 4 + 4 + 4 + 4 + 4;
    const V1_LEN: u64 = 4 + 8 + 8 + 4 + 8;
    let payload = header.size - header.header_len;
    if payload < 4 {
        return Err(Defect::Invalid("the 'mvhd' box is too short".to_owned()));
    }

    let mut buffer = [0u8; V1_LEN as usize];
    reader.seek(SeekFrom::Start(header.payload_start()))?;
    reader.read_exact(&mut buffer[..4])?;
    let version = buffer[0];
    let needed = match version {
        0 => V0_LEN,
        1 => V1_LEN,
        other => {
            return Err(Defect::Invalid(format!(
                "the 'mvhd' box has unknown version {other}"
            )))
        }
    };
    if payload < needed {
        return Err(Defect::Invalid(format!(
            "the version {version} 'mvhd' box is {payload} bytes long, expected at least {needed}"
        )));
    }
    reader.read_exact(&mut buffer[4..needed as usize])?;

    let (timescale, duration, unknown) = if version == 0 {
        let timescale = u32::from_be_bytes(buffer[12..16].try_into().expect("4 bytes"));
        let duration = u32::from_be_bytes(buffer[16..20].try_into().expect("4 bytes"));
        (timescale, u64::from(duration), duration == u32::MAX)
    } else {
        let timescale = u32::from_be_bytes(buffer[20..24].try_into().expect("4 bytes"));
        let duration = u64::from_be_bytes(buffer[24..32].try_into().expect("8 bytes"));
        (timescale, duration, duration == u64::MAX)
    };

    if timescale == 0 {
        return Err(Defect::Invalid(
            "the 'mvhd' box has a timescale of 0".to_owned(),
        ));
    }
    if unknown {
        return Ok(None);
    }
    Ok(Some(duration as f64 / f64::from(timescale)))
}

#[cfg(test)]
pub(crate) mod tests {
    use std::io::Cursor;

    use super::*;

    /// Builds one box with a 32-bit size.
    pub(crate) fn mp4_box(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut out = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(payload);
        out
    }

    /// Builds a version 0 `mvhd` payload.
    fn mvhd_v0(timescale: u32, duration: u32) -> Vec<u8> {
        let mut payload = vec![0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2];
        payload.extend_from_slice(&timescale.to_be_bytes());
        payload.extend_from_slice(&duration.to_be_bytes());
        payload.extend_from_slice(&[0u8; 80]);
        payload
    }

    fn mvhd_v1(timescale: u32, duration: u64) -> Vec<u8> {
        let mut payload = vec![1, 0, 0, 0];
        payload.extend_from_slice(&[0u8; 16]);
        payload.extend_from_slice(&timescale.to_be_bytes());
        payload.extend_from_slice(&duration.to_be_bytes());
        payload.extend_from_slice(&[0u8; 80]);
        payload
    }

    /// Builds a small valid MP4: `ftyp`, `moov` with `mvhd` (`seconds` long), then `mdat`.
    pub(crate) fn tiny_mp4(seconds: u32, mdat_len: usize) -> Vec<u8> {
        let mut file = mp4_box(b"ftyp", b"isom\0\0\x02\0isomiso2");
        let moov = mp4_box(b"mvhd", &mvhd_v0(1000, seconds * 1000));
        file.extend(mp4_box(b"moov", &moov));
        file.extend(mp4_box(b"mdat", &vec![0xAB; mdat_len]));
        file
    }

    fn inspect_bytes(bytes: &[u8]) -> Result<Mp4Info, String> {
        match inspect(&mut Cursor::new(bytes), bytes.len() as u64) {
            Ok(info) => Ok(info),
            Err(Defect::Invalid(reason)) => Err(reason),
            Err(Defect::Io(error)) => Err(format!("io: {error}")),
        }
    }

    #[test]
    fn content_type_accepts_media() {
        assert!(check_content_type(Some("video/mp4")).is_ok());
        assert!(check_content_type(Some("audio/mp4; charset=binary")).is_ok());
        assert!(check_content_type(Some("Video/MP4")).is_ok());
    }

    #[test]
    fn content_type_rejects_html() {
        let reason = check_content_type(Some("text/html; charset=utf-8")).unwrap_err();
        assert!(reason.contains("text/html"), "{reason}");
    }

    #[test]
    fn content_type_rejects_missing() {
        assert!(check_content_type(None).is_err());
    }

    #[test]
    fn leading_bytes_accept_ftyp() {
        assert!(check_leading_bytes(&tiny_mp4(1, 4)).is_ok());
    }

    #[test]
    fn leading_bytes_reject_html() {
        let reason = check_leading_bytes(b"<!DOCTYPE html><html>").unwrap_err();
        assert!(reason.contains("HTML"), "{reason}");
    }

    #[test]
    fn leading_bytes_reject_json() {
        let reason = check_leading_bytes(b"  {\"success\":false}").unwrap_err();
        assert!(reason.contains("JSON"), "{reason}");
    }

    #[test]
    fn leading_bytes_reject_short_body() {
        let reason = check_leading_bytes(b"\0\0\0").unwrap_err();
        assert!(reason.contains("only 3 bytes"), "{reason}");
    }

    #[test]
    fn leading_bytes_reject_other_box() {
        let reason = check_leading_bytes(&mp4_box(b"mdat", b"xxxx")).unwrap_err();
        assert!(reason.contains("ftyp"), "{reason}");
    }

    #[test]
    fn inspect_reads_duration_v0() {
        let info = inspect_bytes(&tiny_mp4(12, 100)).unwrap();
        assert_eq!(info.duration, Some(12.0));
        assert_eq!(info.major_brand, "isom");
    }

    #[test]
    fn inspect_reads_duration_v1() {
        let mut file = mp4_box(b"ftyp", b"M4A \0\0\0\0");
        let moov = mp4_box(b"mvhd", &mvhd_v1(44_100, 44_100 * 90));
        file.extend(mp4_box(b"moov", &moov));
        let info = inspect_bytes(&file).unwrap();
        assert_eq!(info.duration, Some(90.0));
        assert_eq!(info.major_brand, "M4A ");
    }

    #[test]
    fn inspect_maps_unknown_duration() {
        let mut file = mp4_box(b"ftyp", b"isom\0\0\0\0");
        file.extend(mp4_box(b"moov", &mp4_box(b"mvhd", &mvhd_v0(600, u32::MAX))));
        assert_eq!(inspect_bytes(&file).unwrap().duration, None);
    }

    #[test]
    fn inspect_handles_64bit_size() {
        let mut file = tiny_mp4(3, 0);
        file.truncate(file.len() - 8);
        let payload = vec![7u8; 32];
        file.extend_from_slice(&1u32.to_be_bytes());
        file.extend_from_slice(b"mdat");
        file.extend_from_slice(&(16 + payload.len() as u64).to_be_bytes());
        file.extend_from_slice(&payload);
        assert_eq!(inspect_bytes(&file).unwrap().duration, Some(3.0));
    }

    #[test]
    fn inspect_handles_size_zero_to_end() {
        let mut file = tiny_mp4(3, 0);
        file.truncate(file.len() - 8);
        file.extend_from_slice(&0u32.to_be_bytes());
        file.extend_from_slice(b"mdat");
        file.extend_from_slice(&[1u8; 50]);
        assert_eq!(inspect_bytes(&file).unwrap().len, file.len() as u64);
    }

    #[test]
    fn inspect_rejects_truncation() {
        let mut file = tiny_mp4(3, 1000);
        file.truncate(file.len() - 10);
        let reason = inspect_bytes(&file).unwrap_err();
        assert!(reason.contains("truncated"), "{reason}");
        assert!(reason.contains("mdat"), "{reason}");
    }

    #[test]
    fn inspect_rejects_stray_tail() {
        let mut file = tiny_mp4(3, 10);
        file.extend_from_slice(&[0, 0, 0]);
        let reason = inspect_bytes(&file).unwrap_err();
        assert!(reason.contains("truncated"), "{reason}");
    }

    #[test]
    fn inspect_rejects_missing_moov() {
        let mut file = mp4_box(b"ftyp", b"isom\0\0\0\0");
        file.extend(mp4_box(b"mdat", &[0u8; 20]));
        let reason = inspect_bytes(&file).unwrap_err();
        assert!(reason.contains("moov"), "{reason}");
    }

    #[test]
    fn inspect_rejects_missing_mvhd() {
        let mut file = mp4_box(b"ftyp", b"isom\0\0\0\0");
        file.extend(mp4_box(b"moov", &mp4_box(b"trak", &[0u8; 8])));
        let reason = inspect_bytes(&file).unwrap_err();
        assert!(reason.contains("mvhd"), "{reason}");
    }

    #[test]
    fn inspect_rejects_zero_timescale() {
        let mut file = mp4_box(b"ftyp", b"isom\0\0\0\0");
        file.extend(mp4_box(b"moov", &mp4_box(b"mvhd", &mvhd_v0(0, 10))));
        let reason = inspect_bytes(&file).unwrap_err();
        assert!(reason.contains("timescale"), "{reason}");
    }

    #[test]
    fn inspect_rejects_small_size_field() {
        let mut file = tiny_mp4(1, 0);
        file.extend_from_slice(&4u32.to_be_bytes());
        file.extend_from_slice(b"free");
        let reason = inspect_bytes(&file).unwrap_err();
        assert!(reason.contains("invalid size"), "{reason}");
    }

    #[test]
    fn inspect_rejects_html_file() {
        let reason = inspect_bytes(b"<html><body>Not found</body></html>").unwrap_err();
        assert!(reason.contains("HTML"), "{reason}");
    }

    #[test]
    fn inspect_file_names_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broken.mp4.part");
        let mut bytes = tiny_mp4(2, 100);
        bytes.truncate(60);
        std::fs::write(&path, bytes).unwrap();
        let error = inspect_file(&path).unwrap_err();
        assert_eq!(error.code(), "verify_failed");
        assert!(error.to_string().contains("broken.mp4.part"), "{error}");
    }

    #[test]
    fn duration_within_tolerance() {
        assert!(check_duration(Some(10.5), Some(10.0)).is_ok());
        assert!(check_duration(Some(3590.0), Some(3600.0)).is_ok());
        assert!(check_duration(None, Some(10.0)).is_ok());
        assert!(check_duration(Some(10.0), None).is_ok());
    }

    #[test]
    fn duration_outside_tolerance() {
        let reason = check_duration(Some(5.0), Some(60.0)).unwrap_err();
        assert!(reason.contains("5.00 s"), "{reason}");
        assert!(reason.contains("60.00 s"), "{reason}");
    }
}
