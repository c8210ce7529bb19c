//! The engine's side of the write-ahead log (`jotter-wal`): every accepted
//! write is submitted as a record under its shard lock (so the log's order
//! is each key's order) and acknowledged only once the log says it is
//! durable under the chosen [`Fsync`] policy; at start, the records not yet
//! released by a checkpoint are replayed into the write buffer. A multi-key
//! transaction's writes are one record (a group, under all its shards'
//! locks), so a crash keeps all of them or none; they share its LSN.
//!
//! The low-water mark is the smallest log sequence number of any write not
//! yet in the store (or the next one, when nothing is pending); the log
//! forgets everything below it, so its disk use follows what is pending.

use std::path::PathBuf;

use bytes::Bytes;
use jotter_wal::{Fsync, Pending as Durable, Recovery, Wal, WalOptions};

use crate::data_dir::DataDir;
use crate::error::{Error, Result};
use crate::op::Op;
use crate::{log_format, record};

/// Where and how the log is kept.
#[derive(Clone, Debug)]
pub(crate) struct LogConfig {
    pub data: DataDir,
    pub fsync: Fsync,
    pub salvage: bool,
    pub segment_size: u64,
}

#[derive(Debug)]
pub(crate) struct Log {
    wal: Wal,
    /// Where [`Log::save_clock`] writes.
    clock: PathBuf,
}

/// One replayed write.
pub(crate) struct Replayed {
    pub lsn: u64,
    pub key: Bytes,
    pub version: u64,
    pub op: Op,
}

/// A log opened at start, and what it holds to replay.
pub(crate) struct Opened {
    pub log: Log,
    pub recovery: Recovery,
}

impl Log {
    /// Opens the log (taking its directory's lock) and returns the records
    /// to replay.
    pub(crate) fn open(config: &LogConfig) -> Result<Opened> {
        let options = WalOptions::default()
            .with_fsync(config.fsync)
            .with_salvage(config.salvage)
            .with_segment_size(config.segment_size);
        // Before the log reads a segment: a newer format is not damage.
        let format = config.data.prepare()?;
        let (wal, recovery) = Wal::open(config.data.log(), options)
            .map_err(|e| Error::recovery_from(e.to_string(), e))?;
        log_format::mark(&config.data.state(), format)?;
        config.data.finish()?;
        if let Some(tail) = recovery.truncated_tail() {
            tracing::warn!(?tail, "cut a torn record off the end of the log (a crash mid-write)");
        }
        if let Some(salvaged) = recovery.salvaged() {
            tracing::warn!(
                ?salvaged,
                "salvaged the log: damaged parts were moved aside, not deleted"
            );
        }
        Ok(Opened { log: Log { wal, clock: config.data.clock_file() }, recovery })
    }

    /// Submits the record of one write; the returned handle resolves once it
    /// is durable. The record is encoded straight into the log's batch.
    pub(crate) fn submit(&self, key: &[u8], version: u64, op: &Op) -> Result<Durable> {
        // Room for the key and the record's fixed fields; a value grows the
        // batch's buffer, which keeps its capacity from batch to batch.
        let hint = key.len() + 32;
        self.wal.submit_with(hint, |buf| record::encode(buf, key, version, op)).map_err(Error::Log)
    }

    /// Submits the one record of a transaction's `writes` (key, version,
    /// op; two or more): a crash keeps all of them or none, and they share
    /// its LSN.
    pub(crate) fn submit_group<'a>(
        &self,
        writes: impl ExactSizeIterator<Item = (&'a [u8], u64, &'a Op)> + Clone,
    ) -> Result<Durable> {
        let hint = 5 + writes.clone().map(|(key, _, _)| key.len() + 36).sum::<usize>();
        self.wal.submit_with(hint, |buf| record::encode_group(buf, writes)).map_err(Error::Log)
    }

    /// The LSN the next record will get.
    pub(crate) fn next_lsn(&self) -> u64 {
        self.wal.next_lsn()
    }

    /// The log's bytes on disk and its file system's free space and size.
    pub(crate) fn disk_usage(
        &self,
    ) -> std::result::Result<jotter_wal::DiskUsage, jotter_wal::WalError> {
        self.wal.disk_usage()
    }

    /// Lets the log forget every record below `low_water`.
    pub(crate) fn checkpoint(&self, low_water: u64) {
        if let Err(e) = self.wal.checkpoint(low_water) {
            tracing::warn!(error = %e, low_water, "could not checkpoint the write-ahead log; it keeps growing until it can");
        }
    }
}

