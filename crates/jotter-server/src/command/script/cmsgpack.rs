//! The `cmsgpack` library Redis loads for scripts (lua-cmsgpack 0.4):
//! `pack(...)` writes each value as MessagePack, one after the other;
//! `unpack(data)` reads them all back. Encodings are lua-cmsgpack's: the
//! smallest integer form for whole numbers, float32 when a number survives
//! it and float64 otherwise, str8/16/32 strings, a table whose keys are
//! exactly 1..n as an array and any other as a map, and nil past 16 levels
//! of nesting.

use mlua::{Lua, MultiValue, Table, Value};

/// lua-cmsgpack's nesting limit: deeper tables are written as nil.
const MAX_NESTING: usize = 16;

/// Registers the global table `cmsgpack`.
pub(super) fn register(lua: &Lua) -> mlua::Result<()> {
    let cmsgpack = lua.create_table()?;
    cmsgpack.raw_set(
        "pack",
        lua.create_function(|lua, values: MultiValue| {
            if values.is_empty() {
                return Err(mlua::Error::RuntimeError("MessagePack pack needs input.".into()));
            }
            let mut out = Vec::new();
            for value in values.iter() {
                encode(value, 0, &mut out)?;
            }
            lua.create_string(&out)
        })?,
    )?;
    cmsgpack.raw_set(
        "unpack",
        lua.create_function(|lua, data: mlua::String| {
            let data = data.as_bytes();
            let mut reader = Reader { data: &data, at: 0 };
            let mut values = MultiValue::new();
            while reader.at < data.len() {
                values.push_back(reader.value(lua, 0)?);
            }
            Ok(values)
        })?,
    )?;
    lua.globals().raw_set("cmsgpack", cmsgpack)
}

fn encode(value: &Value, depth: usize, out: &mut Vec<u8>) -> mlua::Result<()> {
    match value {
        Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Integer(n) => integer(*n, out),
        Value::Number(n) => number(*n, out),
        Value::String(s) => string(&s.as_bytes(), out),
        Value::Table(t) if depth < MAX_NESTING => table(t, depth, out)?,
        _ => out.push(0xc0),
    }
    Ok(())
}

