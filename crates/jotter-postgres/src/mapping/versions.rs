//! The statements on `jotter_mapped_versions`, where the versions of
//! mapped keys live (see the module documentation's rules): per table and
//! key, the reset version under field `''`, each column's version under
//! its name, and, for a geo mapping, each member's version under a field
//! of its own ([`member_field`]).
//!
//! A member's version is kept under `@` and the hex SHA-256 of the member:
//! a member may be any bytes of any length (even empty, which would be the
//! reset version's field `''`), and the versions' index needs a short
//! text.

use std::sync::LazyLock;

use crate::key_index::{same, target};

/// Holds key `$2` of table `$1` until the transaction ends.
pub(super) const LOCK: &str =
    "SELECT pg_advisory_xact_lock(hashtextextended($1 || encode($2, 'hex'), 0))";
/// The versions of key `$2` of table `$1`: each field's, and its reset
/// version under `''`.
pub(super) static VERSIONS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT field, version FROM jotter_mapped_versions WHERE tbl = $1 AND {}",
        same("key", "$2::bytea")
    )
});
/// Forgets the field versions of key `$2` of table `$1` at or below `$3`.
pub(super) static FORGET: LazyLock<String> = LazyLock::new(|| {
    format!(
        "DELETE FROM jotter_mapped_versions
          WHERE tbl = $1 AND {} AND field <> '' AND version <= $3",
        same("key", "$2::bytea")
    )
});
/// Sets field versions of key `$2` of table `$1` (`$3` fields, `$4`
/// versions), never lowering one.
pub(super) static SET_VERSIONS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "
INSERT INTO jotter_mapped_versions AS t (tbl, key, field, version)
SELECT $1, $2, u.field, u.version FROM unnest($3::text[], $4::bigint[]) AS u(field, version)
ON CONFLICT (tbl, {}, field) DO UPDATE SET version = excluded.version
 WHERE excluded.version > t.version",
        target("key")
    )
});

/// The field of a member's version, for a member given as the bytes
/// expression `expr`.
pub(super) fn member_field(expr: &str) -> String {
    format!("'@' || encode(sha256({expr}), 'hex')")
}

/// The versions of a key (`$1` table, `$2` key): its reset version (a
/// `NULL` member) and those of the members in `$3`.
pub(super) static MEMBER_VERSIONS: LazyLock<String> = LazyLock::new(|| {
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
pub(super) static NEWER_MEMBERS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT field FROM jotter_mapped_versions
          WHERE tbl = $1 AND {} AND field <> '' AND version > $3",
        same("key", "$2::bytea")
    )
});

/// Sets the versions of members (`$1` table, `$2` key, `$3` members, `$4`
/// versions), never lowering one.
pub(super) static SET_MEMBER_VERSIONS: LazyLock<String> = LazyLock::new(|| {
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
