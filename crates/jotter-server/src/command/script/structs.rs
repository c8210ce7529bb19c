//! The `struct` library Redis loads for scripts (Roberto Ierusalimschy's
//! struct 0.2): `pack(fmt, ...)`, `unpack(fmt, data [, pos])` (the values,
//! then the position after them) and `size(fmt)`. The format: `<` little
//! endian, `>` big, `=` native (little), `!n` align to n (`!` alone: 8);
//! `b`/`B` 1-byte, `h`/`H` 2, `l`/`L` and `T` 8, `i`/`I` n (default 4)
//! signed/unsigned integers; `f` float, `d` double; `s` a zero-terminated
//! string; `cn` n characters (`c0` in unpack: the length is the previous
//! value); `x` a zero byte; spaces are ignored.

use mlua::{Lua, MultiValue, Value, Variadic};

/// Registers the global table `struct`.
pub(super) fn register(lua: &Lua) -> mlua::Result<()> {
    let table = lua.create_table()?;
    table.raw_set("pack", lua.create_function(pack)?)?;
    table.raw_set("unpack", lua.create_function(unpack)?)?;
    table.raw_set(
        "size",
        lua.create_function(|_, fmt: mlua::String| {
            let mut size = 0usize;
            for item in Format::new(&fmt.as_bytes()) {
                let item = item?;
                size += item.padding(size);
                size += match item.kind {
                    Kind::Str => return Err(fail("options 's' has no fixed size")),
                    _ => item.size,
                };
            }
            Ok(size)
        })?,
    )?;
    lua.globals().raw_set("struct", table)
}

fn fail(text: &str) -> mlua::Error {
    mlua::Error::RuntimeError(text.into())
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Int {
        signed: bool,
    },
    Float,
    Double,
    /// Zero-terminated.
    Str,
    /// Fixed length (`size`; 0: as long as the value / the previous value).
    Chars,
    Pad,
}

/// One item of a format, with the state it was read in.
struct Item {
    kind: Kind,
    size: usize,
    little: bool,
    align: usize,
}

impl Item {
    /// The zero bytes before this item at offset `at`.
    fn padding(&self, at: usize) -> usize {
        let align = self.size.min(self.align);
        if align <= 1 || !matches!(self.kind, Kind::Int { .. } | Kind::Float | Kind::Double) {
            return 0;
        }
        (align - at % align) % align
    }
}

/// Reads a format's items in order.
struct Format<'a> {
    fmt: &'a [u8],
    at: usize,
    little: bool,
    align: usize,
}

impl<'a> Format<'a> {
    fn new(fmt: &'a [u8]) -> Self {
        Format { fmt, at: 0, little: true, align: 1 }
    }

    fn number(&mut self) -> Option<usize> {
        let start = self.at;
        while self.fmt.get(self.at).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
        }
        std::str::from_utf8(&self.fmt[start..self.at]).ok()?.parse().ok()
    }
}

impl Iterator for Format<'_> {
    type Item = mlua::Result<Item>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let c = *self.fmt.get(self.at)?;
            self.at += 1;
            let (kind, size) = match c {
                b' ' => continue,
                b'<' | b'=' => {
                    self.little = true;
                    continue;
                }
                b'>' => {
                    self.little = false;
                    continue;
                }
                b'!' => {
                    self.align = self.number().unwrap_or(8);
                    continue;
                }
                b'b' => (Kind::Int { signed: true }, 1),
                b'B' => (Kind::Int { signed: false }, 1),
                b'h' => (Kind::Int { signed: true }, 2),
                b'H' => (Kind::Int { signed: false }, 2),
                b'l' => (Kind::Int { signed: true }, 8),
                b'L' | b'T' => (Kind::Int { signed: false }, 8),
                b'i' | b'I' => {
                    let size = self.number().unwrap_or(4);
                    if !(1..=8).contains(&size) {
                        return Some(Err(fail("integral size out of limits")));
                    }
                    (Kind::Int { signed: c == b'i' }, size)
                }
                b'f' => (Kind::Float, 4),
                b'd' => (Kind::Double, 8),
                b's' => (Kind::Str, 0),
                b'c' => (Kind::Chars, self.number().unwrap_or(1)),
                b'x' => (Kind::Pad, 1),
                other => {
                    let text = format!("invalid format option '{}'", char::from(other));
                    return Some(Err(mlua::Error::RuntimeError(text)));
                }
            };
            return Some(Ok(Item { kind, size, little: self.little, align: self.align }));
        }
    }
}

fn number_arg(value: Option<Value>) -> mlua::Result<f64> {
    match value {
        Some(Value::Integer(n)) => Ok(n as f64),
        Some(Value::Number(n)) => Ok(n),
        Some(Value::String(s)) => s
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| fail("number expected")),
        _ => Err(fail("number expected")),
    }
}

