//! Write-behind into the user's own tables: [`MappedStore`] sends the keys
//! that match a [`Mapping`] (a key prefix such as `user:*`) to a table the
//! user owns, one row per key, and every other key to the wrapped
//! [`PostgresStore`].
//!
//! # The shape of a mapped key
//!
//! The key's suffix after the prefix goes into the mapping's key column,
//! converted to that column's type (`user:42` → `id = 42`). A hash mapping
//! ([`Shape::Hash`]) writes each hash field into the column of the same
//! name; a string mapping ([`Shape::String`]) writes the value into one
//! column. Values are sent as text and converted by PostgreSQL to the
//! column's type (`bytea` columns take the bytes as they are). A field with
//! no column, a value that does not convert, or a write of the wrong shape
//! (a `SET` on a hash mapping) is a permanent error of that write alone,
//! whose message names the key, the field, the column and the value's
//! length (never the value: messages reach logs). What
//! the column types read at start show cannot fit is refused when the
//! engine accepts the write ([`jotter::Store::check`], see the `admit`
//! module); the rest, which only the database can judge, when it is
//! flushed: the engine isolates it and dead-letters it, and the rest of its
//! batch lands.
//!
//! # Versions
//!
//! The user's table is never altered. The versions that keep the contract
//! (no regression, tombstones) live in `jotter_mapped_versions`, created by
//! the store's migrations: per table and key, the reset version under field
//! `''` and each column's version under its name. The rules are those of
//! [`jotter::MemoryStore`]: a delete, a whole replace or a patch's reset at
//! `v` applies if `v` is newer than the reset version, clears the row (or,
//! if some columns were written later, only the older columns) and forgets
//! the column versions at or below `v`; a field write applies if its
//! version is at least the reset version and newer than the column's
//! version; a removed field sets its column to `NULL` and keeps its version
//! as a tombstone. The user's row and the versions change in the same
//! transaction, under a transaction-level advisory lock per key.
//!
//! # Limits
//!
//! - **No expiry.** A mapped row has nowhere to keep an expiry: the expiry
//!   of a mapped write is ignored, so `EXPIRE` on a mapped key does not
//!   reach the table, and the engine forgets it at the next load.
//! - **Two transactions per batch.** The unmapped writes of a batch go to
//!   the inner store in its transaction, the mapped ones in another. If the
//!   second fails, the engine retries the whole batch; the first part is
//!   applied again, which its versions make harmless.
//! - **Row by row.** Mapped writes take a few statements each, not one
//!   set-based statement per batch as the inner store does.
//! - **Read-back is text.** A load returns each non-`NULL` column in its
//!   PostgreSQL text form (`bytea` as its bytes), so `10.50` may come back
//!   as `10.5` and a timestamp in PostgreSQL's format.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, LazyLock};

use bytes::Bytes;
use deadpool_postgres::Transaction;
use jotter::{Change, Entry, FieldValue, Listing, MapKind, Page, Store, StoreError, Value, Write};
use tokio_postgres::types::ToSql;

use crate::error::{PgError, show_key};
use crate::key_index::{same, target};

mod admit;
use crate::write::version;
use crate::{Lease, PostgresStore};

/// A column type a mapping may declare; the start-up check accepts a
/// database column whose type can hold it (see [`ColumnType::accepts`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ColumnType {
    /// `text`, `varchar`, `char`.
    Text,
    /// `integer` (or a wider integer or `numeric` column).
    Integer,
    /// `bigint` (or `numeric`).
    Bigint,
    /// `double precision` (or `real`, `numeric`).
    Double,
    /// `boolean`.
    Boolean,
    /// `timestamp`, with or without time zone, or `date`.
    Timestamp,
    /// `jsonb` or `json`.
    Jsonb,
    /// `bytea`: the value's bytes as they are.
    Bytea,
}

