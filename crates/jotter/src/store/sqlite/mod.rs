//! The embedded SQLite store: [`SqliteStore`] keeps the cache's data in one
//! SQLite file, as plain tables that any SQL tool can read, and applies the
//! engine's batches under the conditional-write rules of the [`Store`] trait
//! (the same rules, case for case, as [`MemoryStore`](crate::MemoryStore)).
//!
//! # What it guarantees
//!
//! - **All or nothing.** A batch is one `BEGIN IMMEDIATE ... COMMIT`
//!   transaction; any error rolls the whole batch back.
//! - **No regression.** Every row carries the version of the write that made
//!   it, and every write is a conditional statement: a retried, replayed or
//!   late batch never puts an older value over a newer one, and deletes leave
//!   versioned tombstones (a key-level one in `jotter_key_resets`, a
//!   field-level one in `jotter_field_tombstones`) so an older write cannot
//!   bring a deleted row back.
//! - **Durability as configured.** The database runs in WAL mode with the
//!   [`Synchronous`] level of [`SqliteOptions`]: with `Full` (the default) a
//!   committed batch survives power loss.
//! - **Loads beside writes.** Loads use their own connection, so they read
//!   the last committed state while a batch is being written, and each load
//!   is one statement, so it never sees half of a batch.
//! - **Sorted errors.** A busy or locked database, an I/O error, a full disk
//!   or an interrupted statement is transient; anything else the database
//!   refuses (a constraint, a trigger's `RAISE(ABORT)`, a type, a size) is
//!   permanent. Messages carry SQLite's own words.
//!
//! # Schema
//!
//! Created on open (see the `schema` submodule, one module per value type) if missing (schema version 3; an older file is
//! upgraded in place on open: version 1 gains the expiry columns, version 2
//! the sets table). Keys, fields, members and
//! values are BLOBs, so any bytes round-trip; versions are INTEGERs (a
//! version above `i64::MAX` is refused).
//!
//! ```sql
//! -- Live data: a key has rows in at most one of these tables.
//! CREATE TABLE jotter_strings (
//!     key        BLOB PRIMARY KEY,
//!     value      BLOB NOT NULL,
//!     version    INTEGER NOT NULL,
//!     expires_at INTEGER            -- Unix milliseconds; NULL: never
//! );
//! CREATE TABLE jotter_hashes (
//!     key     BLOB,
//!     field   BLOB,
//!     value   BLOB NOT NULL,
//!     version INTEGER NOT NULL,
//!     PRIMARY KEY (key, field)
//! ) WITHOUT ROWID;
//! CREATE TABLE jotter_zsets (
//!     key     BLOB,
//!     member  BLOB,
//!     score   REAL NOT NULL,
//!     version INTEGER NOT NULL,
//!     PRIMARY KEY (key, member)
//! ) WITHOUT ROWID;
//! CREATE TABLE jotter_sets (
//!     key     BLOB,
//!     member  BLOB,
//!     version INTEGER NOT NULL,
//!     PRIMARY KEY (key, member)
//! ) WITHOUT ROWID;
//! CREATE TABLE jotter_lists (
//!     key     BLOB,
//!     pos     BLOB,                 -- order key: 8 bytes, big-endian
//!     value   BLOB NOT NULL,
//!     version INTEGER NOT NULL,
//!     PRIMARY KEY (key, pos)
//! ) WITHOUT ROWID;
//!
//! -- Bookkeeping: the version at which each key was last deleted or reset
//! -- by a patch (nothing older may take effect; a put's is its string
//! -- row's version), and the versions of removed map fields.
//! CREATE TABLE jotter_key_resets (
//!     key     BLOB PRIMARY KEY,
//!     version INTEGER NOT NULL
//! ) WITHOUT ROWID;
//! CREATE TABLE jotter_field_tombstones (
//!     key     BLOB,
//!     field   BLOB,
//!     version INTEGER NOT NULL,
//!     PRIMARY KEY (key, field)
//! ) WITHOUT ROWID;
//!
//! -- The expiry of map keys (a string's is in its row), and the version of
//! -- the write that set it. A reset removes it.
//! CREATE TABLE jotter_expiry (
//!     key        BLOB PRIMARY KEY,
//!     expires_at INTEGER,           -- Unix milliseconds; NULL: never
//!     version    INTEGER NOT NULL
//! ) WITHOUT ROWID;
//!
//! CREATE TABLE jotter_meta (
//!     name  TEXT PRIMARY KEY,
//!     value TEXT NOT NULL
//! ) WITHOUT ROWID;   -- holds ('schema_version', '3')
//! ```
//!
//! The bookkeeping tables (`jotter_key_resets`, `jotter_field_tombstones`,
//! and `jotter_expiry` rows that say "never" or whose map is gone) are
//! emptied below the engine's horizon ([`Store::collect`], in the
//! `collect` submodule).
//!
//! `jotter_strings` keeps a rowid because its values can be large, and a
//! `WITHOUT ROWID` table stores whole rows in its key b-tree. Opening a file
//! whose `schema_version` is newer than this code knows is an error.
//!
//! # Reading it with plain SQL
//!
//! The live tables hold live data only: deleted keys and removed
//! fields have no rows there. Keys are BLOBs, and in SQLite a TEXT value
//! never equals a BLOB, so compare keys with `X'...'` or `CAST(... AS BLOB)`.
//!
//! ```sql
//! -- One blob key, unless it has expired (the engine deletes expired keys
//! -- behind, so such rows are short-lived).
//! SELECT value FROM jotter_strings WHERE key = CAST('user:42' AS BLOB)
//!    AND (expires_at IS NULL OR expires_at > unixepoch('subsec') * 1000);
//!
//! -- A hash, field by field, shown as text.
//! SELECT CAST(field AS TEXT), CAST(value AS TEXT)
//!   FROM jotter_hashes WHERE key = CAST('session:7' AS BLOB);
//!
//! -- The ten best members of a scored map.
//! SELECT CAST(member AS TEXT), score FROM jotter_zsets
//!  WHERE key = CAST('leaderboard' AS BLOB)
//!  ORDER BY score DESC LIMIT 10;
//!
//! -- The members of a set.
//! SELECT CAST(member AS TEXT) FROM jotter_sets WHERE key = CAST('tags:9' AS BLOB);
//!
//! -- A list, head first (byte order of `pos` is the list's order).
//! SELECT CAST(value AS TEXT) FROM jotter_lists
//!  WHERE key = CAST('jobs' AS BLOB) ORDER BY pos;
//!
//! -- Every live key and its shape.
//! SELECT key, 'blob' FROM jotter_strings
//! UNION ALL SELECT DISTINCT key, 'hash' FROM jotter_hashes
//! UNION ALL SELECT DISTINCT key, 'scores' FROM jotter_zsets
//! UNION ALL SELECT DISTINCT key, 'set' FROM jotter_sets;
//! UNION ALL SELECT DISTINCT key, 'list' FROM jotter_lists;
//! ```
//!
//! A key's reset version is the greater of its `jotter_key_resets.version`
//! and its `jotter_strings.version`: a put writes only its string row,
//! which carries the version at which it replaced the key (as in the
//! PostgreSQL store). Writing by hand is possible but must respect the
//! versions: a row written with a version below the key's reset version is
//! invisible to the rules and will be removed by the next reset.

