//! The sorted set type's table, `jotter_zsets`: `(key, member)` to a
//! `float8` score, with its member sets and removals (see the map module),
//! and how a score goes into its column and comes back from a load.

use std::sync::LazyLock;

use bytes::Bytes;
use jotter::{FieldValue, MapKind};
use tokio_postgres::Row;

use super::map::MapTable;
use super::value_column::ColumnValue;

/// Marks a scored member's row in a load.
const TAG: i32 = 2;

pub(crate) static TABLE: LazyLock<MapTable> = LazyLock::new(|| {
    MapTable::new(
        (MapKind::Scores, "jotter_zsets", "z"),
        ("member", Some(("score", "float8"))),
        TAG,
        (to_column, from_row),
    )
});

fn to_column(value: &FieldValue) -> Option<ColumnValue<'_>> {
    match value {
        FieldValue::Score(s) => Some(ColumnValue::Float8(*s)),
        _ => None,
    }
}

fn from_row(row: &Row) -> Result<(Bytes, FieldValue), tokio_postgres::Error> {
    let m: &[u8] = row.try_get(1)?;
    Ok((Bytes::copy_from_slice(m), FieldValue::Score(row.try_get(3)?)))
}
