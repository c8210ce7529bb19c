//! The read path from the user's tables: a mapped key's row read back as
//! a value ([`load`]; a geo set's rows, by the `geo` module), and a
//! mapping's keys listed in byte order ([`keys`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use jotter::{Entry, StoreError, Value};

use super::checked::Checked;
use super::geo;
use crate::PostgresStore;
use crate::error::{PgError, show_key};

/// The entry of mapped key `key` (of mapping `m`): each non-`NULL` column
/// in its text form (see the module documentation), or `None` if the row
/// is missing or holds no value.
pub(super) async fn load(
    inner: &PostgresStore,
    m: &Checked,
    key: &Bytes,
) -> Result<Option<Entry>, StoreError> {
    if m.mapping.is_geo() {
        return geo::load(inner, m, key).await;
    }
    let context =
        || format!("postgres load of key {} from table {}", show_key(key), m.mapping.table);
    let client = inner.client(&context()).await?;
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

/// Up to `limit` keys of mapping `m` after `after`, in byte order.
pub(super) async fn keys(
    inner: &PostgresStore,
    m: &Checked,
    after: Option<&[u8]>,
    limit: i64,
) -> Result<Vec<Bytes>, PgError> {
    let context = format!("postgres key listing of table {}", m.mapping.table);
    let client = inner.client(&context).await?;
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
