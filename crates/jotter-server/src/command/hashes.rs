//! Hash commands (Redis 7.0's `hash` group): HSET, HSETNX, HMSET, HGET,
//! HMGET, HDEL, HLEN, HSTRLEN, HEXISTS, HKEYS, HVALS, HGETALL, HINCRBY,
//! HINCRBYFLOAT, HRANDFIELD and HSCAN, with Redis's reply shapes in RESP2
//! and RESP3 and its error texts.
//!
//! A hash is the engine's [`MapKind::Hash`] map: fields are written with
//! [`Txn::set_fields`], so a changed field costs one row in the store, the
//! key keeps its expiry, and removing the last field removes the key.
//!
//! Where this differs from Redis:
//!
//! - Fields are kept sorted, so HKEYS, HVALS, HGETALL and HSCAN list them in
//!   byte order, not in Redis's insertion or hash-table order.
//! - HSCAN's cursor is the index of the next field in that order. A hash
//!   small enough to be a listpack in Redis (at most 128 fields, every field
//!   and value at most 64 bytes) is returned whole with cursor 0, as Redis
//!   does; a larger one is returned COUNT fields at a time. A field added
//!   or removed before the cursor's position during a scan shifts the
//!   positions after it, so such a field may be returned twice or a field
//!   missed; fields present for the whole scan and not before the cursor
//!   are returned (a removal before the cursor can skip one).
//! - HINCRBYFLOAT computes in `f64` where Redis uses `long double`: an
//!   increment or a result beyond `f64`'s range (about 1.8e308) is an error
//!   here, and the last digits of a result may differ.

use std::collections::BTreeMap;

use bytes::Bytes;
use jotter::{FieldValue, MapKind, Txn, Value};
use jotter_resp::{Protocol, ReplyWriter, Request};

use super::args::{parse_f64, parse_i64};
use super::fail::{self, Fail, Outcome};
use super::glob::glob_match;
use super::spec::{Spec, data, flag};

const GROUP: &str = "hash";

const WRITE: u16 = flag::WRITE | flag::DENYOOM | flag::FAST;
const READ_FAST: u16 = flag::READONLY | flag::FAST;

pub(super) const SPECS: &[Spec] = &[
    Spec::new("hset", -4, WRITE, GROUP, "Creates or modifies the value of a field in a hash.", "2.0.0", data(hset)).keys(1, 1, 1),
    Spec::new("hsetnx", 4, WRITE, GROUP, "Sets the value of a field in a hash only when the field doesn't exist.", "2.0.0", data(hsetnx)).keys(1, 1, 1),
    Spec::new("hmset", -4, WRITE, GROUP, "Sets the values of multiple fields.", "2.0.0", data(hmset)).keys(1, 1, 1),
    Spec::new("hget", 3, READ_FAST, GROUP, "Returns the value of a field in a hash.", "2.0.0", data(hget)).keys(1, 1, 1),
    Spec::new("hmget", -3, READ_FAST, GROUP, "Returns the values of all fields in a hash.", "2.0.0", data(hmget)).keys(1, 1, 1),
    Spec::new("hdel", -3, flag::WRITE | flag::FAST, GROUP, "Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain.", "2.0.0", data(hdel)).keys(1, 1, 1),
    Spec::new("hlen", 2, READ_FAST, GROUP, "Returns the number of fields in a hash.", "2.0.0", data(hlen)).keys(1, 1, 1),
    Spec::new("hstrlen", 3, READ_FAST, GROUP, "Returns the length of the value of a field.", "3.2.0", data(hstrlen)).keys(1, 1, 1),
    Spec::new("hexists", 3, READ_FAST, GROUP, "Determines whether a field exists in a hash.", "2.0.0", data(hexists)).keys(1, 1, 1),
    Spec::new("hkeys", 2, flag::READONLY, GROUP, "Returns all fields in a hash.", "2.0.0", data(hkeys)).keys(1, 1, 1),
    Spec::new("hvals", 2, flag::READONLY, GROUP, "Returns all values in a hash.", "2.0.0", data(hvals)).keys(1, 1, 1),
    Spec::new("hgetall", 2, flag::READONLY, GROUP, "Returns all fields and values in a hash.", "2.0.0", data(hgetall)).keys(1, 1, 1),
    Spec::new("hincrby", 4, WRITE, GROUP, "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist.", "2.0.0", data(hincrby)).keys(1, 1, 1),
    Spec::new("hincrbyfloat", 4, WRITE, GROUP, "Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist.", "2.6.0", data(hincrbyfloat)).keys(1, 1, 1),
    Spec::new("hrandfield", -2, flag::READONLY, GROUP, "Returns one or more random fields from a hash.", "6.2.0", data(hrandfield)).keys(1, 1, 1),
    Spec::new("hscan", -3, flag::READONLY, GROUP, "Iterates over fields and values of a hash.", "2.8.0", data(hscan)).keys(1, 1, 1),
];

type Map = BTreeMap<Bytes, Bytes>;