//!
//! # Where things are
//!
//! `options` (durability, lock waits, the writer's priority), `connections`
//! (the writer, the readers, opening the file), `writer_thread` (the thread
//! batches run on), `schema` (one module per value type, the
//! shared bookkeeping, the statements that span all types, creating and
//! upgrading), `write` (applying a batch), `map_keys` (which keys may have
//! map rows, so a put of a plain string skips their deletes), `read` (a
//! load), `listing`, `collect`, and `error` and `columns` (SQLite's
//! failures and values).

mod collect;
mod columns;
mod connections;
mod error;
mod listing;
mod map_keys;
mod options;
mod read;
mod schema;
mod write;
mod writer_thread;

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use rusqlite::Connection;

use super::{Listing, Page, Store, StoreError, Write};
use crate::value::Entry;
use connections::{Connections, blocking};
use error::show_key;
pub use options::{SqliteOptions, Synchronous, WriterPriority};
use read::load_with;

/// A [`Store`] in an SQLite file.
///
/// It holds one writer connection, on which batches are applied one at a
/// time (SQLite admits one writer anyway) by a thread of the store's own,
/// at a lower CPU priority by default ([`WriterPriority`]), and reader
/// connections for loads, which WAL mode lets run beside the writer and
/// which use Tokio's blocking pool when they wait, so its futures need a
/// Tokio runtime. Clones share the connections.
///
/// The module documentation of the crate's source (`store/sqlite/mod.rs`)
/// describes the schema; live data is readable with plain SQL.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    inner: Arc<Connections>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` with default
    /// options, and creates the schema if it is missing.
    ///
    /// This blocks on file I/O, briefly; it may wait up to the busy timeout
    /// if another process holds the database locked.
    ///
    /// # Errors
    ///
    /// The file cannot be opened or set up (transient or permanent, as
    /// sorted for writes), or its schema version is newer than this code
    /// knows (permanent).
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        Self::open_with(path, SqliteOptions::default())
    }

    /// Opens (creating if needed) the database file at `path` with `options`,
    /// and creates the schema if it is missing. See [`SqliteStore::open`].
    ///
    /// # Errors
    ///
    /// As [`SqliteStore::open`]; also a path naming an in-memory or temporary
    /// database, which the separate reader connection could not see.
    pub fn open_with(
        path: impl AsRef<Path>,
        options: SqliteOptions,
    ) -> Result<SqliteStore, StoreError> {
        let inner = Connections::open(path.as_ref(), options)?;
        Ok(SqliteStore { inner: Arc::new(inner) })
    }

    /// The path of the database file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.inner.path
    }
}

