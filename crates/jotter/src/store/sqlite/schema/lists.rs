//! Lists in SQLite: one row per element in `jotter_lists (key, pos, value,
//! version)`, `pos` the element's order key (eight bytes, big-endian, see
//! `list_order.rs`), so that `ORDER BY pos` reads the list in order; how an
//! element goes into its column and comes back (its table runs the
//! statements, see the map module).

use std::sync::LazyLock;

use rusqlite::Row;
use rusqlite::types::ToSqlOutput;

use super::map::MapTable;
use crate::store::sqlite::columns::bytes_at;
use crate::value::{FieldValue, MapKind};

/// Marks an element's row in a load.
const TAG: i64 = 5;

pub(crate) static TABLE: LazyLock<MapTable> = LazyLock::new(|| {
    MapTable::new(
        (MapKind::List, "jotter_lists"),
        ("pos", Some(("value", "BLOB"))),
        TAG,
        to_sql,
        from_row,
    )
});

fn to_sql(value: &FieldValue) -> Option<ToSqlOutput<'_>> {
    match value {
        FieldValue::Element(b) => Some(ToSqlOutput::from(&b[..])),
        _ => None,
    }
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<FieldValue> {
    Ok(FieldValue::Element(bytes_at(row, 2)?))
}
