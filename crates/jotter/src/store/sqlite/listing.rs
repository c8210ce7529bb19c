//! Listing keys on a reader connection: the live ones in byte order, the
//! expired ones, and the highest version the file holds.

use bytes::Bytes;

use super::columns::bytes_at;
use super::connections::Connections;
use super::error::Fail;
use super::schema;

impl Connections {
    pub(super) fn keys(
        &self,
        after: Option<&[u8]>,
        limit: usize,
        now: u64,
    ) -> Result<Vec<Bytes>, Fail> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&schema::KEYS)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let now = i64::try_from(now).unwrap_or(i64::MAX);
        let rows = stmt.query_map((after, limit, now), |row| bytes_at(row, 0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(super) fn expired(
        &self,
        now: u64,
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Bytes>, Fail> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&schema::EXPIRED)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let now = i64::try_from(now).unwrap_or(i64::MAX);
        let rows = stmt.query_map((now, limit, after), |row| bytes_at(row, 0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(super) fn max_version(&self) -> Result<u64, Fail> {
        let conn = self.reader();
        let v: i64 = conn.prepare_cached(&schema::MAX_VERSION)?.query_row([], |row| row.get(0))?;
        u64::try_from(v).map_err(|_| Fail::Refused(format!("negative version {v} in the database")))
    }
}
