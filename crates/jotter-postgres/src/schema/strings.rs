//! The string type's statements: puts into `jotter_strings`, by array
//! parameters ([`PUTS`]) or, for large batches, by binary `COPY` into a
//! staging table ([`STAGED_PUTS`]).

use std::sync::LazyLock;

use super::keys::drops_below_a;
use crate::key_index::{same, target};

/// Puts: `$1` keys, `$2` values, `$3` versions, `$4` expiries (NULL: never).
pub(crate) static PUTS: LazyLock<String> =
    LazyLock::new(|| puts_from("unnest($1::bytea[], $2::bytea[], $3::bigint[], $4::bigint[])"));

/// Puts at or above this many per batch go through binary `COPY` into a
/// temporary table (see `write_staged`): measured, `COPY` overtakes the
/// array parameters between 1,000 and 10,000 rows.
pub(crate) const COPY_ABOVE: usize = 4_000;

/// Opens a staged batch's transaction, with the connection's staging table
/// (created once per connection, emptied at each commit).
pub(crate) const STAGE: &str = "BEGIN;
CREATE TEMP TABLE IF NOT EXISTS jotter_stage
    (key bytea, value bytea, version bigint, expires_at bigint) ON COMMIT DELETE ROWS";

pub(crate) const COPY_STAGE: &str =
    "COPY jotter_stage (key, value, version, expires_at) FROM STDIN BINARY";

/// Puts read from the staging table.
pub(crate) static STAGED_PUTS: LazyLock<String> = LazyLock::new(|| puts_from("jotter_stage"));

/// The put statement reading its rows `(key, value, version, expires_at)`
/// from `source`: the `unnest` of the arrays for the store, a staging table
/// filled by binary `COPY` for the benchmark that compares the two.
#[doc(hidden)]
#[must_use]
pub fn puts_from(source: &str) -> String {
    format!(
        "
WITH p AS (
    SELECT p.key, p.value, p.version,
           CASE WHEN e.key IS NULL THEN p.expires_at ELSE e.expires_at END AS expires_at
      FROM {source} AS p(key, value, version, expires_at)
      LEFT JOIN jotter_expiry e ON {e_p} AND e.version > p.version
      LEFT JOIN jotter_key_resets k ON {k_p}
     WHERE p.version > coalesce(k.version, 0)
), a AS (
    INSERT INTO jotter_strings AS s (key, value, version, expires_at)
    SELECT key, value, version, expires_at FROM p
    ON CONFLICT ({key}) DO UPDATE
       SET value = excluded.value, version = excluded.version, expires_at = excluded.expires_at
     WHERE s.version < excluded.version
    RETURNING key, version
){drops}",
        e_p = same("e.key", "p.key"),
        k_p = same("k.key", "p.key"),
        key = target("key"),
        drops = drops_below_a(),
    )
}