fn pack(lua: &Lua, (fmt, values): (mlua::String, Variadic<Value>)) -> mlua::Result<mlua::String> {
    let mut values = values.into_iter();
    let mut out = Vec::new();
    for item in Format::new(&fmt.as_bytes()) {
        let item = item?;
        out.resize(out.len() + item.padding(out.len()), 0);
        match item.kind {
            Kind::Int { signed } => {
                let n = number_arg(values.next())?;
                let bits = if signed { n as i64 as u64 } else { n as u64 };
                let bytes = bits.to_le_bytes();
                let mut bytes = bytes[..item.size].to_vec();
                if !item.little {
                    bytes.reverse();
                }
                out.extend_from_slice(&bytes);
            }
            Kind::Float => {
                let n = number_arg(values.next())? as f32;
                out.extend_from_slice(&if item.little { n.to_le_bytes() } else { n.to_be_bytes() });
            }
            Kind::Double => {
                let n = number_arg(values.next())?;
                out.extend_from_slice(&if item.little { n.to_le_bytes() } else { n.to_be_bytes() });
            }
            Kind::Str | Kind::Chars => {
                let Some(Value::String(s)) = values.next() else {
                    return Err(fail("string expected"));
                };
                let s = s.as_bytes();
                if item.kind == Kind::Str {
                    out.extend_from_slice(&s);
                    out.push(0);
                } else {
                    let len = if item.size == 0 { s.len() } else { item.size };
                    if s.len() < len {
                        return Err(fail("string too short"));
                    }
                    out.extend_from_slice(&s[..len]);
                }
            }
            Kind::Pad => out.push(0),
        }
    }
    lua.create_string(&out)
}

fn unpack(
    lua: &Lua,
    (fmt, data, pos): (mlua::String, mlua::String, Option<usize>),
) -> mlua::Result<MultiValue> {
    let data = data.as_bytes();
    let mut at =
        pos.unwrap_or(1).checked_sub(1).ok_or_else(|| fail("offset must be 1 or greater"))?;
    let mut values = MultiValue::new();
    let too_short = || fail("data string too short");
    for item in Format::new(&fmt.as_bytes()) {
        let item = item?;
        at += item.padding(at);
        let size = match item.kind {
            Kind::Str => data
                .get(at..)
                .and_then(|rest| rest.iter().position(|&b| b == 0))
                .ok_or_else(too_short)?,
            Kind::Chars if item.size == 0 => match values.pop_back() {
                Some(Value::Number(n)) => n as usize,
                Some(Value::Integer(n)) => n as usize,
                _ => return Err(fail("format 'c0' needs a previous size")),
            },
            _ => item.size,
        };
        let bytes = data.get(at..at + size).ok_or_else(too_short)?;
        match item.kind {
            Kind::Int { signed } => {
                let mut buf = [0u8; 8];
                for (i, &b) in bytes.iter().enumerate() {
                    buf[if item.little { i } else { size - 1 - i }] = b;
                }
                let raw = u64::from_le_bytes(buf);
                let n = if signed && size < 8 {
                    let shift = 64 - 8 * size as u32;
                    ((raw << shift) as i64 >> shift) as f64
                } else if signed {
                    raw as i64 as f64
                } else {
                    raw as f64
                };
                values.push_back(Value::Number(n));
            }
            Kind::Float => {
                let b: [u8; 4] = bytes.try_into().map_err(|_| too_short())?;
                let n = if item.little { f32::from_le_bytes(b) } else { f32::from_be_bytes(b) };
                values.push_back(Value::Number(f64::from(n)));
            }
            Kind::Double => {
                let b: [u8; 8] = bytes.try_into().map_err(|_| too_short())?;
                let n = if item.little { f64::from_le_bytes(b) } else { f64::from_be_bytes(b) };
                values.push_back(Value::Number(n));
            }
            Kind::Str => {
                values.push_back(Value::String(lua.create_string(bytes)?));
                at += 1;
            }
            Kind::Chars => values.push_back(Value::String(lua.create_string(bytes)?)),
            Kind::Pad => {}
        }
        at += size;
    }
    values.push_back(Value::Number((at + 1) as f64));
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `s` in hex, in Lua.
    const HEX: &str = "local function hex(s) return (s:gsub('.', function(c) \
                       return string.format('%02x', c:byte()) end)) end return hex";

    #[test]
    fn packs_and_unpacks_as_the_struct_library() {
        let hex = |code: &str| format!("{HEX}({code})");
        super::super::assert_returns(
            register,
            &[
                (&hex("struct.pack('>I2', 258)"), "0102"),
                (&hex("struct.pack('<i', -2)"), "feffffff"),
                (&hex("struct.pack('!4>bi', 1, 2)"), "0100000000000002"),
                (&hex("struct.pack('s c3', 'hi', 'abcdef')"), "686900616263"),
                ("return tostring(struct.size('>iIhbd'))", "19"),
                ("local a, b, c = struct.unpack('<i2c2', 'abcd') return a .. b .. c", "25185cd5"),
                ("local a, b = struct.unpack('>h', '\\255\\254') return a .. ' ' .. b", "-2 3"),
            ],
        );
    }
}
