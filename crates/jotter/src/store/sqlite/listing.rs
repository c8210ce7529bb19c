//! Listing keys on a reader connection: the live ones in byte order, the
//! expired ones, and the highest version the file holds.

use bytes::Bytes;

use super::columns::bytes_at;
use super::connections::Connections;
use super::error::Fail;
use super::schema;
use crate::store::{Listing, Page};

impl Connections {
    /// One page of live or expired keys.
    pub(super) fn list(&self, page: Page<'_>) -> Result<Vec<Bytes>, Fail> {
        let sql = match page.listing {
            Listing::Live => &*schema::KEYS,
            Listing::Expired => &*schema::EXPIRED,
        };
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(sql)?;
        let limit = i64::try_from(page.limit).unwrap_or(i64::MAX);
        let now = i64::try_from(page.now).unwrap_or(i64::MAX);
        let rows = stmt.query_map((page.after, limit, now), |row| bytes_at(row, 0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(super) fn max_version(&self) -> Result<u64, Fail> {
        let conn = self.reader();
        let v: i64 = conn.prepare_cached(&schema::MAX_VERSION)?.query_row([], |row| row.get(0))?;
        u64::try_from(v).map_err(|_| Fail::Refused(format!("negative version {v} in the database")))
    }

    /// The newest version of `key` in any row or tombstone, if any.
    pub(super) fn version_of(&self, key: &[u8]) -> Result<Option<u64>, Fail> {
        let conn = self.reader();
        let v: i64 =
            conn.prepare_cached(&schema::KEY_VERSION)?.query_row([key], |row| row.get(0))?;
        let v = u64::try_from(v)
            .map_err(|_| Fail::Refused(format!("negative version {v} in the database")))?;
        Ok((v != 0).then_some(v))
    }
}
