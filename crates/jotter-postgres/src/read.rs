//! Loads and listings: one statement each, so each reads one snapshot and
//! never sees half of a batch.
//!
//! Keys are compared as `bytea`, which PostgreSQL orders byte by byte
//! (`memcmp`, then the shorter first): the same order as Rust's `[u8]`, so
//! listings page in the order the engine expects. Rows are found and
//! ordered through their key's indexed expressions (see the key_index
//! module), which give the same order on keys of any length. The map
//! tables are read as `schema::maps` lists them, one branch each.

use std::sync::LazyLock;

use bytes::Bytes;
use jotter::{Entry, Value};
use tokio_postgres::Row;

use crate::key_index::{self, same};
use crate::schema::{MapTable, maps};

/// Tag 0 is a blob (value, expiry), 1 a hash field (field, value), 2 a
/// scored member (field, score), 3 a map's expiry.
pub(crate) static LOAD: LazyLock<String> = LazyLock::new(|| {
    let is = |t: &str| same(&format!("{t}.key"), "$1::bytea");
    let maps = map_loads(|m| format!(" FROM {} {} WHERE {}", m.name, m.alias, is(m.alias)));
    format!(
        "
SELECT 0::int4, NULL::bytea, value, NULL::float8, expires_at FROM jotter_strings s WHERE {s}{maps}
UNION ALL SELECT 3, NULL, NULL, NULL, expires_at FROM jotter_expiry e WHERE {e}",
        s = is("s"),
        e = is("e"),
    )
});

/// [`LOAD`] for the keys of the array `$1` at once, each row ending with
/// its key (column 5), so one statement loads a transaction's cold keys.
pub(crate) static LOAD_MANY: LazyLock<String> = LazyLock::new(|| {
    let is = |t: &str| same(&format!("{t}.key"), "q.key");
    let maps = map_loads(|m| {
        format!(", {} FROM q JOIN {} {} ON {}", m.key(), m.name, m.alias, is(m.alias))
    });
    format!(
        "
WITH q AS (SELECT DISTINCT key FROM unnest($1::bytea[]) AS q(key))
SELECT 0::int4, NULL::bytea, s.value, NULL::float8, s.expires_at, s.key
  FROM q JOIN jotter_strings s ON {s}{maps}
UNION ALL SELECT 3, NULL, NULL, NULL, e.expires_at, e.key FROM q JOIN jotter_expiry e ON {e}",
        s = is("s"),
        e = is("e"),
    )
});

/// A load's branch per map table: its tag, its columns 1 to 3, no expiry,
/// then `rest` (the key column if wanted, and where the rows come from,
/// each with its leading separator).
fn map_loads(rest: impl Fn(&MapTable) -> String) -> String {
    maps()
        .iter()
        .map(|m| format!("\nUNION ALL SELECT {}, {}, NULL{}", m.tag, m.load_columns, rest(m)))
        .collect()
}

/// Rows of [`LOAD_MANY`] as one entry per key of `keys`, in their order.
pub(crate) fn entries_from_rows(
    keys: &[Bytes],
    rows: Vec<Row>,
) -> Result<Vec<Option<Entry>>, tokio_postgres::Error> {
    let mut by_key: std::collections::HashMap<Vec<u8>, Vec<Row>> =
        std::collections::HashMap::with_capacity(keys.len());
    for row in rows {
        let key: &[u8] = row.try_get(5)?;
        by_key.entry(key.to_vec()).or_default().push(row);
    }
    keys.iter()
        .map(|key| by_key.get(key.as_ref()).map_or(Ok(None), |rows| entry_from_rows(rows)))
        .collect()
}

/// String rows count although they never outrun their key's reset version,
/// so that rows written by hand still count. Expiry rows do not: their
/// version is a patch's, which a field or reset of that patch carries too.
pub(crate) static MAX_VERSION: LazyLock<String> = LazyLock::new(|| {
    let maps: String =
        maps().iter().map(|m| format!(",\n    (SELECT max(version) FROM {})", m.name)).collect();
    format!(
        "SELECT greatest(
    (SELECT max(version) FROM jotter_key_resets),
    (SELECT max(version) FROM jotter_field_tombstones),
    (SELECT max(version) FROM jotter_strings){maps})"
    )
});

/// The newest version of key `$1` in any row or tombstone, or NULL if
/// none (see `Store::version_of`).
pub(crate) static KEY_VERSION: LazyLock<String> = LazyLock::new(|| {
    let maps = maps();
    let tables = ["jotter_key_resets", "jotter_field_tombstones", "jotter_strings"]
        .into_iter()
        .chain(maps.iter().map(|m| m.name));
    let parts: Vec<String> = tables
        .map(|t| {
            let is = same(&format!("{t}.key"), "$1::bytea");
            format!("\n    (SELECT max(version) FROM {t} WHERE {is})")
        })
        .collect();
    format!("SELECT greatest({})", parts.join(","))
});

/// With `after`, the condition that `{t}.key` is greater than `$1`,
/// through the key's indexed expressions.
fn key_after(after: bool, t: &str) -> Option<String> {
    after.then(|| key_index::after(&format!("{t}.key"), "$1::bytea"))
}