impl ColumnType {
    /// Every type, in the order the documentation lists them.
    pub const ALL: [ColumnType; 8] = [
        ColumnType::Text,
        ColumnType::Integer,
        ColumnType::Bigint,
        ColumnType::Double,
        ColumnType::Boolean,
        ColumnType::Timestamp,
        ColumnType::Jsonb,
        ColumnType::Bytea,
    ];

    /// The name a configuration uses.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            ColumnType::Text => "text",
            ColumnType::Integer => "integer",
            ColumnType::Bigint => "bigint",
            ColumnType::Double => "double",
            ColumnType::Boolean => "boolean",
            ColumnType::Timestamp => "timestamp",
            ColumnType::Jsonb => "jsonb",
            ColumnType::Bytea => "bytea",
        }
    }

    /// Whether a database column of type `actual` (as PostgreSQL's
    /// `format_type` names it, e.g. `character varying(20)`) can hold
    /// values of this type.
    #[must_use]
    pub fn accepts(self, actual: &str) -> bool {
        let base = actual.split('(').next().unwrap_or(actual).trim();
        match self {
            ColumnType::Text => matches!(base, "text" | "character varying" | "character"),
            ColumnType::Integer => matches!(base, "smallint" | "integer" | "bigint" | "numeric"),
            ColumnType::Bigint => matches!(base, "bigint" | "numeric"),
            ColumnType::Double => matches!(base, "double precision" | "real" | "numeric"),
            ColumnType::Boolean => base == "boolean",
            ColumnType::Timestamp => base.starts_with("timestamp") || base == "date",
            ColumnType::Jsonb => matches!(base, "jsonb" | "json"),
            ColumnType::Bytea => base == "bytea",
        }
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ColumnType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        ColumnType::ALL.into_iter().find(|t| t.name() == s).ok_or_else(|| {
            let names: Vec<_> = ColumnType::ALL.iter().map(|t| t.name()).collect();
            format!("unknown column type {s:?}; expected one of {}", names.join(", "))
        })
    }
}

/// What a mapped key holds and where it goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Hash keys: each field into the column of the same name; a field
    /// without a column is refused.
    Hash(BTreeMap<String, ColumnType>),
    /// String keys: the value into one column.
    String {
        /// The value's column.
        column: String,
        /// Its declared type.
        ty: ColumnType,
    },
}

/// Keys matching a prefix pattern, written into a table of the user's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    pattern: String,
    table: String,
    key_column: String,
    shape: Shape,
}

impl Mapping {
    /// Keys matching `pattern` (a literal prefix then `*`, as `user:*`)
    /// into `table`, the key's suffix into `key_column`.
    ///
    /// # Errors
    ///
    /// A pattern that is not a prefix and `*`, an empty name, or a shape
    /// without columns.
    pub fn new(
        pattern: impl Into<String>,
        table: impl Into<String>,
        key_column: impl Into<String>,
        shape: Shape,
    ) -> Result<Mapping, MappingError> {
        let m = Mapping {
            pattern: pattern.into(),
            table: table.into(),
            key_column: key_column.into(),
            shape,
        };
        let invalid =
            |message: String| MappingError::Invalid { pattern: m.pattern.clone(), message };
        match m.pattern.strip_suffix('*') {
            Some(prefix) if !prefix.contains(['*', '?', '[']) => {}
            _ => {
                return Err(invalid(
                    "keys must be a literal prefix followed by *, as in \"user:*\"".into(),
                ));
            }
        }
        if m.table.is_empty() || m.table.split('.').count() > 2 {
            return Err(invalid("table must be a name, or schema.name".into()));
        }
        if m.key_column.is_empty() {
            return Err(invalid("key-column must not be empty".into()));
        }
        match &m.shape {
            Shape::Hash(columns) if columns.is_empty() => {
                return Err(invalid("a hash mapping needs at least one column".into()));
            }
            Shape::Hash(columns) if columns.contains_key(&m.key_column) => {
                return Err(invalid(format!(
                    "column {:?} is the key column; a hash field cannot write it",
                    m.key_column
                )));
            }
            Shape::String { column, .. } if column.is_empty() || *column == m.key_column => {
                return Err(invalid(
                    "a string mapping needs a value column other than the key column".into(),
                ));
            }
            _ => {}
        }
        Ok(m)
    }

