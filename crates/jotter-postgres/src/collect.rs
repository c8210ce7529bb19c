//! Collecting the PostgreSQL store's bookkeeping below a horizon (see
//! [`jotter::Store::collect`]): resets and field tombstones older than it,
//! the expiry rows older than it that say "never" or belong to a map key
//! with no fields left (a later write carries its own expiry), and
//! the versions older than it of rows in mapped tables (a missing version
//! reads as older than any write, which every write at or above the
//! horizon is). One transaction, so a batch never sees half of it.

use std::sync::LazyLock;

use crate::PostgresStore;
use crate::error::PgError;
use crate::key_index::same;
use crate::schema::maps;

static COLLECT: LazyLock<[String; 4]> = LazyLock::new(|| {
    let no_fields: Vec<String> = maps()
        .iter()
        .map(|m| {
            format!(
                "NOT EXISTS (SELECT 1 FROM {} {} WHERE {})",
                m.name,
                m.alias,
                same(&m.key(), "e.key")
            )
        })
        .collect();
    [
        "DELETE FROM jotter_key_resets WHERE version < $1".to_owned(),
        "DELETE FROM jotter_field_tombstones WHERE version < $1".to_owned(),
        format!(
            "DELETE FROM jotter_expiry e WHERE e.version < $1
               AND (e.expires_at IS NULL OR {})",
            no_fields.join("\n                       AND ")
        ),
        "DELETE FROM jotter_mapped_versions WHERE version < $1".to_owned(),
    ]
});

impl PostgresStore {
    /// Drops the bookkeeping rows below `horizon`; returns how many.
    pub(crate) async fn collect_below(&self, horizon: u64) -> Result<u64, PgError> {
        let context = "collecting postgres bookkeeping";
        // A horizon beyond bigint is above every version.
        let h = i64::try_from(horizon).unwrap_or(i64::MAX);
        let mut client = self.client(context).await?;
        let tx = client.transaction().await.map_err(PgError::db(context))?;
        let mut rows = 0;
        for statement in COLLECT.iter() {
            rows += tx.execute(statement.as_str(), &[&h]).await.map_err(PgError::db(context))?;
        }
        tx.commit().await.map_err(PgError::db(context))?;
        Ok(rows)
    }
}
