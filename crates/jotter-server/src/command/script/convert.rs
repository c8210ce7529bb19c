//! Redis's conversions between replies and Lua values, both ways: what
//! `redis.call` hands a script ([`to_lua`]) and what a script's return
//! value replies ([`from_lua`]).
//!
//! A reply reaches Lua as Redis 7.0 converts it: an integer as a number,
//! a bulk string as a string, a nil bulk or nil array as `false`, an array
//! as a table, a status as `{ok=...}`, an error as `{err=...}`. Under
//! `redis.setresp(3)` the RESP3 types arrive too: a map as `{map={...}}`,
//! a set as `{set={member=true}}`, null as `nil`, a boolean as a boolean, a
//! double as `{double=n}`, a big number as `{big_number=s}`.
//!
//! A script's value replies: a number as an integer (truncated), a string
//! as a bulk string, `true` as 1, `false` and `nil` as a nil bulk (RESP3
//! scripts' booleans as booleans), a table with `err` as an error, with
//! `ok` as a status, with `double`/`map`/`set` as those types, and any
//! other table as an array of its elements up to the first `nil`.

use bytes::Bytes;
use jotter_resp::Frame;
use mlua::{Lua, Table, Value};

/// How deep a script's value may nest before the rest replies as nil, as
/// Redis bounds its recursion.
const MAX_DEPTH: usize = 1_000;

/// A reply as a Lua value; `resp3` when it was written in RESP3, where a
/// null is `nil` (in RESP2 a nil bulk or array is `false`).
pub(super) fn to_lua(lua: &Lua, frame: Frame, resp3: bool) -> mlua::Result<Value> {
    Ok(match frame {
        Frame::Integer(n) => Value::Number(n as f64),
        Frame::Bulk(b) | Frame::Verbatim { text: b, .. } => Value::String(lua.create_string(&b)?),
        Frame::Null if resp3 => Value::Nil,
        Frame::Null => Value::Boolean(false),
        Frame::NullArray => Value::Boolean(false),
        Frame::Simple(s) => single(lua, "ok", Value::String(lua.create_string(&s)?))?,
        Frame::Error(e) | Frame::BlobError(e) => {
            single(lua, "err", Value::String(lua.create_string(&e)?))?
        }
        Frame::Array(items) | Frame::Push(items) => {
            let table = lua.create_table_with_capacity(items.len(), 0)?;
            for (i, item) in items.into_iter().enumerate() {
                table.raw_set(i + 1, to_lua(lua, item, resp3)?)?;
            }
            Value::Table(table)
        }
        Frame::Boolean(b) => Value::Boolean(b),
        Frame::Double(d) => single(lua, "double", Value::Number(d))?,
        Frame::BigNumber(digits) => {
            single(lua, "big_number", Value::String(lua.create_string(&digits)?))?
        }
        Frame::Map(pairs) => {
            let map = lua.create_table()?;
            for (k, v) in pairs {
                map.raw_set(to_lua(lua, k, resp3)?, to_lua(lua, v, resp3)?)?;
            }
            single(lua, "map", Value::Table(map))?
        }
        Frame::Set(items) => {
            let set = lua.create_table()?;
            for item in items {
                set.raw_set(to_lua(lua, item, resp3)?, true)?;
            }
            single(lua, "set", Value::Table(set))?
        }
        Frame::Attribute { data, .. } => to_lua(lua, *data, resp3)?,
    })
}

/// `{name=value}`.
fn single(lua: &Lua, name: &str, value: Value) -> mlua::Result<Value> {
    let table = lua.create_table_with_capacity(0, 1)?;
    table.raw_set(name, value)?;
    Ok(Value::Table(table))
}

/// A script's value as its reply. `resp3` is the script's
/// `redis.setresp`: booleans reply as booleans only under 3.
pub(super) fn from_lua(value: &Value, resp3: bool) -> Frame {
    convert(value, resp3, 0)
}

