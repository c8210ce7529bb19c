//! The stream type's two tables, split by field as in the SQLite store:
//! `jotter_streams (key, id, fields, version, ms, seq)`, one row per
//! entry (`id` its 16 big-endian bytes, `fields` its pairs: UTF-8 JSON
//! object text when they are all UTF-8, `convert_from(fields, 'UTF8')::json`
//! reads it; `ms` and `seq` the id's parts, generated from `id`), and
//! `jotter_stream_state (key, item, state, version)`, one row per piece of
//! state (metadata, group, consumer, pending entry). Their field sets and
//! removals are the map module's.

use std::sync::LazyLock;

use bytes::Bytes;
use jotter::{FieldValue, MapKind};
use tokio_postgres::Row;

use super::map::MapTable;
use super::value_column::ColumnValue;

/// Marks an entry's row in a load.
const ENTRY_TAG: i32 = 7;
/// Marks a state row in a load.
const STATE_TAG: i32 = 8;

/// The length of an entry's field key (an id's 16 bytes).
const ENTRY_KEY_LEN: usize = 16;

pub(crate) static ENTRIES: LazyLock<MapTable> = LazyLock::new(|| {
    MapTable::new(
        (MapKind::Stream, "jotter_streams", "st"),
        ("id", Some(("fields", "bytea"))),
        ENTRY_TAG,
        (to_column, from_row),
    )
    .only(|field| field.len() == ENTRY_KEY_LEN)
});

pub(crate) static STATE: LazyLock<MapTable> = LazyLock::new(|| {
    MapTable::new(
        (MapKind::Stream, "jotter_stream_state", "ss"),
        ("item", Some(("state", "bytea"))),
        STATE_TAG,
        (to_column, from_row),
    )
    .only(|field| field.len() != ENTRY_KEY_LEN)
});

fn to_column(value: &FieldValue) -> Option<ColumnValue<'_>> {
    match value {
        FieldValue::Stream(b) => Some(ColumnValue::Bytea(b)),
        _ => None,
    }
}

fn from_row(row: &Row) -> Result<(Bytes, FieldValue), tokio_postgres::Error> {
    let (f, v): (&[u8], &[u8]) = (row.try_get(1)?, row.try_get(2)?);
    Ok((Bytes::copy_from_slice(f), FieldValue::Stream(Bytes::copy_from_slice(v))))
}
