//! The list type's table, `jotter_lists`: `(key, pos)` to a `bytea`
//! element, `pos` the element's order key (eight bytes, big-endian, so
//! `ORDER BY pos` reads the list in order), with its element sets and
//! removals (see the map module), and how an element goes into its column
//! and comes back from a load.

use std::sync::LazyLock;

use bytes::Bytes;
use jotter::{FieldValue, MapKind};
use tokio_postgres::Row;

use super::map::MapTable;
use super::value_column::ColumnValue;

/// Marks an element's row in a load.
const TAG: i32 = 5;

pub(crate) static TABLE: LazyLock<MapTable> = LazyLock::new(|| {
    MapTable::new(
        (MapKind::List, "jotter_lists", "l"),
        ("pos", Some(("value", "bytea"))),
        TAG,
        (to_column, from_row),
    )
});

fn to_column(value: &FieldValue) -> Option<ColumnValue<'_>> {
    match value {
        FieldValue::Element(b) => Some(ColumnValue::Bytea(b)),
        _ => None,
    }
}

fn from_row(row: &Row) -> Result<(Bytes, FieldValue), tokio_postgres::Error> {
    let (p, v): (&[u8], &[u8]) = (row.try_get(1)?, row.try_get(2)?);
    Ok((Bytes::copy_from_slice(p), FieldValue::Element(Bytes::copy_from_slice(v))))
}
