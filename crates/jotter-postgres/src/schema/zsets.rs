//! The sorted set type's table, `jotter_zsets`: `(key, member)` to a
//! `float8` score, with its member sets and removals (see the map module).

use std::sync::LazyLock;

use super::map::MapTable;

/// Marks a scored member's row in a load.
pub(crate) const TAG: i32 = 2;

pub(crate) static TABLE: LazyLock<MapTable> =
    LazyLock::new(|| MapTable::new(("jotter_zsets", "z"), ("member", "score", "float8"), TAG));