    /// The key pattern, as given.
    #[must_use]
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// The literal prefix of the pattern.
    #[must_use]
    pub fn prefix(&self) -> &str {
        self.pattern.strip_suffix('*').unwrap_or(&self.pattern)
    }

    /// The table.
    #[must_use]
    pub fn table(&self) -> &str {
        &self.table
    }
}

/// A mapping that does not fit the database, or cannot be used at all.
/// Each message says what to fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MappingError {
    /// The mapping itself is unusable.
    #[error("mapping {pattern:?}: {message}")]
    Invalid {
        /// The mapping's key pattern.
        pattern: String,
        /// What is wrong.
        message: String,
    },
    /// Two mappings would both take some keys.
    #[error(
        "mappings {first:?} and {second:?} overlap: a key could match both; make their prefixes \
         distinct"
    )]
    Overlap {
        /// One pattern.
        first: String,
        /// The other.
        second: String,
    },
    /// The table does not exist (in the store's search path).
    #[error(
        "mapping {pattern:?}: table {table} does not exist in the database; create it, or fix \
         the mapping's table"
    )]
    TableMissing {
        /// The mapping's key pattern.
        pattern: String,
        /// The table.
        table: String,
    },
    /// A column the mapping names is not in the table.
    #[error(
        "mapping {pattern:?}: table {table} has no column {column}; add it to the table, or fix \
         the mapping"
    )]
    ColumnMissing {
        /// The mapping's key pattern.
        pattern: String,
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
    /// A column's type cannot hold what the mapping declares.
    #[error(
        "mapping {pattern:?}: column {table}.{column} is {actual} in the database but the \
         mapping declares {declared}; change the declared type or the column's type"
    )]
    TypeMismatch {
        /// The mapping's key pattern.
        pattern: String,
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// The type the mapping declares.
        declared: ColumnType,
        /// The column's type in the database.
        actual: String,
    },
}

impl From<MappingError> for StoreError {
    fn from(e: MappingError) -> Self {
        StoreError::permanent(e.to_string())
    }
}

/// An identifier quoted for SQL; `schema.name` quotes each part.
fn quote(name: &str) -> String {
    name.split('.').map(|p| format!("\"{}\"", p.replace('"', "\"\""))).collect::<Vec<_>>().join(".")
}

/// The SQL that converts parameter `$n` (bytes) into a column of type `ty`
/// (`format_type` without modifier): text converted by PostgreSQL, or the
/// bytes as they are for `bytea`.
fn convert(n: usize, ty: &str) -> String {
    if ty == "bytea" {
        format!("${n}::bytea")
    } else {
        format!("convert_from(${n}::bytea, 'UTF8')::{ty}")
    }
}

/// A column of a checked mapping.
#[derive(Clone, Debug)]
struct Column {
    /// As the mapping names it (the hash field).
    name: String,
    /// Quoted for SQL.
    sql: String,
    /// The type to convert into (`format_type` without modifier).
    cast: String,
    /// The column's type as the database shows it.
    actual: String,
    /// What it takes, as far as that can be told without the database.
    fits: admit::Fits,
}

impl Column {
    /// The column's value as bytes, for a load.
    fn read(&self) -> String {
        if self.cast == "bytea" {
            self.sql.clone()
        } else {
            format!("convert_to({}::text, 'UTF8')", self.sql)
        }
    }
}

/// A mapping checked against the database, with its SQL.
#[derive(Debug)]
struct Checked {
    mapping: Mapping,
    prefix: Bytes,
    table: String,
    key: Column,
    /// By field name (for a string mapping, the one value column).
    columns: BTreeMap<String, Column>,
    load: String,
    delete: String,
    keys_first: String,
    keys_after: String,
}

impl Checked {
    fn is_string(&self) -> bool {
        matches!(self.mapping.shape, Shape::String { .. })
    }

