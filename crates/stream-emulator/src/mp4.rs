//! Reads the duration and picture size of an MP4 (ISO BMFF) file from its `moov` box.
//!
//! Only box headers and the small `mvhd` and `tkhd` payloads are read, so the cost does not
//! depend on the file size and a `moov` box at the end of the file (no `+faststart`) works too.
//! The parser never trusts a box size to be sane: sizes that overrun their parent end the walk.

use std::io::{self, Read, Seek, SeekFrom};

/// Facts read from an MP4 header.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mp4Info {
    /// Presentation duration in seconds, from `mvhd` (`None` when the header states none).
    pub duration_seconds: Option<f64>,
    /// Display width and height of the first track with a picture size, from `tkhd`.
    pub dimensions: Option<(u32, u32)>,
}

/// Nesting limit for boxes, far above what `moov/trak/tkhd` needs.
const MAX_DEPTH: usize = 4;

/// Parses `mvhd` and `tkhd` from an MP4 read through `reader`.
///
/// # Errors
/// Returns `InvalidData` when the data has no `moov/mvhd` box or a header is truncated, and any
/// I/O error from the reader.
pub fn parse<R: Read + Seek>(reader: &mut R) -> io::Result<Mp4Info> {
    let end = reader.seek(SeekFrom::End(0))?;
    reader.seek(SeekFrom::Start(0))?;

    let mut info = Mp4Info {
        duration_seconds: None,
        dimensions: None,
    };
    let mut found_mvhd = false;
    walk(reader, 0, end, 0, &mut info, &mut found_mvhd)?;

    if !found_mvhd {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "no moov/mvhd box found; the file is not an MP4 or is incomplete",
        ));
    }
    Ok(info)
}

/// Walks the boxes between `start` and `end`, descending into `moov` and `trak`.
fn walk<R: Read + Seek>(
    reader: &mut R,
    start: u64,
    end: u64,
    depth: usize,
    info: &mut Mp4Info,
    found_mvhd: &mut bool,
) -> io::Result<()> {
    let mut position = start;
    while position + 8 <= end {
        reader.seek(SeekFrom::Start(position))?;
        let Some(header) = read_box_header(reader, position, end)? else {
            return Ok(());
        };

        let payload_start = position + header.header_len;
        let payload_len = header.box_end - payload_start;
        match &header.kind {
            b"moov" | b"trak" if depth < MAX_DEPTH => {
                walk(
                    reader,
                    payload_start,
                    header.box_end,
                    depth + 1,
                    info,
                    found_mvhd,
                )?;
            }
            b"mvhd" => {
                info.duration_seconds = read_mvhd(reader, payload_len)?;
                *found_mvhd = true;
            }
            b"tkhd" if info.dimensions.is_none() => {
                info.dimensions = read_tkhd(reader, payload_len)?;
            }
            _ => {}
        }
        position = header.box_end;
    }
    Ok(())
}

struct BoxHeader {
    kind: [u8; 4],
    header_len: u64,
    box_end: u64,
}

/// Reads one box header at `position`; returns `None` when the box overruns `parent_end`.
fn read_box_header<R: Read>(
    reader: &mut R,
    position: u64,
    parent_end: u64,
) -> io::Result<Option<BoxHeader>> {
    let mut head = [0u8; 8];
    reader.read_exact(&mut head)?;
    let size32 = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    let kind = [head[4], head[5], head[6], head[7]];

    // Size 1 means a 64-bit size follows; size 0 means "to the end of the parent".
    let (size, header_len) = match size32 {
        0 => (parent_end - position, 8),
        1 => {
            let mut large = [0u8; 8];
            reader.read_exact(&mut large)?;
            (u64::from_be_bytes(large), 16)
        }
        n => (u64::from(n), 8),
    };

    if size < header_len || position.saturating_add(size) > parent_end {
        return Ok(None);
    }
    Ok(Some(BoxHeader {
        kind,
        header_len,
        box_end: position + size,
    }))
}

/// Reads the movie timescale and duration; all-ones durations mean "unknown".
fn read_mvhd<R: Read>(reader: &mut R, payload_len: u64) -> io::Result<Option<f64>> {
    let payload = read_payload(reader, payload_len, 32)?;
    let version = payload[0];

    let (timescale, duration) = if version == 1 {
        // version+flags 4, creation 8, modification 8, timescale 4, duration 8
        (be_u32(&payload[20..24]), be_u64(&payload[24..32]))
    } else {
        // version+flags 4, creation 4, modification 4, timescale 4, duration 4
        let duration = be_u32(&payload[16..20]);
        let duration = if duration == u32::MAX {
            u64::MAX
        } else {
            u64::from(duration)
        };
        (be_u32(&payload[12..16]), duration)
    };

    if timescale == 0 || duration == u64::MAX {
        return Ok(None);
    }
    Ok(Some(duration as f64 / f64::from(timescale)))
}

