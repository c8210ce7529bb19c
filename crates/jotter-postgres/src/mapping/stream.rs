//! A stream mapping's write: each entry a stream patch adds becomes one row
//! of the user's table, appended (`INSERT ... ON CONFLICT DO NOTHING`, so a
//! replayed entry, whose id a unique constraint covers, is skipped), and
//! each entry it removes (XDEL) deletes its row. Trims never reach the
//! table: they are a watermark in the stream's metadata, which the wrapped
//! store applies to its own copy (see `jotter::Stream`). Nor does a delete
//! or a rewrite of the key (DEL, RENAME, a reset): the table keeps every
//! event; as the rows carry no versions, an entry is appended whatever its
//! write's version, and the id's unique constraint keeps a replay from
//! adding it twice. The stream's metadata and groups are the wrapped
//! store's.
//!
//! A patch with many entries (at least [`COPY_ABOVE`]) is sent by binary
//! `COPY` into a temporary table of the connection, then appended from
//! there in one statement, as the wrapped store does its large batches of
//! puts; a smaller one as array parameters (the statements are
//! `stream_sql`'s).

use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use deadpool_postgres::Transaction;
use jotter::{FieldChange, FieldValue, StreamId, Write, stream_entry};
use tokio_postgres::types::{ToSql, Type};

use super::admit;
use super::checked::{Checked, refuse};
use super::stream_sql::StreamSql;
use crate::error::PgError;
use crate::schema::strings::COPY_ABOVE;

/// One entry's row: its id as text, its milliseconds, a value per column.
struct Row {
    id: Vec<u8>,
    ms: Option<i64>,
    values: Vec<Option<Bytes>>,
}

/// What a stream patch does to the table: the rows it appends, the ids it
/// removes.
pub(super) struct Changes {
    rows: Vec<Row>,
    removals: Vec<Vec<u8>>,
}

fn id_text(id: StreamId) -> Vec<u8> {
    id.to_string().into_bytes()
}

impl Changes {
    /// The entries of `fields` (of write `w`); the stream's other fields
    /// are the wrapped store's.
    pub(super) fn of(m: &Checked, w: &Write, fields: &[FieldChange]) -> Result<Self, PgError> {
        let mut out = Changes { rows: Vec::new(), removals: Vec::new() };
        let sql = m.stream.as_ref().expect("a stream mapping has its statements");
        for f in fields {
            let Some(id) = StreamId::from_bytes(&f.field) else { continue };
            let value = match &f.value {
                None => {
                    out.removals.push(id_text(id));
                    continue;
                }
                Some(FieldValue::Stream(value)) => value,
                Some(_) => return Err(admit::wrong_shape(m, w)),
            };
            let Some((_, flat)) = stream_entry(&f.field, value) else {
                return Err(refuse(
                    w,
                    m,
                    format!("entry {id} cannot be read as field/value pairs"),
                ));
            };
            let mut values: Vec<Option<Bytes>> = vec![None; sql.columns];
            for pair in flat.chunks(2) {
                let [name, v] = pair else { continue };
                let column = admit::column_of(m, w, name)?;
                let at = m.columns.keys().position(|c| *c == column.name).expect("a column of m");
                // A field named twice in one entry: the last value, as a
                // hash field written twice.
                values[at] = Some(v.clone());
            }
            out.rows.push(Row { id: id_text(id), ms: i64::try_from(id.ms).ok(), values });
        }
        Ok(out)
    }

    /// Removes and appends the rows of key suffix `suffix` inside `tx`;
    /// counts in `copied` the rows sent by `COPY`.
    pub(super) async fn write(
        &self,
        tx: &Transaction<'_>,
        m: &Checked,
        suffix: &[u8],
        copied: &AtomicU64,
    ) -> Result<(), tokio_postgres::Error> {
        let sql = m.stream.as_ref().expect("a stream mapping has its statements");
        for id in &self.removals {
            let id: &[u8] = id;
            tx.execute(&sql.remove, &[&suffix, &id]).await?;
        }
        if self.rows.is_empty() {
            return Ok(());
        }
        if self.rows.len() >= COPY_ABOVE {
            self.write_staged(tx, sql, suffix).await?;
            copied.fetch_add(self.rows.len() as u64, Ordering::Relaxed);
            return Ok(());
        }
        let keys: Vec<&[u8]> = vec![suffix; self.rows.len()];
        let ids: Vec<&[u8]> = self.rows.iter().map(|r| &r.id[..]).collect();
        let ms: Vec<Option<i64>> = self.rows.iter().map(|r| r.ms).collect();
        let columns: Vec<Vec<Option<&[u8]>>> = (0..sql.columns)
            .map(|i| self.rows.iter().map(|r| r.values[i].as_deref()).collect())
            .collect();
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&keys, &ids, &ms];
        params.extend(columns.iter().map(|c| c as &(dyn ToSql + Sync)));
        let stmt = tx.prepare_cached(&sql.append).await?;
        tx.execute(&stmt, &params).await?;
        Ok(())
    }

    async fn write_staged(
        &self,
        tx: &Transaction<'_>,
        sql: &StreamSql,
        suffix: &[u8],
    ) -> Result<(), tokio_postgres::Error> {
        use tokio_postgres::binary_copy::BinaryCopyInWriter;
        tx.batch_execute(&sql.stage).await?;
        let mut types = vec![Type::BYTEA, Type::BYTEA, Type::INT8];
        types.extend(std::iter::repeat_n(Type::BYTEA, sql.columns));
        let sink = tx.copy_in(&sql.copy).await?;
        let writer = BinaryCopyInWriter::new(sink, &types);
        let mut writer = std::pin::pin!(writer);
        for r in &self.rows {
            let id: &[u8] = &r.id;
            let mut row: Vec<&(dyn ToSql + Sync)> = vec![&suffix, &id, &r.ms];
            let values: Vec<Option<&[u8]>> = r.values.iter().map(Option::as_deref).collect();
            row.extend(values.iter().map(|v| v as &(dyn ToSql + Sync)));
            writer.as_mut().write(&row).await?;
        }
        writer.finish().await?;
        tx.execute(&sql.append_staged, &[]).await?;
        Ok(())
    }
}
