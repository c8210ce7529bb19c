//! The statements of a geo mapping on the user's table (see the `geo`
//! module), built once at start from the checked columns. Those on the
//! members' versions are the `versions` module's.

use super::column::{Column, cast_bytes, convert};
use super::versions::member_field;

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
