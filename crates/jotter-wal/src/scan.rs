//! The check at open: every segment is read once, every record's checksum
//! and order verified, the files proved contiguous, and the end of the
//! good log found. Nothing is changed here; `Wal::open` acts on the result.

use std::fs;
use std::path::PathBuf;

use crate::WalError;
use crate::dir::LogDir;
use crate::record::{self, Frame};

/// One segment that was read.
#[derive(Debug)]
pub(crate) struct ScannedSegment {
    pub(crate) name: u64,
    pub(crate) path: PathBuf,
    /// Bytes of whole, valid records from the start of the file.
    pub(crate) valid_len: u64,
    pub(crate) file_len: u64,
    /// The LSN of the last valid record, if any.
    pub(crate) last_lsn: Option<u64>,
    /// Valid records at or above the checkpoint: the ones recovery yields.
    pub(crate) replay: u64,
}

/// Where and why the log cannot be read on.
#[derive(Debug)]
pub(crate) enum Damage {
    /// Bad bytes in the last scanned segment, at `offset`.
    Corrupt { offset: u64, reason: String },
    /// The first segment of `rest` does not continue the log.
    Gap { expected: u64, found: u64 },
}

/// The outcome of a scan.
#[derive(Debug)]
pub(crate) struct Scan {
    /// Segments read, in order. With [`Damage::Corrupt`] the last of them is
    /// the damaged one, its `valid_len` at the damage.
    pub(crate) scanned: Vec<ScannedSegment>,
    /// Segments after the damage, not read.
    pub(crate) rest: Vec<u64>,
    pub(crate) damage: Option<Damage>,
    /// A torn record at the end of the last segment: its offset. Nothing
    /// valid follows it, so it can be cut off.
    pub(crate) torn_tail: Option<u64>,
}

impl Scan {
    /// The damage as the error `open` returns without salvage.
    pub(crate) fn damage_error(&self, dir: &LogDir) -> Option<WalError> {
        match self.damage.as_ref()? {
            Damage::Corrupt { offset, reason } => {
                let path = self.scanned.last().map(|s| s.path.clone()).unwrap_or_default();
                Some(WalError::Corrupt { path, offset: *offset, reason: reason.clone() })
            }
            Damage::Gap { expected, found } => Some(WalError::Gap {
                path: dir.segment_path(*found),
                expected: *expected,
                found: *found,
            }),
        }
    }
}

/// Reads the segments `names` (sorted) of `dir`. Records below `checkpoint`
/// are checked but not counted for replay. The first segment must start at
/// or before `max(checkpoint, 1)`, or the records between are missing.
pub(crate) fn scan(dir: &LogDir, names: &[u64], checkpoint: u64) -> Result<Scan, WalError> {
    let mut scan = Scan { scanned: Vec::new(), rest: Vec::new(), damage: None, torn_tail: None };
    for (index, &name) in names.iter().enumerate() {
        let expected = match scan.scanned.last() {
            // Each segment is named after the LSN following the previous
            // segment's last record, so a missing file shows as a jump.
            Some(prev) => prev.last_lsn.map_or(prev.name, |last| last + 1),
            None => checkpoint.max(1),
        };
        let continues = if index == 0 { name <= expected } else { name == expected };
        if !continues {
            scan.damage = Some(Damage::Gap { expected, found: name });
            scan.rest = names[index..].to_vec();
            break;
        }
        let is_last = index + 1 == names.len();
        let (segment, outcome) = scan_segment(dir, name, checkpoint, is_last)?;
        scan.scanned.push(segment);
        match outcome {
            Outcome::Clean => {}
            Outcome::TornTail(offset) => scan.torn_tail = Some(offset),
            Outcome::Damaged(offset, reason) => {
                scan.damage = Some(Damage::Corrupt { offset, reason });
                scan.rest = names[index + 1..].to_vec();
                break;
            }
        }
    }
    Ok(scan)
}

enum Outcome {
    Clean,
    TornTail(u64),
    Damaged(u64, String),
}

fn scan_segment(
    dir: &LogDir,
    name: u64,
    checkpoint: u64,
    is_last: bool,
) -> Result<(ScannedSegment, Outcome), WalError> {
    let path = dir.segment_path(name);
    let data = fs::read(&path).map_err(|e| WalError::io("read", &path, e))?;
    let mut offset = 0;
    let mut last_lsn = None;
    let mut replay = 0;
    let mut outcome = Outcome::Clean;
    while offset < data.len() {
        // LSNs rise strictly; they may jump (records that failed to be
        // written keep their LSNs unused), never fall or repeat.
        let min_lsn = last_lsn.map_or(name, |last: u64| last + 1);
        match record::decode(&data[offset..]) {
            Frame::Record { lsn, len, .. } if lsn >= min_lsn => {
                if lsn >= checkpoint {
                    replay += 1;
                }
                last_lsn = Some(lsn);
                offset += len;
            }
            Frame::Record { lsn, .. } => {
                let reason =
                    format!("a record with LSN {lsn} appears where LSN {min_lsn} or later belongs");
                outcome = Outcome::Damaged(offset as u64, reason);
                break;
            }
            bad => {
                // In the last file, bad bytes with nothing valid after them
                // are a write cut short by a crash, never acknowledged as
                // durable by `Always`: safe to cut. Anything else is damage.
                outcome = if is_last && !record::valid_record_after(&data, offset + 1, min_lsn) {
                    Outcome::TornTail(offset as u64)
                } else {
                    Outcome::Damaged(offset as u64, bad.describe())
                };
                break;
            }
        }
    }
    let segment = ScannedSegment {
        name,
        path,
        valid_len: offset as u64,
        file_len: data.len() as u64,
        last_lsn,
        replay,
    };
    Ok((segment, outcome))
}
