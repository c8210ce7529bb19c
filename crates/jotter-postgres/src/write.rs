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
//! `schema::zsets`, `schema::sets`).
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
//! 4. Each map table's `sets` (in the order of `schema::maps`: hashes,
//!    sorted sets, then sets): field rows at least the reset version, newer than
//!    the field's tombstone and row; a set removes the tombstone.
//! 5. Each map table's `removals`, in the same order: field tombstones
//!    under the same conditions; a removal drops the row.
//! 6. [`TRIM`](crate::schema::streams::TRIM): each patched stream's entry
//!    rows at or below its stored trim watermark, in one range delete.

use jotter::{Change, MapKind, Write};

use tokio_postgres::types::ToSql;

use crate::error::{PgError, show_key};
use crate::schema::{MapTable, ValueColumn, keys, maps, streams, strings};

/// A statement and its parameters.
pub(crate) type Step<'a> = (&'static str, Vec<&'a (dyn ToSql + Sync)>);

/// A batch split into columns, one group per statement.
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

    /// Each map table's field sets and removals, in the order of
    /// `schema::maps`.
    pub maps: Vec<MapColumns<'a>>,

    /// The stream keys patched, whose trim watermark is applied last.
    pub stream_keys: Vec<&'a [u8]>,
}

/// The arrays of one map table: its field sets (`$1` keys, `$2` fields,
/// `$3` values, `$4` versions) and its removals (the same without values).
pub(crate) struct MapColumns<'a> {
    table: &'static MapTable,
    sets: FieldColumns<'a>,
    values: ValueColumn<'a>,
    removals: FieldColumns<'a>,
}

/// Keys, fields and versions, one array each.
#[derive(Default)]
pub(crate) struct FieldColumns<'a> {
    pub keys: Vec<&'a [u8]>,
    pub fields: Vec<&'a [u8]>,
    pub versions: Vec<i64>,
}

impl<'a> FieldColumns<'a> {
    fn push(&mut self, key: &'a [u8], field: &'a [u8], version: i64) {
        self.keys.push(key);
        self.fields.push(field);
        self.versions.push(version);
    }
}

impl MapColumns<'_> {
    /// The step of the table's field sets, if it has rows.
    fn sets_step(&self) -> Option<Step<'_>> {
        let s = &self.sets;
        let params: Vec<&(dyn ToSql + Sync)> = if self.table.has_values {
            vec![&s.keys, &s.fields, &self.values, &s.versions]
        } else {
            vec![&s.keys, &s.fields, &s.versions]
        };
        step(s.keys.len(), &self.table.sets, params)
    }

    /// The step of the table's field removals, if it has rows.
    fn removals_step(&self) -> Option<Step<'_>> {
        let r = &self.removals;
        step(r.keys.len(), &self.table.removals, vec![&r.keys, &r.fields, &r.versions])
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
        let sets = self.maps.iter().map(MapColumns::sets_step);
        let removals = self.maps.iter().map(MapColumns::removals_step);
        let trims = step(self.stream_keys.len(), &streams::TRIM, vec![&self.stream_keys]);
        [reset, puts, expiries]
            .into_iter()
            .chain(sets)
            .chain(removals)
            .chain([trims])
            .flatten()
            .collect()
    }

    /// No rows yet, with a group for each map table.
    fn new() -> Self {
        Columns {
            reset_keys: Vec::new(),
            reset_versions: Vec::new(),
            put_keys: Vec::new(),
            put_values: Vec::new(),
            put_versions: Vec::new(),
            put_expiries: Vec::new(),
            exp_keys: Vec::new(),
            exp_at: Vec::new(),
            exp_versions: Vec::new(),
            maps: maps()
                .into_iter()
                .map(|table| MapColumns {
                    table,
                    sets: FieldColumns::default(),
                    values: ValueColumn::default(),
                    removals: FieldColumns::default(),
                })
                .collect(),
            stream_keys: Vec::new(),
        }
    }

    /// Splits `batch` into columns; refuses (permanently) a version beyond
    /// `bigint` or a field whose value does not fit its map kind.
    pub(crate) fn split(batch: &'a [Write]) -> Result<Self, PgError> {
        let mut c = Columns::new();
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
                    if *kind == MapKind::Stream {
                        c.stream_keys.push(key);
                    }
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
        let map = self
            .maps
            .iter_mut()
            .find(|m| m.table.kind == kind && (m.table.holds)(&f.field))
            .expect("every map kind has its table in schema::maps()");
        let Some(value) = &f.value else {
            map.removals.push(key, &f.field, v);
            return Ok(());
        };
        match (map.table.to_column)(value) {
            Some(column) if map.values.push(column) => map.sets.push(key, &f.field, v),
            _ => {
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
