//! Sorted sets in SQLite: one row per member in `jotter_zsets (key, member,
//! score, version)`, the score a REAL (so plain SQL can sort by it); how a
//! member's score goes into its column and comes back (its table runs the
//! statements, see the map module).

use std::sync::LazyLock;

use rusqlite::Row;
use rusqlite::types::ToSqlOutput;

use super::map::MapTable;
use crate::value::{FieldValue, MapKind};

/// Marks a member's row in a load.
const TAG: i64 = 2;

pub(crate) static TABLE: LazyLock<MapTable> = LazyLock::new(|| {
    MapTable::new(
        (MapKind::Scores, "jotter_zsets"),
        ("member", Some(("score", "REAL"))),
        TAG,
        to_sql,
        from_row,
    )
});

/// SQLite stores NaN as NULL, which the NOT NULL score refuses.
fn to_sql(value: &FieldValue) -> Option<ToSqlOutput<'_>> {
    match value {
        FieldValue::Score(s) => Some(ToSqlOutput::from(*s)),
        _ => None,
    }
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<FieldValue> {
    Ok(FieldValue::Score(row.get::<_, f64>(2)?))
}
