//! Which keys may hold rows besides a string row (map fields, field
//! tombstones, a map expiry), so that a put or delete of a key that never
//! had any runs two statements instead of six.
//!
//! # What it guarantees
//!
//! Every key with a row in a map table, in `jotter_field_tombstones` or in
//! `jotter_expiry` is reported by [`MapKeys::may_have`]; a key reported may
//! have none (the filter errs towards running the statements, which is
//! always correct, never towards skipping them). It is a fixed-size
//! [`KnownKeys`] filter, the one the cache keeps of the store's keys: its
//! memory never grows, and a key is never taken out while the store is
//! open, so a false "no" cannot arise from forgetting.
//! It is filled from the tables when the store opens and again whenever
//! another connection committed to the file (a row written by hand), seen
//! through `PRAGMA data_version` before each batch; the writer sets a key's
//! bit before any patch of that key, the only write that creates such rows.

use rusqlite::Connection;
use rusqlite::types::ValueRef;

use super::error::sql;
use super::schema::MAP_STATE_KEYS;
use crate::known_keys::KnownKeys;
use crate::store::StoreError;

/// Bits in the filter: 256 KiB. Past a few hundred thousand map keys its
/// answers turn to "may" more often, and more puts run the full
/// statements, as they did without it.
const BITS: u64 = 1 << 21;

/// The filter, owned by the writer connection (see the module doc).
#[derive(Debug)]
pub(super) struct MapKeys {
    keys: KnownKeys,
    /// `PRAGMA data_version` of the writer connection when the bits were
    /// filled: a change means another connection committed.
    data_version: i64,
}

impl MapKeys {
    /// The filter of the file `conn` (the writer) has open.
    pub(super) fn load(conn: &Connection) -> Result<Self, StoreError> {
        let mut keys = MapKeys { keys: KnownKeys::with_bits(BITS), data_version: 0 };
        keys.fill(conn)?;
        Ok(keys)
    }

    /// Fills the filter again if another connection committed since it was
    /// last filled. Runs at the start of each batch, before any statement.
    pub(super) fn refresh(&mut self, conn: &Connection) -> Result<(), StoreError> {
        if data_version(conn)? != self.data_version {
            self.fill(conn)?;
        }
        Ok(())
    }

    /// Whether `key` may have rows besides its string row.
    pub(super) fn may_have(&self, key: &[u8]) -> bool {
        self.keys.may_contain(key)
    }

    /// Records that `key` may have such rows from now on.
    pub(super) fn mark(&mut self, key: &[u8]) {
        self.keys.insert(key);
    }

    fn fill(&mut self, conn: &Connection) -> Result<(), StoreError> {
        let context = "reading which sqlite keys have map rows";
        // Read first: a commit by another connection during the scan then
        // shows as a change at the next batch, and fills the filter again.
        self.data_version = data_version(conn)?;
        self.keys = KnownKeys::with_bits(BITS);
        let mut stmt = conn.prepare(&MAP_STATE_KEYS).map_err(sql(context))?;
        let mut rows = stmt.query([]).map_err(sql(context))?;
        while let Some(row) = rows.next().map_err(sql(context))? {
            // A key of another type (written by hand) never equals a BLOB
            // key, so no write of the engine's can meet it.
            if let ValueRef::Blob(k) | ValueRef::Text(k) = row.get_ref(0).map_err(sql(context))? {
                self.mark(k);
            }
        }
        Ok(())
    }
}

fn data_version(conn: &Connection) -> Result<i64, StoreError> {
    conn.pragma_query_value(None, "data_version", |row| row.get(0))
        .map_err(sql("reading the sqlite data version"))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::store::sqlite::SqliteStore;
    use crate::store::{Store, Write};
    use crate::testing::{b, del, hset, put, value, zadd};
    use crate::value::Value;

    /// Rows of key `k` in the map tables, field tombstones and map expiries.
    fn map_rows(store: &SqliteStore) -> i64 {
        let conn = Connection::open(store.path()).expect("raw open");
        conn.busy_timeout(Duration::from_secs(5)).expect("busy timeout");
        let sql = format!("SELECT count(*) FROM ({}) WHERE key = X'6b'", *MAP_STATE_KEYS);
        conn.query_row(&sql, [], |r| r.get(0)).expect("count")
    }

    fn expiring(mut w: Write, at: u64) -> Write {
        w.expires_at = Some(at);
        w
    }

    fn marked(store: &SqliteStore, key: &str) -> bool {
        store.inner.map_keys.lock().may_have(&b(key))
    }

    /// Fields, a field tombstone and a map expiry of `k`, all at versions
    /// below 10.
    async fn map_state(store: &SqliteStore) {
        let fields = hset("k", Some(1), &[("f", 2, Some("x")), ("g", 3, None)]);
        store.write(&[expiring(fields, 5_000)]).await.expect("hset");
        assert_eq!(map_rows(store), 3);
    }

    #[tokio::test]
    async fn a_put_or_delete_removes_map_rows_written_before_and_after_a_restart() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (reopen, last) in [(false, put("k", 10, "blob")), (true, del("k", 10))] {
            let path = dir.path().join(format!("{reopen}.db"));
            let mut store = SqliteStore::open(&path).expect("open");
            assert!(!marked(&store, "k"));
            map_state(&store).await;
            assert!(marked(&store, "k"));
            if reopen {
                drop(store);
                store = SqliteStore::open(&path).expect("reopen");
                assert!(marked(&store, "k"), "the filter is filled from the file");
            }
            let deleting = last.change == crate::store::Change::Delete;
            store.write(&[last]).await.expect("write");
            assert_eq!(map_rows(&store), 0);
            let want = (!deleting).then(|| Value::from("blob"));
            assert_eq!(value(&store, "k").await, want);
            // The expiry row went with the reset: the blob never expires.
            if !deleting {
                let entry = store.load(&b("k")).await.expect("load").expect("live");
                assert_eq!(entry.expires_at, None);
            }
        }
    }

    #[tokio::test]
    async fn a_put_keeps_map_rows_newer_than_itself() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(dir.path().join("jotter.db")).expect("open");
        let newer = zadd("k", None, &[("m", 20, 1.5)]);
        store.write(&[expiring(newer, 9_000)]).await.expect("zadd");
        store.write(&[put("k", 10, "blob")]).await.expect("put");
        // The newer member and expiry survive the older reset, and the
        // blob's row takes over that expiry.
        assert_eq!(map_rows(&store), 2);
        let entry = store.load(&b("k")).await.expect("load").expect("live");
        assert_eq!(entry.expires_at, Some(9_000));
    }

    #[tokio::test]
    async fn map_rows_written_by_hand_are_seen_by_the_next_batch() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(dir.path().join("jotter.db")).expect("open");
        store.write(&[put("k", 1, "blob")]).await.expect("put");
        assert!(!marked(&store, "k"));
        let conn = Connection::open(store.path()).expect("raw open");
        conn.execute_batch(
            "INSERT INTO jotter_hashes VALUES (X'6b', X'66', X'78', 2);
             INSERT INTO jotter_field_tombstones VALUES (X'6b', X'67', 2);
             INSERT INTO jotter_expiry VALUES (X'6b', 5000, 2);",
        )
        .expect("rows by hand");
        store.write(&[put("k", 10, "blob")]).await.expect("put");
        assert!(marked(&store, "k"));
        assert_eq!(map_rows(&store), 0);
        assert_eq!(value(&store, "k").await, Some(Value::from("blob")));
    }
}
