//! Applying one batch: the engine's [`Write`]s are split by kind into
//! columns (one array per column), and each kind is applied by one
//! set-based, conditional statement over `unnest` of those arrays. A batch
//! with thousands of puts sends them by binary `COPY` into a temporary
//! table instead, and upserts from there (`COPY_ABOVE`).
//!
//! # What it guarantees
//!
//! - **One round trip, all or nothing.** `BEGIN`, the statements (only those
//!   whose arrays are not empty) and `COMMIT` are pipelined: sent together,
//!   answered together. If any statement fails, the ones after it fail too
//!   (the transaction is aborted) and the `COMMIT` rolls the batch back.
//! - **The version rules of [`jotter::Store`], case for case** (the same as
//!   [`jotter::MemoryStore`]): every statement compares versions in SQL, so
//!   a replayed or late batch changes nothing. The statements run in the
//!   order below, so a patch's fields see its reset; writes of different
//!   keys never depend on each other (a key appears once per batch).
//!
//! # The statements
//!
//! The key's reset version is `greatest(jotter_key_resets.version,
//! jotter_strings.version)` (see the schema module). Every row is found by
//! its key's (and field's) indexed expressions, never by the raw bytes
//! (see the key_index module), so keys of any length are written alike.
//!
//! 1. [`RESETS`]: deletes and patches' resets at `v`, for keys whose reset
//!    version is older: raise `jotter_key_resets`, drop the string row, and
//!    drop map rows, field tombstones and the expiry row at or below `v`.
//! 2. [`PUTS`]: string rows for puts newer than the key's reset version,
//!    taking over an expiry row newer than the put; then, for each put that
//!    applied, the same drops at or below its version.
//! 3. [`EXPIRIES`]: each patch's expiry, if the patch is at least the key's
//!    reset version and newer than the expiry in force; a string row older
//!    than the patch takes it too.
//! 4. [`HASH_SETS`], [`ZSET_SETS`]: field rows at least the reset version,
//!    newer than the field's tombstone and row; a set removes the tombstone.
//! 5. [`HASH_REMOVALS`], [`ZSET_REMOVALS`]: field tombstones under the same
//!    conditions; a removal drops the row.

use std::sync::LazyLock;

use jotter::{Change, FieldValue, MapKind, Write};

use crate::error::{PgError, show_key};
use crate::key_index::{same, target};

/// Resets of deletes and patches: `$1` keys, `$2` versions.
pub(crate) static RESETS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "
WITH r AS (
    SELECT r.key, r.version FROM unnest($1::bytea[], $2::bigint[]) AS r(key, version)
     WHERE r.version > coalesce((SELECT s.version FROM jotter_strings s WHERE {s_r}), 0)
), a AS (
    INSERT INTO jotter_key_resets AS t (key, version) SELECT key, version FROM r
    ON CONFLICT ({key}) DO UPDATE SET version = excluded.version
    WHERE excluded.version > t.version
    RETURNING key, version
), ds AS (
    DELETE FROM jotter_strings s USING a WHERE {s_a}
){drops}",
        s_r = same("s.key", "r.key"),
        s_a = same("s.key", "a.key"),
        key = target("key"),
        drops = drops_below_a(),
    )
});

/// The end of a statement whose CTE `a` holds keys reset at `version`:
/// drops their map rows, field tombstones and expiry row at or below it.
fn drops_below_a() -> String {
    format!(
        ", dh AS (
    DELETE FROM jotter_hashes h USING a WHERE {h_a} AND h.version <= a.version
), dz AS (
    DELETE FROM jotter_zsets z USING a WHERE {z_a} AND z.version <= a.version
), dt AS (
    DELETE FROM jotter_field_tombstones t USING a WHERE {t_a} AND t.version <= a.version
)
DELETE FROM jotter_expiry e USING a WHERE {e_a} AND e.version <= a.version",
        h_a = same("h.key", "a.key"),
        z_a = same("z.key", "a.key"),
        t_a = same("t.key", "a.key"),
        e_a = same("e.key", "a.key"),
    )
}

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

/// The reset version of `{t}.key`, as an SQL expression.
fn reset_of(t: &str) -> String {
    let (k, s) = (same("k.key", &format!("{t}.key")), same("s.key", &format!("{t}.key")));
    format!(
        "greatest(coalesce((SELECT k.version FROM jotter_key_resets k WHERE {k}), 0), \
         coalesce((SELECT s.version FROM jotter_strings s WHERE {s}), 0))"
    )
}

