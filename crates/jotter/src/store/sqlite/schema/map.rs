//! The statements of one map table (a hash's fields, a sorted set's or a
//! set's members): rows keyed by `(key, field)`, each with the version of
//! the write that set it, under the same rules whatever the value column
//! holds, or without one (a set's member has no value).
//! A map type's module names its table and columns and says how its field
//! values go into the value column and come back; this builds the rest,
//! and runs the statements that change rows.

use rusqlite::types::ToSqlOutput;
use rusqlite::{Connection, Row, ToSql};

use crate::store::sqlite::error::Fail;
use crate::value::{FieldValue, MapKind};

/// The key `?1`'s reset version, as an SQL expression: the greater of its
/// `jotter_key_resets` row and its string row, since a put does not write
/// the former (the string row's own version is the put's reset version).
const RESET_VERSION: &str =
    "max(coalesce((SELECT version FROM jotter_key_resets WHERE key = ?1), 0),
         coalesce((SELECT version FROM jotter_strings WHERE key = ?1), 0))";

/// A map table and the statements that read and change it. `?1` is always
/// the key; each conditional statement reports through its change count
/// whether it took effect. The statements that change rows are run by the
/// methods below, which bind their parameters in the order they expect.
pub(crate) struct MapTable {
    /// The kind of map whose fields it holds.
    pub(crate) kind: MapKind,
    /// Which of the kind's fields it holds (a kind may split its fields
    /// over several tables; each field belongs in exactly one).
    pub(crate) holds: fn(&[u8]) -> bool,
    /// The table's name.
    pub(crate) name: &'static str,
    /// Marks its rows in a load.
    pub(crate) tag: i64,
    /// A field value as the value column holds it (NULL for a table
    /// without one); `None` for a value of another kind, which the table
    /// refuses.
    pub(crate) to_sql: fn(&FieldValue) -> Option<ToSqlOutput<'_>>,
    /// The field value of a loaded row (`tag`, field, value column).
    pub(crate) from_row: fn(&Row<'_>) -> rusqlite::Result<FieldValue>,
    /// Its `CREATE TABLE IF NOT EXISTS`.
    pub(crate) create: String,
    /// Sets a field if `?4` is at least the key's reset version (a patch's
    /// fields share its reset's version) and newer than the field's
    /// tombstone and row; one change iff it did.
    set: String,
    /// Leaves a tombstone at `?3` if it is at least the key's reset version
    /// and newer than the field's tombstone and row; one change iff it did.
    remove: String,
    /// Runs only after the tombstone was written, so the row is older.
    drop_field: String,
    /// Rows newer than a reset at `?2` survive it, as in `MemoryStore`:
    /// they were written after the reset and merely arrived before it.
    drop_older: String,
    /// The key's rows as `(tag, field, value)`, one branch of the load.
    pub(crate) load: String,
}

impl MapTable {
    /// The table `name` of `kind`'s fields with the column `field` (a
    /// BLOB) and, if `value` names one, a value column `(name, SQL type)`;
    /// `tag` marks its rows in a load; `to_sql` and `from_row` as the
    /// fields of that name.
    pub(super) fn new(
        (kind, name): (MapKind, &'static str),
        (field, value): (&str, Option<(&str, &str)>),
        tag: i64,
        to_sql: fn(&FieldValue) -> Option<ToSqlOutput<'_>>,
        from_row: fn(&Row<'_>) -> rusqlite::Result<FieldValue>,
    ) -> Self {
        let newer_than_reset = RESET_VERSION;
        // Without a value column `?3` is bound and unused (SQLite counts
        // parameters up to the highest number), and a newer row only
        // moves its version.
        let (column, insert, update, load) = match value {
            Some((value, value_type)) => (
                format!("\n    {value} {value_type} NOT NULL,"),
                format!("{value}, "),
                format!("{value} = excluded.{value}, "),
                value.to_owned(),
            ),
            None => (String::new(), String::new(), String::new(), "NULL".to_owned()),
        };
        let param = if value.is_some() { "?3, " } else { "" };
        MapTable {
            kind,
            holds: |_| true,
            name,
            tag,
            to_sql,
            from_row,
            create: format!(
                "CREATE TABLE IF NOT EXISTS {name} (
    key     BLOB,
    {field} BLOB,{column}
    version INTEGER NOT NULL,
    PRIMARY KEY (key, {field})
) WITHOUT ROWID;
"
            ),
            set: format!(
                "INSERT INTO {name} (key, {field}, {insert}version)
    SELECT ?1, ?2, {param}?4
    WHERE ?4 >= {newer_than_reset}
      AND ?4 > coalesce((SELECT version FROM jotter_field_tombstones
                          WHERE key = ?1 AND field = ?2), 0)
    ON CONFLICT (key, {field}) DO UPDATE SET {update}version = excluded.version
    WHERE excluded.version > {name}.version"
            ),
            remove: format!(
                "INSERT INTO jotter_field_tombstones (key, field, version)
    SELECT ?1, ?2, ?3
    WHERE ?3 >= {newer_than_reset}
      AND NOT EXISTS (SELECT 1 FROM {name}
                       WHERE key = ?1 AND {field} = ?2 AND version >= ?3)
    ON CONFLICT (key, field) DO UPDATE SET version = excluded.version
    WHERE excluded.version > jotter_field_tombstones.version"
            ),
            drop_field: format!("DELETE FROM {name} WHERE key = ?1 AND {field} = ?2"),
            drop_older: format!("DELETE FROM {name} WHERE key = ?1 AND version <= ?2"),
            load: format!("SELECT {tag}, {field}, {load} FROM {name} WHERE key = ?1"),
        }
    }

    /// The table holding only the fields `holds` accepts.
    pub(super) fn only(mut self, holds: fn(&[u8]) -> bool) -> Self {
        self.holds = holds;
        self
    }

    /// The table with more columns, computed from the others: `columns`
    /// is their definitions, each line ending with a comma.
    pub(super) fn with_columns(mut self, columns: &str) -> Self {
        self.create = self.create.replacen(
            "    PRIMARY KEY",
            &format!(
                "{columns}
    PRIMARY KEY"
            ),
            1,
        );
        self
    }

    /// Sets `field` to `value` at version `v` if the rules let it; whether
    /// it did.
    pub(crate) fn set_field(
        &self,
        conn: &Connection,
        key: &[u8],
        field: &[u8],
        value: impl ToSql,
        v: i64,
    ) -> Result<bool, Fail> {
        Ok(conn.prepare_cached(&self.set)?.execute((key, field, value, v))? > 0)
    }

    /// Removes `field` at version `v` if the rules let it: its tombstone is
    /// written, then its row dropped.
    pub(crate) fn remove_field(
        &self,
        conn: &Connection,
        key: &[u8],
        field: &[u8],
        v: i64,
    ) -> Result<(), Fail> {
        if conn.prepare_cached(&self.remove)?.execute((key, field, v))? > 0 {
            conn.prepare_cached(&self.drop_field)?.execute((key, field))?;
        }
        Ok(())
    }

    /// The rows of a key reset at version `v` that are not newer than it go.
    pub(crate) fn drop_older(&self, conn: &Connection, key: &[u8], v: i64) -> Result<(), Fail> {
        conn.prepare_cached(&self.drop_older)?.execute((key, v))?;
        Ok(())
    }

    /// Whether the key `key` (an SQL expression) has rows here.
    pub(super) fn has_rows(&self, key: &str) -> String {
        format!("EXISTS (SELECT 1 FROM {} m WHERE m.key = {key})", self.name)
    }
}