impl Store for SqliteStore {
    async fn collect(&self, horizon: u64) -> Result<u64, StoreError> {
        let inner = Arc::clone(&self.inner);
        self.inner.writer_thread.run(move || inner.collect(horizon)).await
    }

    async fn write(&self, batch: &[Write]) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let inner = Arc::clone(&self.inner);
        // The blocking task outlives the borrow; cloning a write only bumps
        // the reference counts of its `Bytes`.
        let batch = batch.to_vec();
        self.inner.writer_thread.run(move || inner.write_batch(&batch)).await
    }

    async fn load(&self, key: &Bytes) -> Result<Option<Entry>, StoreError> {
        let context = || format!("sqlite load of key {}", show_key(key));
        if let Some(conn) = self.inner.free_reader() {
            return load_with(&conn, key).map_err(|e| e.into_store_error(&context()));
        }
        let inner = Arc::clone(&self.inner);
        let key = key.clone();
        blocking(move || {
            load_with(&inner.reader(), &key)
                .map_err(|e| e.into_store_error(&format!("sqlite load of key {}", show_key(&key))))
        })
        .await
    }

    async fn load_many(&self, keys: &[Bytes]) -> Result<Vec<Option<Entry>>, StoreError> {
        // One reader connection for all of them: point reads of cached pages
        // are microseconds each, so one hand-off (or none) serves the lot.
        let load_all = |conn: &Connection, keys: &[Bytes]| {
            keys.iter()
                .map(|key| {
                    load_with(conn, key).map_err(|e| {
                        e.into_store_error(&format!("sqlite load of key {}", show_key(key)))
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        };
        if let Some(conn) = self.inner.free_reader() {
            return load_all(&conn, keys);
        }
        let inner = Arc::clone(&self.inner);
        let keys = keys.to_vec();
        blocking(move || load_all(&inner.reader(), &keys)).await
    }

    async fn max_version(&self) -> Result<u64, StoreError> {
        let inner = Arc::clone(&self.inner);
        blocking(move || inner.max_version().map_err(|e| e.into_store_error("sqlite max_version")))
            .await
    }

    async fn version_of(&self, key: &Bytes) -> Result<Option<u64>, StoreError> {
        let inner = Arc::clone(&self.inner);
        let key = key.clone();
        blocking(move || {
            inner.version_of(&key).map_err(|e| {
                e.into_store_error(&format!("sqlite version of key {}", show_key(&key)))
            })
        })
        .await
    }

    async fn list(&self, page: Page<'_>) -> Result<Vec<Bytes>, StoreError> {
        let inner = Arc::clone(&self.inner);
        // The blocking task outlives the borrow of the cursor.
        let after = page.after.map(Bytes::copy_from_slice);
        let context = match page.listing {
            Listing::Live => "sqlite key listing",
            Listing::Expired => "sqlite expiry listing",
        };
        blocking(move || {
            inner
                .list(Page { after: after.as_deref(), ..page })
                .map_err(|e| e.into_store_error(context))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::store::{Change, FieldChange};
    use crate::testing::{self, Universe, b, del, hash, hset, put, rules, value, zadd};
    use crate::value::{FieldValue, MapKind, Value};

    fn open(dir: &tempfile::TempDir) -> SqliteStore {
        SqliteStore::open(dir.path().join("jotter.db")).expect("open")
    }

    /// A store in a fresh file, with the directory that holds it.
    async fn fresh() -> Option<(SqliteStore, tempfile::TempDir)> {
        let dir = tempfile::tempdir().expect("tempdir");
        // Durability is not under test here; speed is welcome.
        let options = SqliteOptions { synchronous: Synchronous::Off, ..SqliteOptions::default() };
        let store = SqliteStore::open_with(dir.path().join("p.db"), options).expect("open");
        Some((store, dir))
    }

    /// A second, plain connection to the store's file, as a user's SQL tool.
    fn raw(store: &SqliteStore) -> Connection {
        let conn = Connection::open(store.path()).expect("raw open");
        conn.busy_timeout(Duration::from_secs(5)).expect("busy timeout");
        conn
    }

    fn count(conn: &Connection, sql: &str) -> i64 {
        conn.query_row(sql, [], |row| row.get(0)).expect("count")
    }

    // ---- The conformance kit ---------------------------------------------

    #[tokio::test]
    async fn follows_the_store_rules() {
        rules::all(fresh).await;
    }

    #[test]
    fn matches_memory_store() {
        testing::differential(&Universe::default(), fresh);
    }

    /// The count `sql` reads through a plain connection to `store`'s file.
    fn rows(store: &SqliteStore, sql: &str) -> i64 {
        count(&raw(store), sql)
    }

    #[tokio::test]
    async fn a_delete_leaves_a_tombstone_row() {
        let (store, _dir) = fresh().await.expect("fresh");
        rules::a_delete_leaves_a_tombstone(&store).await;
        assert_eq!(rows(&store, "SELECT count(*) FROM jotter_strings"), 0);
        assert_eq!(rows(&store, "SELECT version FROM jotter_key_resets WHERE key = X'6b'"), 5);
    }

    #[tokio::test]
    async fn a_field_tombstone_is_a_row_until_a_newer_set() {
        let (store, _dir) = fresh().await.expect("fresh");
        rules::a_field_tombstone_blocks_an_older_set(&store).await;
        assert_eq!(rows(&store, "SELECT count(*) FROM jotter_hashes WHERE field = X'66'"), 0);
        rules::then_a_newer_set_lands(&store).await;
        assert_eq!(rows(&store, "SELECT count(*) FROM jotter_field_tombstones"), 0);
    }

    // ---- Shapes and plain SQL ---------------------------------------------

    #[tokio::test]
    async fn type_change_by_patch_with_reset_leaves_live_rows_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = open(&dir);
        store.write(&[put("k", 1, "blob")]).await.expect("write");
        store
            .write(&[hset("k", Some(2), &[("f", 3, Some("x")), ("g", 4, Some("y"))])])
            .await
            .expect("write");
        assert_eq!(value(&store, "k").await, Some(hash(&[("f", "x"), ("g", "y")])));

        let conn = raw(&store);
        assert_eq!(count(&conn, "SELECT count(*) FROM jotter_strings"), 0);
        let rows: Vec<(String, String, i64)> = conn
            .prepare(
                "SELECT CAST(field AS TEXT), CAST(value AS TEXT), version FROM jotter_hashes
                  WHERE key = CAST('k' AS BLOB) ORDER BY field",
            )
            .expect("prepare")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(rows, vec![("f".into(), "x".into(), 3), ("g".into(), "y".into(), 4)]);

        // And on to a scored map, whose scores plain SQL sorts.
        store.write(&[zadd("k", Some(5), &[("m", 6, 2.5), ("n", 7, -1.0)])]).await.expect("write");
        assert_eq!(count(&conn, "SELECT count(*) FROM jotter_hashes"), 0);
        let top: String = conn
            .query_row(
                "SELECT CAST(member AS TEXT) FROM jotter_zsets ORDER BY score DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .expect("top");
        assert_eq!(top, "m");
        let want = Value::Scores(Arc::new([(b("m"), 2.5), (b("n"), -1.0)].into_iter().collect()));
        assert_eq!(value(&store, "k").await, Some(want));
    }

    // ---- Errors ----------------------------------------------------------

    #[tokio::test]
    async fn trigger_abort_is_permanent_and_rolls_back_the_whole_batch() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = open(&dir);
        raw(&store)
            .execute_batch(
                "CREATE TRIGGER refuse_bad BEFORE INSERT ON jotter_strings
                 WHEN NEW.key = X'626164' BEGIN SELECT RAISE(ABORT, 'bad key'); END",
            )
            .expect("trigger");
        rules::a_refused_row_fails_its_whole_batch(&store, &["bad key", "\"bad\""]).await;
        assert_eq!(count(&raw(&store), "SELECT count(*) FROM jotter_key_resets"), 0);
        rules::then_the_rest_of_the_batch_lands(&store).await;
    }

    #[tokio::test]
    async fn locked_database_is_a_transient_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let options =
            SqliteOptions { busy_timeout: Duration::from_millis(100), ..SqliteOptions::default() };
        let store = SqliteStore::open_with(dir.path().join("jotter.db"), options).expect("open");
        store.write(&[put("k", 1, "v")]).await.expect("write");

        let other = raw(&store);
        other.execute_batch("BEGIN EXCLUSIVE").expect("lock");
        let err = store.write(&[put("k", 2, "w")]).await.expect_err("locked");
        assert!(err.is_transient(), "{err}");
        assert!(err.message().contains("locked"), "{err}");
        // WAL mode: loads still read the committed state beside the lock.
        assert_eq!(value(&store, "k").await, Some(Value::from("v")));

        other.execute_batch("COMMIT").expect("unlock");
        store.write(&[put("k", 2, "w")]).await.expect("write after the lock");
        assert_eq!(value(&store, "k").await, Some(Value::from("w")));
    }

    #[tokio::test]
    async fn unstorable_data_is_a_permanent_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = open(&dir);
        let too_new = put("k", u64::MAX, "v");
        let err = store.write(&[too_new]).await.expect_err("version out of range");
        assert!(!err.is_transient(), "{err}");

        // SQLite stores NaN as NULL, which the NOT NULL score refuses.
        let err = store.write(&[zadd("z", None, &[("m", 1, f64::NAN)])]).await.expect_err("NaN");
        assert!(!err.is_transient(), "{err}");
        assert!(err.message().contains("NOT NULL"), "{err}");

        let mismatched = Write {
            expires_at: None,
            key: b("z"),
            version: 2,
            change: Change::Patch {
                kind: MapKind::Scores,
                reset: None,
                fields: vec![FieldChange {
                    field: b("m"),
                    version: 2,
                    value: Some(FieldValue::Bytes(b("x"))),
                }],
            },
        };
        let err = store.write(&[mismatched]).await.expect_err("kind mismatch");
        assert!(!err.is_transient(), "{err}");
        assert_eq!(store.max_version().await.expect("max"), 0);
    }

    // ---- Opening -----------------------------------------------------------

    #[tokio::test]
    async fn reopening_keeps_data_tombstones_and_max_version() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("jotter.db");
        {
            let store = SqliteStore::open(&path).expect("open");
            store
                .write(&[
                    put("s", 1, "blob"),
                    hset("h", None, &[("f", 2, Some("x")), ("g", 3, None)]),
                    zadd("z", Some(4), &[("m", 5, 1.5)]),
                    del("gone", 9),
                ])
                .await
                .expect("write");
        }
        let store = SqliteStore::open(&path).expect("reopen");
        assert_eq!(store.path(), path);
        assert_eq!(store.max_version().await.expect("max"), 9);
        assert_eq!(value(&store, "s").await, Some(Value::from("blob")));
        assert_eq!(value(&store, "h").await, Some(hash(&[("f", "x")])));
        let scores = Value::Scores(Arc::new([(b("m"), 1.5)].into_iter().collect()));
        assert_eq!(value(&store, "z").await, Some(scores));
        // The tombstones survived too.
        store
            .write(&[put("gone", 8, "late"), hset("h", None, &[("g", 2, Some("late"))])])
            .await
            .expect("write");
        assert_eq!(value(&store, "gone").await, None);
        assert_eq!(value(&store, "h").await, Some(hash(&[("f", "x")])));
    }

    /// A file of schema version 2 gains the sets table on open, and a set
    /// then lands there one row per member.
    #[tokio::test]
    async fn a_version_2_file_gains_the_sets_table() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("jotter.db");
        let store = SqliteStore::open(&path).expect("open");
        store.write(&[put("k", 1, "v")]).await.expect("write");
        raw(&store)
            .execute_batch(
                "DROP TABLE jotter_sets;
                 UPDATE jotter_meta SET value = '2' WHERE name = 'schema_version';",
            )
            .expect("a version-2 schema");
        drop(store);
        let store = SqliteStore::open(&path).expect("upgrade");
        let version =
            "SELECT CAST(value AS INTEGER) FROM jotter_meta WHERE name = 'schema_version'";
        assert_eq!(rows(&store, version), 3);
        let member = |m| (m, 3, Some(FieldValue::Member));
        store
            .write(&[testing::patch("s", MapKind::Set, None, &[member("a"), member("b")])])
            .await
            .expect("write");
        assert_eq!(rows(&store, "SELECT count(*) FROM jotter_sets WHERE key = X'73'"), 2);
        let want = Value::Set(Arc::new([b("a"), b("b")].into_iter().collect()));
        assert_eq!(value(&store, "s").await, Some(want));
        assert_eq!(value(&store, "k").await, Some(Value::from("v")));
    }

    #[test]
    fn newer_schema_version_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("jotter.db");
        let store = SqliteStore::open(&path).expect("open");
        raw(&store)
            .execute("UPDATE jotter_meta SET value = '4' WHERE name = 'schema_version'", [])
            .expect("update");
        drop(store);
        let err = SqliteStore::open(&path).expect_err("schema 4 is unknown");
        assert!(!err.is_transient(), "{err}");
        assert!(err.message().contains("newer"), "{err}");
    }

    #[test]
    fn in_memory_database_is_refused() {
        let err = SqliteStore::open(":memory:").expect_err("in-memory");
        assert!(!err.is_transient(), "{err}");
    }

    /// A file written before keys could expire opens, gains the expiry
    /// columns, and keeps its data.
    #[tokio::test]
    async fn a_version_1_file_is_upgraded_in_place() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("jotter.db");
        {
            let conn = Connection::open(&path).expect("open");
            conn.execute_batch(
                "CREATE TABLE jotter_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
                 INSERT INTO jotter_meta VALUES ('schema_version', '1');
                 CREATE TABLE jotter_strings (key BLOB PRIMARY KEY, value BLOB NOT NULL,
                                              version INTEGER NOT NULL);
                 INSERT INTO jotter_strings VALUES (CAST('k' AS BLOB), CAST('v' AS BLOB), 5);",
            )
            .expect("a version-1 schema");
        }
        let store = SqliteStore::open(&path).expect("upgrade");
        let version: String = raw(&store)
            .query_row("SELECT value FROM jotter_meta WHERE name = 'schema_version'", [], |r| {
                r.get(0)
            })
            .expect("meta");
        assert_eq!(version, "3");
        assert_eq!(store.load(&b("k")).await.expect("load"), Some(Entry::new(Value::from("v"))));
        let mut w = put("k", 6, "w");
        w.expires_at = Some(1_000);
        store.write(&[w]).await.expect("write");
        let loaded = store.load(&b("k")).await.expect("load").expect("live");
        assert_eq!(loaded.expires_at, Some(1_000));
    }
}
