//! What `open` found, and the records to replay: every record at or above
//! the checkpoint, in LSN order, read one segment at a time.

use std::fs::File;
use std::io::Read;
use std::path::PathBuf;
use std::vec;

use bytes::Bytes;

use crate::WalError;
use crate::record::{self, Frame, HEADER_LEN};
use crate::salvage::SalvageReport;

/// A torn record cut from the end of the log at open.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TornTail {
    /// The segment it was cut from.
    pub path: PathBuf,
    /// Where the torn record began (the file's new length).
    pub offset: u64,
    /// How many bytes were cut.
    pub bytes: u64,
}

/// One segment's share of the replay: its first `len` bytes were verified
/// at open.
#[derive(Debug)]
pub(crate) struct ReplaySegment {
    pub(crate) path: PathBuf,
    pub(crate) len: u64,
}

/// The result of opening a log: what was found, and (as an [`Iterator`])
/// every record to replay, `(lsn, payload)` in LSN order.
///
/// Records are read lazily, one segment at a time, so memory stays at about
/// one segment. Replay them before the first
/// [`Wal::checkpoint`](crate::Wal::checkpoint) that could delete their
/// segments: a segment
/// deleted meanwhile is reported as an error item.
///
/// ```
/// # fn main() -> Result<(), jotter_wal::WalError> {
/// # let dir = tempfile::tempdir().expect("tempdir");
/// use jotter_wal::{Wal, WalOptions};
/// let (wal, recovery) = Wal::open(dir.path(), WalOptions::default())?;
/// for record in recovery {
///     let (lsn, payload) = record?;
///     // ... apply `payload` to the in-memory state ...
/// #   let _ = (lsn, payload);
/// }
/// # wal.close()
/// # }
/// ```
#[derive(Debug)]
pub struct Recovery {
    checkpoint: u64,
    next_lsn: u64,
    records: u64,
    truncated_tail: Option<TornTail>,
    salvaged: Option<SalvageReport>,
    segments: vec::IntoIter<ReplaySegment>,
    /// The segment being read, and the offset of its next record.
    current: Option<(PathBuf, Bytes, usize)>,
}

impl Recovery {
    pub(crate) fn new(
        checkpoint: u64,
        next_lsn: u64,
        records: u64,
        truncated_tail: Option<TornTail>,
        salvaged: Option<SalvageReport>,
        segments: Vec<ReplaySegment>,
    ) -> Self {
        Recovery {
            checkpoint,
            next_lsn,
            records,
            truncated_tail,
            salvaged,
            segments: segments.into_iter(),
            current: None,
        }
    }

    /// The persisted low-water mark: records below it were not kept.
    pub fn checkpoint(&self) -> u64 {
        self.checkpoint
    }

    /// The LSN the first new record will get.
    pub fn next_lsn(&self) -> u64 {
        self.next_lsn
    }

    /// How many records the iterator yields in all (counted at open).
    pub fn records(&self) -> u64 {
        self.records
    }

    /// The torn record cut from the end of the log, if there was one.
    pub fn truncated_tail(&self) -> Option<&TornTail> {
        self.truncated_tail.as_ref()
    }

    /// What salvage moved aside, if the log was damaged and
    /// [`WalOptions::salvage`](crate::WalOptions::salvage) was set.
    pub fn salvaged(&self) -> Option<&SalvageReport> {
        self.salvaged.as_ref()
    }

    fn load(segment: &ReplaySegment) -> Result<Bytes, WalError> {
        // Only the verified prefix: the writer may already be appending.
        let mut bytes = Vec::with_capacity(usize::try_from(segment.len).unwrap_or(0));
        File::open(&segment.path)
            .and_then(|file| file.take(segment.len).read_to_end(&mut bytes))
            .map_err(|e| WalError::io("read", &segment.path, e))?;
        if bytes.len() as u64 != segment.len {
            return Err(WalError::Corrupt {
                path: segment.path.clone(),
                offset: bytes.len() as u64,
                reason: "the file became shorter while it was being replayed".to_owned(),
            });
        }
        Ok(Bytes::from(bytes))
    }
}

impl Iterator for Recovery {
    type Item = Result<(u64, Bytes), WalError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some((path, data, offset)) = &mut self.current {
                while *offset < data.len() {
                    let start = *offset;
                    match record::decode(&data[start..]) {
                        Frame::Record { lsn, payload, len } => {
                            let payload_len = payload.len();
                            *offset += len;
                            if lsn >= self.checkpoint {
                                let body = start + HEADER_LEN..start + HEADER_LEN + payload_len;
                                // A slice of the segment's buffer, not a copy.
                                return Some(Ok((lsn, data.slice(body))));
                            }
                        }
                        // Verified at open, so only a change since then
                        // gets here; stop rather than guess.
                        bad => {
                            let error = WalError::Corrupt {
                                path: path.clone(),
                                offset: start as u64,
                                reason: format!("{} (the file changed after open)", bad.describe()),
                            };
                            self.current = None;
                            self.segments = Vec::new().into_iter();
                            return Some(Err(error));
                        }
                    }
                }
                self.current = None;
            }
            let segment = self.segments.next()?;
            match Self::load(&segment) {
                Ok(data) => self.current = Some((segment.path, data, 0)),
                Err(error) => {
                    self.segments = Vec::new().into_iter();
                    return Some(Err(error));
                }
            }
        }
    }
}
