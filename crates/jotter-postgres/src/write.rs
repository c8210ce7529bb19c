//! Applying one batch: the engine's [`Write`]s are split by kind into
//! columns (one array per column), and each kind is applied by one
//! set-based, conditional statement over `unnest` of those arrays. A batch
//! with thousands of puts sends them by binary `COPY` into a temporary
//! table instead, and upserts from there (`COPY_ABOVE`).
//!
//! # What it guarantees
//!
//! - **One round trip, all or nothing.** `BEGIN`, the statements (only those
//!   whose arrays are not empty) and `COMMIT` are pipelined: sent together,
//!   answered together. If any statement fails, the ones after it fail too
//!   (the transaction is aborted) and the `COMMIT` rolls the batch back.
//! - **The version rules of [`jotter::Store`], case for case** (the same as
//!   [`jotter::MemoryStore`]): every statement compares versions in SQL, so
//!   a replayed or late batch changes nothing. The statements run in the
//!   order below, so a patch's fields see its reset; writes of different
//!   keys never depend on each other (a key appears once per batch).
//!
//! # The statements
//!
//! Each lives in the schema module of what it changes: the key as a whole
//! (`schema::keys`) or one value type (`schema::strings`, `schema::hashes`,
//! `schema::zsets`).
//!
//! The key's reset version is `greatest(jotter_key_resets.version,
//! jotter_strings.version)` (see `schema::reset`). Every row is found by
//! its key's (and field's) indexed expressions, never by the raw bytes
//! (see the key_index module), so keys of any length are written alike.
//!
//! 1. [`RESETS`](crate::schema::keys::RESETS): deletes and patches' resets at `v`, for keys whose reset
//!    version is older: raise `jotter_key_resets`, drop the string row, and
//!    drop map rows, field tombstones and the expiry row at or below `v`.
//! 2. [`PUTS`](crate::schema::strings::PUTS): string rows for puts newer than the key's reset version,
//!    taking over an expiry row newer than the put; then, for each put that
//!    applied, the same drops at or below its version.
//! 3. [`EXPIRIES`](crate::schema::keys::EXPIRIES): each patch's expiry, if the patch is at least the key's
//!    reset version and newer than the expiry in force; a string row older
//!    than the patch takes it too.
//! 4. `hashes::TABLE.sets`,
//!    `zsets::TABLE.sets`: field rows at least the reset version,
//!    newer than the field's tombstone and row; a set removes the tombstone.
//! 5. `hashes::TABLE.removals`,
//!    `zsets::TABLE.removals`: field tombstones under the same
//!    conditions; a removal drops the row.

use jotter::{Change, FieldValue, MapKind, Write};

use tokio_postgres::types::ToSql;

use crate::error::{PgError, show_key};
use crate::schema::{hashes, keys, strings, zsets};

/// A statement and its parameters.
pub(crate) type Step<'a> = (&'static str, Vec<&'a (dyn ToSql + Sync)>);

/// A batch split into columns, one group per statement.
#[derive(Default)]
pub(crate) struct Columns<'a> {
    pub reset_keys: Vec<&'a [u8]>,
    pub reset_versions: Vec<i64>,

    pub put_keys: Vec<&'a [u8]>,
    pub put_values: Vec<&'a [u8]>,
    pub put_versions: Vec<i64>,
    pub put_expiries: Vec<Option<i64>>,

    pub exp_keys: Vec<&'a [u8]>,
    pub exp_at: Vec<Option<i64>>,
    pub exp_versions: Vec<i64>,

    pub hash_sets: FieldColumns<'a, &'a [u8]>,
    pub zset_sets: FieldColumns<'a, f64>,
    pub hash_removals: FieldColumns<'a, ()>,
    pub zset_removals: FieldColumns<'a, ()>,
}

/// The arrays of one map table's field sets (`V` the value's type) or
/// removals (`V = ()`, no value array): `$1` keys, `$2` fields, then `$3`
/// values if any, and the versions.
pub(crate) struct FieldColumns<'a, V> {
    pub keys: Vec<&'a [u8]>,
    pub fields: Vec<&'a [u8]>,
    pub values: Vec<V>,
    pub versions: Vec<i64>,
}

impl<V> Default for FieldColumns<'_, V> {
    fn default() -> Self {
        FieldColumns {
            keys: Vec::new(),
            fields: Vec::new(),
            values: Vec::new(),
            versions: Vec::new(),
        }
    }
}

impl<'a, V: ToSql + Sync> FieldColumns<'a, V> {
    fn push(&mut self, key: &'a [u8], field: &'a [u8], value: V, version: i64) {
        self.keys.push(key);
        self.fields.push(field);
        self.values.push(value);
        self.versions.push(version);
    }

    /// The step of statement `sql` over these arrays, if it has rows.
    fn step(&self, sql: &'static str) -> Option<Step<'_>> {
        step(self.keys.len(), sql, vec![&self.keys, &self.fields, &self.values, &self.versions])
    }
}

impl<'a> FieldColumns<'a, ()> {
    fn push_removal(&mut self, key: &'a [u8], field: &'a [u8], version: i64) {
        self.keys.push(key);
        self.fields.push(field);
        self.versions.push(version);
    }

