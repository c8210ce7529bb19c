//! The hash type's table, `jotter_hashes`, and its statements: field sets
//! and removals (see the map module).

use std::sync::LazyLock;

use super::map::MapTable;

/// Marks a hash field's row in a load.
pub(crate) const TAG: i32 = 1;

/// `jotter_hashes`: `(key, field)` to a `bytea` value.
pub(crate) const TABLE: MapTable = MapTable {
    name: "jotter_hashes",
    alias: "h",
    field: "field",
    value: ("value", "bytea"),
    tag: TAG,
    load: "{a}.field, {a}.value, NULL",
};

/// Hash field sets: `$1` keys, `$2` fields, `$3` values, `$4` versions.
pub(crate) static HASH_SETS: LazyLock<String> = LazyLock::new(|| TABLE.sets());

/// Hash field removals: `$1` keys, `$2` fields, `$3` versions.
pub(crate) static HASH_REMOVALS: LazyLock<String> = LazyLock::new(|| TABLE.removals());