fn number(n: f64, out: &mut Vec<u8>) {
    if n.fract() == 0.0 && n >= i64::MIN as f64 && n < i64::MAX as f64 {
        return integer(n as i64, out);
    }
    if f64::from(n as f32) == n || n.is_nan() {
        out.push(0xca);
        out.extend_from_slice(&(n as f32).to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn integer(n: i64, out: &mut Vec<u8>) {
    if n >= 0 {
        let n = n as u64;
        match n {
            0..=127 => out.push(n as u8),
            128..=0xff => out.extend_from_slice(&[0xcc, n as u8]),
            0x100..=0xffff => {
                out.push(0xcd);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            0x1_0000..=0xffff_ffff => {
                out.push(0xce);
                out.extend_from_slice(&(n as u32).to_be_bytes());
            }
            _ => {
                out.push(0xcf);
                out.extend_from_slice(&n.to_be_bytes());
            }
        }
    } else if n >= -32 {
        out.push(n as i8 as u8);
    } else if n >= i64::from(i8::MIN) {
        out.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= i64::from(i16::MIN) {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= i64::from(i32::MIN) {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn string(s: &[u8], out: &mut Vec<u8>) {
    let len = s.len();
    if len < 32 {
        out.push(0xa0 | len as u8);
    } else if len <= 0xff {
        out.extend_from_slice(&[0xd9, len as u8]);
    } else if len <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(s);
}

/// An array or map header of `len` entries: `fix` is the fixed form's tag,
/// `wide` the 16-bit form's (the 32-bit form's is the next).
fn header(len: usize, fix: u8, wide: u8, out: &mut Vec<u8>) {
    if len < 16 {
        out.push(fix | len as u8);
    } else if len <= 0xffff {
        out.push(wide);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(wide + 1);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

fn table(t: &Table, depth: usize, out: &mut Vec<u8>) -> mlua::Result<()> {
    let mut count = 0usize;
    let mut max = 0f64;
    let mut array = true;
    for pair in t.pairs::<Value, Value>() {
        let (k, _) = pair?;
        count += 1;
        match k {
            Value::Integer(i) if i >= 1 => max = max.max(i as f64),
            Value::Number(n) if n >= 1.0 && n.fract() == 0.0 => max = max.max(n),
            _ => array = false,
        }
    }
    if array && max as usize == count {
        header(count, 0x90, 0xdc, out);
        for i in 1..=count {
            encode(&t.raw_get::<Value>(i)?, depth + 1, out)?;
        }
        return Ok(());
    }
    header(count, 0x80, 0xde, out);
    for pair in t.pairs::<Value, Value>() {
        let (k, v) = pair?;
        encode(&k, depth + 1, out)?;
        encode(&v, depth + 1, out)?;
    }
    Ok(())
}

/// Reads MessagePack values front to back.
struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

/// The width of a str8/16/32 or bin8/16/32 length.
fn width(tag: u8) -> usize {
    match tag {
        0xc4 | 0xd9 => 1,
        0xc5 | 0xda => 2,
        _ => 4,
    }
}

fn bad() -> mlua::Error {
    mlua::Error::RuntimeError("Missing bytes in input.".into())
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> mlua::Result<&[u8]> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.data.len()).ok_or_else(bad)?;
        let taken = &self.data[self.at..end];
        self.at = end;
        Ok(taken)
    }

    fn uint(&mut self, n: usize) -> mlua::Result<u64> {
        Ok(self.take(n)?.iter().fold(0u64, |acc, &b| acc << 8 | u64::from(b)))
    }

    fn value(&mut self, lua: &Lua, depth: usize) -> mlua::Result<Value> {
        let tag = self.take(1)?[0];
        let number = |n: f64| Value::Number(n);
        Ok(match tag {
            0x00..=0x7f => number(f64::from(tag)),
            0x80..=0x8f => self.map(lua, usize::from(tag & 0x0f), depth)?,
            0x90..=0x9f => self.array(lua, usize::from(tag & 0x0f), depth)?,
            0xa0..=0xbf => self.text(lua, usize::from(tag & 0x1f))?,
            0xc0 => Value::Nil,
            0xc2 => Value::Boolean(false),
            0xc3 => Value::Boolean(true),
            0xc4..=0xc6 | 0xd9..=0xdb => {
                let n = self.uint(width(tag))? as usize;
                self.text(lua, n)?
            }
            0xca => number(f64::from(f32::from_bits(self.uint(4)? as u32))),
            0xcb => number(f64::from_bits(self.uint(8)?)),
            0xcc => number(self.uint(1)? as f64),
            0xcd => number(self.uint(2)? as f64),
            0xce => number(self.uint(4)? as f64),
            0xcf => number(self.uint(8)? as f64),
            0xd0 => number(f64::from(self.uint(1)? as u8 as i8)),
            0xd1 => number(f64::from(self.uint(2)? as u16 as i16)),
            0xd2 => number(f64::from(self.uint(4)? as u32 as i32)),
            0xd3 => number(self.uint(8)? as i64 as f64),
            0xdc..=0xdf => {
                let n = self.uint(if tag & 1 == 0 { 2 } else { 4 })? as usize;
                if tag < 0xde { self.array(lua, n, depth)? } else { self.map(lua, n, depth)? }
            }
            0xe0..=0xff => number(f64::from(tag as i8)),
            _ => return Err(mlua::Error::RuntimeError("Bad data format in input.".into())),
        })
    }

    fn text(&mut self, lua: &Lua, n: usize) -> mlua::Result<Value> {
        let bytes = self.take(n)?;
        Ok(Value::String(lua.create_string(bytes)?))
    }

    fn array(&mut self, lua: &Lua, n: usize, depth: usize) -> mlua::Result<Value> {
        let t = lua.create_table()?;
        for i in 1..=n {
            t.raw_set(i, self.value(lua, depth + 1)?)?;
        }
        Ok(Value::Table(t))
    }

    fn map(&mut self, lua: &Lua, n: usize, depth: usize) -> mlua::Result<Value> {
        let t = lua.create_table()?;
        for _ in 0..n {
            let k = self.value(lua, depth + 1)?;
            let v = self.value(lua, depth + 1)?;
            if !matches!(k, Value::Nil) {
                t.raw_set(k, v)?;
            }
        }
        Ok(Value::Table(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_pack_as_lua_cmsgpack_and_unpack_back() {
        let lua = Lua::new();
        register(&lua).unwrap();
        let hex: String = lua
            .load(
                "local s = cmsgpack.pack(1, -1, 200, -200, 'ab', {1, 2}, {a = true}, 1.5, 0.1) \
                 return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))",
            )
            .eval()
            .unwrap();
        assert_eq!(hex, "01ffccc8d1ff38a2616292010281a161c3ca3fc00000cb3fb999999999999a");
        let back: String = lua
            .load(
                "local a, b, c = cmsgpack.unpack(cmsgpack.pack({1, {x = 'y'}}, -70000, 'z')) \
                 return a[2].x .. b .. c",
            )
            .eval()
            .unwrap();
        assert_eq!(back, "y-70000z");
    }
}
