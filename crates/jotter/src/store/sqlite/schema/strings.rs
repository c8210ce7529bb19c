//! Strings (blobs) in SQLite: one row per key in `jotter_strings (key,
//! value, version, expires_at)`, its expiry in its own row. It keeps a
//! rowid because its values can be large, and a `WITHOUT ROWID` table
//! stores whole rows in its key b-tree.

use rusqlite::{Connection, Row};

use crate::store::sqlite::columns::{bytes_at, expiry_at};
use crate::store::sqlite::error::Fail;
use crate::value::{Entry, Value};

pub(crate) const NAME: &str = "jotter_strings";

pub(super) const CREATE: &str = "
CREATE TABLE IF NOT EXISTS jotter_strings (
    key        BLOB PRIMARY KEY,
    value      BLOB NOT NULL,
    version    INTEGER NOT NULL,
    expires_at INTEGER
);
CREATE INDEX IF NOT EXISTS jotter_strings_expiry ON jotter_strings (expires_at)
    WHERE expires_at IS NOT NULL;
";

/// Upgrades a version-1 file: strings gain their expiry column (the rest of
/// version 2 is new tables, which the schema creates).
pub(super) const MIGRATE_TO_2: &str = "ALTER TABLE jotter_strings ADD COLUMN expires_at INTEGER";

/// A put at `?3` whose expiry column is the SQL expression `$expiry`. It
/// takes effect only if `?3` is newer than the key's reset version: its
/// `jotter_key_resets` row (read, never written: the string row's version
/// is the reset version from now on) and its string row.
macro_rules! put_sql {
    ($expiry:literal) => {
        concat!(
            "INSERT INTO jotter_strings (key, value, version, expires_at)
    SELECT ?1, ?2, ?3, ",
            $expiry,
            "
    WHERE ?3 > coalesce((SELECT version FROM jotter_key_resets WHERE key = ?1), 0)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version,
        expires_at = excluded.expires_at
    WHERE excluded.version > jotter_strings.version"
        )
    };
}
/// A map key's expiry row newer than the put (it survives the put's reset)
/// is the key's expiry, and the string row takes it over.
const PUT: &str = put_sql!(
    "coalesce(
        (SELECT expires_at FROM jotter_expiry WHERE key = ?1 AND version > ?3),
        CASE WHEN EXISTS (SELECT 1 FROM jotter_expiry WHERE key = ?1 AND version > ?3)
             THEN NULL ELSE ?4 END)"
);
/// [`PUT`] for a key with no `jotter_expiry` row (see the `map_keys`
/// module), where both of its expiry lookups would find nothing.
const PUT_PLAIN: &str = put_sql!("?4");
const DROP: &str = "DELETE FROM jotter_strings WHERE key = ?1";
/// Runs only after a patch set the key's expiry: a string row older than
/// the patch takes it, so a blob's row always holds the key's newest.
const SYNC_EXPIRY: &str =
    "UPDATE jotter_strings SET expires_at = ?2 WHERE key = ?1 AND version < ?3";

/// Marks the string's row in a load: its expiry, then its value.
pub(crate) const TAG: i64 = 0;
pub(super) const LOAD: &str = "SELECT 0, expires_at, value FROM jotter_strings WHERE key = ?1";
/// Live string keys after `?1` (all if NULL), unexpired at `?3`.
pub(super) const LIVE_KEYS: &str = "SELECT key FROM jotter_strings
     WHERE (?1 IS NULL OR key > ?1) AND (expires_at IS NULL OR expires_at > ?3)";
/// String keys expired at `?3`, after `?1` (all if NULL).
pub(super) const EXPIRED_KEYS: &str = "SELECT key FROM jotter_strings
     WHERE expires_at <= ?3 AND (?1 IS NULL OR key > ?1)";

/// Writes the blob at version `v` if `v` is newer than the key's reset
/// version, which it then is; whether it did. `may_have_expiry` false says
/// the key has no `jotter_expiry` row.
pub(crate) fn put(
    conn: &Connection,
    key: &[u8],
    value: &[u8],
    v: i64,
    (expires_at, may_have_expiry): (Option<i64>, bool),
) -> Result<bool, Fail> {
    let sql = if may_have_expiry { PUT } else { PUT_PLAIN };
    Ok(conn.prepare_cached(sql)?.execute((key, value, v, expires_at))? > 0)
}

/// Drops the key's blob, if any (the key was reset).
pub(crate) fn drop(conn: &Connection, key: &[u8]) -> Result<(), Fail> {
    conn.prepare_cached(DROP)?.execute([key])?;
    Ok(())
}

/// Gives a blob older than version `v` the expiry a patch at `v` set.
pub(crate) fn sync_expiry(
    conn: &Connection,
    key: &[u8],
    at: Option<i64>,
    v: i64,
) -> Result<(), Fail> {
    conn.prepare_cached(SYNC_EXPIRY)?.execute((key, at, v))?;
    Ok(())
}

/// The entry of a loaded string row (`TAG`, expiry, value).
pub(crate) fn read(row: &Row<'_>) -> rusqlite::Result<Entry> {
    Ok(Entry { value: Value::Blob(bytes_at(row, 2)?), expires_at: expiry_at(row, 1)? })
}
