//! Opening a damaged log without losing anything: every record before the
//! damage stays in the log; the rest of the damaged file and every later
//! segment are moved into `salvaged-<unix-seconds>/`, never deleted, for a
//! person (or a tool) to inspect.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::WalError;
use crate::dir::{LogDir, SALVAGED_PREFIX, cut_segment_file, segment_file_name};
use crate::record::{self, Frame};
use crate::scan::{Damage, Scan};

/// What salvage moved aside, reported by [`Recovery::salvaged`](crate::Recovery::salvaged).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SalvageReport {
    /// The folder holding what was moved, inside the log directory.
    pub folder: PathBuf,
    /// The damage that was found: the error `open` gives without salvage.
    pub cause: WalError,
    /// The files in `folder`: the damaged segment's remainder is named
    /// `<segment>.log.from-<offset>`, whole segments keep their names.
    pub moved: Vec<PathBuf>,
}

/// Moves everything from the scan's damage on into a new salvage folder,
/// leaving a log that opens cleanly. Returns the report and the highest LSN
/// seen in what was moved, so new records never reuse those LSNs.
pub(crate) fn salvage(dir: &LogDir, scan: &mut Scan) -> Result<(SalvageReport, u64), WalError> {
    let Some(cause) = scan.damage_error(dir) else {
        return Err(WalError::InvalidOptions("salvage called on an undamaged log"));
    };
    let folder = new_folder(dir.path())?;
    let mut moved = Vec::new();
    let mut highest = 0;

    if let Some(Damage::Corrupt { offset, .. }) = scan.damage
        && let Some(segment) = scan.scanned.last_mut()
    {
        let target = folder.join(format!("{}.from-{offset}", segment_file_name(segment.name)));
        // Copy first, cut second: a crash in between leaves the bytes in
        // both places, never in neither.
        copy_tail(&segment.path, offset, &target)
            .map_err(|e| WalError::io("copy the damaged part to", &target, e))?;
        cut_segment_file(&segment.path, offset)
            .map_err(|e| WalError::io("cut the damaged part from", &segment.path, e))?;
        segment.file_len = offset;
        moved.push(target);
    }
    for &name in &scan.rest {
        let from = dir.segment_path(name);
        let to = folder.join(segment_file_name(name));
        highest = highest.max(name).max(highest_lsn_in(&from));
        fs::rename(&from, &to).map_err(|e| WalError::io("move aside", &from, e))?;
        moved.push(to);
    }
    File::open(&folder)
        .and_then(|f| f.sync_all())
        .and_then(|()| dir.sync())
        .map_err(|e| WalError::io("fsync", &folder, e))?;

    scan.rest.clear();
    scan.damage = None;
    tracing::warn!(
        folder = %folder.display(), files = moved.len(), cause = %cause,
        "salvaged a damaged log: the records before the damage are kept, the rest was moved aside"
    );
    Ok((SalvageReport { folder, cause, moved }, highest))
}

/// `salvaged-<unix-seconds>`, with `-N` added if that already exists.
fn new_folder(dir: &Path) -> Result<PathBuf, WalError> {
    let seconds = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    for attempt in 0..1000_u32 {
        let name = match attempt {
            0 => format!("{SALVAGED_PREFIX}{seconds}"),
            n => format!("{SALVAGED_PREFIX}{seconds}-{n}"),
        };
        let path = dir.join(name);
        match fs::create_dir(&path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(WalError::io("create", path, e)),
        }
    }
    Err(WalError::InvalidOptions("no free salvage folder name"))
}

fn copy_tail(from: &Path, offset: u64, to: &Path) -> io::Result<()> {
    let mut source = File::open(from)?;
    source.seek(SeekFrom::Start(offset))?;
    let mut bytes = Vec::new();
    source.read_to_end(&mut bytes)?;
    let mut target = OpenOptions::new().write(true).create_new(true).open(to)?;
    target.write_all(&bytes)?;
    target.sync_all()
}

/// The highest LSN among the readable records at the start of a segment
/// about to be moved; best effort (0 if unreadable).
fn highest_lsn_in(path: &Path) -> u64 {
    let Ok(data) = fs::read(path) else { return 0 };
    let mut offset = 0;
    let mut highest = 0;
    while let Frame::Record { lsn, len, .. } = record::decode(&data[offset..]) {
        highest = highest.max(lsn);
        offset += len;
    }
    highest
}
