//! The sorted set type's table, `jotter_zsets`, and its statements: member
//! sets and removals (see the map module).

use std::sync::LazyLock;

use super::map::MapTable;

/// Marks a scored member's row in a load.
pub(crate) const TAG: i32 = 2;

/// `jotter_zsets`: `(key, member)` to a `float8` score.
pub(crate) const TABLE: MapTable = MapTable {
    name: "jotter_zsets",
    alias: "z",
    field: "member",
    value: ("score", "float8"),
    tag: TAG,
    load: "{a}.member, NULL, {a}.score",
};

/// Scored member sets: `$1` keys, `$2` members, `$3` scores, `$4` versions.
pub(crate) static ZSET_SETS: LazyLock<String> = LazyLock::new(|| TABLE.sets());

/// Scored member removals: `$1` keys, `$2` members, `$3` versions.
pub(crate) static ZSET_REMOVALS: LazyLock<String> = LazyLock::new(|| TABLE.removals());
