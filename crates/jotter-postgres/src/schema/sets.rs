//! The set type's table, `jotter_sets`: one `(key, member)` row per
//! member and no value column, with its member sets and removals (see the
//! map module).

use std::sync::LazyLock;

use bytes::Bytes;
use jotter::{FieldValue, MapKind};
use tokio_postgres::Row;

use super::map::MapTable;
use super::value_column::ColumnValue;

/// Marks a set member's row in a load (3 is a map's expiry).
const TAG: i32 = 4;

pub(crate) static TABLE: LazyLock<MapTable> = LazyLock::new(|| {
    MapTable::new((MapKind::Set, "jotter_sets", "se"), ("member", None), TAG, (to_column, from_row))
});

fn to_column(value: &FieldValue) -> Option<ColumnValue<'_>> {
    match value {
        FieldValue::Member => Some(ColumnValue::Absent),
        _ => None,
    }
}

fn from_row(row: &Row) -> Result<(Bytes, FieldValue), tokio_postgres::Error> {
    let m: &[u8] = row.try_get(1)?;
    Ok((Bytes::copy_from_slice(m), FieldValue::Member))
}