/// Reads the display size (16.16 fixed point) of a track; audio tracks report zero.
fn read_tkhd<R: Read>(reader: &mut R, payload_len: u64) -> io::Result<Option<(u32, u32)>> {
    let version = read_payload(reader, payload_len, 1)?[0];

    // Width and height are the last 8 bytes of a tkhd payload, which is 84 bytes long in
    // version 0 and 96 bytes long in version 1. Offsets below count from after the version byte.
    let size_offset = if version == 1 { 87 } else { 75 };
    let rest = read_payload(reader, payload_len - 1, size_offset + 8)?;

    let width = be_u32(&rest[size_offset..size_offset + 4]) >> 16;
    let height = be_u32(&rest[size_offset + 4..size_offset + 8]) >> 16;
    if width == 0 || height == 0 {
        return Ok(None);
    }
    Ok(Some((width, height)))
}

/// Reads `min_len` bytes of a payload that is `payload_len` long.
fn read_payload<R: Read>(reader: &mut R, payload_len: u64, min_len: usize) -> io::Result<Vec<u8>> {
    if payload_len < min_len as u64 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "MP4 header box is truncated: {payload_len} bytes, expected at least {min_len}"
            ),
        ));
    }
    let mut buffer = vec![0u8; min_len];
    reader.read_exact(&mut buffer)?;
    Ok(buffer)
}

fn be_u32(bytes: &[u8]) -> u32 {
    u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

fn be_u64(bytes: &[u8]) -> u64 {
    let mut array = [0u8; 8];
    array.copy_from_slice(&bytes[..8]);
    u64::from_be_bytes(array)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn mp4_box(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut out = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(payload);
        out
    }

    fn mvhd_v0(timescale: u32, duration: u32) -> Vec<u8> {
        let mut payload = vec![0u8; 100];
        payload[12..16].copy_from_slice(&timescale.to_be_bytes());
        payload[16..20].copy_from_slice(&duration.to_be_bytes());
        mp4_box(b"mvhd", &payload)
    }

    fn tkhd_v0(width: u32, height: u32) -> Vec<u8> {
        let mut payload = vec![0u8; 84];
        payload[76..80].copy_from_slice(&(width << 16).to_be_bytes());
        payload[80..84].copy_from_slice(&(height << 16).to_be_bytes());
        mp4_box(b"tkhd", &payload)
    }

    fn movie(children: &[Vec<u8>]) -> Vec<u8> {
        let mut file = mp4_box(b"ftyp", b"isom\0\0\x02\0");
        file.extend(mp4_box(b"moov", &children.concat()));
        file
    }

    #[test]
    fn parse_version0_duration() {
        let file = movie(&[mvhd_v0(1000, 12_500)]);

        let info = parse(&mut Cursor::new(file)).unwrap();

        assert_eq!(info.duration_seconds, Some(12.5));
    }

    #[test]
    fn parse_version1_duration() {
        let mut payload = vec![0u8; 112];
        payload[0] = 1;
        payload[20..24].copy_from_slice(&90_000u32.to_be_bytes());
        payload[24..32].copy_from_slice(&(90_000u64 * 3).to_be_bytes());
        let file = movie(&[mp4_box(b"mvhd", &payload)]);

        let info = parse(&mut Cursor::new(file)).unwrap();

        assert_eq!(info.duration_seconds, Some(3.0));
    }

    #[test]
    fn parse_skips_audio_track_size() {
        let audio = mp4_box(b"trak", &tkhd_v0(0, 0));
        let video = mp4_box(b"trak", &tkhd_v0(640, 360));
        let file = movie(&[mvhd_v0(1000, 1000), audio, video]);

        let info = parse(&mut Cursor::new(file)).unwrap();

        assert_eq!(info.dimensions, Some((640, 360)));
    }

    #[test]
    fn parse_unknown_duration_is_none() {
        let file = movie(&[mvhd_v0(1000, u32::MAX)]);

        let info = parse(&mut Cursor::new(file)).unwrap();

        assert_eq!(info.duration_seconds, None);
    }

    #[test]
    fn parse_rejects_file_without_moov() {
        let file = mp4_box(b"ftyp", b"isom");

        let error = parse(&mut Cursor::new(file)).unwrap_err();

        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn parse_rejects_truncated_mvhd() {
        let file = movie(&[mp4_box(b"mvhd", &[0u8; 10])]);

        let error = parse(&mut Cursor::new(file)).unwrap_err();

        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn parse_stops_at_oversized_box() {
        let mut file = mp4_box(b"ftyp", b"isom");
        file.extend_from_slice(&u32::MAX.to_be_bytes());
        file.extend_from_slice(b"moov");

        let error = parse(&mut Cursor::new(file)).unwrap_err();

        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
    }
}
