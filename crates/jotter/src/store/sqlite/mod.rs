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
//! Created on open (see the `schema` submodule, one module per value type) if missing (schema version 2; a version-1 file is
//! upgraded in place on open, adding the expiry columns). Keys, fields, members and
//! values are BLOBs, so any bytes round-trip; versions are INTEGERs (a
//! version above `i64::MAX` is refused).
//!
//! ```sql
//! -- Live data: a key has rows in at most one of these three tables.
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
//!
//! -- Bookkeeping: the version at which each key was last replaced or
//! -- deleted (nothing older may take effect), and the versions of removed
//! -- map fields.
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
//! ) WITHOUT ROWID;   -- holds ('schema_version', '2')
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
//! The three live tables hold live data only: deleted keys and removed
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
//! -- Every live key and its shape.
//! SELECT key, 'blob' FROM jotter_strings
//! UNION ALL SELECT DISTINCT key, 'hash' FROM jotter_hashes
//! UNION ALL SELECT DISTINCT key, 'scores' FROM jotter_zsets;
//! ```
//!
//! Writing by hand is possible but must respect the versions: a row written
//! with a version below the key's `jotter_key_resets.version` is
//! invisible to the rules and will be removed by the next reset.

//!
//! # Where things are
//!
//! `options` (durability and lock waits), `connections` (the writer, the
//! readers, opening the file), `schema` (one module per value type, the
//! shared bookkeeping, the statements that span all types, creating and
//! upgrading), `write` (applying a batch), `read` (a load), `listing`,
//! `collect`, and `error` and `columns` (SQLite's failures and values).

mod collect;
mod columns;
mod connections;
mod error;
mod listing;
mod options;
mod read;
mod schema;
mod write;

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use rusqlite::Connection;

use super::{Store, StoreError, Write};
use crate::value::Entry;
use connections::{Connections, blocking};
use error::show_key;
pub use options::{SqliteOptions, Synchronous};
use read::load_with;

