//! The `bit` library Redis loads for scripts (LuaBitOp 1.0): bitwise
//! operations on 32-bit integers. Every argument is first normalized as
//! `bit.tobit` does (rounded to an integer, taken modulo 2^32, read as
//! signed), and every result is a signed 32-bit number.

use mlua::{Lua, Table, Variadic};

/// Registers the global table `bit`.
pub(super) fn register(lua: &Lua) -> mlua::Result<()> {
    let bit = lua.create_table()?;
    bit.raw_set("tobit", lua.create_function(|_, x: f64| Ok(tobit(x)))?)?;
    bit.raw_set("bnot", lua.create_function(|_, x: f64| Ok(!tobit(x)))?)?;
    fold(lua, &bit, "band", |a, b| a & b)?;
    fold(lua, &bit, "bor", |a, b| a | b)?;
    fold(lua, &bit, "bxor", |a, b| a ^ b)?;
    shift(lua, &bit, "lshift", |x, n| x.wrapping_shl(n))?;
    shift(lua, &bit, "rshift", |x, n| ((x as u32) >> n) as i32)?;
    shift(lua, &bit, "arshift", |x, n| x >> n)?;
    shift(lua, &bit, "rol", |x, n| x.rotate_left(n))?;
    shift(lua, &bit, "ror", |x, n| x.rotate_right(n))?;
    bit.raw_set("bswap", lua.create_function(|_, x: f64| Ok(tobit(x).swap_bytes()))?)?;
    bit.raw_set("tohex", lua.create_function(|_, (x, n): (f64, Option<f64>)| Ok(tohex(x, n)))?)?;
    lua.globals().raw_set("bit", bit)
}

/// `bit.tobit`: the number as a signed 32-bit integer, LuaBitOp's way
/// (rounded to the nearest, ties to even, then modulo 2^32).
fn tobit(x: f64) -> i32 {
    let rounded = x.round_ties_even();
    if !rounded.is_finite() {
        return 0;
    }
    rounded.rem_euclid(4_294_967_296.0) as u32 as i32
}

/// A function of one or more numbers, folded with `op`.
fn fold(lua: &Lua, bit: &Table, name: &str, op: fn(i32, i32) -> i32) -> mlua::Result<()> {
    let f = lua.create_function(move |_, (first, rest): (f64, Variadic<f64>)| {
        Ok(rest.iter().fold(tobit(first), |acc, &x| op(acc, tobit(x))))
    })?;
    bit.raw_set(name, f)
}

/// A shift or rotation by the low five bits of the count.
fn shift(lua: &Lua, bit: &Table, name: &str, op: fn(i32, u32) -> i32) -> mlua::Result<()> {
    let f =
        lua.create_function(move |_, (x, n): (f64, f64)| Ok(op(tobit(x), tobit(n) as u32 & 31)))?;
    bit.raw_set(name, f)
}

/// `bit.tohex(x [, n])`: the low `|n|` hex digits (8 by default),
/// uppercase when `n` is negative.
fn tohex(x: f64, n: Option<f64>) -> String {
    let n = n.map_or(8, tobit);
    let upper = n < 0;
    let digits = n.unsigned_abs().clamp(1, 8) as usize;
    let value = tobit(x) as u32 as u64 & ((1u64 << (digits * 4)) - 1);
    if upper { format!("{value:0digits$X}") } else { format!("{value:0digits$x}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_follow_luabitop() {
        super::super::assert_returns(
            register,
            &[
                ("return tostring(bit.tobit(0xffffffff))", "-1"),
                ("return tostring(bit.tobit(2^32 + 5))", "5"),
                ("return tostring(bit.band(0xff, 0x0f, 0x3))", "3"),
                ("return tostring(bit.bor(1, 2, 4))", "7"),
                ("return tostring(bit.bxor(5, 1))", "4"),
                ("return tostring(bit.bnot(0))", "-1"),
                ("return tostring(bit.lshift(1, 31))", "-2147483648"),
                ("return tostring(bit.rshift(-1, 28))", "15"),
                ("return tostring(bit.arshift(-256, 4))", "-16"),
                ("return tostring(bit.rol(0x12345678, 8))", "878082066"),
                ("return tostring(bit.tohex(255))", "000000ff"),
                ("return tostring(bit.tohex(255, -2))", "FF"),
                ("return tostring(bit.tohex(-1, 4))", "ffff"),
                ("return tostring(bit.bswap(0x12345678))", "2018915346"),
            ],
        );
    }
}
