//! The hash type's table, `jotter_hashes`: `(key, field)` to a `bytea`
//! value, with its field sets and removals (see the map module).

use std::sync::LazyLock;

use super::map::MapTable;

/// Marks a hash field's row in a load.
pub(crate) const TAG: i32 = 1;

pub(crate) static TABLE: LazyLock<MapTable> =
    LazyLock::new(|| MapTable::new(("jotter_hashes", "h"), ("field", "value", "bytea"), TAG));