    /// The key column's value for `key`, as SQL with parameter `$n`.
    fn key_is(&self, n: usize) -> String {
        format!("{} = {}", self.key.sql, convert(n, &self.key.cast))
    }
}

const LOCK: &str = "SELECT pg_advisory_xact_lock(hashtextextended($1 || encode($2, 'hex'), 0))";
static VERSIONS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT field, version FROM jotter_mapped_versions WHERE tbl = $1 AND {}",
        same("key", "$2::bytea")
    )
});
static FORGET: LazyLock<String> = LazyLock::new(|| {
    format!(
        "DELETE FROM jotter_mapped_versions
          WHERE tbl = $1 AND {} AND field <> '' AND version <= $3",
        same("key", "$2::bytea")
    )
});
static SET_VERSIONS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "
INSERT INTO jotter_mapped_versions AS t (tbl, key, field, version)
SELECT $1, $2, u.field, u.version FROM unnest($3::text[], $4::bigint[]) AS u(field, version)
ON CONFLICT (tbl, {}, field) DO UPDATE SET version = excluded.version
 WHERE excluded.version > t.version",
        target("key")
    )
});
const MAX_VERSION: &str = "SELECT max(version) FROM jotter_mapped_versions";

/// A [`Store`] that writes keys matching its [`Mapping`]s into the user's
/// tables and every other key into the wrapped [`PostgresStore`]. Without
/// mappings it passes everything through. Clones share the pool.
#[derive(Clone, Debug)]
pub struct MappedStore {
    inner: PostgresStore,
    mappings: Arc<[Checked]>,
}

impl MappedStore {
    /// Wraps `inner` with `mappings`, after checking each against the
    /// database: its table and columns exist and their types can hold the
    /// declared ones.
    ///
    /// # Errors
    ///
    /// A [`MappingError`] (permanent) saying what to fix, or the database
    /// cannot be reached (transient).
    pub async fn new(
        inner: PostgresStore,
        mappings: Vec<Mapping>,
    ) -> Result<MappedStore, StoreError> {
        for (i, a) in mappings.iter().enumerate() {
            for b in &mappings[..i] {
                if a.prefix().starts_with(b.prefix()) || b.prefix().starts_with(a.prefix()) {
                    return Err(MappingError::Overlap {
                        first: b.pattern.clone(),
                        second: a.pattern.clone(),
                    }
                    .into());
                }
            }
        }
        let mut checked = Vec::with_capacity(mappings.len());
        for m in mappings {
            checked.push(check(&inner, m).await?);
        }
        Ok(MappedStore { inner, mappings: checked.into() })
    }

    /// The wrapped store.
    #[must_use]
    pub fn inner(&self) -> &PostgresStore {
        &self.inner
    }

    fn route(&self, key: &[u8]) -> Option<&Checked> {
        self.mappings.iter().find(|m| key.starts_with(&m.prefix))
    }

    async fn write_mapped(&self, writes: &[&Write]) -> Result<(), PgError> {
        let context = || match writes {
            [one] => format!("postgres write of key {}", show_key(&one.key)),
            _ => format!("postgres write of {} mapped keys", writes.len()),
        };
        let client = self.inner.client(&context()).await?;
        let mut lease = Lease { client: Some(client), settled: false };
        let client = lease.client.as_mut().expect("leased");
        let tx = client.transaction().await.map_err(PgError::db(context()))?;
        let mut failed = None;
        for w in writes {
            let m = self.route(&w.key).expect("a mapped write has a mapping");
            if let Err(e) = apply(&tx, m, w).await {
                failed = Some((m, *w, e));
                break;
            }
        }
        let Some((m, w, e)) = failed else {
            let done = tx.commit().await.map_err(PgError::db(context()));
            lease.settled = true;
            return done;
        };
        let _ = tx.rollback().await;
        lease.settled = true;
        if e.sqlstate().is_some_and(|s| s.code().starts_with("22")) {
            // Which value did not convert? Ask the database, one at a time.
            if let Some(found) = diagnose(client, m, w).await {
                return Err(found);
            }
        }
        Err(e)
    }

