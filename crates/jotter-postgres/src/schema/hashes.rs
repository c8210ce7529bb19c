//! The hash type's statements: field sets and removals in `jotter_hashes`
//! (see the map module).

use std::sync::LazyLock;

use super::map::{field_removals, field_sets};

/// Hash field sets: `$1` keys, `$2` fields, `$3` values, `$4` versions.
pub(crate) static HASH_SETS: LazyLock<String> =
    LazyLock::new(|| field_sets("jotter_hashes", "field", "value", "bytea"));

/// Hash field removals: `$1` keys, `$2` fields, `$3` versions.
pub(crate) static HASH_REMOVALS: LazyLock<String> =
    LazyLock::new(|| field_removals("jotter_hashes", "field"));
