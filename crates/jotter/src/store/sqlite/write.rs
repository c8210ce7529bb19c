//! Applying a batch: one `BEGIN IMMEDIATE ... COMMIT` on the writer
//! connection, each write a few conditional statements that take effect
//! only where the write is newer than what the file holds (the rules of
//! [`Store`](crate::Store)); any error rolls the whole batch back. A put or
//! delete of a key that the `map_keys` filter says has no map rows skips
//! the statements that could only find such rows.

use rusqlite::{Connection, TransactionBehavior};

use super::columns::{to_sql_expiry, to_sql_version};
use super::connections::Connections;
use super::error::{Fail, show_key, sql};
use super::map_keys::MapKeys;
use super::schema::{self, strings};
use crate::store::{Change, FieldChange, StoreError, Write};
use crate::value::MapKind;

impl Connections {
    pub(super) fn write_batch(&self, batch: &[Write]) -> Result<(), StoreError> {
        let mut conn = self.writer.lock();
        let mut map_keys = self.map_keys.lock();
        if !conn.is_autocommit() {
            // A batch died inside its transaction without rolling back (a
            // panic, a failed rollback); clear it, or every later BEGIN fails.
            conn.execute_batch("ROLLBACK").map_err(sql("rolling back an abandoned batch"))?;
        }
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql("beginning a sqlite batch"))?;
        // Inside the transaction: no other connection can commit until it ends.
        map_keys.refresh(&tx)?;
        for w in batch {
            // On error `tx` is dropped, which rolls the whole batch back (a
            // key marked for it stays marked, which is only cautious).
            apply(&tx, &mut map_keys, w).map_err(|e| {
                e.into_store_error(&format!(
                    "sqlite write of key {} at version {}",
                    show_key(&w.key),
                    w.version
                ))
            })?;
        }
        tx.commit().map_err(sql("committing a sqlite batch"))
    }
}

/// Applies one write inside the batch's transaction.
fn apply(conn: &Connection, map_keys: &mut MapKeys, w: &Write) -> Result<(), Fail> {
    let key: &[u8] = &w.key;
    match &w.change {
        Change::Put(value) => {
            // The string row carries the put's reset version: one
            // statement, no `jotter_key_resets` row (see `strings::put`).
            let v = to_sql_version(w.version)?;
            let maps = map_keys.may_have(key);
            if strings::put(conn, key, value, v, (to_sql_expiry(w.expires_at), maps))? && maps {
                drop_older_fields(conn, key, v)?;
            }
        }
        Change::Delete => {
            let v = to_sql_version(w.version)?;
            if reset(conn, key, v)? {
                strings::drop(conn, key)?;
                if map_keys.may_have(key) {
                    drop_older_fields(conn, key, v)?;
                }
            }
        }
        Change::Patch { kind, reset: reset_at, fields } => {
            // Before any statement: the patch may leave map rows, tombstones
            // or an expiry row.
            map_keys.mark(key);
            if let Some(r) = reset_at {
                let r = to_sql_version(*r)?;
                if reset(conn, key, r)? {
                    strings::drop(conn, key)?;
                    drop_older_fields(conn, key, r)?;
                }
            }
            for fc in fields {
                apply_field(conn, key, *kind, fc)?;
            }
            let v = to_sql_version(w.version)?;
            let at = to_sql_expiry(w.expires_at);
            if conn.prepare_cached(schema::SET_EXPIRY)?.execute((key, at, v))? > 0 {
                strings::sync_expiry(conn, key, at, v)?;
            }
        }
    }
    Ok(())
}

/// Moves the key's reset version up to `v`; false if it already was at `v`
/// or later, in which case the caller must change nothing.
fn reset(conn: &Connection, key: &[u8], v: i64) -> Result<bool, Fail> {
    // A version-0 write is never newer than anything, as in `MemoryStore`
    // where a key without a reset has reset version 0.
    if v == 0 {
        return Ok(false);
    }
    Ok(conn.prepare_cached(schema::RESET_KEY)?.execute((key, v))? > 0)
}

/// The second half of a reset at `v`: map fields and field tombstones at or
/// below `v` go, newer ones stay.
fn drop_older_fields(conn: &Connection, key: &[u8], v: i64) -> Result<(), Fail> {
    for map in schema::maps() {
        map.drop_older(conn, key, v)?;
    }
    conn.prepare_cached(schema::DROP_FIELD_TOMBSTONES)?.execute((key, v))?;
    conn.prepare_cached(schema::DROP_EXPIRY)?.execute((key, v))?;
    Ok(())
}

/// Sets or removes one field in `kind`'s table.
fn apply_field(conn: &Connection, key: &[u8], kind: MapKind, fc: &FieldChange) -> Result<(), Fail> {
    let v = to_sql_version(fc.version)?;
    let field: &[u8] = &fc.field;
    let map = schema::table_for(kind, field);
    let Some(value) = &fc.value else {
        return map.remove_field(conn, key, field, v);
    };
    let Some(column) = (map.to_sql)(value) else {
        return Err(Fail::Refused(format!(
            "field {} holds a {} value in a {kind} patch",
            show_key(field),
            value.kind()
        )));
    };
    if map.set_field(conn, key, field, column, v)? {
        conn.prepare_cached(schema::DROP_FIELD_TOMBSTONE)?.execute((key, field))?;
    }
    Ok(())
}
