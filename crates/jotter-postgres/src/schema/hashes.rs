//! The hash type's table, `jotter_hashes`: `(key, field)` to a `bytea`
//! value, with its field sets and removals (see the map module), and how a
//! field's value goes into its column and comes back from a load.

use std::sync::LazyLock;

use bytes::Bytes;
use jotter::{FieldValue, MapKind};
use tokio_postgres::Row;

use super::map::MapTable;
use super::value_column::ColumnValue;

/// Marks a hash field's row in a load.
const TAG: i32 = 1;

pub(crate) static TABLE: LazyLock<MapTable> = LazyLock::new(|| {
    MapTable::new(
        (MapKind::Hash, "jotter_hashes", "h"),
        ("field", Some(("value", "bytea"))),
        TAG,
        (to_column, from_row),
    )
});

fn to_column(value: &FieldValue) -> Option<ColumnValue<'_>> {
    match value {
        FieldValue::Bytes(b) => Some(ColumnValue::Bytea(b)),
        _ => None,
    }
}

fn from_row(row: &Row) -> Result<(Bytes, FieldValue), tokio_postgres::Error> {
    let (f, v): (&[u8], &[u8]) = (row.try_get(1)?, row.try_get(2)?);
    Ok((Bytes::copy_from_slice(f), FieldValue::Bytes(Bytes::copy_from_slice(v))))
}