/// The hash at `key`: `None` if absent, WRONGTYPE if it holds another shape.
fn hash<'t>(txn: &'t Txn<'_>, key: &[u8]) -> Result<Option<&'t Map>, Fail> {
    match txn.get(key) {
        None => Ok(None),
        Some(Value::Hash(map)) => Ok(Some(map)),
        Some(_) => Err(fail::wrong_type()),
    }
}

/// Sets `field` to `value` in the hash at `key`.
fn set_one(txn: &mut Txn<'_>, key: &[u8], field: Bytes, value: Bytes) -> Outcome {
    txn.set_fields(key, MapKind::Hash, [(field, Some(FieldValue::Bytes(value)))])?;
    Ok(())
}

fn hset(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let created = set_pairs(req, txn, "hset")?;
    w.integer(count(created));
    Ok(())
}

fn hmset(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    set_pairs(req, txn, "hmset")?;
    w.ok();
    Ok(())
}

/// HSET and HMSET: sets the field/value pairs from argument 2 on; the
/// number of fields created.
fn set_pairs(req: &Request, txn: &mut Txn<'_>, name: &str) -> Result<usize, Fail> {
    if req.len() % 2 == 1 {
        return Err(fail::arity(name));
    }
    let key = key(req);
    let before = hash(txn, key)?.map_or(0, Map::len);
    // Later pairs win over earlier ones for the same field (as collecting
    // into the op's map does).
    let pairs = (2..req.len()).step_by(2).map(|i| {
        let value = req.arg_bytes(i + 1).unwrap_or_default();
        (req.arg_bytes(i).unwrap_or_default(), Some(FieldValue::Bytes(value)))
    });
    txn.set_fields(key, MapKind::Hash, pairs)?;
    // Fields are only added or replaced: the growth is what was created,
    // counted without looking each field up in a large hash.
    Ok(hash(txn, key)?.map_or(0, Map::len) - before)
}

fn hsetnx(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let key = key(req);
    let field = arg(req, 2);
    if hash(txn, key)?.is_some_and(|m| m.contains_key(field)) {
        w.integer(0);
    } else {
        let value = req.arg_bytes(3).unwrap_or_default();
        set_one(txn, key, Bytes::copy_from_slice(field), value)?;
        w.integer(1);
    }
    Ok(())
}

fn hget(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    w.bulk_or_null(hash(txn, key(req))?.and_then(|m| m.get(arg(req, 2))).map(Bytes::as_ref));
    Ok(())
}

fn hmget(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let map = hash(txn, key(req))?;
    w.array(req.len() - 2);
    for field in req.args().skip(2) {
        w.bulk_or_null(map.and_then(|m| m.get(field)).map(Bytes::as_ref));
    }
    Ok(())
}

fn hdel(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let key = key(req);
    let removed: Map = match hash(txn, key)? {
        None => Map::new(),
        Some(map) => req
            .args()
            .skip(2)
            .filter_map(|f| map.get_key_value(f))
            .map(|(f, v)| (f.clone(), v.clone()))
            .collect(),
    };
    let n = removed.len();
    txn.set_fields(key, MapKind::Hash, removed.into_keys().map(|f| (f, None)))?;
    w.integer(count(n));
    Ok(())
}

fn hlen(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    w.integer(count(hash(txn, key(req))?.map_or(0, BTreeMap::len)));
    Ok(())
}

fn hstrlen(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    w.integer(count(hash(txn, key(req))?.and_then(|m| m.get(arg(req, 2))).map_or(0, Bytes::len)));
    Ok(())
}

fn hexists(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    w.integer(i64::from(hash(txn, key(req))?.is_some_and(|m| m.contains_key(arg(req, 2)))));
    Ok(())
}

fn hkeys(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    list(req, txn, w, true)
}

fn hvals(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    list(req, txn, w, false)
}

/// HKEYS (`fields`) and HVALS: the fields or the values, in field order.
fn list(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>, fields: bool) -> Outcome {
    let map = hash(txn, key(req))?;
    w.array(map.map_or(0, BTreeMap::len));
    for (field, value) in map.into_iter().flatten() {
        w.bulk(if fields { field } else { value });
    }
    Ok(())
}

fn hgetall(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let map = hash(txn, key(req))?;
    w.map(map.map_or(0, BTreeMap::len));
    for (field, value) in map.into_iter().flatten() {
        w.bulk(field);
        w.bulk(value);
    }
    Ok(())
}

fn key(req: &Request) -> &[u8] {
    req.arg(1).unwrap_or_default()
}

fn arg(req: &Request, i: usize) -> &[u8] {
    req.arg(i).unwrap_or_default()
}

/// A length as a RESP integer.
fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn hincrby(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let key = req.arg(1).unwrap_or_default();
    let field = req.arg_bytes(2).unwrap_or_default();
    let incr = parse_i64(req.arg(3).unwrap_or_default()).ok_or_else(fail::not_integer)?;
    let current = match hash(txn, key)?.and_then(|m| m.get(&field)) {
        None => 0,
        Some(value) => {
            parse_i64(value).ok_or_else(|| fail::error("ERR hash value is not an integer"))?
        }
    };
    let total = current
        .checked_add(incr)
        .ok_or_else(|| fail::error("ERR increment or decrement would overflow"))?;
    set_one(txn, key, field, Bytes::from(total.to_string()))?;
    w.integer(total);
    Ok(())
}