    async fn mapped_keys(
        &self,
        m: &Checked,
        after: Option<&[u8]>,
        limit: i64,
    ) -> Result<Vec<Bytes>, PgError> {
        let context = format!("postgres key listing of table {}", m.mapping.table);
        let client = self.inner.client(&context).await?;
        let sql = if after.is_some() { &m.keys_after } else { &m.keys_first };
        let stmt = client.prepare_cached(sql).await.map_err(PgError::db(&context))?;
        let prefix: &[u8] = &m.prefix;
        let rows = match after {
            Some(after) => client.query(&stmt, &[&prefix, &limit, &after]).await,
            None => client.query(&stmt, &[&prefix, &limit]).await,
        }
        .map_err(PgError::db(&context))?;
        crate::read::keys_from_rows(&rows).map_err(PgError::db(&context))
    }
}

/// Checks `m` against the database and builds its SQL.
async fn check(store: &PostgresStore, m: Mapping) -> Result<Checked, StoreError> {
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
            fits: admit::Fits::of(actual),
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
    }
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
            "SELECT k FROM (SELECT {full} AS k FROM {table}) x {after} ORDER BY k LIMIT $2::bigint"
        )
    };
    let keys_first = keys("");
    let keys_after = keys("WHERE k > $3::bytea");
    let prefix = Bytes::copy_from_slice(m.prefix().as_bytes());
    Ok(Checked { mapping: m, prefix, table, key, columns, load, delete, keys_first, keys_after })
}

/// A permanent refusal of write `w`.
fn refuse(w: &Write, m: &Checked, message: String) -> PgError {
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

/// Applies one mapped write inside `tx`, under the rules of the module
/// documentation.
async fn apply(tx: &Transaction<'_>, m: &Checked, w: &Write) -> Result<(), PgError> {
    let key: &[u8] = &w.key;
    let suffix: &[u8] = &key[m.prefix.len()..];
    let tbl: &str = &m.mapping.table;
    let context = || {
        format!(
            "postgres write of key {} at version {} into table {}",
            show_key(key),
            w.version,
            m.mapping.table
        )
    };
    tx.execute(LOCK, &[&tbl, &key]).await.map_err(PgError::db(context()))?;
    let rows = tx.query(&*VERSIONS, &[&tbl, &key]).await.map_err(PgError::db(context()))?;
    let mut versions: HashMap<String, i64> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    let mut reset = versions.remove("").unwrap_or(0);
    let mut state = KeyState { tx, m, key, suffix, reset: &mut reset, versions: &mut versions };
    match (&w.change, &m.mapping.shape) {
        (Change::Delete, _) => {
            state.reset(version(w, w.version)?).await.map_err(PgError::db(context()))?
        }
        (Change::Put(value), Shape::String { .. }) => {
            let v = version(w, w.version)?;
            if v > *state.reset {
                state.reset(v).await.map_err(PgError::db(context()))?;
                let column = m.columns.values().next().expect("a string mapping has one column");
                let sql = format!(
                    "INSERT INTO {} ({}, {}) VALUES ({}, {})",
                    m.table,
                    m.key.sql,
                    column.sql,
                    convert(1, &m.key.cast),
                    convert(2, &column.cast)
                );
                let value: &[u8] = value;
                tx.execute(&sql, &[&suffix, &value]).await.map_err(PgError::db(context()))?;
            }
        }
        (Change::Patch { kind: MapKind::Hash, reset: r, fields }, Shape::Hash(_)) => {
            if let Some(r) = r {
                state.reset(version(w, *r)?).await.map_err(PgError::db(context()))?;
            }
            let mut sets: Vec<(&Column, Option<&[u8]>)> = Vec::new();
            let mut applied: (Vec<&str>, Vec<i64>) = (Vec::new(), Vec::new());
            for f in fields {
                let column = admit::column_of(m, w, &f.field)?;
                let v = version(w, f.version)?;
                if v < *state.reset || v <= state.versions.get(&column.name).copied().unwrap_or(0) {
                    continue;
                }
                let value = match &f.value {
                    Some(FieldValue::Bytes(b)) => Some(&b[..]),
                    None => None,
                    Some(FieldValue::Score(_)) => return Err(admit::wrong_shape(m, w)),
                };
                sets.push((column, value));
                applied.0.push(&column.name);
                applied.1.push(v);
            }
            state.set(&sets).await.map_err(PgError::db(context()))?;
            if !applied.0.is_empty() {
                tx.execute(&*SET_VERSIONS, &[&tbl, &key, &applied.0, &applied.1])
                    .await
                    .map_err(PgError::db(context()))?;
            }
        }
        _ => return Err(admit::wrong_shape(m, w)),
    }
    Ok(())
}

/// One key's versions inside its write's transaction.
struct KeyState<'a> {
    tx: &'a Transaction<'a>,
    m: &'a Checked,
    key: &'a [u8],
    suffix: &'a [u8],
    reset: &'a mut i64,
    versions: &'a mut HashMap<String, i64>,
}