/// A [`Store`] in an SQLite file.
///
/// It holds two connections: one writer, on which batches are applied one at
/// a time (SQLite admits one writer anyway), and one reader for loads, which
/// WAL mode lets run beside the writer. Both are used from Tokio's blocking
/// pool, so its futures need a Tokio runtime. Clones share the connections.
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
        blocking(move || inner.collect(horizon)).await
    }

    async fn write(&self, batch: &[Write]) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let inner = Arc::clone(&self.inner);
        // The blocking task outlives the borrow; cloning a write only bumps
        // the reference counts of its `Bytes`.
        let batch = batch.to_vec();
        blocking(move || inner.write_batch(&batch)).await
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

    async fn keys(
        &self,
        after: Option<&[u8]>,
        limit: usize,
        now: u64,
    ) -> Result<Vec<Bytes>, StoreError> {
        let inner = Arc::clone(&self.inner);
        let after = after.map(Bytes::copy_from_slice);
        blocking(move || {
            inner
                .keys(after.as_deref(), limit, now)
                .map_err(|e| e.into_store_error("sqlite key listing"))
        })
        .await
    }

    async fn expired(
        &self,
        now: u64,
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Bytes>, StoreError> {
        let inner = Arc::clone(&self.inner);
        let after = after.map(Bytes::copy_from_slice);
        blocking(move || {
            inner
                .expired(now, after.as_deref(), limit)
                .map_err(|e| e.into_store_error("sqlite expiry listing"))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use proptest::collection::vec;
    use proptest::prelude::*;

    use std::time::Duration;

    use super::*;
    use crate::MemoryStore;
    use crate::store::{Change, FieldChange};
    use crate::value::{FieldValue, MapKind, Value};

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    fn put(key: &str, version: u64, value: &str) -> Write {
        Write::new(b(key), version, Change::Put(b(value)))
    }

    fn del(key: &str, version: u64) -> Write {
        Write::new(b(key), version, Change::Delete)
    }

    fn hset(key: &str, reset: Option<u64>, fields: &[(&str, u64, Option<&str>)]) -> Write {
        let fields: Vec<FieldChange> = fields
            .iter()
            .map(|(f, v, val)| FieldChange {
                field: b(f),
                version: *v,
                value: val.map(|x| FieldValue::Bytes(b(x))),
            })
            .collect();
        let version = fields.iter().map(|f| f.version).chain(reset).max().unwrap_or(0);
        Write::new(b(key), version, Change::Patch { kind: MapKind::Hash, reset, fields })
    }

    fn zadd(key: &str, reset: Option<u64>, members: &[(&str, u64, f64)]) -> Write {
        let fields: Vec<FieldChange> = members
            .iter()
            .map(|(m, v, s)| FieldChange {
                field: b(m),
                version: *v,
                value: Some(FieldValue::Score(*s)),
            })
            .collect();
        let version = fields.iter().map(|f| f.version).chain(reset).max().unwrap_or(0);
        Write::new(b(key), version, Change::Patch { kind: MapKind::Scores, reset, fields })
    }

    fn hash(pairs: &[(&str, &str)]) -> Value {
        Value::Hash(Arc::new(pairs.iter().map(|(f, v)| (b(f), b(v))).collect()))
    }

    fn open(dir: &tempfile::TempDir) -> SqliteStore {
        SqliteStore::open(dir.path().join("jotter.db")).expect("open")
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

    // ---- The differential property tests -------------------------------

    const KEYS: [&[u8]; 4] = [b"a", b"b\x00\xff", b"c", b""];
    const FIELDS: [&[u8]; 3] = [b"f", b"g\x00\xfe", b""];

    fn blob_value() -> impl Strategy<Value = Bytes> {
        prop::sample::select(vec![&b""[..], b"x", b"\x00\xffy", b"a longer value, of some bytes"])
            .prop_map(Bytes::from_static)
    }

    fn score() -> impl Strategy<Value = f64> {
        prop_oneof![
            4 => (-8i32..8).prop_map(|i| f64::from(i) / 2.0),
            1 => Just(-0.0),
            1 => Just(f64::INFINITY),
            1 => Just(f64::NEG_INFINITY),
            1 => Just(1e300),
        ]
    }

    /// One entry per field at most: each field gets an optional
    /// `(version, remove?, bytes value, score)`.
    type FieldSpec = [Option<(u64, bool, Bytes, f64)>; 3];

    fn field_specs(versions: std::ops::Range<u64>) -> impl Strategy<Value = FieldSpec> {
        proptest::array::uniform3(proptest::option::of((
            versions,
            any::<bool>(),
            blob_value(),
            score(),
        )))
    }

    fn build_fields(
        kind: MapKind,
        spec: &FieldSpec,
        mut version: impl FnMut(u64) -> u64,
    ) -> Vec<FieldChange> {
        spec.iter()
            .zip(FIELDS)
            .filter_map(|(f, name)| {
                let (v, remove, bytes, score) = f.clone()?;
                let value = match (remove, kind) {
                    (true, _) => None,
                    (false, MapKind::Hash) => Some(FieldValue::Bytes(bytes)),
                    (false, MapKind::Scores) => Some(FieldValue::Score(score)),
                };
                Some(FieldChange { field: Bytes::from_static(name), version: version(v), value })
            })
            .collect()
    }

    /// Each key keeps one map kind for good, so that any order of versions
    /// is a history an engine could produce (delivered out of order); blobs
    /// and deletes may hit any key.
    fn fixed_kind(i: usize) -> MapKind {
        if i.is_multiple_of(2) { MapKind::Hash } else { MapKind::Scores }
    }

    fn random_change(kind: MapKind) -> impl Strategy<Value = (u64, Change)> {
        const V: std::ops::Range<u64> = 0..10;
        prop_oneof![
            (V, blob_value()).prop_map(|(v, b)| (v, Change::Put(b))),
            V.prop_map(|v| (v, Change::Delete)),
            (proptest::option::of(V), field_specs(V)).prop_map(move |(reset, spec)| {
                let fields = build_fields(kind, &spec, |v| v);
                let version = fields.iter().map(|f| f.version).chain(reset).max().unwrap_or(0);
                (version, Change::Patch { kind, reset, fields })
            }),
        ]
    }

    fn random_batch() -> impl Strategy<Value = Vec<Write>> {
        let per_key: Vec<_> = (0..KEYS.len())
            .map(|i| {
                (
                    proptest::option::of(random_change(fixed_kind(i))),
                    proptest::option::of(0u64..1_000),
                )
                    .prop_map(move |(c, expires_at)| {
                        c.map(|(version, change)| Write {
                            expires_at,
                            key: Bytes::from_static(KEYS[i]),
                            version,
                            change,
                        })
                    })
            })
            .collect();
        per_key.prop_map(|ws| ws.into_iter().flatten().collect())
    }

    /// Batches with random versions, plus re-deliveries of earlier batches.
    fn random_deliveries() -> impl Strategy<Value = Vec<Vec<Write>>> {
        vec((random_batch(), proptest::option::of(any::<prop::sample::Index>())), 1..32).prop_map(
            |steps| {
                let mut out: Vec<Vec<Write>> = Vec::new();
                for (batch, replay) in steps {
                    if let Some(i) = replay.filter(|_| !out.is_empty()) {
                        out.push(out[i.index(out.len())].clone());
                    }
                    out.push(batch);
                }
                out
            },
        )
    }

    #[derive(Clone, Debug)]
    enum Op {
        Put(Bytes),
        Delete,
        Patch { kind: MapKind, reset: bool, fields: FieldSpec },
    }

    #[derive(Clone, Debug)]
    enum Action {
        Op(usize, Op),
        /// Ends the current batch.
        Cut,
        /// Ends the current batch, then delivers an earlier one again.
        Replay(prop::sample::Index),
        /// Ends the current batch, then collects below a horizon picked
        /// among the versions handed out so far; no batch with a write
        /// below it is delivered again, as the engine's horizon promises.
        Collect(prop::sample::Index),
    }

    fn action() -> impl Strategy<Value = Action> {
        let kind = prop_oneof![Just(MapKind::Hash), Just(MapKind::Scores)];
        let op = prop_oneof![
            1 => blob_value().prop_map(Op::Put),
            1 => Just(Op::Delete),
            3 => (kind, any::<bool>(), field_specs(0..1))
                .prop_map(|(kind, reset, fields)| Op::Patch { kind, reset, fields }),
        ];
        prop_oneof![
            6 => (0..KEYS.len(), op).prop_map(|(k, op)| Action::Op(k, op)),
            1 => Just(Action::Cut),
            1 => any::<prop::sample::Index>().prop_map(Action::Replay),
            1 => any::<prop::sample::Index>().prop_map(Action::Collect),
        ]
    }

    /// The oldest version a write carries (a patch's reset and fields
    /// included).
    fn lowest_version(w: &Write) -> u64 {
        match &w.change {
            Change::Patch { reset, fields, .. } => {
                fields.iter().map(|f| f.version).chain(*reset).chain([w.version]).min().unwrap_or(0)
            }
            Change::Put(_) | Change::Delete => w.version,
        }
    }

    /// What an engine sends: versions from one increasing clock, one key's
    /// writes in order, a kind change always behind a reset, and stale
    /// re-deliveries of whole earlier batches; with the collections it asks
    /// for, as `(n, horizon)`: collect once the first `n` batches are in.
    fn engine_deliveries(actions: Vec<Action>) -> (Vec<Vec<Write>>, Vec<(usize, u64)>) {
        #[derive(Clone, Copy, PartialEq)]
        enum Shape {
            Blob,
            Map(MapKind),
        }
        fn cut(batch: &mut Vec<Write>, sent: &mut Vec<Vec<Write>>, out: &mut Vec<Vec<Write>>) {
            if !batch.is_empty() {
                sent.push(batch.clone());
                out.push(std::mem::take(batch));
            }
        }
        let mut clock = 0u64;
        let mut shapes: [Option<Shape>; KEYS.len()] = [None; KEYS.len()];
        let (mut batch, mut sent, mut out) = (Vec::new(), Vec::new(), Vec::new());
        let mut collects = Vec::new();
        for a in actions {
            match a {
                Action::Op(k, op) => {
                    let key = Bytes::from_static(KEYS[k]);
                    if batch.iter().any(|w: &Write| w.key == key) {
                        cut(&mut batch, &mut sent, &mut out);
                    }
                    let (version, change) = match op {
                        Op::Put(value) => {
                            clock += 1;
                            shapes[k] = Some(Shape::Blob);
                            (clock, Change::Put(value))
                        }
                        Op::Delete => {
                            clock += 1;
                            shapes[k] = None;
                            (clock, Change::Delete)
                        }
                        Op::Patch { kind, reset, fields } => {
                            let shape_changes = shapes[k].is_some_and(|s| s != Shape::Map(kind));
                            let reset = (reset || shape_changes).then(|| {
                                clock += 1;
                                clock
                            });
                            let fields = build_fields(kind, &fields, |_| {
                                clock += 1;
                                clock
                            });
                            shapes[k] = Some(Shape::Map(kind));
                            (clock, Change::Patch { kind, reset, fields })
                        }
                    };
                    batch.push(Write::new(key, version, change));
                }
                Action::Cut => cut(&mut batch, &mut sent, &mut out),
                Action::Replay(i) => {
                    cut(&mut batch, &mut sent, &mut out);
                    if !sent.is_empty() {
                        out.push(sent[i.index(sent.len())].clone());
                    }
                }
                Action::Collect(i) => {
                    cut(&mut batch, &mut sent, &mut out);
                    let horizon = i.index(usize::try_from(clock).expect("small") + 2) as u64;
                    if !out.is_empty() {
                        collects.push((out.len(), horizon));
                        sent.retain(|b| b.iter().all(|w| lowest_version(w) >= horizon));
                    }
                }
            }
        }
        cut(&mut batch, &mut sent, &mut out);
        (out, collects)
    }

    /// Applies every batch to a `MemoryStore` and a `SqliteStore` and
    /// compares every key and the max version after each one; collects
    /// both as `collects` says (see [`engine_deliveries`]) and compares
    /// again, and compares every key with a `MemoryStore` that never
    /// collects, since a collection must change no outcome.
    fn check_against_memory(
        deliveries: &[Vec<Write>],
        collects: &[(usize, u64)],
    ) -> Result<(), TestCaseError> {
        let rt =
            tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async {
            let dir = tempfile::tempdir().expect("tempdir");
            // Durability is not under test here; speed is welcome.
            let options =
                SqliteOptions { synchronous: Synchronous::Off, ..SqliteOptions::default() };
            let sqlite = SqliteStore::open_with(dir.path().join("p.db"), options).expect("open");
            let memory = MemoryStore::new();
            let uncollected = MemoryStore::new();
            for (i, batch) in deliveries.iter().enumerate() {
                memory.write(batch).await.expect("memory write");
                uncollected.write(batch).await.expect("memory write");
                if let Err(e) = sqlite.write(batch).await {
                    return Err(TestCaseError::fail(format!("batch {i} failed: {e}")));
                }
                for &(_, horizon) in collects.iter().filter(|(n, _)| *n == i + 1) {
                    memory.collect(horizon).await.expect("memory collect");
                    sqlite.collect(horizon).await.expect("sqlite collect");
                }
                for key in KEYS {
                    let key = Bytes::from_static(key);
                    let want = memory.load(&key).await.expect("memory load");
                    let got = sqlite.load(&key).await.expect("sqlite load");
                    prop_assert_eq!(&got, &want, "key {:?} after batch {} {:?}", key, i, batch);
                    let kept = uncollected.load(&key).await.expect("memory load");
                    prop_assert_eq!(got, kept, "collected: key {:?} after batch {}", key, i);
                }
                for now in [0, 500, 2_000] {
                    let want = memory.keys(None, 100, now).await.expect("memory keys");
                    let got = sqlite.keys(None, 100, now).await.expect("sqlite keys");
                    prop_assert_eq!(got, want, "keys at {} after batch {}", now, i);
                    let mut want = memory.expired(now, None, 100).await.expect("memory expired");
                    let mut got = sqlite.expired(now, None, 100).await.expect("sqlite expired");
                    want.sort();
                    got.sort();
                    prop_assert_eq!(got, want, "expired at {} after batch {}", now, i);
                    // Paging: a cursor and a short limit.
                    let after = Some(KEYS[1]);
                    let want = memory.keys(after, 2, now).await.expect("memory keys");
                    let got = sqlite.keys(after, 2, now).await.expect("sqlite keys");
                    prop_assert_eq!(got, want, "keys page at {} after batch {}", now, i);
                    let want = memory.expired(now, after, 2).await.expect("memory expired");
                    let got = sqlite.expired(now, after, 2).await.expect("sqlite expired");
                    prop_assert_eq!(got, want, "expired page at {} after batch {}", now, i);
                }
                let want = memory.max_version().await.expect("memory max");
                let got = sqlite.max_version().await.expect("sqlite max");
                prop_assert_eq!(got, want, "max_version after batch {}", i);
            }
            Ok(())
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 64,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn matches_memory_store_on_random_versions(deliveries in random_deliveries()) {
            check_against_memory(&deliveries, &[])?;
        }

        #[test]
        fn matches_memory_store_on_engine_histories(actions in vec(action(), 1..40)) {
            let (deliveries, collects) = engine_deliveries(actions);
            check_against_memory(&deliveries, &collects)?;
        }
    }

    // ---- No regression ---------------------------------------------------

    #[tokio::test]
    async fn older_put_does_not_overwrite_newer_put() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = open(&dir);
        store.write(&[put("k", 10, "new")]).await.expect("write");
        store.write(&[put("k", 9, "old")]).await.expect("write");
        assert_eq!(
            store.load(&b("k")).await.expect("load").map(|e| e.value),
            Some(Value::from("new"))
        );
        // The same version again is no newer either.
        store.write(&[put("k", 10, "same")]).await.expect("write");
        assert_eq!(
            store.load(&b("k")).await.expect("load").map(|e| e.value),
            Some(Value::from("new"))
        );
        assert_eq!(store.max_version().await.expect("max"), 10);
    }

    #[tokio::test]
    async fn delete_tombstone_blocks_older_put() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = open(&dir);
        store.write(&[put("k", 3, "v")]).await.expect("write");
        store.write(&[del("k", 5)]).await.expect("write");
        store.write(&[put("k", 4, "late")]).await.expect("write");
        assert_eq!(store.load(&b("k")).await.expect("load").map(|e| e.value), None);
        let conn = raw(&store);
        assert_eq!(count(&conn, "SELECT count(*) FROM jotter_strings"), 0);
        assert_eq!(count(&conn, "SELECT version FROM jotter_key_resets WHERE key = X'6b'"), 5);
        assert_eq!(store.max_version().await.expect("max"), 5);
    }

    #[tokio::test]
    async fn field_tombstone_blocks_older_field_set() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = open(&dir);
        store
            .write(&[hset("h", None, &[("f", 2, Some("a")), ("g", 3, Some("b"))])])
            .await
            .expect("write");
        store.write(&[hset("h", None, &[("f", 6, None)])]).await.expect("write");
        store.write(&[hset("h", None, &[("f", 5, Some("late"))])]).await.expect("write");
        assert_eq!(
            store.load(&b("h")).await.expect("load").map(|e| e.value),
            Some(hash(&[("g", "b")]))
        );
        let conn = raw(&store);
        assert_eq!(count(&conn, "SELECT count(*) FROM jotter_hashes WHERE field = X'66'"), 0);
        // A newer set does land, and takes the tombstone away.
        store.write(&[hset("h", None, &[("f", 7, Some("c"))])]).await.expect("write");
        assert_eq!(
            store.load(&b("h")).await.expect("load").map(|e| e.value),
            Some(hash(&[("f", "c"), ("g", "b")]))
        );
        assert_eq!(count(&conn, "SELECT count(*) FROM jotter_field_tombstones"), 0);
        assert_eq!(store.max_version().await.expect("max"), 7);
    }

    /// Versions are unique, so an equal version is a replay of the same
    /// write and must change nothing, whatever it carries.
    #[tokio::test]
    async fn an_equal_version_is_not_newer() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = open(&dir);
        store
            .write(&[hset("h", None, &[("f", 4, Some("a")), ("g", 5, None)])])
            .await
            .expect("write");
        store
            .write(&[hset("h", None, &[("f", 4, Some("b")), ("g", 5, Some("b"))])])
            .await
            .expect("write");
        store.write(&[hset("h", None, &[("f", 4, None)])]).await.expect("write");
        assert_eq!(
            store.load(&b("h")).await.expect("load").map(|e| e.value),
            Some(hash(&[("f", "a")]))
        );

        store.write(&[zadd("z", None, &[("m", 6, 1.0)])]).await.expect("write");
        store.write(&[zadd("z", None, &[("m", 6, 2.0)])]).await.expect("write");
        let removal = Write {
            expires_at: None,
            key: b("z"),
            version: 6,
            change: Change::Patch {
                kind: MapKind::Scores,
                reset: None,
                fields: vec![FieldChange { field: b("m"), version: 6, value: None }],
            },
        };
        store.write(&[removal]).await.expect("write");
        let one = Value::Scores(Arc::new([(b("m"), 1.0)].into_iter().collect()));
        assert_eq!(store.load(&b("z")).await.expect("load").map(|e| e.value), Some(one));

        // A reset at v takes older fields at v with it, and a field of the
        // same patch, at the reset's own version, lands after it; replayed,
        // neither does anything.
        let patch = hset("h", Some(4), &[("e", 4, Some("c"))]);
        store.write(std::slice::from_ref(&patch)).await.expect("write");
        assert_eq!(
            store.load(&b("h")).await.expect("load").map(|e| e.value),
            Some(hash(&[("e", "c")]))
        );
        store.write(&[patch]).await.expect("write");
        assert_eq!(
            store.load(&b("h")).await.expect("load").map(|e| e.value),
            Some(hash(&[("e", "c")]))
        );
        store.write(&[del("d", 7)]).await.expect("write");
        store.write(&[del("d", 7), put("p", 0, "zero")]).await.expect("write");
        assert_eq!(store.load(&b("p")).await.expect("load").map(|e| e.value), None);
        assert_eq!(store.max_version().await.expect("max"), 7);
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
        assert_eq!(
            store.load(&b("k")).await.expect("load").map(|e| e.value),
            Some(hash(&[("f", "x"), ("g", "y")]))
        );

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
        assert_eq!(store.load(&b("k")).await.expect("load").map(|e| e.value), Some(want));
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
        let batch =
            [put("good", 1, "g"), hset("h", None, &[("f", 2, Some("x"))]), put("bad", 3, "b")];
        let err = store.write(&batch).await.expect_err("the trigger refuses `bad`");
        assert!(!err.is_transient(), "{err}");
        assert!(err.message().contains("bad key"), "{err}");
        assert!(err.message().contains("\"bad\""), "{err}");

        for key in ["good", "h", "bad"] {
            assert_eq!(store.load(&b(key)).await.expect("load").map(|e| e.value), None, "{key}");
        }
        assert_eq!(store.max_version().await.expect("max"), 0);
        assert_eq!(count(&raw(&store), "SELECT count(*) FROM jotter_key_resets"), 0);

        // The rest of the batch goes through on its own.
        store.write(&batch[..2]).await.expect("write");
        assert_eq!(
            store.load(&b("good")).await.expect("load").map(|e| e.value),
            Some(Value::from("g"))
        );
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
        assert_eq!(
            store.load(&b("k")).await.expect("load").map(|e| e.value),
            Some(Value::from("v"))
        );

        other.execute_batch("COMMIT").expect("unlock");
        store.write(&[put("k", 2, "w")]).await.expect("write after the lock");
        assert_eq!(
            store.load(&b("k")).await.expect("load").map(|e| e.value),
            Some(Value::from("w"))
        );
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
        assert_eq!(
            store.load(&b("s")).await.expect("load").map(|e| e.value),
            Some(Value::from("blob"))
        );
        assert_eq!(
            store.load(&b("h")).await.expect("load").map(|e| e.value),
            Some(hash(&[("f", "x")]))
        );
        let scores = Value::Scores(Arc::new([(b("m"), 1.5)].into_iter().collect()));
        assert_eq!(store.load(&b("z")).await.expect("load").map(|e| e.value), Some(scores));
        // The tombstones survived too.
        store
            .write(&[put("gone", 8, "late"), hset("h", None, &[("g", 2, Some("late"))])])
            .await
            .expect("write");
        assert_eq!(store.load(&b("gone")).await.expect("load").map(|e| e.value), None);
        assert_eq!(
            store.load(&b("h")).await.expect("load").map(|e| e.value),
            Some(hash(&[("f", "x")]))
        );
    }

    #[test]
    fn newer_schema_version_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("jotter.db");
        let store = SqliteStore::open(&path).expect("open");
        raw(&store)
            .execute("UPDATE jotter_meta SET value = '3' WHERE name = 'schema_version'", [])
            .expect("update");
        drop(store);
        let err = SqliteStore::open(&path).expect_err("schema 3 is unknown");
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
        assert_eq!(version, "2");
        assert_eq!(store.load(&b("k")).await.expect("load"), Some(Entry::new(Value::from("v"))));
        let mut w = put("k", 6, "w");
        w.expires_at = Some(1_000);
        store.write(&[w]).await.expect("write");
        let loaded = store.load(&b("k")).await.expect("load").expect("live");
        assert_eq!(loaded.expires_at, Some(1_000));
    }

    /// Expiry follows the same version rules as the data: a map's expiry is
    /// set by its newest patch, forgotten by a reset, and an older patch
    /// arriving late cannot bring an old expiry back.
    #[tokio::test]
    async fn expiry_is_kept_and_versioned_like_the_data() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(dir.path().join("jotter.db")).expect("open");
        let mut old = hset("h", None, &[("f", 5, Some("a"))]);
        old.expires_at = Some(100);
        let mut new = hset("h", None, &[("g", 7, Some("b"))]);
        new.expires_at = None;
        store.write(&[new]).await.expect("write");
        store.write(&[old]).await.expect("late write");
        let entry = store.load(&b("h")).await.expect("load").expect("live");
        assert_eq!(entry.expires_at, None, "the newer patch's expiry wins");

        let mut timed = put("s", 10, "v");
        timed.expires_at = Some(50);
        store.write(&[timed]).await.expect("write");
        let mut hash = hset("m", None, &[("f", 11, Some("x"))]);
        hash.expires_at = Some(60);
        store.write(&[hash]).await.expect("write");
        assert_eq!(store.expired(55, None, 10).await.expect("expired"), vec![b("s")]);
        let mut found = store.expired(60, None, 10).await.expect("expired");
        found.sort();
        assert_eq!(found, vec![b("m"), b("s")]);
        assert_eq!(store.keys(None, 10, 55).await.expect("keys"), vec![b("h"), b("m")]);
        assert_eq!(store.keys(Some(b"h"), 10, 0).await.expect("keys"), vec![b("m"), b("s")]);
        assert_eq!(store.keys(None, 1, 0).await.expect("keys"), vec![b("h")]);

        store.write(&[del("m", 12)]).await.expect("delete");
        assert_eq!(store.expired(60, None, 10).await.expect("expired"), vec![b("s")]);
    }

    #[tokio::test]
    async fn load_many_answers_in_order_with_the_absent_ones() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = open(&dir);
        store.write(&[put("a", 1, "1"), put("c", 2, "3")]).await.expect("write");
        let got = store.load_many(&[b("c"), b("b"), b("a")]).await.expect("load_many");
        let values: Vec<_> = got.into_iter().map(|e| e.map(|e| e.value)).collect();
        assert_eq!(values, vec![Some(Value::from("3")), None, Some(Value::from("1"))]);
    }
}
