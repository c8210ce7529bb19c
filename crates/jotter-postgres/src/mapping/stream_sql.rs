//! The statements of a stream mapping (see the `stream` module), built
//! once at start from the checked columns: the append from array
//! parameters or from the connection's staging table filled by `COPY`,
//! the staging table itself, and the delete of one entry's row.

use std::collections::BTreeMap;

use super::column::{Column, cast_bytes, convert};

/// The statements of one stream mapping, built at start.
#[derive(Debug)]
pub(super) struct StreamSql {
    /// Appends rows from arrays: `$1` suffixes, `$2` ids, `$3` milliseconds,
    /// then one array per entry column, in column order.
    pub(super) append: String,
    /// Creates the connection's staging table for this many columns.
    pub(super) stage: String,
    /// Fills it.
    pub(super) copy: String,
    /// Appends rows from it.
    pub(super) append_staged: String,
    /// Deletes one entry's row: `$1` the suffix, `$2` the id.
    pub(super) remove: String,
    /// The entry columns, in the order of the arrays.
    pub(super) columns: usize,
}

impl StreamSql {
    /// The statements for `table`, whose key, id and time columns are given,
    /// and whose entry columns are `columns` (in their map's order).
    pub(super) fn new(
        table: &str,
        key: &Column,
        id: &Column,
        time: Option<&Column>,
        columns: &BTreeMap<String, Column>,
    ) -> Self {
        let n = columns.len();
        let mut names = vec![key.sql.clone(), id.sql.clone()];
        let mut values = vec![cast_bytes("s.k", &key.cast), cast_bytes("s.id", &id.cast)];
        if let Some(t) = time {
            names.push(t.sql.clone());
            values.push(if t.cast.starts_with("timestamp") || t.cast == "date" {
                format!("to_timestamp(s.ms / 1000.0)::{}", t.cast)
            } else {
                format!("s.ms::{}", t.cast)
            });
        }
        for (i, c) in columns.values().enumerate() {
            names.push(c.sql.clone());
            values.push(cast_bytes(&format!("s.v{i}"), &c.cast));
        }
        let aliases: Vec<String> = (0..n).map(|i| format!("v{i}")).collect();
        let alias =
            format!("s(k, id, ms{})", aliases.iter().map(|a| format!(", {a}")).collect::<String>());
        let append_from = |source: &str| {
            format!(
                "INSERT INTO {table} ({}) SELECT {} FROM {source} AS {alias} ON CONFLICT DO NOTHING",
                names.join(", "),
                values.join(", ")
            )
        };
        let arrays: Vec<String> = (0..n).map(|i| format!(", ${}::bytea[]", i + 4)).collect();
        let stage_table = format!("jotter_stream_stage_{n}");
        let stage_columns: String = aliases.iter().map(|a| format!(", {a} bytea")).collect();
        StreamSql {
            append: append_from(&format!(
                "unnest($1::bytea[], $2::bytea[], $3::bigint[]{})",
                arrays.concat()
            )),
            stage: format!(
                "CREATE TEMP TABLE IF NOT EXISTS {stage_table} \
                 (k bytea, id bytea, ms bigint{stage_columns}) ON COMMIT DELETE ROWS"
            ),
            copy: format!("COPY {stage_table} FROM STDIN BINARY"),
            append_staged: append_from(&stage_table),
            remove: format!(
                "DELETE FROM {table} WHERE {} = {} AND {} = {}",
                key.sql,
                convert(1, &key.cast),
                id.sql,
                convert(2, &id.cast)
            ),
            columns: n,
        }
    }
}
