//! The statements of one map table (a hash's fields, a sorted set's or a
//! set's members): rows keyed by `(key, field)`, each with the version of
//! the write that set it, under the same rules whatever the value column
//! holds, or without one (a set's member has no value).
//! A map type's module describes its table ([`MapTable`]); this builds its
//! statements, and the read module the branches of the loads and listings.

use bytes::Bytes;
use jotter::{FieldValue, MapKind};
use tokio_postgres::Row;

use super::reset::reset_of;
use super::value_column::ColumnValue;
use crate::key_index::{same, target};

/// A field value as its table's value column holds it
/// ([`ColumnValue::Absent`] for a table without one); `None` for a value of
/// another kind, which the table refuses.
pub(crate) type ToColumn = fn(&FieldValue) -> Option<ColumnValue<'_>>;

/// A loaded row's field and value (columns 1 to 3 of a load).
pub(crate) type FromRow = fn(&Row) -> Result<(Bytes, FieldValue), tokio_postgres::Error>;

/// A map type's table, with its statements (built once, at first use).
pub(crate) struct MapTable {
    /// The kind of map whose fields it holds.
    pub(crate) kind: MapKind,
    /// Which of the kind's fields it holds (a kind may split its fields
    /// over several tables; each field belongs in exactly one).
    pub(crate) holds: fn(&[u8]) -> bool,
    /// See [`ToColumn`].
    pub(crate) to_column: ToColumn,
    /// See [`FromRow`].
    pub(crate) from_row: FromRow,
    /// The table.
    pub(crate) name: &'static str,
    /// The alias its rows go by in statements over several tables.
    pub(crate) alias: &'static str,
    /// Marks its rows in a load (see `read::entry_from_rows`).
    pub(crate) tag: i32,
    /// Its columns 1 to 3 in a load: the field, then the value in column 2
    /// if it is bytes or in column 3 if it is a score.
    pub(crate) load_columns: String,
    /// Whether it has a value column, so its field sets take values.
    pub(crate) has_values: bool,
    /// Field sets: `$1` keys, `$2` fields, `$3` values, `$4` versions; or,
    /// without a value column, `$3` versions.
    pub(crate) sets: String,
    /// Field removals: `$1` keys, `$2` fields, `$3` versions.
    pub(crate) removals: String,
}

impl MapTable {
    /// The table `name` (alias `alias`) of `kind`'s fields with the
    /// column `field` and, if `value` names one, a value column `(name, SQL
    /// type)` (`bytea` for bytes, else a score); `tag` marks its rows in a
    /// load, read back by `from_row`; `to_column` fills the value column.
    pub(super) fn new(
        (kind, name, alias): (MapKind, &'static str, &'static str),
        (field, value): (&str, Option<(&str, &str)>),
        tag: i32,
        (to_column, from_row): (ToColumn, FromRow),
    ) -> Self {
        // A load's columns 2 and 3 hold a bytes value and a score: the
        // value goes in the one of its kind, NULL in the other (in both
        // without a value).
        let load_columns = match value {
            Some((value, "bytea")) => format!("{alias}.{field}, {alias}.{value}, NULL"),
            Some((value, _)) => format!("{alias}.{field}, NULL, {alias}.{value}"),
            None => format!("{alias}.{field}, NULL, NULL"),
        };
        MapTable {
            kind,
            holds: |_| true,
            to_column,
            from_row,
            name,
            alias,
            tag,
            load_columns,
            has_values: value.is_some(),
            sets: field_sets(name, field, value),
            removals: field_removals(name, field),
        }
    }

    /// The table holding only the fields `holds` accepts.
    pub(super) fn only(mut self, holds: fn(&[u8]) -> bool) -> Self {
        self.holds = holds;
        self
    }

    /// Its rows' key column, qualified by the alias (`h.key`).
    pub(crate) fn key(&self) -> String {
        format!("{}.key", self.alias)
    }
}

/// Field sets of one map table: `$1` keys, `$2` fields, `$3` values (of
/// the SQL type `value`'s second half, into the column its first half
/// names), `$4` versions; without a value column, `$3` versions.
fn field_sets(table: &str, field: &str, value: Option<(&str, &str)>) -> String {
    // The value's parts of each clause, each ending with the separator
    // before the version's.
    let (array, versions, column, update) = match value {
        Some((value, value_type)) => (
            format!("$3::{value_type}[], "),
            "$4",
            format!("{value}, "),
            format!("{value} = excluded.{value}, "),
        ),
        None => (String::new(), "$3", String::new(), String::new()),
    };
    format!(
        "
WITH f AS (
    SELECT f.key, f.{field}, {f_column}f.version
      FROM unnest($1::bytea[], $2::bytea[], {array}{versions}::bigint[])
           AS f(key, {field}, {column}version)
     WHERE f.version >= {reset}
       AND f.version > coalesce((SELECT t.version FROM jotter_field_tombstones t
                                  WHERE {t_f}), 0)
), a AS (
    INSERT INTO {table} AS m (key, {field}, {column}version)
    SELECT key, {field}, {column}version FROM f
    ON CONFLICT ({key}, {field_target}) DO UPDATE
       SET {update}version = excluded.version
    WHERE excluded.version > m.version
    RETURNING key, {field}
)
DELETE FROM jotter_field_tombstones t USING a WHERE {t_a}",
        f_column = value.map_or(String::new(), |(value, _)| format!("f.{value}, ")),
        reset = reset_of("f"),
        t_f = same_field("t", "field", "f", field),
        t_a = same_field("t", "field", "a", field),
        key = target("key"),
        field_target = target(field),
    )
}

/// Field removals of one map table: `$1` keys, `$2` fields, `$3` versions.
fn field_removals(table: &str, field: &str) -> String {
    format!(
        "
WITH f AS (
    SELECT f.key, f.field, f.version
      FROM unnest($1::bytea[], $2::bytea[], $3::bigint[]) AS f(key, field, version)
     WHERE f.version > 0 AND f.version >= {reset}
       AND NOT EXISTS (SELECT 1 FROM {table} m
                        WHERE {m_f} AND m.version >= f.version)
), a AS (
    INSERT INTO jotter_field_tombstones AS t (key, field, version)
    SELECT key, field, version FROM f
    ON CONFLICT ({key}, {field_target}) DO UPDATE SET version = excluded.version
    WHERE excluded.version > t.version
    RETURNING key, field
)
DELETE FROM {table} m USING a WHERE {m_a}",
        reset = reset_of("f"),
        m_f = same_field("m", field, "f", "field"),
        m_a = same_field("m", field, "a", "field"),
        key = target("key"),
        field_target = target("field"),
    )
}

/// Rows `x` and `y` are of the same key and field (named `xf` in `x` and
/// `yf` in `y`).
fn same_field(x: &str, xf: &str, y: &str, yf: &str) -> String {
    format!(
        "{} AND {}",
        same(&format!("{x}.key"), &format!("{y}.key")),
        same(&format!("{x}.{xf}"), &format!("{y}.{yf}"))
    )
}
