//! The stream type's two tables, split by field as in the SQLite store:
//! `jotter_streams (key, id, fields, version, ms, seq)`, one row per
//! entry (`id` its 16 big-endian bytes, `fields` its pairs: UTF-8 JSON
//! object text when they are all UTF-8, `convert_from(fields, 'UTF8')::json`
//! reads it; `ms` and `seq` the id's parts, generated from `id`), and
//! `jotter_stream_state (key, item, state, version)`, one row per piece of
//! state (metadata, group, consumer, pending entry). Their field sets and
//! removals are the map module's; a trim is one range delete of the
//! entries at or below the metadata's watermark ([`TRIM`]), after the
//! batch's entries are written.

use std::sync::LazyLock;

use bytes::Bytes;
use jotter::{FieldValue, MapKind, TRIM_WATERMARK_AT};
use tokio_postgres::Row;

use super::map::MapTable;
use super::value_column::ColumnValue;
use crate::key_index::same;

/// Marks an entry's row in a load.
const ENTRY_TAG: i32 = 7;
/// Marks a state row in a load.
const STATE_TAG: i32 = 8;

/// The length of an entry's field key (an id's 16 bytes).
const ENTRY_KEY_LEN: usize = 16;

/// Deletes, for each stream key in `$1`, its entry rows at or below the
/// trim watermark its metadata row holds (see `jotter::Stream`): run after
/// the batch's field sets, so an entry added and trimmed between two
/// flushes is written, then deleted with the rest, in one statement. Only
/// rows older than the metadata go: a trim comes after the entries it
/// trims, and a row newer than every trim (which the engine ignores all
/// the same) keeps the store's highest version where it was.
pub(crate) static TRIM: LazyLock<String> = LazyLock::new(|| {
    format!(
        "
DELETE FROM jotter_streams m
 USING unnest($1::bytea[]) AS k(key), jotter_stream_state s
 WHERE {s_k} AND {s_meta} AND length(s.state) >= {end}
   AND {m_k} AND m.id <= substring(s.state FROM {at} FOR {ENTRY_KEY_LEN})
   AND m.version <= s.version",
        s_k = same("s.key", "k.key"),
        m_k = same("m.key", "k.key"),
        s_meta = same("s.item", "'\\x6d'::bytea"),
        at = TRIM_WATERMARK_AT + 1,
        end = TRIM_WATERMARK_AT + ENTRY_KEY_LEN,
    )
});

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