impl KeyState<'_> {
    /// Resets the key at `v` if `v` is newer than its reset version: the
    /// row goes, or only its columns at or below `v` if some are newer.
    async fn reset(&mut self, v: i64) -> Result<(), tokio_postgres::Error> {
        if v <= *self.reset {
            return Ok(());
        }
        let tbl: &str = &self.m.mapping.table;
        let newer: Vec<&str> =
            self.versions.iter().filter(|(_, fv)| **fv > v).map(|(f, _)| f.as_str()).collect();
        if newer.is_empty() || self.m.is_string() {
            self.tx.execute(&self.m.delete, &[&self.suffix]).await?;
        } else {
            let older: Vec<(&Column, Option<&[u8]>)> = self
                .m
                .columns
                .values()
                .filter(|c| !newer.contains(&c.name.as_str()))
                .map(|c| (c, None))
                .collect();
            self.set(&older).await?;
        }
        self.tx.execute(&*FORGET, &[&tbl, &self.key, &v]).await?;
        self.tx.execute(&*SET_VERSIONS, &[&tbl, &self.key, &vec![""], &vec![v]]).await?;
        *self.reset = v;
        self.versions.retain(|_, fv| *fv > v);
        Ok(())
    }

    /// Sets columns (`None`: to `NULL`): updates the row, or inserts it
    /// (other columns `NULL`) if it is missing and a value is set.
    async fn set(&self, sets: &[(&Column, Option<&[u8]>)]) -> Result<(), tokio_postgres::Error> {
        if sets.is_empty() {
            return Ok(());
        }
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&self.suffix];
        let mut assign = Vec::with_capacity(sets.len());
        for (column, value) in sets {
            match value {
                Some(value) => {
                    params.push(value);
                    assign.push(format!(
                        "{} = {}",
                        column.sql,
                        convert(params.len(), &column.cast)
                    ));
                }
                None => assign.push(format!("{} = NULL", column.sql)),
            }
        }
        let update =
            format!("UPDATE {} SET {} WHERE {}", self.m.table, assign.join(", "), self.m.key_is(1));
        if self.tx.execute(&update, &params).await? > 0 || params.len() == 1 {
            return Ok(());
        }
        let mut names = vec![self.m.key.sql.clone()];
        let mut values = vec![convert(1, &self.m.key.cast)];
        let mut n = 1;
        for (column, value) in sets {
            if value.is_some() {
                n += 1;
                names.push(column.sql.clone());
                values.push(convert(n, &column.cast));
            }
        }
        let insert = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            self.m.table,
            names.join(", "),
            values.join(", ")
        );
        self.tx.execute(&insert, &params).await?;
        Ok(())
    }
}