fn hincrbyfloat(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let key = req.arg(1).unwrap_or_default();
    let field = req.arg_bytes(2).unwrap_or_default();
    let incr = parse_f64(req.arg(3).unwrap_or_default()).ok_or_else(fail::not_float)?;
    if !incr.is_finite() {
        return Err(fail::error("ERR value is NaN or Infinity"));
    }
    let current = match hash(txn, key)?.and_then(|m| m.get(&field)) {
        None => 0.0,
        Some(value) => {
            parse_f64(value).ok_or_else(|| fail::error("ERR hash value is not a float"))?
        }
    };
    let total = current + incr;
    if !total.is_finite() {
        return Err(fail::error("ERR increment would produce NaN or Infinity"));
    }
    // Redis stores and replies the human form, as a bulk string in RESP3 too.
    let text = jotter_resp::double::format_human(total);
    let text = text.as_bytes();
    set_one(txn, key, field, Bytes::copy_from_slice(text))?;
    w.bulk(text);
    Ok(())
}

fn hrandfield(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let key = req.arg(1).unwrap_or_default();
    if req.len() == 2 {
        match hash(txn, key)? {
            None => w.null(),
            Some(map) => {
                let (field, _) = map.iter().nth(fastrand::usize(..map.len())).expect("in range");
                w.bulk(field);
            }
        }
        return Ok(());
    }
    let n = parse_i64(req.arg(2).unwrap_or_default()).ok_or_else(fail::not_integer)?;
    if n == i64::MIN {
        return Err(fail::error(
            "ERR value is out of range, value must between -9223372036854775807 and \
             9223372036854775807",
        ));
    }
    let with_values = match req.len() {
        3 => false,
        4 if req.arg(3).unwrap_or_default().eq_ignore_ascii_case(b"withvalues") => true,
        _ => return Err(fail::syntax()),
    };
    if with_values && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&n) {
        return Err(fail::error("ERR value is out of range"));
    }
    let Some(map) = hash(txn, key)? else {
        w.array(0);
        return Ok(());
    };
    let entries: Vec<(&Bytes, &Bytes)> = map.iter().collect();
    let wanted = usize::try_from(n.unsigned_abs()).unwrap_or(usize::MAX);
    let emit = |w: &mut ReplyWriter<'_>, (field, value): (&Bytes, &Bytes)| {
        if with_values && w.protocol() == Protocol::Resp3 {
            w.array(2);
        }
        w.bulk(field);
        if with_values {
            w.bulk(value);
        }
    };
    let header = |w: &mut ReplyWriter<'_>, len: usize| {
        if with_values && w.protocol() == Protocol::Resp2 {
            w.array(len * 2);
        } else {
            w.array(len);
        }
    };
    if n < 0 || wanted == 1 {
        // Repeats allowed: each pick is drawn from the whole hash.
        header(w, wanted);
        for _ in 0..wanted {
            emit(w, entries[fastrand::usize(..entries.len())]);
        }
    } else if wanted >= entries.len() {
        header(w, entries.len());
        for &entry in &entries {
            emit(w, entry);
        }
    } else {
        // Distinct fields in random order.
        header(w, wanted);
        for i in super::sample::distinct(entries.len(), wanted) {
            emit(w, entries[i]);
        }
    }
    Ok(())
}

/// Redis's listpack limits (`hash-max-listpack-entries` and
/// `hash-max-listpack-value`): a hash within them is scanned in one reply.
const LISTPACK_ENTRIES: usize = 128;
const LISTPACK_VALUE: usize = 64;

fn hscan(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let key = req.arg(1).unwrap_or_default();
    let cursor = super::args::parse_scan_cursor(req.arg(2).unwrap_or_default())
        .ok_or_else(|| fail::error("ERR invalid cursor"))?;
    let Some(map) = hash(txn, key)? else {
        // Redis replies before it reads the options of an absent key.
        crate::command::scan::nothing(w);
        return Ok(());
    };
    let (count, pattern) = crate::command::scan::options(req, 3)?;
    let small = map.len() <= LISTPACK_ENTRIES
        && map.iter().all(|(f, v)| f.len() <= LISTPACK_VALUE && v.len() <= LISTPACK_VALUE);
    let (start, take) =
        if small { (0, map.len()) } else { (usize::try_from(cursor).unwrap_or(usize::MAX), count) };
    let page: Vec<(&Bytes, &Bytes)> = map
        .iter()
        .skip(start)
        .take(take)
        .filter(|(f, _)| pattern.is_none_or(|p| glob_match(p, f, false)))
        .collect();
    let next = if small { 0 } else { start.saturating_add(take) };
    let next = if next >= map.len() { 0 } else { next };
    w.array(2);
    w.bulk(itoa::Buffer::new().format(next).as_bytes());
    w.array(page.len() * 2);
    for (field, value) in page {
        w.bulk(field);
        w.bulk(value);
    }
    Ok(())
}
