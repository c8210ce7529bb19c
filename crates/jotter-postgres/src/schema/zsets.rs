//! The sorted set type's statements: member sets and removals in
//! `jotter_zsets` (see the map module).

use std::sync::LazyLock;

use super::map::{field_removals, field_sets};

/// Scored member sets: `$1` keys, `$2` members, `$3` scores, `$4` versions.
pub(crate) static ZSET_SETS: LazyLock<String> =
    LazyLock::new(|| field_sets("jotter_zsets", "member", "score", "float8"));

/// Scored member removals: `$1` keys, `$2` members, `$3` versions.
pub(crate) static ZSET_REMOVALS: LazyLock<String> =
    LazyLock::new(|| field_removals("jotter_zsets", "member"));