/// Patches' expiries: `$1` keys, `$2` expiries (NULL: never), `$3` versions.
pub(crate) static EXPIRIES: LazyLock<String> = LazyLock::new(|| {
    format!(
        "
WITH x AS (
    SELECT x.key, x.expires_at, x.version
      FROM unnest($1::bytea[], $2::bigint[], $3::bigint[]) AS x(key, expires_at, version)
     WHERE x.version >= {reset}
       AND NOT EXISTS (SELECT 1 FROM jotter_strings s WHERE {s_x} AND s.version >= x.version)
), a AS (
    INSERT INTO jotter_expiry AS t (key, expires_at, version) SELECT key, expires_at, version FROM x
    ON CONFLICT ({key}) DO UPDATE SET expires_at = excluded.expires_at, version = excluded.version
    WHERE excluded.version > t.version
    RETURNING key, expires_at, version
)
UPDATE jotter_strings s SET expires_at = a.expires_at FROM a
 WHERE {s_a} AND s.version < a.version",
        reset = reset_of("x"),
        s_x = same("s.key", "x.key"),
        s_a = same("s.key", "a.key"),
        key = target("key"),
    )
});

/// Field sets of one map table: `$1` keys, `$2` fields, `$3` values (of
/// type `value_type`, into column `value`), `$4` versions.
fn field_sets(table: &str, field: &str, value: &str, value_type: &str) -> String {
    format!(
        "
WITH f AS (
    SELECT f.key, f.{field}, f.{value}, f.version
      FROM unnest($1::bytea[], $2::bytea[], $3::{value_type}[], $4::bigint[])
           AS f(key, {field}, {value}, version)
     WHERE f.version >= {reset}
       AND f.version > coalesce((SELECT t.version FROM jotter_field_tombstones t
                                  WHERE {t_f}), 0)
), a AS (
    INSERT INTO {table} AS m (key, {field}, {value}, version)
    SELECT key, {field}, {value}, version FROM f
    ON CONFLICT ({key}, {field_target}) DO UPDATE
       SET {value} = excluded.{value}, version = excluded.version
    WHERE excluded.version > m.version
    RETURNING key, {field}
)
DELETE FROM jotter_field_tombstones t USING a WHERE {t_a}",
        reset = reset_of("f"),
        t_f = same_field("t", "field", "f", field),
        t_a = same_field("t", "field", "a", field),
        key = target("key"),
        field_target = target(field),
    )
}

/// Field removals of one map table: `$1` keys, `$2` fields, `$3` versions.
fn field_removals(table: &str, field: &str) -> String {
    format!(
        "
WITH f AS (
    SELECT f.key, f.field, f.version
      FROM unnest($1::bytea[], $2::bytea[], $3::bigint[]) AS f(key, field, version)
     WHERE f.version > 0 AND f.version >= {reset}
       AND NOT EXISTS (SELECT 1 FROM {table} m
                        WHERE {m_f} AND m.version >= f.version)
), a AS (
    INSERT INTO jotter_field_tombstones AS t (key, field, version)
    SELECT key, field, version FROM f
    ON CONFLICT ({key}, {field_target}) DO UPDATE SET version = excluded.version
    WHERE excluded.version > t.version
    RETURNING key, field
)
DELETE FROM {table} m USING a WHERE {m_a}",
        reset = reset_of("f"),
        m_f = same_field("m", field, "f", "field"),
        m_a = same_field("m", field, "a", "field"),
        key = target("key"),
        field_target = target("field"),
    )
}

/// Rows `x` and `y` are of the same key and field (named `xf` in `x` and
/// `yf` in `y`).
fn same_field(x: &str, xf: &str, y: &str, yf: &str) -> String {
    format!(
        "{} AND {}",
        same(&format!("{x}.key"), &format!("{y}.key")),
        same(&format!("{x}.{xf}"), &format!("{y}.{yf}"))
    )
}

/// Hash field sets: `$1` keys, `$2` fields, `$3` values, `$4` versions.
pub(crate) static HASH_SETS: LazyLock<String> =
    LazyLock::new(|| field_sets("jotter_hashes", "field", "value", "bytea"));

/// Scored member sets: `$1` keys, `$2` members, `$3` scores, `$4` versions.
pub(crate) static ZSET_SETS: LazyLock<String> =
    LazyLock::new(|| field_sets("jotter_zsets", "member", "score", "float8"));

/// Hash field removals: `$1` keys, `$2` fields, `$3` versions.
pub(crate) static HASH_REMOVALS: LazyLock<String> =
    LazyLock::new(|| field_removals("jotter_hashes", "field"));

/// Scored member removals: `$1` keys, `$2` members, `$3` versions.
pub(crate) static ZSET_REMOVALS: LazyLock<String> =
    LazyLock::new(|| field_removals("jotter_zsets", "member"));

