//! A geo mapping: a geo set (a sorted set whose scores are geohashes, as
//! GEOADD writes them) as rows of the user's table, one per member, with
//! the member's position in a longitude and a latitude column.
//!
//! A member written becomes its row (inserted, or updated through the
//! unique constraint over the key and member columns that the start-up
//! check requires), its position decoded from its score exactly as GEOPOS
//! gives it ([`jotter::geohash::position`]); a member removed (ZREM) deletes
//! its row; a delete or a reset of the key deletes the key's rows. A load
//! turns the rows back into the sorted set, each score encoded from the
//! row's position as GEOADD does ([`jotter::geohash::score_of`]): the
//! centre of a cell encodes to the same cell, so GEOPOS, GEODIST and the
//! searches answer after a load exactly as before. A row whose position
//! is `NULL` or beyond Redis's limits (one written by SQL) stands for no
//! position and is left out.
//!
//! A score no GEOADD writes (ZADD can write any, as `1.5` or `-3`) stands
//! for no position: such a write is refused when the engine accepts it
//! ([`check`]), so the client is told at once.
//!
//! Versions follow the module documentation's rules, per member: the key's
//! reset version, and each member's version under a field of its own (see
//! the `versions` module). A write reads the versions of the members it
//! names only, so a write to a large geo set costs its own members.

use std::collections::HashMap;

use bytes::Bytes;
use deadpool_postgres::Transaction;
use jotter::geohash::{is_score, position, score_of};
use jotter::{Change, Entry, FieldValue, MapKind, StoreError, Value, Write};

use super::admit::wrong_shape;
use super::checked::{Checked, refuse};
use super::geo_sql::GeoSql;
use super::versions::{FORGET, MEMBER_VERSIONS, NEWER_MEMBERS, SET_MEMBER_VERSIONS, SET_VERSIONS};
use crate::PostgresStore;
use crate::error::{PgError, show_key};
use crate::write::version;

fn sql(m: &Checked) -> &GeoSql {
    m.geo.as_ref().expect("a geo mapping has its statements")
}

/// Refuses a write into geo mapping `m` that its table cannot take: one of
/// another shape, a member its column cannot hold, a score that is no
/// position.
pub(super) fn check(m: &Checked, w: &Write) -> Result<(), PgError> {
    let fields = match &w.change {
        Change::Delete => return Ok(()),
        Change::Patch { kind: MapKind::Scores, fields, .. } => fields,
        _ => return Err(wrong_shape(m, w)),
    };
    let member = m.columns.values().next().expect("a geo mapping names its member column");
    for f in fields {
        if let Some(why) = member.fits.refuses(&f.field) {
            return Err(refuse(
                w,
                m,
                format!(
                    "member {} does not fit member column {}.{} ({}): {why}",
                    show_key(&f.field),
                    m.mapping.table,
                    member.name,
                    member.actual
                ),
            ));
        }
        match &f.value {
            None => {}
            Some(FieldValue::Score(s)) => score_is_position(m, w, &f.field, *s)?,
            Some(_) => return Err(wrong_shape(m, w)),
        }
    }
    Ok(())
}

/// Refuses score `s` of `member` unless it stands for a position.
fn score_is_position(m: &Checked, w: &Write, member: &[u8], s: f64) -> Result<(), PgError> {
    if is_score(s) {
        return Ok(());
    }
    Err(refuse(
        w,
        m,
        format!(
            "member {} has score {s}, which is not a geohash (GEOADD writes integers from 0 to \
             2^52-1); table {} holds positions, which cannot keep it",
            show_key(member),
            m.mapping.table
        ),
    ))
}

