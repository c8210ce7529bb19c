//! How a key, a hash field or a sorted-set member is indexed, so that every
//! one Redis takes (up to 512 MB) can be stored.
//!
//! A btree index row holds at most about 2.7 KB, so a table keyed by the
//! raw bytes refuses a longer key when the row is written, long after the
//! write was acknowledged. Instead, every index over such a column holds
//! two expressions of it (the column itself keeps the full bytes, readable
//! by plain SQL):
//!
//! - its first [`PREFIX`] bytes, `substr(c, 1, 512)`, which also orders the
//!   keys: byte order on the prefix, then on the full column, is byte order
//!   on the full column (a prefix shorter than [`PREFIX`] is the whole
//!   column), so listings page through the index;
//! - for a column longer than [`PREFIX`], its SHA-256; for a shorter one,
//!   the empty string, since the prefix already is the whole value. Two
//!   different values are thus told apart by the index unless they share
//!   their first 512 bytes and a SHA-256.
//!
//! A query finds a row through the index only when it compares the same two
//! expressions ([`same`]), and an upsert names them as its conflict target
//! ([`target`]). The migration that creates these indexes writes the
//! expressions out by hand; a test checks that they are the ones here.

/// The bytes of a column the index keeps as they are.
pub(crate) const PREFIX: usize = 512;

/// The prefix expression of column `c`.
pub(crate) fn prefix(c: &str) -> String {
    format!("substr({c}, 1, {PREFIX})")
}

/// The digest expression of column `c`: its SHA-256 beyond [`PREFIX`]
/// bytes, empty otherwise.
pub(crate) fn digest(c: &str) -> String {
    format!("(CASE WHEN length({c}) > {PREFIX} THEN sha256({c}) ELSE ''::bytea END)")
}

/// The index columns of column `c`, as `CREATE INDEX` and `ON CONFLICT`
/// name them.
pub(crate) fn target(c: &str) -> String {
    format!("({}), {}", prefix(c), digest(c))
}

/// `a` and `b` hold the same bytes, as a condition the index can answer.
pub(crate) fn same(a: &str, b: &str) -> String {
    format!("{} = {} AND {} = {}", prefix(a), prefix(b), digest(a), digest(b))
}

/// The keys in byte order, as an `ORDER BY` the index can answer.
pub(crate) fn order(c: &str) -> String {
    format!("{}, {c}", prefix(c))
}

/// `c` is greater than `p` in byte order, as a condition whose first part
/// the index can answer.
pub(crate) fn after(c: &str, p: &str) -> String {
    format!("{} >= {} AND {c} > {p}", prefix(c), prefix(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The migration that builds the indexes writes their expressions by
    /// hand (a shipped step never changes); the queries build them here.
    /// If the two differ, PostgreSQL refuses the upserts' conflict targets
    /// and scans whole tables for the rest.
    #[test]
    fn the_migration_indexes_the_expressions_the_queries_use() {
        let step = crate::schema::MIGRATIONS[2];
        for c in ["key", "field", "member"] {
            assert!(step.contains(&target(c)), "migration 3 lacks {}", target(c));
        }
        assert!(step.contains(&format!("(tbl, {}, field)", target("key"))));
    }

    #[test]
    fn the_expressions_read_as_sql() {
        assert_eq!(
            same("s.key", "$1"),
            "substr(s.key, 1, 512) = substr($1, 1, 512) AND \
             (CASE WHEN length(s.key) > 512 THEN sha256(s.key) ELSE ''::bytea END) = \
             (CASE WHEN length($1) > 512 THEN sha256($1) ELSE ''::bytea END)"
        );
    }
}
