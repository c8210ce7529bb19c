//! Loads: one statement per key on a reader connection, so one snapshot: a
//! load never sees half of a batch even though it runs beside the writer.

use rusqlite::Connection;

use super::columns::{bytes_at, expiry_at};
use super::error::Fail;
use super::schema::{self, strings};
use crate::value::{Entry, Value};

/// Loads one key on `conn`.
pub(super) fn load_with(conn: &Connection, key: &[u8]) -> Result<Option<Entry>, Fail> {
    let mut stmt = conn.prepare_cached(&schema::LOAD)?;
    let mut rows = stmt.query([key])?;
    // Each map kind's fields, gathered apart (in its first table's slot:
    // a kind may split its fields over several tables).
    let tables = schema::maps();
    let mut maps = tables.map(|m| (m, Value::empty_map(m.kind)));
    let mut map_expiry = None;
    while let Some(row) = rows.next()? {
        let tag = row.get::<_, i64>(0)?;
        if tag == strings::TAG {
            return Ok(Some(strings::read(row)?));
        }
        match tables.iter().find(|m| m.tag == tag) {
            Some(m) => {
                let slot = maps.iter_mut().find(|(s, _)| s.kind == m.kind).expect("its own slot");
                slot.1.apply_field(&bytes_at(row, 1)?, Some(&(m.from_row)(row)?));
            }
            None => map_expiry = expiry_at(row, 2)?,
        }
    }
    // The first table with fields, in the order of `schema::maps`, as
    // documented; the engine never leaves two.
    let Some((_, value)) = maps.into_iter().find(|(_, v)| !v.is_empty_map()) else {
        return Ok(None);
    };
    Ok(Some(Entry { value, expires_at: map_expiry }))
}
