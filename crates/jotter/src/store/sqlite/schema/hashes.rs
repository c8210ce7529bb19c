//! Hashes in SQLite: one row per field in `jotter_hashes (key, field,
//! value, version)`, the value a BLOB; how a field is written and read back.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use bytes::Bytes;
use rusqlite::{Connection, Row};

use super::map::MapTable;
use crate::store::sqlite::columns::bytes_at;
use crate::store::sqlite::error::Fail;

/// Marks a hash field's row in a load.
pub(crate) const TAG: i64 = 1;

pub(crate) static TABLE: LazyLock<MapTable> =
    LazyLock::new(|| MapTable::new("jotter_hashes", "field", "value", "BLOB", TAG));

/// Sets `field` to `value` at version `v` if the rules let it; whether it did.
pub(crate) fn set(
    conn: &Connection,
    key: &[u8],
    field: &[u8],
    value: &[u8],
    v: i64,
) -> Result<bool, Fail> {
    Ok(conn.prepare_cached(&TABLE.set)?.execute((key, field, value, v))? > 0)
}

/// Adds a loaded row (`TAG`, field, value) to the hash being read.
pub(crate) fn read(row: &Row<'_>, hash: &mut BTreeMap<Bytes, Bytes>) -> rusqlite::Result<()> {
    hash.insert(bytes_at(row, 1)?, bytes_at(row, 2)?);
    Ok(())
}