/// A batch split into columns, one group per statement.
#[derive(Default)]
pub(crate) struct Columns<'a> {
    pub reset_keys: Vec<&'a [u8]>,
    pub reset_versions: Vec<i64>,

    pub put_keys: Vec<&'a [u8]>,
    pub put_values: Vec<&'a [u8]>,
    pub put_versions: Vec<i64>,
    pub put_expiries: Vec<Option<i64>>,

    pub exp_keys: Vec<&'a [u8]>,
    pub exp_at: Vec<Option<i64>>,
    pub exp_versions: Vec<i64>,

    pub hset_keys: Vec<&'a [u8]>,
    pub hset_fields: Vec<&'a [u8]>,
    pub hset_values: Vec<&'a [u8]>,
    pub hset_versions: Vec<i64>,

    pub zset_keys: Vec<&'a [u8]>,
    pub zset_members: Vec<&'a [u8]>,
    pub zset_scores: Vec<f64>,
    pub zset_versions: Vec<i64>,

    pub hdel_keys: Vec<&'a [u8]>,
    pub hdel_fields: Vec<&'a [u8]>,
    pub hdel_versions: Vec<i64>,

    pub zdel_keys: Vec<&'a [u8]>,
    pub zdel_members: Vec<&'a [u8]>,
    pub zdel_versions: Vec<i64>,
}

pub(crate) fn version(w: &Write, v: u64) -> Result<i64, PgError> {
    i64::try_from(v).map_err(|_| PgError::Refused {
        context: format!("postgres write of key {} at version {}", show_key(&w.key), w.version),
        message: format!("version {v} is beyond PostgreSQL's bigint range"),
    })
}

/// An expiry as the database stores it; a time beyond `bigint` is as good
/// as never.
fn expiry(at: Option<u64>) -> Option<i64> {
    at.and_then(|at| i64::try_from(at).ok())
}

impl<'a> Columns<'a> {
    /// Splits `batch` into columns; refuses (permanently) a version beyond
    /// `bigint` or a field whose value does not fit its map kind.
    pub(crate) fn split(batch: &'a [Write]) -> Result<Self, PgError> {
        let mut c = Columns::default();
        for w in batch {
            let key: &[u8] = &w.key;
            match &w.change {
                Change::Put(value) => {
                    c.put_keys.push(key);
                    c.put_values.push(value);
                    c.put_versions.push(version(w, w.version)?);
                    c.put_expiries.push(expiry(w.expires_at));
                }
                Change::Delete => {
                    c.reset_keys.push(key);
                    c.reset_versions.push(version(w, w.version)?);
                }
                Change::Patch { kind, reset, fields } => {
                    if let Some(r) = reset {
                        c.reset_keys.push(key);
                        c.reset_versions.push(version(w, *r)?);
                    }
                    c.exp_keys.push(key);
                    c.exp_at.push(expiry(w.expires_at));
                    c.exp_versions.push(version(w, w.version)?);
                    for f in fields {
                        c.push_field(w, *kind, f)?;
                    }
                }
            }
        }
        Ok(c)
    }

    fn push_field(
        &mut self,
        w: &'a Write,
        kind: MapKind,
        f: &'a jotter::FieldChange,
    ) -> Result<(), PgError> {
        let key: &[u8] = &w.key;
        let v = version(w, f.version)?;
        match (&f.value, kind) {
            (Some(FieldValue::Bytes(value)), MapKind::Hash) => {
                self.hset_keys.push(key);
                self.hset_fields.push(&f.field);
                self.hset_values.push(value);
                self.hset_versions.push(v);
            }
            (Some(FieldValue::Score(score)), MapKind::Scores) => {
                self.zset_keys.push(key);
                self.zset_members.push(&f.field);
                self.zset_scores.push(*score);
                self.zset_versions.push(v);
            }
            (Some(value), kind) => {
                return Err(PgError::Refused {
                    context: format!(
                        "postgres write of key {} at version {}",
                        show_key(key),
                        w.version
                    ),
                    message: format!(
                        "field {} holds a {} value in a {kind} patch",
                        show_key(&f.field),
                        value.kind()
                    ),
                });
            }
            (None, MapKind::Hash) => {
                self.hdel_keys.push(key);
                self.hdel_fields.push(&f.field);
                self.hdel_versions.push(v);
            }
            (None, MapKind::Scores) => {
                self.zdel_keys.push(key);
                self.zdel_members.push(&f.field);
                self.zdel_versions.push(v);
            }
        }
        Ok(())
    }
}

/// The keys of a batch, for a message.
pub(crate) fn describe_batch(batch: &[Write]) -> String {
    match batch {
        [one] => format!("postgres write of key {} at version {}", show_key(&one.key), one.version),
        _ => {
            let first: Vec<String> = batch.iter().take(3).map(|w| show_key(&w.key)).collect();
            let more = if batch.len() > 3 { ", ..." } else { "" };
            format!("postgres write of {} keys ({}{more})", batch.len(), first.join(", "))
        }
    }
}
