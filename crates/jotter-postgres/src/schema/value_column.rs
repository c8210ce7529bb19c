//! A map table's value column as one array parameter of a statement: the
//! values of a batch's field sets for one table, all of the column's SQL
//! type (`bytea` for a hash's values, `float8` for a sorted set's scores;
//! a set's table has no value column, and its statement no such array).
//!
//! A map type's module says how one of its field values goes into its
//! column ([`ColumnValue`]); the batch gathers them here, and the array
//! goes to PostgreSQL as the type the statement casts it to.

use std::error::Error;

use bytes::BytesMut;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};

/// One field value as its table's value column holds it.
#[derive(Clone, Copy)]
pub(crate) enum ColumnValue<'a> {
    Bytea(&'a [u8]),
    Float8(f64),
    /// The value of a table without a value column: nothing to send.
    Absent,
}

/// The values of one table's field sets, in the order of their fields.
#[derive(Debug, Default)]
pub(crate) enum ValueColumn<'a> {
    /// No value yet (a statement with no rows is never sent).
    #[default]
    Empty,
    Bytea(Vec<&'a [u8]>),
    Float8(Vec<f64>),
}

impl<'a> ValueColumn<'a> {
    /// Appends `value`; false, appending nothing, if it is not of the type
    /// the column already holds. An absent value leaves an empty column
    /// empty (the statement takes no values).
    pub(crate) fn push(&mut self, value: ColumnValue<'a>) -> bool {
        match (&mut *self, value) {
            (ValueColumn::Empty, ColumnValue::Absent) => {}
            (ValueColumn::Empty, ColumnValue::Bytea(b)) => *self = ValueColumn::Bytea(vec![b]),
            (ValueColumn::Empty, ColumnValue::Float8(f)) => *self = ValueColumn::Float8(vec![f]),
            (ValueColumn::Bytea(values), ColumnValue::Bytea(b)) => values.push(b),
            (ValueColumn::Float8(values), ColumnValue::Float8(f)) => values.push(f),
            _ => return false,
        }
        true
    }
}

impl ToSql for ValueColumn<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        // Each variant checks the statement's type itself, so an array of
        // one type never goes out as another.
        match self {
            ValueColumn::Empty => Vec::<f64>::new().to_sql_checked(ty, out),
            ValueColumn::Bytea(values) => values.to_sql_checked(ty, out),
            ValueColumn::Float8(values) => values.to_sql_checked(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        <Vec<&[u8]> as ToSql>::accepts(ty) || <Vec<f64> as ToSql>::accepts(ty)
    }

    to_sql_checked!();
}
