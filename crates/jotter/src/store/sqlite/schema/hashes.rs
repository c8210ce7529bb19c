//! Hashes in SQLite: one row per field in `jotter_hashes (key, field,
//! value, version)`, the value a BLOB; how a field is read back (its table
//! writes it, see the map module).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use bytes::Bytes;
use rusqlite::Row;

use super::map::MapTable;
use crate::store::sqlite::columns::bytes_at;

/// Marks a hash field's row in a load.
pub(crate) const TAG: i64 = 1;

pub(crate) static TABLE: LazyLock<MapTable> =
    LazyLock::new(|| MapTable::new("jotter_hashes", "field", "value", "BLOB", TAG));

/// Adds a loaded row (`TAG`, field, value) to the hash being read.
pub(crate) fn read(row: &Row<'_>, hash: &mut BTreeMap<Bytes, Bytes>) -> rusqlite::Result<()> {
    hash.insert(bytes_at(row, 1)?, bytes_at(row, 2)?);
    Ok(())
}
