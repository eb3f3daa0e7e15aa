//! Free-space checks of the library volume, so a transfer that cannot fit pauses before it
//! writes instead of failing halfway.
//!
//! The check is advisory: other programs may fill the volume later, so a write can still fail
//! with ENOSPC, which pauses the job the same way.

use std::io;
use std::path::Path;

use crate::error::EngineError;

/// Space kept free beyond the bytes a download still needs, for file system metadata and the
/// catalog's journal when they share the volume.
pub const FREE_SPACE_RESERVE: u64 = 1024 * 1024;

/// Returns the bytes available to this user on the volume holding `dir`.
///
/// # Errors
/// The error of `statvfs` (Unix) or `GetDiskFreeSpaceExW` (Windows).
pub fn available_space(dir: &Path) -> io::Result<u64> {
    fs4::available_space(dir)
}

/// Checks that the volume holding `part_path` has room for `remaining` more bytes plus
/// [`FREE_SPACE_RESERVE`].
///
/// A volume whose free space cannot be read passes, because the write itself still reports a
/// full disk.
///
/// # Errors
/// [`EngineError::DiskFull`] with `needed_bytes` set to `remaining`.
pub fn ensure_room(part_path: &Path, remaining: u64) -> Result<(), EngineError> {
    let dir = part_path.parent().unwrap_or(part_path);
    let available = match available_space(dir) {
        Ok(available) => available,
        Err(error) => {
            tracing::debug!(error = %error, "could not read the free space of the library volume");
            return Ok(());
        }
    };
    if available >= remaining.saturating_add(FREE_SPACE_RESERVE) {
        return Ok(());
    }
    tracing::warn!(
        available,
        remaining,
        "the library volume has too little free space for the download"
    );
    Err(EngineError::DiskFull {
        path: part_path.to_owned(),
        needed_bytes: Some(remaining),
        source: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_for_small_file() {
        let dir = tempfile::tempdir().unwrap();
        assert!(ensure_room(&dir.path().join("a.mp4.part"), 1).is_ok());
    }

    #[test]
    fn no_room_for_huge_file() {
        let dir = tempfile::tempdir().unwrap();
        let error = ensure_room(&dir.path().join("a.mp4.part"), u64::MAX / 2).unwrap_err();
        assert_eq!(error.code(), "disk_full");
        assert!(matches!(
            error,
            EngineError::DiskFull {
                needed_bytes: Some(n),
                ..
            } if n == u64::MAX / 2
        ));
    }
}
