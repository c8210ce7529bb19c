//! Sorted sets in SQLite: one row per member in `jotter_zsets (key, member,
//! score, version)`, the score a REAL (so plain SQL can sort by it); how a
//! member is written and read back.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use bytes::Bytes;
use rusqlite::{Connection, Row};

use super::map::MapTable;
use crate::store::sqlite::columns::bytes_at;
use crate::store::sqlite::error::Fail;

/// Marks a member's row in a load.
pub(crate) const TAG: i64 = 2;

pub(crate) static TABLE: LazyLock<MapTable> =
    LazyLock::new(|| MapTable::new("jotter_zsets", "member", "score", "REAL", TAG));

/// Sets `member`'s score at version `v` if the rules let it; whether it did.
/// SQLite stores NaN as NULL, which the NOT NULL score refuses.
pub(crate) fn set(
    conn: &Connection,
    key: &[u8],
    member: &[u8],
    score: f64,
    v: i64,
) -> Result<bool, Fail> {
    Ok(conn.prepare_cached(&TABLE.set)?.execute((key, member, score, v))? > 0)
}

/// Adds a loaded row (`TAG`, member, score) to the sorted set being read.
pub(crate) fn read(row: &Row<'_>, scores: &mut BTreeMap<Bytes, f64>) -> rusqlite::Result<()> {
    scores.insert(bytes_at(row, 1)?, row.get::<_, f64>(2)?);
    Ok(())
}
