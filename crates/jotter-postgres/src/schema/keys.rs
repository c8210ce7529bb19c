//! The statements on a key as a whole, whatever its type: the resets of
//! deletes and patches ([`RESETS`]), a patch's expiry ([`EXPIRIES`]), and
//! the drops below a reset that a put shares.

use std::sync::LazyLock;

use super::maps;
use super::reset::reset_of;
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
pub(super) fn drops_below_a() -> String {
    let maps: String = maps()
        .iter()
        .map(|m| {
            let (name, a, a_m) = (m.name, m.alias, same(&m.key(), "a.key"));
            format!(", d{a} AS (\n    DELETE FROM {name} {a} USING a WHERE {a_m} AND {a}.version <= a.version\n)")
        })
        .collect();
    format!(
        "{maps}, dt AS (
    DELETE FROM jotter_field_tombstones t USING a WHERE {t_a} AND t.version <= a.version
)
DELETE FROM jotter_expiry e USING a WHERE {e_a} AND e.version <= a.version",
        t_a = same("t.key", "a.key"),
        e_a = same("e.key", "a.key"),
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
