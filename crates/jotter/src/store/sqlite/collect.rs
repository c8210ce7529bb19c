//! Collecting the SQLite store's bookkeeping below a horizon (see
//! [`Store::collect`](crate::Store::collect)): the statements are in the
//! schema module. One transaction on the writer connection, so a batch
//! never sees half of it.

use rusqlite::TransactionBehavior;

use super::columns::to_sql_version;
use super::connections::Connections;
use super::error::sql;
use super::schema::COLLECT;
use crate::store::StoreError;

impl Connections {
    /// Drops the bookkeeping rows below `horizon`; returns how many.
    pub(super) fn collect(&self, horizon: u64) -> Result<u64, StoreError> {
        let context = "collecting sqlite bookkeeping";
        // A horizon beyond SQLite's INTEGER range is above every version.
        let h = to_sql_version(horizon).unwrap_or(i64::MAX);
        let mut conn = self.writer.lock();
        let tx =
            conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql(context))?;
        let mut rows = 0;
        for statement in COLLECT.iter() {
            rows += tx
                .prepare_cached(statement)
                .and_then(|mut s| s.execute([h]))
                .map_err(sql(context))?;
        }
        tx.commit().map_err(sql(context))?;
        Ok(rows as u64)
    }
}
