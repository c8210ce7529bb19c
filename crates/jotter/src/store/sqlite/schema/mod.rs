//! The SQLite store's tables: one module per value type (its table, how its
//! values are written and read back), the bookkeeping every type shares
//! (key resets, field tombstones, map expiries), and the statements that
//! span all types (a load, the listings, the highest version), put together
//! here from each type's part. Also creating and upgrading the schema.
//!
//! A new map kind is a new module here (its table, and how its field
//! values go into the value column and come back) and one entry in
//! [`maps`]; the loads, listings, writes and resets take it from there. A
//! value type that is not a map of fields needs its own branches below.

mod hashes;
mod lists;
mod map;
mod sets;
pub(super) mod streams;
pub(super) mod strings;
mod zsets;

use std::sync::LazyLock;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use super::error::sql;
use crate::store::StoreError;
use crate::value::MapKind;
pub(super) use map::MapTable;

/// The schema version this code writes and understands: 2 gave strings
/// their expiry column, 3 added `jotter_sets` (created by [`SCHEMA`]).
const SCHEMA_VERSION: u32 = 3;

/// The map tables, each a kind's fields, in the order a load prefers them
/// (the engine never leaves a key with fields in two).
pub(super) fn maps() -> [&'static MapTable; 6] {
    [&hashes::TABLE, &zsets::TABLE, &sets::TABLE, &lists::TABLE, &streams::ENTRIES, &streams::STATE]
}

/// The table of `kind`'s `field`.
pub(super) fn table_for(kind: MapKind, field: &[u8]) -> &'static MapTable {
    maps()
        .into_iter()
        .find(|m| m.kind == kind && (m.holds)(field))
        .expect("every map kind has its table in maps()")
}

