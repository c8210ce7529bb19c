//! Hashes in SQLite: one row per field in `jotter_hashes (key, field,
//! value, version)`, the value a BLOB; how a field's value goes into its
//! column and comes back (its table runs the statements, see the map
//! module).

use std::sync::LazyLock;

use rusqlite::Row;
use rusqlite::types::ToSqlOutput;

use super::map::MapTable;
use crate::store::sqlite::columns::bytes_at;
use crate::value::{FieldValue, MapKind};

/// Marks a hash field's row in a load.
const TAG: i64 = 1;

pub(crate) static TABLE: LazyLock<MapTable> = LazyLock::new(|| {
    MapTable::new(
        (MapKind::Hash, "jotter_hashes"),
        ("field", Some(("value", "BLOB"))),
        TAG,
        to_sql,
        from_row,
    )
});

fn to_sql(value: &FieldValue) -> Option<ToSqlOutput<'_>> {
    match value {
        FieldValue::Bytes(b) => Some(ToSqlOutput::from(&b[..])),
        _ => None,
    }
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<FieldValue> {
    Ok(FieldValue::Bytes(bytes_at(row, 2)?))
}
