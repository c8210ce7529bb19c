//! The low-water mark: every record with an LSN below it is no longer
//! needed. Persisted in `CHECKPOINT` (format in the crate documentation) by
//! write-temp, fsync, rename, fsync-directory, so a crash leaves either the
//! old mark or the new one, never a torn one.

use std::fs::{self, File};
use std::io::{self, Write};

use bytes::{Buf, BufMut};

use crate::WalError;
use crate::dir::{CHECKPOINT_FILE, LogDir, TEMP_FILE};

const MAGIC: &[u8; 4] = b"JWCK";
const FILE_LEN: usize = 16;

/// Reads the persisted mark; `None` if no checkpoint was ever taken.
pub(crate) fn load(dir: &LogDir) -> Result<Option<u64>, WalError> {
    let path = dir.path().join(CHECKPOINT_FILE);
    let bytes = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(WalError::io("read", path, e)),
    };
    let corrupt = |reason: &str| WalError::Corrupt {
        path: path.clone(),
        offset: 0,
        reason: reason.to_owned(),
    };
    if bytes.len() != FILE_LEN {
        return Err(corrupt("the checkpoint file has the wrong length"));
    }
    if &bytes[..4] != MAGIC {
        return Err(corrupt("the checkpoint file does not start with JWCK"));
    }
    let mut body = &bytes[4..];
    let low_water = body.get_u64_le();
    let crc = body.get_u32_le();
    if crc32fast::hash(&bytes[..12]) != crc {
        return Err(corrupt("the checkpoint file's checksum does not match"));
    }
    Ok(Some(low_water))
}

/// Persists `low_water` durably, replacing any earlier mark.
pub(crate) fn store(dir: &LogDir, low_water: u64) -> Result<(), WalError> {
    let temp = dir.path().join(TEMP_FILE);
    let target = dir.path().join(CHECKPOINT_FILE);
    let mut bytes = Vec::with_capacity(FILE_LEN);
    bytes.put_slice(MAGIC);
    bytes.put_u64_le(low_water);
    bytes.put_u32_le(crc32fast::hash(&bytes));
    File::create(&temp)
        .and_then(|mut file| {
            file.write_all(&bytes)?;
            file.sync_all()
        })
        .map_err(|e| WalError::io("write", &temp, e))?;
    fs::rename(&temp, &target).map_err(|e| WalError::io("rename into place", &target, e))?;
    dir.sync().map_err(|e| WalError::io("fsync", dir.path(), e))
}

/// How many of the leading `segments` (sorted names) hold only records
/// below `low_water`: those whose successor starts at or below it. The last
/// segment, being written, never counts.
pub(crate) fn wholly_below(segments: &[u64], low_water: u64) -> usize {
    segments.windows(2).take_while(|pair| pair[1] <= low_water).count()
}

/// Deletes the given segments, oldest first. Returns how many are gone when
/// it stops at an error. Not followed by a directory fsync: a deletion that
/// a power loss undoes is simply redone by the next `open`.
pub(crate) fn delete_segments(dir: &LogDir, names: &[u64]) -> (usize, Result<(), WalError>) {
    for (done, &name) in names.iter().enumerate() {
        let path = dir.segment_path(name);
        match fs::remove_file(&path) {
            Ok(()) => {
                tracing::debug!(path = %path.display(), "log segment below the checkpoint deleted")
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return (done, Err(WalError::io("delete", path, e))),
        }
    }
    (names.len(), Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_segments_followed_by_one_at_or_below_the_mark_go() {
        assert_eq!(wholly_below(&[1, 50, 100], 49), 0);
        assert_eq!(wholly_below(&[1, 50, 100], 50), 1);
        assert_eq!(wholly_below(&[1, 50, 100], 1000), 2, "the last segment always stays");
        assert_eq!(wholly_below(&[7], 1000), 0);
    }

    #[test]
    fn store_then_load_and_detect_damage() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = LogDir::create(tmp.path()).expect("dir");
        assert_eq!(load(&dir).expect("load"), None);
        store(&dir, 12345).expect("store");
        assert_eq!(load(&dir).expect("load"), Some(12345));
        store(&dir, 99).expect("store");
        assert_eq!(load(&dir).expect("load"), Some(99));

        let path = tmp.path().join(CHECKPOINT_FILE);
        let mut bytes = fs::read(&path).expect("read");
        bytes[6] ^= 1;
        fs::write(&path, bytes).expect("write");
        assert!(matches!(load(&dir), Err(WalError::Corrupt { offset: 0, .. })));
    }
}
