//! Values between Rust and SQLite columns: versions and expiries going in,
//! keys, fields and expiries coming out.

use bytes::Bytes;
use rusqlite::Row;
use rusqlite::types::ValueRef;

use super::error::Fail;

pub(super) fn to_sql_version(v: u64) -> Result<i64, Fail> {
    i64::try_from(v)
        .map_err(|_| Fail::Refused(format!("version {v} is beyond SQLite's INTEGER range")))
}

/// An expiry as SQLite stores it; a time beyond its range is as good as never.
pub(super) fn to_sql_expiry(at: Option<u64>) -> Option<i64> {
    at.and_then(|at| i64::try_from(at).ok())
}

/// An expiry column (Unix milliseconds, or NULL for never).
pub(super) fn expiry_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<u64>> {
    Ok(row.get::<_, Option<i64>>(idx)?.map(|at| u64::try_from(at).unwrap_or(0)))
}

/// The bytes of a BLOB column; TEXT is accepted too, for rows written by
/// hand with text literals.
pub(super) fn bytes_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<Bytes> {
    match row.get_ref(idx)? {
        ValueRef::Blob(b) | ValueRef::Text(b) => Ok(Bytes::copy_from_slice(b)),
        other => Err(rusqlite::Error::InvalidColumnType(idx, "blob".into(), other.data_type())),
    }
}
