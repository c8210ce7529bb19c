//! Sorted sets in SQLite: one row per member in `jotter_zsets (key, member,
//! score, version)`, the score a REAL (so plain SQL can sort by it); how a
//! member is read back (its table writes it, see the map module).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use bytes::Bytes;
use rusqlite::Row;

use super::map::MapTable;
use crate::store::sqlite::columns::bytes_at;

/// Marks a member's row in a load.
pub(crate) const TAG: i64 = 2;

pub(crate) static TABLE: LazyLock<MapTable> =
    LazyLock::new(|| MapTable::new("jotter_zsets", "member", "score", "REAL", TAG));

/// Adds a loaded row (`TAG`, member, score) to the sorted set being read.
pub(crate) fn read(row: &Row<'_>, scores: &mut BTreeMap<Bytes, f64>) -> rusqlite::Result<()> {
    scores.insert(bytes_at(row, 1)?, row.get::<_, f64>(2)?);
    Ok(())
}