    /// The step of statement `sql` over these arrays (no values), if it
    /// has rows.
    fn removal_step(&self, sql: &'static str) -> Option<Step<'_>> {
        step(self.keys.len(), sql, vec![&self.keys, &self.fields, &self.versions])
    }
}

/// Statement `sql` with `params`, if its arrays hold `rows` rows: an empty
/// statement is not sent.
fn step<'p>(
    rows: usize,
    sql: &'static str,
    params: Vec<&'p (dyn ToSql + Sync)>,
) -> Option<Step<'p>> {
    (rows > 0).then_some((sql, params))
}

pub(crate) fn version(w: &Write, v: u64) -> Result<i64, PgError> {
    i64::try_from(v).map_err(|_| PgError::Refused {
        context: format!("postgres write of key {} at version {}", show_key(&w.key), w.version),
        message: format!("version {v} is beyond PostgreSQL's bigint range"),
    })
}

/// An expiry as the database stores it; a time beyond `bigint` is as good
/// as never.
fn expiry(at: Option<u64>) -> Option<i64> {
    at.and_then(|at| i64::try_from(at).ok())
}

impl<'a> Columns<'a> {
    /// The statements the batch needs, in the order of the module
    /// documentation, each with its arrays; those with nothing to do are
    /// left out.
    pub(crate) fn steps(&self) -> Vec<Step<'_>> {
        let (r, p, e) = (self.reset_keys.len(), self.put_keys.len(), self.exp_keys.len());
        let reset = step(r, &keys::RESETS, vec![&self.reset_keys, &self.reset_versions]);
        let puts = step(
            p,
            &strings::PUTS,
            vec![&self.put_keys, &self.put_values, &self.put_versions, &self.put_expiries],
        );
        let expiries =
            step(e, &keys::EXPIRIES, vec![&self.exp_keys, &self.exp_at, &self.exp_versions]);
        [
            reset,
            puts,
            expiries,
            self.hash_sets.step(&hashes::TABLE.sets),
            self.zset_sets.step(&zsets::TABLE.sets),
            self.hash_removals.removal_step(&hashes::TABLE.removals),
            self.zset_removals.removal_step(&zsets::TABLE.removals),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// Splits `batch` into columns; refuses (permanently) a version beyond
    /// `bigint` or a field whose value does not fit its map kind.
    pub(crate) fn split(batch: &'a [Write]) -> Result<Self, PgError> {
        let mut c = Columns::default();
        for w in batch {
            let key: &[u8] = &w.key;
            match &w.change {
                Change::Put(value) => {
                    c.put_keys.push(key);
                    c.put_values.push(value);
                    c.put_versions.push(version(w, w.version)?);
                    c.put_expiries.push(expiry(w.expires_at));
                }
                Change::Delete => {
                    c.reset_keys.push(key);
                    c.reset_versions.push(version(w, w.version)?);
                }
                Change::Patch { kind, reset, fields } => {
                    if let Some(r) = reset {
                        c.reset_keys.push(key);
                        c.reset_versions.push(version(w, *r)?);
                    }
                    c.exp_keys.push(key);
                    c.exp_at.push(expiry(w.expires_at));
                    c.exp_versions.push(version(w, w.version)?);
                    for f in fields {
                        c.push_field(w, *kind, f)?;
                    }
                }
            }
        }
        Ok(c)
    }

    fn push_field(
        &mut self,
        w: &'a Write,
        kind: MapKind,
        f: &'a jotter::FieldChange,
    ) -> Result<(), PgError> {
        let key: &[u8] = &w.key;
        let v = version(w, f.version)?;
        match (&f.value, kind) {
            (Some(FieldValue::Bytes(value)), MapKind::Hash) => {
                self.hash_sets.push(key, &f.field, value, v);
            }
            (Some(FieldValue::Score(score)), MapKind::Scores) => {
                self.zset_sets.push(key, &f.field, *score, v);
            }
            (Some(value), kind) => {
                return Err(PgError::Refused {
                    context: format!(
                        "postgres write of key {} at version {}",
                        show_key(key),
                        w.version
                    ),
                    message: format!(
                        "field {} holds a {} value in a {kind} patch",
                        show_key(&f.field),
                        value.kind()
                    ),
                });
            }
            (None, MapKind::Hash) => self.hash_removals.push_removal(key, &f.field, v),
            (None, MapKind::Scores) => self.zset_removals.push_removal(key, &f.field, v),
        }
        Ok(())
    }
}

/// The keys of a batch, for a message.
pub(crate) fn describe_batch(batch: &[Write]) -> String {
    match batch {
        [one] => format!("postgres write of key {} at version {}", show_key(&one.key), one.version),
        _ => {
            let first: Vec<String> = batch.iter().take(3).map(|w| show_key(&w.key)).collect();
            let more = if batch.len() > 3 { ", ..." } else { "" };
            format!("postgres write of {} keys ({}{more})", batch.len(), first.join(", "))
        }
    }
}
