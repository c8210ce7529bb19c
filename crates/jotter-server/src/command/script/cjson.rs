//! The `cjson` library Redis loads for scripts (lua-cjson 2.1): `encode`,
//! `decode` and `null`, written as lua-cjson writes them. A table whose
//! keys are exactly 1..n is an array (an empty table is `{}`), any other an
//! object whose number keys become strings; numbers are written as Lua
//! prints them (`%.14g`), `/` is escaped as `\/`; JSON null decodes to
//! `cjson.null`. Object keys decode in sorted order, where lua-cjson keeps
//! the text's (a Lua table has no order of its own either way).

use mlua::{LightUserData, Lua, Table, Value};

/// Deepest nesting encoded or decoded, as lua-cjson's default.
const MAX_DEPTH: usize = 1000;

/// Registers the global table `cjson`.
pub(super) fn register(lua: &Lua) -> mlua::Result<()> {
    let cjson = lua.create_table()?;
    cjson.raw_set("null", null())?;
    cjson.raw_set(
        "encode",
        lua.create_function(|lua, value: Value| {
            let mut out = String::new();
            encode(lua, &value, 0, &mut out)?;
            Ok(out)
        })?,
    )?;
    cjson.raw_set(
        "decode",
        lua.create_function(|lua, text: mlua::String| {
            let parsed: serde_json::Value =
                serde_json::from_slice(&text.as_bytes()).map_err(|e| {
                    mlua::Error::RuntimeError(format!(
                        "Expected value but found invalid token: {e}"
                    ))
                })?;
            decode(lua, parsed, 0)
        })?,
    )?;
    lua.globals().raw_set("cjson", cjson)
}

/// `cjson.null`: lua-cjson's NULL light userdata.
fn null() -> Value {
    Value::LightUserData(LightUserData(std::ptr::null_mut()))
}

fn error(text: String) -> mlua::Error {
    mlua::Error::RuntimeError(text)
}

fn encode(lua: &Lua, value: &Value, depth: usize, out: &mut String) -> mlua::Result<()> {
    match value {
        Value::Nil => out.push_str("null"),
        Value::LightUserData(ud) if ud.0.is_null() => out.push_str("null"),
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Integer(_) | Value::Number(_) => out.push_str(&number(lua, value)?),
        Value::String(s) => string(&s.as_bytes(), out),
        Value::Table(t) => {
            if depth >= MAX_DEPTH {
                return Err(error(format!("Cannot serialise, excessive nesting ({})", depth + 1)));
            }
            table(lua, t, depth, out)?;
        }
        other => {
            return Err(error(format!(
                "Cannot serialise {}: type not supported",
                other.type_name()
            )));
        }
    }
    Ok(())
}

/// A number as Lua prints it (`%.14g`); infinity and NaN are refused.
fn number(lua: &Lua, value: &Value) -> mlua::Result<String> {
    let n = match value {
        Value::Integer(n) => *n as f64,
        Value::Number(n) => *n,
        _ => 0.0,
    };
    if !n.is_finite() {
        return Err(error("Cannot serialise number: must not be NaN or Inf".into()));
    }
    Ok(lua.coerce_string(value.clone())?.map(|s| s.to_string_lossy()).unwrap_or_default())
}

fn string(bytes: &[u8], out: &mut String) {
    out.push('"');
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '/' => out.push_str("\\/"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                }
                c => out.push(c),
            }
        }
        // Bytes that are not UTF-8 pass through as lua-cjson passes them;
        // a Rust string cannot hold them, so they are replaced.
        for _ in chunk.invalid() {
            out.push('\u{fffd}');
        }
    }
    out.push('"');
}

fn table(lua: &Lua, t: &Table, depth: usize, out: &mut String) -> mlua::Result<()> {
    let mut count = 0usize;
    let mut max = 0usize;
    let mut array = true;
    for pair in t.pairs::<Value, Value>() {
        let (k, _) = pair?;
        count += 1;
        match k {
            Value::Integer(i) if i >= 1 => max = max.max(i as usize),
            Value::Number(n) if n >= 1.0 && n.fract() == 0.0 => max = max.max(n as usize),
            _ => array = false,
        }
    }
    if array && count > 0 {
        if max > count * 2 && max > 10 {
            return Err(error("Cannot serialise table: excessively sparse array".into()));
        }
        out.push('[');
        for i in 1..=max {
            if i > 1 {
                out.push(',');
            }
            encode(lua, &t.raw_get::<Value>(i)?, depth + 1, out)?;
        }
        out.push(']');
        return Ok(());
    }
    out.push('{');
    let mut first = true;
    for pair in t.pairs::<Value, Value>() {
        let (k, v) = pair?;
        if !first {
            out.push(',');
        }
        first = false;
        match &k {
            Value::String(s) => string(&s.as_bytes(), out),
            Value::Integer(_) | Value::Number(_) => string(number(lua, &k)?.as_bytes(), out),
            _ => {
                return Err(error(
                    "Cannot serialise table: table key must be a number or string".into(),
                ));
            }
        }
        out.push(':');
        encode(lua, &v, depth + 1, out)?;
    }
    out.push('}');
    Ok(())
}

fn decode(lua: &Lua, value: serde_json::Value, depth: usize) -> mlua::Result<Value> {
    if depth > MAX_DEPTH {
        return Err(error(format!("Found too many nested data structures ({depth})")));
    }
    Ok(match value {
        serde_json::Value::Null => null(),
        serde_json::Value::Bool(b) => Value::Boolean(b),
        serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(0.0)),
        serde_json::Value::String(s) => Value::String(lua.create_string(&s)?),
        serde_json::Value::Array(items) => {
            let t = lua.create_table_with_capacity(items.len(), 0)?;
            for (i, item) in items.into_iter().enumerate() {
                t.raw_set(i + 1, decode(lua, item, depth + 1)?)?;
            }
            Value::Table(t)
        }
        serde_json::Value::Object(map) => {
            let t = lua.create_table_with_capacity(0, map.len())?;
            for (k, v) in map {
                t.raw_set(k, decode(lua, v, depth + 1)?)?;
            }
            Value::Table(t)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_and_decodes_as_lua_cjson() {
        super::super::assert_returns(
            register,
            &[
                (
                    "return cjson.encode({1, 2.5, 'a/b', true, cjson.null})",
                    r#"[1,2.5,"a\/b",true,null]"#,
                ),
                ("return cjson.encode({})", "{}"),
                ("return cjson.encode({a = {x = 1}})", r#"{"a":{"x":1}}"#),
                ("return cjson.encode('line\\n\\1')", r#""line\n\u0001""#),
                ("return cjson.encode(1/3)", "0.33333333333333"),
                (
                    "local t = cjson.decode('{\"a\":[1,2,{\"b\":null}]}') return tostring(t.a[2]) .. tostring(t.a[3].b == cjson.null)",
                    "2true",
                ),
            ],
        );
        let lua = Lua::new();
        register(&lua).unwrap();
        assert!(lua.load("return cjson.encode({[1] = 1, [100] = 2})").eval::<String>().is_err());
        assert!(lua.load("return cjson.decode('{')").eval::<Value>().is_err());
    }
}