fn convert(value: &Value, resp3: bool, depth: usize) -> Frame {
    if depth > MAX_DEPTH {
        return Frame::Null;
    }
    match value {
        Value::Integer(n) => Frame::Integer(*n),
        // Truncated toward zero, as Redis's `(long long)` cast.
        Value::Number(n) => Frame::Integer(*n as i64),
        Value::String(s) => Frame::Bulk(Bytes::copy_from_slice(&s.as_bytes())),
        Value::Boolean(b) if resp3 => Frame::Boolean(*b),
        Value::Boolean(true) => Frame::Integer(1),
        Value::Table(t) => table(t, resp3, depth),
        _ => Frame::Null,
    }
}

fn table(t: &Table, resp3: bool, depth: usize) -> Frame {
    let field = |name: &str| t.raw_get::<Value>(name).unwrap_or(Value::Nil);
    if let Value::String(e) = field("err") {
        return Frame::Error(Bytes::copy_from_slice(&e.as_bytes()));
    }
    if let Value::String(s) = field("ok") {
        return Frame::Simple(Bytes::copy_from_slice(&s.as_bytes()));
    }
    if let Value::Number(d) = field("double") {
        return Frame::Double(d);
    }
    if let Value::Integer(d) = field("double") {
        return Frame::Double(d as f64);
    }
    if let Value::Table(map) = field("map") {
        let pairs = map
            .pairs::<Value, Value>()
            .filter_map(Result::ok)
            .map(|(k, v)| (convert(&k, resp3, depth + 1), convert(&v, resp3, depth + 1)))
            .collect();
        return Frame::Map(pairs);
    }
    if let Value::Table(set) = field("set") {
        let members = set
            .pairs::<Value, Value>()
            .filter_map(Result::ok)
            .map(|(k, _)| convert(&k, resp3, depth + 1))
            .collect();
        return Frame::Set(members);
    }
    let mut items = Vec::new();
    for i in 1.. {
        match t.raw_get::<Value>(i) {
            Ok(Value::Nil) | Err(_) => break,
            Ok(v) => items.push(convert(&v, resp3, depth + 1)),
        }
    }
    Frame::Array(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(lua: &Lua, frame: Frame) -> Frame {
        from_lua(&to_lua(lua, frame, false).unwrap(), false)
    }

    #[test]
    fn replies_come_back_as_redis_converts_them() {
        let lua = Lua::new();
        assert_eq!(round(&lua, Frame::Integer(-7)), Frame::Integer(-7));
        assert_eq!(round(&lua, Frame::Bulk("a".into())), Frame::Bulk("a".into()));
        assert_eq!(round(&lua, Frame::Simple("OK".into())), Frame::Simple("OK".into()));
        assert_eq!(round(&lua, Frame::Error("ERR x".into())), Frame::Error("ERR x".into()));
        // A nil bulk is false in Lua, and false replies nil.
        assert_eq!(round(&lua, Frame::NullArray), Frame::Null);
        let nested =
            Frame::Array(vec![Frame::Integer(1), Frame::Array(vec![Frame::Bulk("b".into())])]);
        assert_eq!(round(&lua, nested.clone()), nested);
    }

    #[test]
    fn script_values_reply_as_redis_replies_them() {
        let lua = Lua::new();
        let value: Value = lua.load("return {1, 2.9, 'a', true, false, 'after'}").eval().unwrap();
        assert_eq!(
            from_lua(&value, false),
            Frame::Array(vec![
                Frame::Integer(1),
                Frame::Integer(2),
                Frame::Bulk("a".into()),
                Frame::Integer(1),
                Frame::Null,
                Frame::Bulk("after".into()),
            ])
        );
        let value: Value = lua.load("return {1, nil, 3}").eval().unwrap();
        assert_eq!(from_lua(&value, false), Frame::Array(vec![Frame::Integer(1)]));
        let value: Value = lua.load("return false").eval().unwrap();
        assert_eq!(from_lua(&value, true), Frame::Boolean(false));
    }
}