/// How far above the last saved reading a start puts the clock: the
/// clock is saved about once a second, so this covers what was versioned
/// since (versions are wall-clock microseconds shifted by 12 bits).
pub(crate) const CLOCK_MARGIN: u64 = 10_000_000 << 12;

/// The last saved reading of the version clock, if any: kept so that
/// the cache can start while the store is unreachable and still version new
/// writes above everything it wrote before.
pub(crate) fn read_clock(config: &LogConfig) -> Option<u64> {
    let bytes = std::fs::read(config.data.clock_file()).ok()?;
    Some(u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?))
}

impl Log {
    /// Saves a reading of the version clock (write, fsync, rename).
    pub(crate) fn save_clock(&self, version: u64) {
        let tmp = self.clock.with_extension("tmp");
        let result = std::fs::File::create(&tmp)
            .and_then(|mut f| {
                std::io::Write::write_all(&mut f, &version.to_le_bytes())?;
                f.sync_data()
            })
            .and_then(|()| std::fs::rename(&tmp, &self.clock));
        if let Err(e) = result {
            tracing::warn!(error = %e, "could not persist the version clock; a start with the store down may version writes too low");
        }
    }
}

/// Decodes one record of a recovery: its writes (several for a
/// transaction's group, each with the record's LSN).
pub(crate) fn replayed(
    item: std::result::Result<(u64, Bytes), jotter_wal::WalError>,
) -> Result<impl Iterator<Item = Replayed>> {
    let (lsn, payload) = item.map_err(|e| Error::recovery_from(e.to_string(), e))?;
    let logged = record::decode_logged(payload)
        .map_err(|e| Error::recovery_from(format!("record at LSN {lsn}: {e}"), e))?;
    Ok(logged.into_records().map(move |record::Record { key, version, op }| Replayed {
        lsn,
        key,
        version,
        op,
    }))
}

/// Waits until a submitted record is durable.
pub(crate) async fn durable(handle: Durable) -> Result<()> {
    handle.await.map(drop).map_err(Error::Log)
}

/// Accepted writes whose log records may not be durable yet: the caller
/// must not acknowledge them before [`wait`](Durability::wait) returns.
///
/// A front end that runs a pipeline of commands collects these and waits
/// once, before it sends the replies, instead of once per command: the
/// records of the whole pipeline are waited for once, up to the highest
/// LSN among them (one handle, however many records; nothing allocated).
#[derive(Debug, Default)]
#[must_use = "writes must not be acknowledged before they are durable"]
pub struct Durability {
    /// Every record pushed, as one handle on the log's LSNs from the lowest
    /// to the highest.
    records: Option<Durable>,
}

impl Durability {
    pub(crate) fn push(&mut self, handle: Durable) {
        match &mut self.records {
            None => self.records = Some(handle),
            Some(records) => records.absorb(handle),
        }
    }

    /// Adds another set of writes to wait for.
    pub fn extend(&mut self, other: Durability) {
        if let Some(records) = other.records {
            self.push(records);
        }
    }

    /// True if there is nothing to wait for (no log, or nothing written).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.records.is_none()
    }

    /// Waits until every write is durable as the log's fsync setting says.
    ///
    /// # Errors
    ///
    /// [`Error::Log`] if the log could not write one of them (or a record
    /// of another write between them): they must not be acknowledged.
    pub async fn wait(self) -> Result<()> {
        match self.records {
            Some(records) => durable(records).await,
            None => Ok(()),
        }
    }
}
