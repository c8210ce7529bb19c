//! Sets in SQLite: one row per member in `jotter_sets (key, member,
//! version)`, with no value column (a member is there or not); its table
//! runs the statements, see the map module.

use std::sync::LazyLock;

use rusqlite::Row;
use rusqlite::types::{Null, ToSqlOutput};

use super::map::MapTable;
use crate::value::{FieldValue, MapKind};

/// Marks a set member's row in a load (3 is a map's expiry).
const TAG: i64 = 4;

pub(crate) static TABLE: LazyLock<MapTable> = LazyLock::new(|| {
    MapTable::new((MapKind::Set, "jotter_sets"), ("member", None), TAG, to_sql, from_row)
});

/// The statement binds a value it does not use: NULL.
fn to_sql(value: &FieldValue) -> Option<ToSqlOutput<'_>> {
    match value {
        FieldValue::Member => Some(ToSqlOutput::from(Null)),
        _ => None,
    }
}

fn from_row(_row: &Row<'_>) -> rusqlite::Result<FieldValue> {
    Ok(FieldValue::Member)
}