/// After a data error (SQLSTATE class 22) in `w`: converts its key and each
/// of its values alone, and names the first that fails.
async fn diagnose(client: &tokio_postgres::Client, m: &Checked, w: &Write) -> Option<PgError> {
    let suffix: &[u8] = &w.key[m.prefix.len()..];
    let probe = |ty: &str| format!("SELECT ({})::text", convert(1, ty));
    if let Err(e) = client.query_one(&probe(&m.key.cast), &[&suffix]).await {
        return Some(refuse(
            w,
            m,
            format!(
                "the key's suffix {} does not convert to key column {}.{} ({}): {}",
                show_key(suffix),
                m.mapping.table,
                m.mapping.key_column,
                m.key.actual,
                db_message(&e)
            ),
        ));
    }
    let values: Vec<(&Column, &[u8], &[u8])> = match &w.change {
        Change::Put(value) => {
            m.columns.values().map(|c| (c, c.name.as_bytes(), &value[..])).collect()
        }
        Change::Patch { fields, .. } => fields
            .iter()
            .filter_map(|f| {
                let column = m.columns.get(std::str::from_utf8(&f.field).ok()?)?;
                match &f.value {
                    Some(FieldValue::Bytes(b)) => Some((column, &f.field[..], &b[..])),
                    _ => None,
                }
            })
            .collect(),
        Change::Delete => Vec::new(),
    };
    for (column, field, value) in values {
        if let Err(e) = client.query_one(&probe(&column.cast), &[&value]).await {
            return Some(refuse(
                w,
                m,
                format!(
                    "field {} → column {}.{} ({}): the value ({} bytes) does not convert: {}",
                    show_key(field),
                    m.mapping.table,
                    column.name,
                    column.actual,
                    value.len(),
                    without(&db_message(&e), value)
                ),
            ));
        }
    }
    None
}

/// `message` with `value` (which PostgreSQL quotes in a conversion error)
/// left out: messages reach logs, which never show a value.
fn without(message: &str, value: &[u8]) -> String {
    match std::str::from_utf8(value) {
        Ok(text) if !text.is_empty() => message.replace(text, "…"),
        _ => message.to_owned(),
    }
}

/// The database's message and SQLSTATE.
fn db_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} (SQLSTATE {})", db.message(), db.code().code()),
        None => e.to_string(),
    }
}

impl Store for MappedStore {
    const CHECKS_WRITES: bool = true;

    async fn collect(&self, horizon: u64) -> Result<u64, StoreError> {
        // The inner store's collection covers the mapped versions too.
        self.inner.collect(horizon).await
    }

    fn check(&self, write: &Write) -> Result<(), StoreError> {
        match self.route(&write.key) {
            None => Ok(()),
            Some(m) => Ok(admit::check(m, write)?),
        }
    }

    async fn write(&self, batch: &[Write]) -> Result<(), StoreError> {
        if self.mappings.is_empty() {
            return self.inner.write(batch).await;
        }
        let (mapped, plain): (Vec<&Write>, Vec<&Write>) =
            batch.iter().partition(|w| self.route(&w.key).is_some());
        if mapped.is_empty() {
            return self.inner.write(batch).await;
        }
        if !plain.is_empty() {
            let plain: Vec<Write> = plain.into_iter().cloned().collect();
            self.inner.write(&plain).await?;
        }
        Ok(self.write_mapped(&mapped).await?)
    }

    async fn load_many(&self, keys: &[Bytes]) -> Result<Vec<Option<Entry>>, StoreError> {
        // The keys of the store's own tables in one query; mapped ones row
        // by row from their tables.
        let plain: Vec<Bytes> = keys.iter().filter(|k| self.route(k).is_none()).cloned().collect();
        let mut plain_entries = self.inner.load_many(&plain).await?.into_iter();
        let mut entries = Vec::with_capacity(keys.len());
        for key in keys {
            entries.push(match self.route(key) {
                None => plain_entries.next().flatten(),
                Some(_) => self.load(key).await?,
            });
        }
        Ok(entries)
    }

