//! A mapping checked against the database ([`check`]): its table and
//! columns exist and can hold the declared types, and the statements that
//! load, delete and list its rows are built once, at start. Also which
//! mapping a key goes to ([`route`]) and the error that refuses a write
//! into one ([`refuse`]).

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use jotter::{StoreError, Write};
use tokio_postgres::types::ToSql;

use super::column::{Column, convert, quote};
use super::definition::{ColumnType, Mapping, MappingError, Shape};
use super::fits::Fits;
use super::geo_sql::GeoSql;
use super::stream_sql::StreamSql;
use crate::PostgresStore;
use crate::error::{PgError, show_key};

/// A mapping checked against the database, with its SQL.
#[derive(Debug)]
pub(super) struct Checked {
    pub(super) mapping: Mapping,
    pub(super) prefix: Bytes,
    pub(super) table: String,
    pub(super) key: Column,
    /// By field name (for a string mapping, the one value column).
    pub(super) columns: BTreeMap<String, Column>,
    pub(super) load: String,
    pub(super) delete: String,
    pub(super) keys_first: String,
    pub(super) keys_after: String,
    /// A stream mapping's statements.
    pub(super) stream: Option<StreamSql>,
    /// A geo mapping's statements.
    pub(super) geo: Option<GeoSql>,
}

impl Checked {
    /// Whether the mapping takes string keys (else hash keys).
    pub(super) fn is_string(&self) -> bool {
        matches!(self.mapping.shape, Shape::String { .. })
    }

    /// The key column's value for `key`, as SQL with parameter `$n`.
    pub(super) fn key_is(&self, n: usize) -> String {
        format!("{} = {}", self.key.sql, convert(n, &self.key.cast))
    }
}

/// The mapping among `mappings` whose prefix `key` starts with, if any
/// (mappings do not overlap, so there is at most one).
pub(super) fn route<'m>(mappings: &'m [Checked], key: &[u8]) -> Option<&'m Checked> {
    mappings.iter().find(|m| key.starts_with(&m.prefix))
}

/// Whether a unique index of table `$1` covers column `$2`.
const UNIQUE_ID: &str = "
SELECT EXISTS (SELECT 1 FROM pg_index i
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                WHERE i.indrelid = $1 AND i.indisunique AND a.attname = $2)";

/// Whether a unique index of table `$1` has exactly the key columns `$2`
/// (in any order), as `ON CONFLICT` over them needs.
const UNIQUE_PAIR: &str = "
SELECT EXISTS (SELECT 1 FROM pg_index i
                WHERE i.indrelid = $1 AND i.indisunique AND i.indpred IS NULL
                  AND i.indexprs IS NULL AND i.indnatts = 2
                  AND (SELECT count(*) FROM pg_attribute a
                        WHERE a.attrelid = $1 AND a.attnum = ANY(i.indkey)
                          AND a.attname = ANY($2::text[])) = 2)";

