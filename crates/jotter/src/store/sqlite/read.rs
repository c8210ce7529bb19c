//! Loads: one statement per key on a reader connection, so one snapshot: a
//! load never sees half of a batch even though it runs beside the writer.

use std::collections::BTreeMap;
use std::sync::Arc;

use rusqlite::Connection;

use super::columns::expiry_at;
use super::error::Fail;
use super::schema::{self, hashes, strings, zsets};
use crate::score_map::ScoreMap;
use crate::value::{Entry, Value};

/// Loads one key on `conn`.
pub(super) fn load_with(conn: &Connection, key: &[u8]) -> Result<Option<Entry>, Fail> {
    let mut stmt = conn.prepare_cached(&schema::LOAD)?;
    let mut rows = stmt.query([key])?;
    let mut hash = BTreeMap::new();
    let mut scores = BTreeMap::new();
    let mut map_expiry = None;
    while let Some(row) = rows.next()? {
        match row.get::<_, i64>(0)? {
            strings::TAG => return Ok(Some(strings::read(row)?)),
            hashes::TAG => hashes::read(row, &mut hash)?,
            zsets::TAG => zsets::read(row, &mut scores)?,
            _ => map_expiry = expiry_at(row, 2)?,
        }
    }
    // Hash before scores, as documented; the engine never leaves both.
    let value = if !hash.is_empty() {
        Value::Hash(Arc::new(hash))
    } else if !scores.is_empty() {
        Value::Scores(Arc::new(ScoreMap::from(scores)))
    } else {
        return Ok(None);
    };
    Ok(Some(Entry { value, expires_at: map_expiry }))
}