/// Applies write `w` of geo mapping `m` inside `tx`, whose advisory lock
/// on the key is held.
pub(super) async fn apply(tx: &Transaction<'_>, m: &Checked, w: &Write) -> Result<(), PgError> {
    let context = || {
        format!(
            "postgres write of key {} at version {} into table {}",
            show_key(&w.key),
            w.version,
            m.mapping.table
        )
    };
    let (reset, fields) = match &w.change {
        Change::Delete => (Some(w.version), &[][..]),
        Change::Patch { kind: MapKind::Scores, reset, fields } => (*reset, &fields[..]),
        _ => return Err(wrong_shape(m, w)),
    };
    let tbl: &str = &m.mapping.table;
    let key: &[u8] = &w.key;
    let suffix: &[u8] = &key[m.prefix.len()..];
    let named: Vec<&[u8]> = fields.iter().map(|f| &f.field[..]).collect();
    let rows =
        tx.query(&*MEMBER_VERSIONS, &[&tbl, &key, &named]).await.map_err(PgError::db(context()))?;
    let mut key_reset = 0_i64;
    let mut versions: HashMap<&[u8], i64> = HashMap::with_capacity(rows.len());
    for row in &rows {
        match row.get::<_, Option<&[u8]>>(0) {
            Some(member) => {
                versions.insert(member, row.get(1));
            }
            None => key_reset = row.get(1),
        }
    }
    if let Some(r) = reset {
        let v = version(w, r)?;
        if v > key_reset {
            let db = PgError::db(context());
            reset_key(tx, m, key, suffix, v).await.map_err(db)?;
            key_reset = v;
            versions.retain(|_, mv| *mv > v);
        }
    }
    let mut put = Put::default();
    let mut removed: Vec<&[u8]> = Vec::new();
    let mut applied: (Vec<&[u8]>, Vec<i64>) = (Vec::new(), Vec::new());
    for f in fields {
        let v = version(w, f.version)?;
        if v < key_reset || v <= versions.get(&f.field[..]).copied().unwrap_or(0) {
            continue;
        }
        match &f.value {
            None => removed.push(&f.field),
            Some(FieldValue::Score(s)) => {
                score_is_position(m, w, &f.field, *s)?;
                let (lon, lat) = position(*s);
                put.members.push(&f.field);
                put.lons.push(lon);
                put.lats.push(lat);
            }
            Some(_) => return Err(wrong_shape(m, w)),
        }
        applied.0.push(&f.field);
        applied.1.push(v);
    }
    let geo = sql(m);
    if !removed.is_empty() {
        tx.execute(&geo.remove, &[&suffix, &removed]).await.map_err(PgError::db(context()))?;
    }
    if !put.members.is_empty() {
        tx.execute(&geo.upsert, &[&suffix, &put.members, &put.lons, &put.lats])
            .await
            .map_err(PgError::db(context()))?;
    }
    if !applied.0.is_empty() {
        tx.execute(&*SET_MEMBER_VERSIONS, &[&tbl, &key, &applied.0, &applied.1])
            .await
            .map_err(PgError::db(context()))?;
    }
    Ok(())
}

/// The rows a write puts: members and their positions, as array
/// parameters.
#[derive(Default)]
struct Put<'a> {
    members: Vec<&'a [u8]>,
    lons: Vec<f64>,
    lats: Vec<f64>,
}

/// Resets `key` at version `v` (newer than its reset version): its rows go
/// but those of members written after `v`, whose versions stay; the older
/// versions are forgotten.
async fn reset_key(
    tx: &Transaction<'_>,
    m: &Checked,
    key: &[u8],
    suffix: &[u8],
    v: i64,
) -> Result<(), tokio_postgres::Error> {
    let tbl: &str = &m.mapping.table;
    let newer: Vec<String> =
        tx.query(&*NEWER_MEMBERS, &[&tbl, &key, &v]).await?.iter().map(|r| r.get(0)).collect();
    if newer.is_empty() {
        tx.execute(&m.delete, &[&suffix]).await?;
    } else {
        tx.execute(&sql(m).keep, &[&suffix, &newer]).await?;
    }
    tx.execute(&*FORGET, &[&tbl, &key, &v]).await?;
    tx.execute(&*SET_VERSIONS, &[&tbl, &key, &vec![""], &vec![v]]).await?;
    Ok(())
}

/// The geo set of mapped key `key` (of geo mapping `m`), from its rows;
/// `None` if it has none with a position.
pub(super) async fn load(
    inner: &PostgresStore,
    m: &Checked,
    key: &Bytes,
) -> Result<Option<Entry>, StoreError> {
    let context =
        || format!("postgres load of key {} from table {}", show_key(key), m.mapping.table);
    let client = inner.client(&context()).await?;
    let stmt = client.prepare_cached(&sql(m).load).await.map_err(PgError::db(context()))?;
    let suffix: &[u8] = &key[m.prefix.len()..];
    let rows = match client.query(&stmt, &[&suffix]).await {
        Ok(rows) => rows,
        // The suffix does not convert to the key column: no row has it.
        Err(e) if e.code().is_some_and(|c| c.code().starts_with("22")) => return Ok(None),
        Err(e) => return Err(PgError::db(context())(e).into()),
    };
    let mut members = Vec::with_capacity(rows.len());
    for row in &rows {
        let member: &[u8] = row.try_get(0).map_err(PgError::db(context()))?;
        let lon: Option<f64> = row.try_get(1).map_err(PgError::db(context()))?;
        let lat: Option<f64> = row.try_get(2).map_err(PgError::db(context()))?;
        if let Some(score) = lon.zip(lat).and_then(|(lon, lat)| score_of(lon, lat)) {
            // Exact: a score has 52 bits.
            members.push((Bytes::copy_from_slice(member), FieldValue::Score(score as f64)));
        }
    }
    Ok(Value::map_of(MapKind::Scores, members).map(Entry::new))
}
