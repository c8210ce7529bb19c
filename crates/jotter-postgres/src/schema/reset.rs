//! A key's reset version, as SQL: the greater of its `jotter_key_resets`
//! row and its string row's version (see the migrations module for why a
//! put keeps no reset row).

use crate::key_index::same;

/// The reset version of `{t}.key`, as an SQL expression.
pub(super) fn reset_of(t: &str) -> String {
    let (k, s) = (same("k.key", &format!("{t}.key")), same("s.key", &format!("{t}.key")));
    format!(
        "greatest(coalesce((SELECT k.version FROM jotter_key_resets k WHERE {k}), 0), \
         coalesce((SELECT s.version FROM jotter_strings s WHERE {s}), 0))"
    )
}