/// Checks `m` against the database and builds its SQL.
pub(super) async fn check(store: &PostgresStore, m: Mapping) -> Result<Checked, StoreError> {
    let context = format!("checking mapping {:?} against the database", m.pattern);
    let client = store.client(&context).await?;
    let table = quote(&m.table);
    let oid: Option<u32> = client
        .query_one("SELECT to_regclass($1)::oid", &[&table])
        .await
        .map_err(PgError::db(&context))?
        .get(0);
    let Some(oid) = oid else {
        return Err(MappingError::TableMissing { pattern: m.pattern, table: m.table }.into());
    };
    let rows = client
        .query(
            "SELECT attname::text, format_type(atttypid, atttypmod), format_type(atttypid, NULL)
               FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped",
            &[&oid],
        )
        .await
        .map_err(PgError::db(&context))?;
    let found: HashMap<String, (String, String)> =
        rows.iter().map(|r| (r.get(0), (r.get(1), r.get(2)))).collect();
    let invalid = |message: String| -> StoreError {
        MappingError::Invalid { pattern: m.pattern.clone(), message }.into()
    };
    let column = |name: &str, declared: Option<ColumnType>| {
        let Some((actual, cast)) = found.get(name) else {
            return Err(MappingError::ColumnMissing {
                pattern: m.pattern.clone(),
                table: m.table.clone(),
                column: name.to_owned(),
            });
        };
        if let Some(declared) = declared
            && !declared.accepts(actual)
        {
            return Err(MappingError::TypeMismatch {
                pattern: m.pattern.clone(),
                table: m.table.clone(),
                column: name.to_owned(),
                declared,
                actual: actual.clone(),
            });
        }
        Ok(Column {
            name: name.to_owned(),
            sql: quote(name),
            cast: cast.clone(),
            actual: actual.clone(),
            fits: Fits::of(actual),
        })
    };
    let key = column(&m.key_column, None)?;
    let mut columns = BTreeMap::new();
    match &m.shape {
        Shape::Hash(declared) => {
            for (name, ty) in declared {
                columns.insert(name.clone(), column(name, Some(*ty))?);
            }
        }
        Shape::String { column: name, ty } => {
            columns.insert(name.clone(), column(name, Some(*ty))?);
        }
        Shape::Stream { columns: declared, .. } => {
            for (name, ty) in declared {
                columns.insert(name.clone(), column(name, Some(*ty))?);
            }
        }
        // The member's column (text or bytea); the position's are the
        // geo statements'.
        Shape::Geo { member_column, .. } => {
            let member = column(member_column, None)?;
            if !matches!(
                member.actual.split('(').next(),
                Some("text" | "character varying" | "bytea")
            ) {
                return Err(invalid(format!(
                    "column {}.{member_column} is {}; a member needs text, varchar or bytea",
                    m.table, member.actual
                )));
            }
            columns.insert(member_column.clone(), member);
        }
    }
    let stream = match &m.shape {
        Shape::Stream { id_column, time_column, .. } => {
            let id = column(id_column, Some(ColumnType::Text))?;
            let time = match time_column {
                None => None,
                Some(name) => {
                    let c = column(name, None)?;
                    if !ColumnType::Timestamp.accepts(&c.actual)
                        && !ColumnType::Bigint.accepts(&c.actual)
                    {
                        return Err(MappingError::TypeMismatch {
                            pattern: m.pattern.clone(),
                            table: m.table.clone(),
                            column: name.clone(),
                            declared: ColumnType::Timestamp,
                            actual: c.actual,
                        }
                        .into());
                    }
                    Some(c)
                }
            };
            if !holds(&client, &context, UNIQUE_ID, &[&oid, id_column]).await? {
                return Err(invalid(format!(
                    "table {} needs a unique constraint over {id_column} (with {}, if \
                         several streams share the table), so that an entry written twice is \
                         one row",
                    m.table, m.key_column
                )));
            }
            Some(StreamSql::new(&table, &key, &id, time.as_ref(), &columns))
        }
        _ => None,
    };
    let geo = match &m.shape {
        Shape::Geo { member_column, longitude_column, latitude_column } => {
            let mut position = Vec::with_capacity(2);
            for name in [longitude_column, latitude_column] {
                let c = column(name, None)?;
                if !matches!(c.actual.split('(').next(), Some("double precision" | "numeric")) {
                    return Err(invalid(format!(
                        "column {}.{name} is {}; a longitude or latitude needs double \
                             precision (or numeric) to keep a position as GEOPOS gives it",
                        m.table, c.actual
                    )));
                }
                position.push(c);
            }
            let pair = vec![m.key_column.as_str(), member_column];
            if !holds(&client, &context, UNIQUE_PAIR, &[&oid, &pair]).await? {
                return Err(invalid(format!(
                    "table {} needs a unique constraint over ({}, {member_column}), so that \
                         a member written again updates its row",
                    m.table, m.key_column
                )));
            }
            let member = &columns[member_column];
            Some(GeoSql::new(&table, &key, member, &position[0], &position[1]))
        }
        _ => None,
    };
    let reads: Vec<String> = columns.values().map(Column::read).collect();
    let key_is = format!("{} = {}", key.sql, convert(1, &key.cast));
    let load = format!("SELECT {} FROM {table} WHERE {key_is} LIMIT 1", reads.join(", "));
    let delete = format!("DELETE FROM {table} WHERE {key_is}");
    // The full key in bytes: the prefix, then the key column's text form
    // (its bytes, for a bytea key column). bytea compares byte by byte, as
    // the engine orders keys.
    let full = if key.cast == "bytea" {
        format!("$1::bytea || {}", key.sql)
    } else {
        format!("$1::bytea || convert_to({}::text, 'UTF8')", key.sql)
    };
    let keys = |after: &str| {
        format!(
            "SELECT DISTINCT k FROM (SELECT {full} AS k FROM {table}) x {after} ORDER BY k \
             LIMIT $2::bigint"
        )
    };
    let keys_first = keys("");
    let keys_after = keys("WHERE k > $3::bytea");
    let prefix = Bytes::copy_from_slice(m.prefix().as_bytes());
    Ok(Checked {
        mapping: m,
        prefix,
        table,
        key,
        columns,
        load,
        delete,
        keys_first,
        keys_after,
        stream,
        geo,
    })
}

/// Whether the catalog query `sql` (one boolean) holds.
async fn holds(
    client: &tokio_postgres::Client,
    context: &str,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<bool, StoreError> {
    let row = client.query_one(sql, params).await.map_err(PgError::db(context))?;
    Ok(row.get(0))
}

/// A permanent refusal of write `w`.
pub(super) fn refuse(w: &Write, m: &Checked, message: String) -> PgError {
    PgError::Refused {
        context: format!(
            "postgres write of key {} at version {} into table {}",
            show_key(&w.key),
            w.version,
            m.mapping.table
        ),
        message,
    }
}
