//! # jotter-wal: Jotter's write-ahead log
//!
//! Jotter acknowledges writes from memory and stores them in the database
//! later. This crate closes the window in between: it owns one directory of
//! append-only segment files, gives every record a sequence number (LSN),
//! makes records durable as the [`Fsync`] policy says *before* reporting
//! them durable, and on the next start hands back every record not yet
//! released by a checkpoint. Records are opaque bytes; what they mean is the
//! caller's business.
//!
//! ## What it guarantees
//!
//! - **Order.** [`Wal::submit`] assigns LSNs in call order (1, 2, 3, …) and
//!   the log holds records in LSN order. An open log never hands out an LSN
//!   twice, even for a record that failed to be written (its LSN is left
//!   unused). After a reopen, LSNs continue after the last record kept and
//!   never below the checkpoint; the LSNs of records that failed just before
//!   a close may be handed out again, since nothing of them survived.
//! - **Durability, per policy, stated honestly.** A [`Pending`] resolves
//!   `Ok` only when:
//!   - [`Fsync::Always`]: an `fdatasync` covering the record has returned.
//!     Survives `kill -9` and power loss. A writer thread takes every record
//!     queued at that moment and writes and fsyncs them once (group
//!     commit), so throughput grows with the number of concurrent writers.
//!   - [`Fsync::EverySec`]: the record has been written to the operating
//!     system; a background fsync runs once a second. Survives `kill -9`;
//!     power loss may cost about the last second. If a background fsync
//!     fails, that second may be lost at power loss (the failure is logged
//!     and counted), and each later batch waits for its own fsync until one
//!     succeeds.
//!   - [`Fsync::No`]: the record has been written to the operating system,
//!     which decides when it reaches the disk. Survives `kill -9`; power loss
//!     may cost whatever the OS had not written yet.
//!
//!   Under `EverySec` and `No` no thread writes for the caller: the caller
//!   waiting on a [`Pending`] writes the whole queue itself (its record and
//!   every one queued meanwhile, with one `write`) unless another caller's
//!   write already covered it. One [`Pending`] may cover many records
//!   ([`Pending::absorb`]) and is waited for once.
//! - **Failures are never acknowledged.** If a write or fsync fails (disk
//!   full, I/O error), every record of that batch resolves to
//!   [`WalError::Write`] or [`WalError::Sync`], the segment is cut back to
//!   its last good length, and later submits are tried again, so writing
//!   resumes by itself once space returns.
//! - **Bounded disk.** [`Wal::checkpoint`] persists a low-water mark and
//!   deletes every segment holding only records below it.
//! - **One owner.** An exclusive lock on `LOCK` for the `Wal`'s lifetime;
//!   a second [`Wal::open`] gets [`WalError::Locked`] naming the holder's pid.
//!
//! ## Directory layout
//!
//! | file | what |
//! |---|---|
//! | `NNNNNNNNNNNNNNNNNNNN.log` | a segment: records back to back. Its name is its first LSN, zero-padded to 20 digits: exactly the LSN after the previous segment's last record (normally the LSN of its own first record). A new segment starts once one holds [`WalOptions::segment_size`] bytes; batches are split between segments at record boundaries, so a segment exceeds that by at most one record. |
//! | `CHECKPOINT` | the low-water mark (below); absent until the first checkpoint |
//! | `LOCK` | the holder's pid in decimal, then `\n`; the lock on it is what counts |
//! | `salvaged-<unix-seconds>/` | what [`WalOptions::salvage`] moved aside |
//! | anything else | the owner's, left alone: Jotter keeps `FORMAT` (the directory's format number, checked before this crate opens the log), `CLOCK` and `dead-letters` here (see the `jotter` crate's docs) |
//!
//! ## Record format (little-endian, no padding, no segment header)
//!
//! | bytes | field | meaning |
//! |---|---|---|
//! | 0..4 | `len: u32` | payload length in bytes, at most [`MAX_PAYLOAD_LEN`] |
//! | 4..8 | `crc: u32` | CRC-32 (IEEE, as `crc32fast`) over bytes 8..16+len: the LSN, then the payload |
//! | 8..16 | `lsn: u64` | the record's sequence number |
//! | 16..16+len | payload | the caller's bytes |
//!
//! Within a segment LSNs rise strictly (they may skip numbers of records
//! that failed to be written); the first is at least the segment's name.
//!
//! ## `CHECKPOINT` format (16 bytes, little-endian)
//!
//! | bytes | field |
//! |---|---|
//! | 0..4 | magic `JWCK` |
//! | 4..12 | `low_water: u64`: records with a lower LSN are no longer needed |
//! | 12..16 | `crc: u32`: CRC-32 of bytes 0..12 |
//!
//! It is replaced by writing `CHECKPOINT.tmp`, fsync, rename, fsync of the
//! directory, so a crash leaves the old mark or the new one.
//!
//! ## Recovery rules
//!
//! [`Wal::open`] reads every segment once and checks every checksum, then:
//! - **Torn tail** — bad bytes at the end of the *last* segment (an
//!   incomplete record, or a bad checksum) with no valid record anywhere
//!   after them are a write cut short by a crash: they are cut off, with a
//!   `tracing` warning naming the file and offset, and reported in
//!   [`Recovery::truncated_tail`].
//! - **Damage** — a bad record anywhere else (or one followed by valid
//!   records), LSNs out of order, or a missing segment (a file not
//!   continuing where the previous one ended, or a first file starting
//!   above the checkpoint) stops `open` with [`WalError::Corrupt`] or
//!   [`WalError::Gap`], naming the file and offset.
//! - **Salvage** — with [`WalOptions::salvage`], everything before the
//!   damage is kept and the rest (the damaged file's remainder and every
//!   later segment) is moved into `salvaged-<unix-seconds>/`; nothing is
//!   deleted. See [`Recovery::salvaged`].
//!
//! One honest limit: a power cut in the middle of a multi-page write can
//! leave a hole followed by intact records of the same unsynced batch. That
//! is reported as damage, not cut as a torn tail; salvage then keeps every
//! record before the hole (none after it had been acknowledged under
//! [`Fsync::Always`]).
//!
//! ## Components
//!
//! - `wal` — [`Wal`]: open, submit, checkpoint, close.
//! - `queue` — records not yet written: LSNs assigned and records framed
//!   under one lock.
//! - `state`, `shared` — what callers, writers and the thread share, and
//!   how a waiting caller gets its record resolved (writes the queue, or
//!   waits for the writer thread).
//! - `writer` — the write lock's holder: one write per batch, fsync policy,
//!   rolling, cutting back after failures.
//! - `background` — the thread: group commit under `Always`, the fsync each
//!   second under `EverySec`, draining at close.
//! - `refusals` — the LSNs failures refused; `waiters` — tasks waiting for
//!   the writer thread.
//! - `pending` — [`Pending`], what a caller waits on or awaits.
//! - `record` — the framing above.
//! - `segment` — the active segment file.
//! - `dir` — file names and directory fsync.
//! - `scan` — the checks at open; `salvage` — moving damage aside;
//!   `recovery` — [`Recovery`], the records to replay.
//! - `checkpoint` — the low-water mark and what it releases.
//! - `lock` — the directory lock.
//!
//! ## Example
//!
//! ```
//! # fn main() -> Result<(), jotter_wal::WalError> {
//! use jotter_wal::{Fsync, Wal, WalOptions};
//!
//! let dir = tempfile::tempdir().expect("temporary directory");
//! let options = WalOptions::default().with_fsync(Fsync::Always);
//! let (wal, recovery) = Wal::open(dir.path(), options.clone())?;
//! assert_eq!(recovery.records(), 0);
//!
//! // Submit (e.g. under the caller's own lock), then wait outside it.
//! let pending = wal.submit(b"set k v")?;
//! let lsn = pending.wait()?; // durable: fsynced
//! wal.close()?;
//!
//! let (wal, recovery) = Wal::open(dir.path(), options)?;
//! let records: Vec<_> = recovery.collect::<Result<_, _>>()?;
//! assert_eq!(records, vec![(lsn, bytes::Bytes::from_static(b"set k v"))]);
//! wal.checkpoint(lsn + 1)?; // stored elsewhere now: no longer needed
//! # wal.close()
//! # }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod background;
mod checkpoint;
mod dir;
mod disk;
mod error;
mod lock;
mod options;
mod pending;
mod queue;
mod record;
mod recovery;
mod refusals;
mod salvage;
mod scan;
mod segment;
mod shared;
mod state;
mod stats;
mod waiters;
mod wal;
mod writer;

#[cfg(test)]
mod disk_trouble_tests;
#[cfg(test)]
mod group_write_tests;

pub use dir::is_log_file;
pub use disk::DiskUsage;
pub use error::WalError;
pub use lock::check_lock;
pub use options::{Fsync, WalOptions};
pub use pending::Pending;
pub use record::MAX_PAYLOAD_LEN;
pub use recovery::{Recovery, TornTail};
pub use salvage::SalvageReport;
pub use stats::WalStats;
pub use wal::Wal;
