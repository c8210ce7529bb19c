//! The statements of a geo mapping (see the `geo` module): those on the
//! user's table, built once at start from the checked columns, and those
//! on the members' versions in `jotter_mapped_versions`, the same for
//! every geo mapping.
//!
//! A member's version is kept under the field `@` and the hex SHA-256 of
//! the member: a member may be any bytes of any length (even empty, which
//! is the key's reset version's field `''`), and the versions' index needs
//! a short text.

use std::sync::LazyLock;

use super::column::{Column, cast_bytes, convert};
use crate::key_index::{same, target};

/// The field of a member's version, for a member given as the bytes
/// expression `expr`.
fn member_field(expr: &str) -> String {
    format!("'@' || encode(sha256({expr}), 'hex')")
}

/// The versions of a key (`$1` table, `$2` key): its reset version (a
/// `NULL` member) and those of the members in `$3`.
pub(super) static VERSIONS: LazyLock<String> = LazyLock::new(|| {
    let key = same("key", "$2::bytea");
    format!(
        "SELECT NULL::bytea, version FROM jotter_mapped_versions
          WHERE tbl = $1 AND {key} AND field = ''
         UNION ALL
         SELECT u.m, v.version FROM unnest($3::bytea[]) AS u(m)
           JOIN jotter_mapped_versions v ON v.field = {}
          WHERE v.tbl = $1 AND {}",
        member_field("u.m"),
        same("v.key", "$2::bytea")
    )
});

/// The fields of the members of a key (`$1` table, `$2` key) written after
/// version `$3`.
pub(super) static NEWER: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT field FROM jotter_mapped_versions
          WHERE tbl = $1 AND {} AND field <> '' AND version > $3",
        same("key", "$2::bytea")
    )
});

/// Sets the versions of members (`$1` table, `$2` key, `$3` members, `$4`
/// versions), never lowering one.
pub(super) static SET_VERSIONS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "
INSERT INTO jotter_mapped_versions AS t (tbl, key, field, version)
SELECT $1, $2, {}, u.version FROM unnest($3::bytea[], $4::bigint[]) AS u(m, version)
ON CONFLICT (tbl, {}, field) DO UPDATE SET version = excluded.version
 WHERE excluded.version > t.version",
        member_field("u.m"),
        target("key")
    )
});

/// The statements on one geo mapping's table, built at start.
#[derive(Debug)]
pub(super) struct GeoSql {
    /// Writes members' rows: `$1` the key's suffix, `$2` members, `$3`
    /// longitudes, `$4` latitudes (a member's row already there is
    /// updated).
    pub(super) upsert: String,
    /// Deletes members' rows: `$1` the suffix, `$2` members.
    pub(super) remove: String,
    /// Deletes a key's rows but those of the members whose version fields
    /// are in `$2` (`$1` the suffix).
    pub(super) keep: String,
    /// A key's rows: member (bytes), longitude, latitude (`$1` the suffix).
    pub(super) load: String,
}

impl GeoSql {
    /// The statements for `table`, whose key, member, longitude and
    /// latitude columns are given.
    pub(super) fn new(
        table: &str,
        key: &Column,
        member: &Column,
        lon: &Column,
        lat: &Column,
    ) -> Self {
        let key_is = format!("{} = {}", key.sql, convert(1, &key.cast));
        let members =
            format!("SELECT {} FROM unnest($2::bytea[]) AS u(m)", cast_bytes("u.m", &member.cast));
        GeoSql {
            upsert: format!(
                "INSERT INTO {table} ({}, {}, {}, {})
                 SELECT {}, {}, s.lon::{}, s.lat::{}
                   FROM unnest($2::bytea[], $3::float8[], $4::float8[]) AS s(m, lon, lat)
                 ON CONFLICT ({}, {}) DO UPDATE SET {} = excluded.{}, {} = excluded.{}",
                key.sql,
                member.sql,
                lon.sql,
                lat.sql,
                convert(1, &key.cast),
                cast_bytes("s.m", &member.cast),
                lon.cast,
                lat.cast,
                key.sql,
                member.sql,
                lon.sql,
                lon.sql,
                lat.sql,
                lat.sql
            ),
            remove: format!("DELETE FROM {table} WHERE {key_is} AND {} IN ({members})", member.sql),
            keep: format!(
                "DELETE FROM {table} WHERE {key_is} AND {} <> ALL($2::text[])",
                member_field(&member.read())
            ),
            load: format!(
                "SELECT {}, {}::float8, {}::float8 FROM {table} WHERE {key_is}",
                member.read(),
                lon.sql,
                lat.sql
            ),
        }
    }
}