    async fn load(&self, key: &Bytes) -> Result<Option<Entry>, StoreError> {
        let Some(m) = self.route(key) else { return self.inner.load(key).await };
        let context =
            || format!("postgres load of key {} from table {}", show_key(key), m.mapping.table);
        let client = self.inner.client(&context()).await?;
        let stmt = client.prepare_cached(&m.load).await.map_err(PgError::db(context()))?;
        let suffix: &[u8] = &key[m.prefix.len()..];
        let row = match client.query_opt(&stmt, &[&suffix]).await {
            Ok(row) => row,
            // The suffix does not convert to the key column: no row has it.
            Err(e) if e.code().is_some_and(|c| c.code().starts_with("22")) => return Ok(None),
            Err(e) => return Err(PgError::db(context())(e).into()),
        };
        let Some(row) = row else { return Ok(None) };
        let mut values = Vec::with_capacity(m.columns.len());
        for i in 0..m.columns.len() {
            let v: Option<&[u8]> = row.try_get(i).map_err(PgError::db(context()))?;
            values.push(v.map(Bytes::copy_from_slice));
        }
        let value = if m.is_string() {
            match values.pop().flatten() {
                Some(v) => Value::Blob(v),
                None => return Ok(None),
            }
        } else {
            let hash: BTreeMap<Bytes, Bytes> = m
                .columns
                .keys()
                .zip(values)
                .filter_map(|(name, v)| Some((Bytes::copy_from_slice(name.as_bytes()), v?)))
                .collect();
            if hash.is_empty() {
                return Ok(None);
            }
            Value::Hash(Arc::new(hash))
        };
        Ok(Some(Entry { value, expires_at: None }))
    }

    async fn probe(&self) -> Result<(), StoreError> {
        self.inner.probe().await
    }

    async fn max_version(&self) -> Result<u64, StoreError> {
        let inner = self.inner.max_version().await?;
        if self.mappings.is_empty() {
            return Ok(inner);
        }
        let context = "postgres max_version of mapped tables";
        let client = self.inner.client(context).await?;
        let row = client.query_one(MAX_VERSION, &[]).await.map_err(PgError::db(context))?;
        let mapped: Option<i64> = row.get(0);
        Ok(inner.max(mapped.and_then(|v| u64::try_from(v).ok()).unwrap_or(0)))
    }

    async fn list(&self, page: Page<'_>) -> Result<Vec<Bytes>, StoreError> {
        let mut keys = self.inner.list(page).await?;
        // Mapped keys never expire (see the module documentation).
        if page.listing == Listing::Expired {
            return Ok(keys);
        }
        let n = i64::try_from(page.limit).unwrap_or(i64::MAX);
        for m in self.mappings.iter() {
            keys.extend(self.mapped_keys(m, page.after, n).await?);
        }
        keys.sort();
        keys.dedup();
        keys.truncate(page.limit);
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_types_parse_and_accept_their_columns() {
        for t in ColumnType::ALL {
            assert_eq!(t.name().parse::<ColumnType>(), Ok(t));
        }
        assert!("int".parse::<ColumnType>().unwrap_err().contains("integer"));
        assert!(ColumnType::Text.accepts("character varying(20)"));
        assert!(ColumnType::Integer.accepts("bigint"));
        assert!(ColumnType::Timestamp.accepts("timestamp(3) with time zone"));
        assert!(!ColumnType::Integer.accepts("text"));
        assert!(!ColumnType::Bigint.accepts("integer"));
    }

    #[test]
    fn patterns_are_a_prefix_and_a_star() {
        let cols = || Shape::Hash(BTreeMap::from([("name".to_owned(), ColumnType::Text)]));
        assert_eq!(Mapping::new("user:*", "users", "id", cols()).unwrap().prefix(), "user:");
        for bad in ["user:", "us*er:*", "user:?*"] {
            assert!(Mapping::new(bad, "users", "id", cols()).is_err(), "{bad}");
        }
        assert!(Mapping::new("user:*", "users", "name", cols()).is_err());
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote("users"), "\"users\"");
        assert_eq!(quote("app.us\"ers"), "\"app\".\"us\"\"ers\"");
    }
}