/// Bookkeeping: the version at which each key was last replaced or deleted
/// (nothing older may take effect), the versions of removed map fields, and
/// the expiry of map keys with the version of the write that set it.
const BOOKKEEPING: &str = "
CREATE TABLE IF NOT EXISTS jotter_expiry (
    key        BLOB PRIMARY KEY,
    expires_at INTEGER,
    version    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS jotter_expiry_at ON jotter_expiry (expires_at)
    WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS jotter_key_resets (
    key     BLOB PRIMARY KEY,
    version INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS jotter_field_tombstones (
    key     BLOB,
    field   BLOB,
    version INTEGER NOT NULL,
    PRIMARY KEY (key, field)
) WITHOUT ROWID;
";

/// The tables other than `jotter_meta`; keep in sync with the store's doc.
static SCHEMA: LazyLock<String> = LazyLock::new(|| {
    let maps: String = maps().iter().map(|m| m.create.as_str()).collect();
    format!("{}{BOOKKEEPING}{maps}", strings::CREATE)
});

const META_TABLE: &str = "CREATE TABLE IF NOT EXISTS jotter_meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID";

/// Moves the key's reset version up to `?2` for a delete or a patch's
/// reset; one change iff it was older (its string row included).
pub(super) const RESET_KEY: &str = "INSERT INTO jotter_key_resets (key, version)
    SELECT ?1, ?2
    WHERE NOT EXISTS (SELECT 1 FROM jotter_strings WHERE key = ?1 AND version >= ?2)
    ON CONFLICT (key) DO UPDATE SET version = excluded.version
    WHERE excluded.version > jotter_key_resets.version";
pub(super) const DROP_FIELD_TOMBSTONES: &str =
    "DELETE FROM jotter_field_tombstones WHERE key = ?1 AND version <= ?2";
pub(super) const DROP_EXPIRY: &str = "DELETE FROM jotter_expiry WHERE key = ?1 AND version <= ?2";
/// Sets a map key's expiry from a patch at `?3` if it is at least the key's
/// reset version and newer than the expiry's own version.
pub(super) const SET_EXPIRY: &str = "INSERT INTO jotter_expiry (key, expires_at, version)
    SELECT ?1, ?2, ?3
    WHERE ?3 >= coalesce((SELECT version FROM jotter_key_resets WHERE key = ?1), 0)
      AND NOT EXISTS (SELECT 1 FROM jotter_strings WHERE key = ?1 AND version >= ?3)
    ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at, version = excluded.version
    WHERE excluded.version > jotter_expiry.version";
/// Runs only after a set took effect, so the tombstone is older than the set.
pub(super) const DROP_FIELD_TOMBSTONE: &str =
    "DELETE FROM jotter_field_tombstones WHERE key = ?1 AND field = ?2";

/// Marks a map's expiry row in a load.
pub(super) const EXPIRY_TAG: i64 = 3;

/// One statement, so one snapshot: a load never sees half of a batch even
/// though it runs beside the writer. Each row starts with its type's tag.
pub(super) static LOAD: LazyLock<String> = LazyLock::new(|| {
    let mut sql = strings::LOAD.to_owned();
    for m in maps() {
        sql.push_str("\n    UNION ALL ");
        sql.push_str(&m.load);
    }
    sql.push_str(&format!(
        "\n    UNION ALL SELECT {EXPIRY_TAG}, NULL, expires_at FROM jotter_expiry WHERE key = ?1"
    ));
    sql
});

/// Live keys after `?1` (all if NULL) in byte order, at most `?2`, leaving
/// out those expired at `?3`. A key with a string row is what that row says
/// (as for a load, which prefers it).
pub(super) static KEYS: LazyLock<String> = LazyLock::new(|| {
    let mut sql = strings::LIVE_KEYS.to_owned();
    for m in maps() {
        sql.push_str(&format!(
            "
    UNION SELECT key FROM {} m WHERE (?1 IS NULL OR key > ?1)
       AND NOT EXISTS (SELECT 1 FROM jotter_expiry e WHERE e.key = m.key AND e.expires_at <= ?3)
       AND NOT EXISTS (SELECT 1 FROM jotter_strings s WHERE s.key = m.key)",
            m.name
        ));
    }
    sql.push_str("\n    ORDER BY 1 LIMIT ?2");
    sql
});

/// Live keys whose expiry is at or before `?3`, after `?1` (all if NULL),
/// in byte order, at most `?2` (the parameters of [`KEYS`]).
pub(super) static EXPIRED: LazyLock<String> = LazyLock::new(|| {
    let has_fields: Vec<String> = maps().iter().map(|m| m.has_rows("e.key")).collect();
    format!(
        "{}
    UNION SELECT key FROM jotter_expiry e WHERE expires_at <= ?3 AND (?1 IS NULL OR key > ?1)
       AND NOT EXISTS (SELECT 1 FROM jotter_strings s WHERE s.key = e.key)
       AND ({})
    ORDER BY 1 LIMIT ?2",
        strings::EXPIRED_KEYS,
        has_fields.join(" OR ")
    )
});

/// Every key with rows besides its string row: map fields, field
/// tombstones, a map expiry (see the `map_keys` module); a key once per
/// row, which the filter does not mind.
pub(super) static MAP_STATE_KEYS: LazyLock<String> = LazyLock::new(|| {
    let tables =
        maps().into_iter().map(|m| m.name).chain(["jotter_field_tombstones", "jotter_expiry"]);
    let parts: Vec<String> = tables.map(|t| format!("SELECT key FROM {t}")).collect();
    parts.join("\n    UNION ALL ")
});

/// String rows are included although they never outrun their key's reset
/// version, so that rows written by hand still count.
pub(super) static MAX_VERSION: LazyLock<String> = LazyLock::new(|| {
    let tables = ["jotter_key_resets", "jotter_field_tombstones", strings::NAME]
        .into_iter()
        .chain(maps().into_iter().map(|m| m.name));
    let parts: Vec<String> =
        tables.map(|t| format!("coalesce((SELECT max(version) FROM {t}), 0)")).collect();
    format!("SELECT max({})", parts.join(", "))
});

/// The newest version of key `?1` in any row or tombstone, or 0 if none
/// (see `Store::version_of`).
pub(super) static KEY_VERSION: LazyLock<String> = LazyLock::new(|| {
    let tables = ["jotter_key_resets", "jotter_field_tombstones", strings::NAME]
        .into_iter()
        .chain(maps().into_iter().map(|m| m.name));
    let parts: Vec<String> = tables
        .map(|t| format!("coalesce((SELECT max(version) FROM {t} WHERE key = ?1), 0)"))
        .collect();
    format!("SELECT max({})", parts.join(", "))
});

/// The bookkeeping below `?1` that no write can need: resets and field
/// tombstones older than it, and the expiry rows older than it that say
/// "never" or belong to a map key with no fields left (a later write
/// carries its own expiry).
pub(super) static COLLECT: LazyLock<[String; 3]> = LazyLock::new(|| {
    let no_fields: Vec<String> =
        maps().iter().map(|m| format!("NOT {}", m.has_rows("jotter_expiry.key"))).collect();
    [
        "DELETE FROM jotter_key_resets WHERE version < ?1".to_owned(),
        "DELETE FROM jotter_field_tombstones WHERE version < ?1".to_owned(),
        format!(
            "DELETE FROM jotter_expiry WHERE version < ?1
        AND (expires_at IS NULL OR {})",
            no_fields.join(" AND ")
        ),
    ]
});

/// Creates the schema if missing, in one transaction, after checking that
/// the file does not hold a newer schema than this code knows.
pub(super) fn create_schema(conn: &mut Connection) -> Result<(), StoreError> {
    let context = "creating the sqlite schema";
    let tx =
        conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql(context))?;
    tx.execute_batch(META_TABLE).map_err(sql(context))?;
    let found: Option<String> = tx
        .query_row("SELECT value FROM jotter_meta WHERE name = 'schema_version'", [], |row| {
            row.get(0)
        })
        .optional()
        .map_err(sql(context))?;
    match found {
        None => {
            tx.execute_batch(&SCHEMA).map_err(sql(context))?;
            tx.execute(
                "INSERT INTO jotter_meta (name, value) VALUES ('schema_version', ?1)",
                [SCHEMA_VERSION.to_string()],
            )
            .map_err(sql(context))?;
        }
        Some(text) => match text.trim().parse::<u32>() {
            Ok(v) if v > SCHEMA_VERSION => {
                return Err(StoreError::permanent(format!(
                    "the sqlite database has schema version {v}, newer than this code knows \
                     ({SCHEMA_VERSION}); open it with a newer jotter"
                )));
            }
            Ok(v) if v == SCHEMA_VERSION => {
                // Also recreates a table dropped by hand.
                tx.execute_batch(&SCHEMA).map_err(sql(context))?;
            }
            Ok(v @ (1 | 2)) => {
                let upgrading = "upgrading the sqlite schema to 3";
                if v == 1 {
                    tx.execute_batch(strings::MIGRATE_TO_2).map_err(sql(upgrading))?;
                }
                // The tables a version adds are created as on a new file.
                tx.execute_batch(&SCHEMA).map_err(sql(upgrading))?;
                tx.execute(
                    "UPDATE jotter_meta SET value = ?1 WHERE name = 'schema_version'",
                    [SCHEMA_VERSION.to_string()],
                )
                .map_err(sql(context))?;
            }
            _ => {
                return Err(StoreError::permanent(format!(
                    "the sqlite database has an unknown schema version {text:?} \
                     (this code knows {SCHEMA_VERSION})"
                )));
            }
        },
    }
    tx.commit().map_err(sql(context))
}
