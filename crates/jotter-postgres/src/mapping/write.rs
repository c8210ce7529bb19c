//! The write path into the user's tables: one transaction for a batch's
//! mapped writes, each applied under the version rules of the module
//! documentation ([`write`]), and, when the database refuses a value, the
//! search for the one that did not convert, so that the error names it.

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;

use deadpool_postgres::Transaction;
use jotter::{Change, MapKind, Write};
use tokio_postgres::types::ToSql;

use super::admit;
use super::checked::{Checked, refuse, route};
use super::column::{Column, convert};
use super::definition::Shape;
use super::versions::{FORGET, LOCK, SET_VERSIONS, VERSIONS};
use super::{geo, stream};
use crate::error::{PgError, show_key};
use crate::write::version;
use crate::{Lease, PostgresStore};

/// Writes `writes` (each matching one of `mappings`) in one transaction.
pub(super) async fn write(
    inner: &PostgresStore,
    mappings: &[Checked],
    writes: &[&Write],
    copied: &AtomicU64,
) -> Result<(), PgError> {
    let context = || match writes {
        [one] => format!("postgres write of key {}", show_key(&one.key)),
        _ => format!("postgres write of {} mapped keys", writes.len()),
    };
    let client = inner.client(&context()).await?;
    let mut lease = Lease { client: Some(client), settled: false };
    let client = lease.client.as_mut().expect("leased");
    let tx = client.transaction().await.map_err(PgError::db(context()))?;
    let mut failed = None;
    for w in writes {
        let m = route(mappings, &w.key).expect("a mapped write has a mapping");
        if let Err(e) = apply(&tx, m, w, copied).await {
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

/// Applies one mapped write inside `tx`, under the rules of the module
/// documentation.
async fn apply(
    tx: &Transaction<'_>,
    m: &Checked,
    w: &Write,
    copied: &AtomicU64,
) -> Result<(), PgError> {
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
    if m.mapping.is_geo() {
        return geo::apply(tx, m, w).await;
    }
    let rows = tx.query(&*VERSIONS, &[&tbl, &key]).await.map_err(PgError::db(context()))?;
    let mut versions: HashMap<String, i64> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    let mut reset = versions.remove("").unwrap_or(0);
    let mut state = KeyState { tx, m, key, suffix, reset: &mut reset, versions: &mut versions };
    match (&w.change, &m.mapping.shape) {
        // The events table keeps every event: a delete or rewrite of the
        // stream (whose own copy the wrapped store resets) leaves it.
        (Change::Delete, Shape::Stream { .. }) => {}
        (Change::Patch { kind: MapKind::Stream, fields, .. }, Shape::Stream { .. }) => {
            let changes = stream::Changes::of(m, w, fields)?;
            changes.write(tx, m, suffix, copied).await.map_err(PgError::db(context()))?;
        }
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
                    Some(v) => Some(&v.hash_bytes().ok_or_else(|| admit::wrong_shape(m, w))?[..]),
                    None => None,
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
                Some((column, &f.field[..], &f.value.as_ref()?.hash_bytes()?[..]))
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
