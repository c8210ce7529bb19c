//! Refusing at the door a mapped write the user's table cannot take.
//!
//! The start-up check reads each mapped column's type from the catalog
//! (`character varying(20)`, `integer`, ...). From those facts alone, with
//! no round trip, [`check`] tells a write that cannot fit: a field with no
//! column, a write of the wrong shape, text that is not UTF-8 or holds a NUL
//! (PostgreSQL text cannot), a value longer than a `varchar(n)` or
//! `char(n)` column, or one that is not a number, an integer in the
//! column's range, or a boolean where the column needs one. The engine
//! calls it when it accepts the write ([`jotter::Store::check`]), so the
//! client is told at once, naming the column, instead of the write being
//! acknowledged and dead-lettered when it is flushed.
//!
//! It refuses only what PostgreSQL would refuse for sure; what it cannot
//! judge without the database (a `numeric` precision, a timestamp's
//! format, JSON, a constraint) is left to the flush, where a refused value
//! is still dead-lettered with the column named.

use jotter::{Change, FieldValue, MapKind, Write};

use super::checked::{Checked, refuse};
use super::column::Column;
use super::definition::Shape;
use crate::error::{PgError, show_key};

/// Refuses `w` if table `m` can be known not to take it.
pub(super) fn check(m: &Checked, w: &Write) -> Result<(), PgError> {
    let suffix = &w.key[m.prefix.len()..];
    if let Some(why) = m.key.fits.refuses(suffix) {
        return Err(refuse(
            w,
            m,
            format!(
                "the key's suffix {} does not fit key column {}.{} ({}): {why}",
                show_key(suffix),
                m.mapping.table,
                m.key.name,
                m.key.actual
            ),
        ));
    }
    match (&w.change, &m.mapping.shape) {
        (Change::Delete, _) => Ok(()),
        (Change::Put(value), Shape::String { .. }) => {
            let column = m.columns.values().next().expect("a string mapping has one column");
            value_fits(m, w, column, column.name.as_bytes(), value)
        }
        (Change::Patch { kind: MapKind::Hash, fields, .. }, Shape::Hash(_)) => {
            for f in fields {
                let column = column_of(m, w, &f.field)?;
                if let Some(v) = &f.value {
                    let value = v.hash_bytes().ok_or_else(|| wrong_shape(m, w))?;
                    value_fits(m, w, column, &f.field, value)?;
                }
            }
            Ok(())
        }
        (Change::Patch { kind: MapKind::Stream, fields, .. }, Shape::Stream { .. }) => {
            for f in fields {
                let Some(FieldValue::Stream(value)) = &f.value else { continue };
                let Some((_, flat)) = jotter::stream_entry(&f.field, value) else { continue };
                for pair in flat.chunks(2) {
                    if let [name, value] = pair {
                        value_fits(m, w, column_of(m, w, name)?, name, value)?;
                    }
                }
            }
            Ok(())
        }
        _ => Err(wrong_shape(m, w)),
    }
}

fn value_fits(
    m: &Checked,
    w: &Write,
    column: &Column,
    field: &[u8],
    value: &[u8],
) -> Result<(), PgError> {
    match column.fits.refuses(value) {
        None => Ok(()),
        Some(why) => Err(refuse(
            w,
            m,
            format!(
                "field {} → column {}.{} ({}): the value ({} bytes) does not fit: {why}",
                show_key(field),
                m.mapping.table,
                column.name,
                column.actual,
                value.len()
            ),
        )),
    }
}

/// The column of hash or stream entry field `field`, or the error that it
/// has none.
pub(super) fn column_of<'m>(
    m: &'m Checked,
    w: &Write,
    field: &[u8],
) -> Result<&'m Column, PgError> {
    std::str::from_utf8(field).ok().and_then(|name| m.columns.get(name)).ok_or_else(|| {
        refuse(
            w,
            m,
            format!(
                "field {} has no column in table {} (the mapping {:?} names only {})",
                show_key(field),
                m.mapping.table,
                m.mapping.pattern,
                m.columns.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        )
    })
}

/// The error for a write of another shape than the mapping's.
pub(super) fn wrong_shape(m: &Checked, w: &Write) -> PgError {
    let what = match &w.change {
        Change::Put(_) => "a string",
        Change::Patch { kind: MapKind::Hash, fields, .. }
            if fields.iter().any(|f| matches!(f.value, Some(FieldValue::Score(_)))) =>
        {
            "a scored member"
        }
        Change::Patch { kind: MapKind::Hash, .. } => "a hash",
        Change::Patch { kind: MapKind::Scores, .. } => "a sorted set",
        Change::Patch { kind: MapKind::Stream, .. } => "a stream",
        Change::Patch { kind: MapKind::Set, .. } => "a set",
        Change::Patch { kind: MapKind::List, .. } => "a list",
        Change::Delete => "a delete",
    };
    let mapped = match m.mapping.shape {
        Shape::Hash(_) => "hash",
        Shape::String { .. } => "string",
        Shape::Stream { .. } => "stream",
        Shape::Geo { .. } => "geo set",
    };
    refuse(
        w,
        m,
        format!(
            "the mapping {:?} takes {mapped} keys; {what} cannot be written into table {}",
            m.mapping.pattern, m.mapping.table
        ),
    )
}
