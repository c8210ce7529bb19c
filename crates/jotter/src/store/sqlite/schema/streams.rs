//! Streams in SQLite: two map tables of the one stream kind, split by
//! field. `jotter_streams (key, id, fields, version, ms, seq)` holds one
//! row per entry: `id` the entry id as 16 big-endian bytes (its primary
//! key, so rows are in id order), `fields` its field/value pairs (a JSON
//! object as TEXT when they are all UTF-8, else the binary form of
//! `value/stream/pairs.rs`), `ms` and `seq` the id's two parts as plain
//! integers, computed from `id`, for SQL to read and order by (a part
//! above 2^63 - 1 reads negative). `jotter_stream_state (key, item, state,
//! version)` holds the rest, a row each: the stream's metadata, each
//! consumer group, each of its consumers and each of its pending entries
//! (`value/stream/fields.rs` spells them). Appending, deleting or
//! acknowledging an entry is a row each, never a rewrite; a trim is one
//! range delete of the entries at or below the metadata's watermark
//! ([`TRIM`]), run after the patch's entries are written.

use std::sync::LazyLock;

use rusqlite::Row;
use rusqlite::types::ToSqlOutput;

use super::map::MapTable;
use crate::store::sqlite::columns::bytes_at;
use crate::value::stream::{ENTRY_KEY_LEN, TRIM_WATERMARK_AT};
use crate::value::{FieldValue, MapKind};

/// Marks an entry's row in a load.
const ENTRY_TAG: i64 = 7;
/// Marks a state row in a load.
const STATE_TAG: i64 = 8;

/// Hex digit `i` (1 to 16) of the id's 8 bytes starting at `at` (1 or 9),
/// shifted into place; SQLite has no function that reads bytes as an
/// integer.
fn part(at: usize) -> String {
    let digits: Vec<String> = (0..16)
        .map(|i| {
            format!(
                "((instr('0123456789ABCDEF', substr(hex(substr(id, {at}, 8)), {}, 1)) - 1) << {})",
                i + 1,
                4 * (15 - i)
            )
        })
        .collect();
    format!("CASE WHEN length(id) = {ENTRY_KEY_LEN} THEN {} END", digits.join(" | "))
}

/// Deletes key `?1`'s entry rows at or below the trim watermark of its
/// metadata row (nothing if it has none). A patch that wrote its entries
/// and its metadata thus keeps none the engine trimmed, while the entries
/// were still written first (see `jotter::Stream`). Only rows older than
/// the metadata go (a trim comes after what it trims), so the highest
/// version stored never falls.
pub(crate) static TRIM: LazyLock<String> = LazyLock::new(|| {
    format!(
        "DELETE FROM jotter_streams AS e WHERE key = ?1 AND EXISTS (
            SELECT 1 FROM jotter_stream_state AS s
             WHERE s.key = ?1 AND s.item = X'6d' AND length(s.state) >= {end}
               AND e.id <= substr(s.state, {at}, {ENTRY_KEY_LEN}) AND e.version <= s.version)",
        at = TRIM_WATERMARK_AT + 1,
        end = TRIM_WATERMARK_AT + ENTRY_KEY_LEN,
    )
});

pub(crate) static ENTRIES: LazyLock<MapTable> = LazyLock::new(|| {
    MapTable::new(
        (MapKind::Stream, "jotter_streams"),
        ("id", Some(("fields", "BLOB"))),
        ENTRY_TAG,
        entry_to_sql,
        from_row,
    )
    .only(is_entry)
    .with_columns(&format!(
        "    ms      INTEGER GENERATED ALWAYS AS ({}) VIRTUAL,
    seq     INTEGER GENERATED ALWAYS AS ({}) VIRTUAL,",
        part(1),
        part(9)
    ))
});

pub(crate) static STATE: LazyLock<MapTable> = LazyLock::new(|| {
    MapTable::new(
        (MapKind::Stream, "jotter_stream_state"),
        ("item", Some(("state", "BLOB"))),
        STATE_TAG,
        state_to_sql,
        from_row,
    )
    .only(|field| !is_entry(field))
});

fn is_entry(field: &[u8]) -> bool {
    field.len() == ENTRY_KEY_LEN
}

/// Pairs that are JSON text go in as TEXT, so that SQLite's JSON functions
/// read them.
fn entry_to_sql(value: &FieldValue) -> Option<ToSqlOutput<'_>> {
    match value {
        FieldValue::Stream(b) => Some(match std::str::from_utf8(b) {
            Ok(text) if text.starts_with('{') => ToSqlOutput::from(text),
            _ => ToSqlOutput::from(&b[..]),
        }),
        _ => None,
    }
}

fn state_to_sql(value: &FieldValue) -> Option<ToSqlOutput<'_>> {
    match value {
        FieldValue::Stream(b) => Some(ToSqlOutput::from(&b[..])),
        _ => None,
    }
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<FieldValue> {
    Ok(FieldValue::Stream(bytes_at(row, 2)?))
}
