//! Collecting the SQLite store's bookkeeping below a horizon (see
//! [`Store::collect`](crate::Store::collect)): resets and field tombstones
//! older than it, and the expiry rows older than it that say "never" or
//! belong to a map key with no fields left (a later write carries its own
//! expiry). One transaction on the writer connection, so a batch
//! never sees half of it.

use rusqlite::TransactionBehavior;

use super::{Inner, sql, to_sql_version};
use crate::store::StoreError;

const COLLECT: [&str; 3] = [
    "DELETE FROM jotter_key_resets WHERE version < ?1",
    "DELETE FROM jotter_field_tombstones WHERE version < ?1",
    "DELETE FROM jotter_expiry WHERE version < ?1
        AND (expires_at IS NULL
             OR NOT EXISTS (SELECT 1 FROM jotter_hashes h WHERE h.key = jotter_expiry.key)
                AND NOT EXISTS (SELECT 1 FROM jotter_zsets z WHERE z.key = jotter_expiry.key))",
];

impl Inner {
    /// Drops the bookkeeping rows below `horizon`; returns how many.
    pub(super) fn collect(&self, horizon: u64) -> Result<u64, StoreError> {
        let context = "collecting sqlite bookkeeping";
        // A horizon beyond SQLite's INTEGER range is above every version.
        let h = to_sql_version(horizon).unwrap_or(i64::MAX);
        let mut conn = self.writer.lock();
        let tx =
            conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql(context))?;
        let mut rows = 0;
        for statement in COLLECT {
            rows += tx
                .prepare_cached(statement)
                .and_then(|mut s| s.execute([h]))
                .map_err(sql(context))?;
        }
        tx.commit().map_err(sql(context))?;
        Ok(rows as u64)
    }
}
