//! The SQLite store's connections: one writer, on which batches are applied
//! one at a time (SQLite admits one writer anyway) by the writer thread, and
//! a few readers for loads and listings, which WAL mode lets run beside the
//! writer; and the hand-off of other blocking work to Tokio's blocking pool.

use std::path::{Path, PathBuf};

use parking_lot::Mutex;
use rusqlite::{Connection, OpenFlags};

use super::error::sql;
use super::map_keys::MapKeys;
use super::options::SqliteOptions;
use super::schema::create_schema;
use super::writer_thread::WriterThread;
use crate::store::StoreError;

#[derive(Debug)]
pub(super) struct Connections {
    pub(super) path: PathBuf,
    pub(super) writer: Mutex<Connection>,
    /// The thread batches and collections run on, at the configured
    /// priority.
    pub(super) writer_thread: WriterThread,
    /// Which keys may have map rows; used only under the `writer` lock.
    pub(super) map_keys: Mutex<MapKeys>,
    /// Connections for loads and listings. A load takes a free one and
    /// runs on the caller's thread: a point read of cached pages takes
    /// microseconds, less than a hand-off to the blocking pool; only when
    /// every reader is busy does it wait for one on the blocking pool.
    pub(super) readers: Box<[Mutex<Connection>]>,
}

/// Reader connections per store.
const READERS: usize = 4;

/// WAL pages after which a commit checkpoints them into the database file
/// (SQLite's default is 1,000): 64 MiB at 4 KiB pages. A batch of 1,000
/// random keys dirties about 2,000 pages, so at the default every commit
/// also checkpointed, writing each page twice; a longer WAL writes a page
/// that several batches dirty into the file once. Durability does not
/// depend on it: with `synchronous = FULL` a commit is durable in the WAL.
const WAL_AUTOCHECKPOINT_PAGES: u32 = 16_384;

impl Connections {
    /// Opens the file at `path` (see `SqliteStore::open_with`).
    pub(super) fn open(path: &Path, options: SqliteOptions) -> Result<Self, StoreError> {
        let path = path.to_path_buf();
        if path.as_os_str().is_empty() || path.as_os_str() == ":memory:" {
            return Err(StoreError::permanent(format!(
                "sqlite store needs a database file, not {path:?}: its loads use a second \
                 connection, which would see a different database"
            )));
        }

        // No SQLITE_OPEN_URI: the path is a file name, never a `file:` URI.
        let mut writer = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sql("opening the sqlite database"))?;
        writer.busy_timeout(options.busy_timeout).map_err(sql("setting the busy timeout"))?;
        let mode: String = writer
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(sql("switching to WAL mode"))?;
        if !mode.eq_ignore_ascii_case("wal") {
            // Still correct, only slower: loads then wait for the writer.
            tracing::warn!(path = %path.display(), mode, "sqlite store could not enable WAL mode");
        }
        writer
            .pragma_update(None, "synchronous", options.synchronous.pragma_value())
            .map_err(sql("setting synchronous"))?;
        writer
            .pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)
            .map_err(sql("setting wal_autocheckpoint"))?;
        writer.set_prepared_statement_cache_capacity(32);
        create_schema(&mut writer)?;
        let map_keys = MapKeys::load(&writer)?;

        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let reader = Connection::open_with_flags(
                &path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(sql("opening the sqlite reader connection"))?;
            reader.busy_timeout(options.busy_timeout).map_err(sql("setting the busy timeout"))?;
            // A guard, not a need: loads must never write.
            reader.pragma_update(None, "query_only", true).map_err(sql("setting query_only"))?;
            readers.push(Mutex::new(reader));
        }

        Ok(Connections {
            path,
            writer: Mutex::new(writer),
            writer_thread: WriterThread::start(options.writer_priority)?,
            map_keys: Mutex::new(map_keys),
            readers: readers.into_boxed_slice(),
        })
    }

    /// A reader connection if one is free now.
    pub(super) fn free_reader(&self) -> Option<parking_lot::MutexGuard<'_, Connection>> {
        self.readers.iter().find_map(|r| r.try_lock())
    }

    /// A reader connection, waiting for one if all are busy.
    pub(super) fn reader(&self) -> parking_lot::MutexGuard<'_, Connection> {
        self.free_reader().unwrap_or_else(|| self.readers[0].lock())
    }
}

/// Runs `f` on Tokio's blocking pool, so a batch's disk I/O never stalls
/// the runtime's worker threads.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::transient(format!("sqlite store task failed: {e}")))?
}
