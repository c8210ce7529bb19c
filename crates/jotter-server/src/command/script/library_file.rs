//! The file that keeps FUNCTION libraries across restarts:
//! `<data-dir>/state/FUNCTIONS`, holding FUNCTION DUMP's payload (so its
//! CRC-64 catches a damaged file). It is replaced whole and atomically
//! after every change (written beside, synced, renamed over, the folder
//! synced), so a crash leaves the old libraries or the new, never a mix.

use std::io::Write;
use std::path::Path;

/// The payload kept in `file`; `None` when there is none yet.
pub(super) fn read(file: &Path) -> Result<Option<Vec<u8>>, String> {
    match std::fs::read(file) {
        Ok(payload) => Ok(Some(payload)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("ERR cannot read the function libraries {}: {e}", file.display())),
    }
}

/// Replaces `file` with `payload`.
pub(super) fn write(file: &Path, payload: &[u8]) -> Result<(), String> {
    let failed = |e: std::io::Error| {
        format!("ERR cannot keep the function libraries in {}: {e}", file.display())
    };
    let dir = file.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(failed)?;
    let temporary = file.with_extension("new");
    let mut out = std::fs::File::create(&temporary).map_err(failed)?;
    out.write_all(payload).map_err(failed)?;
    out.sync_all().map_err(failed)?;
    std::fs::rename(&temporary, file).map_err(failed)?;
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_payload_reads_back_and_a_missing_file_is_none() {
        let dir = tempfile::TempDir::new().unwrap();
        let file = dir.path().join("state").join("FUNCTIONS");
        assert_eq!(read(&file).unwrap(), None);
        write(&file, b"one").unwrap();
        write(&file, b"two").unwrap();
        assert_eq!(read(&file).unwrap().as_deref(), Some(&b"two"[..]));
    }
}