/// Live keys, unexpired at `$3`, in byte order, at most `$2`; with `after`,
/// only keys greater than `$1`. A key with a string row is what that row
/// says (as for a load, which prefers it). Each branch is cut at the limit
/// first, in the order of its table's key index, so a page reads about
/// `limit` index entries per table.
fn keys_sql(after: bool) -> String {
    let cond = |t: &str| key_after(after, t).map_or(String::new(), |c| format!("{c} AND"));
    let p = if after { "" } else { "$1::bytea IS NULL AND" };
    let maps: String = maps()
        .iter()
        .map(|m| {
            let (a, key) = (m.alias, m.key());
            let o = key_index::order(&key);
            format!(
                "
           UNION
           (SELECT {a}.key FROM {} {a} WHERE {}
               NOT EXISTS (SELECT 1 FROM jotter_expiry e WHERE {} AND e.expires_at <= $3)
               AND NOT EXISTS (SELECT 1 FROM jotter_strings s WHERE {})
             GROUP BY {o} ORDER BY {o} LIMIT $2)",
                m.name,
                cond(a),
                same("e.key", &key),
                same("s.key", &key),
            )
        })
        .collect();
    format!(
        "SELECT key FROM (
           (SELECT s.key FROM jotter_strings s
             WHERE {p} {s} (s.expires_at IS NULL OR s.expires_at > $3)
             ORDER BY {os} LIMIT $2){maps}
         ) k ORDER BY key LIMIT $2",
        s = cond("s"),
        os = key_index::order("s.key"),
    )
}

/// Live keys whose expiry is at or before `$3`, in byte order, at most
/// `$2`; with `after`, only keys greater than `$1`.
fn expired_sql(after: bool) -> String {
    let cond = |t: &str| key_after(after, t).map_or(String::new(), |c| format!("AND {c}"));
    let (s, e) = (cond("s"), cond("e"));
    let p = if after { "" } else { "AND $1::bytea IS NULL" };
    let (os, oe) = (key_index::order("s.key"), key_index::order("e.key"));
    let s_e = same("s.key", "e.key");
    let has_fields: Vec<String> = maps()
        .iter()
        .map(|m| {
            format!(
                "EXISTS (SELECT 1 FROM {} {} WHERE {})",
                m.name,
                m.alias,
                same(&m.key(), "e.key")
            )
        })
        .collect();
    format!(
        "SELECT key FROM (
           (SELECT s.key FROM jotter_strings s WHERE s.expires_at <= $3 {s} {p}
             ORDER BY {os} LIMIT $2)
           UNION
           (SELECT e.key FROM jotter_expiry e WHERE e.expires_at <= $3 {e}
               AND NOT EXISTS (SELECT 1 FROM jotter_strings s WHERE {s_e})
               AND ({})
             ORDER BY {oe} LIMIT $2)
         ) k ORDER BY key LIMIT $2",
        has_fields.join("\n                    OR ")
    )
}

pub(crate) static KEYS_FIRST: LazyLock<String> = LazyLock::new(|| keys_sql(false));
pub(crate) static KEYS_AFTER: LazyLock<String> = LazyLock::new(|| keys_sql(true));
pub(crate) static EXPIRED_FIRST: LazyLock<String> = LazyLock::new(|| expired_sql(false));
pub(crate) static EXPIRED_AFTER: LazyLock<String> = LazyLock::new(|| expired_sql(true));

fn expiry(at: Option<i64>) -> Option<u64> {
    at.map(|at| u64::try_from(at).unwrap_or(0))
}

/// Builds the entry of one key from the rows of [`LOAD`].
pub(crate) fn entry_from_rows(rows: &[Row]) -> Result<Option<Entry>, tokio_postgres::Error> {
    let tables = maps();
    // Each map table's fields, gathered apart.
    let mut fields = tables.map(|_| Vec::new());
    let mut map_expiry = None;
    for row in rows {
        let tag = row.try_get::<_, i32>(0)?;
        if tag == 0 {
            let value: &[u8] = row.try_get(2)?;
            let expires_at = expiry(row.try_get(4)?);
            return Ok(Some(Entry {
                value: Value::Blob(Bytes::copy_from_slice(value)),
                expires_at,
            }));
        }
        match tables.iter().position(|m| m.tag == tag) {
            // In the first table of its kind's slot: a kind may split its
            // fields over several tables.
            Some(i) => {
                let slot = tables.iter().position(|m| m.kind == tables[i].kind).unwrap_or(i);
                fields[slot].push((tables[i].from_row)(row)?);
            }
            None => map_expiry = expiry(row.try_get(4)?),
        }
    }
    // The first table with fields, in the order of `schema::maps` (hashes
    // before sorted sets, as in the SQLite store); the engine never leaves
    // two.
    let value = tables.iter().zip(fields).find_map(|(m, f)| Value::map_of(m.kind, f));
    Ok(value.map(|value| Entry { value, expires_at: map_expiry }))
}

/// The first column of each row, as keys.
pub(crate) fn keys_from_rows(rows: &[Row]) -> Result<Vec<Bytes>, tokio_postgres::Error> {
    rows.iter().map(|r| r.try_get::<_, &[u8]>(0).map(Bytes::copy_from_slice)).collect()
}
