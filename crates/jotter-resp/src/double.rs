//! Doubles spelled byte for byte as Redis spells them.
//!
//! Redis writes doubles two ways, and clients show the text to people (`ZSCORE` gives `"1.5"`,
//! not `"1.50000"`), so both are reproduced:
//!
//! - [`format()`]: double replies (`ZSCORE`, `ZINCRBY`, `ZADD ... INCR`, scores `WITHSCORES`), as
//!   Redis 7.0's `addReplyDouble`: C's `%.17g` (17 significant digits, trailing zeros dropped,
//!   exponent form below 1e-4 and from 1e17), `inf` and `-inf` spelled out. `1.5` → `1.5`,
//!   `10` → `10`, `0.1` → `0.10000000000000001`, `1e20` → `1e+20`.
//! - [`format_human()`]: `INCRBYFLOAT` and `HINCRBYFLOAT` results, as Redis's `ld2string` in its
//!   human mode (`%.17Lf`, trailing zeros dropped, `-0` as `0`, never an exponent). Redis
//!   computes these in `long double`; this crate formats an `f64`, spelled by its shortest
//!   round-trip decimal, so `10.5` → `10.5` and `1e20` → `100000000000000000000` as in Redis.
//!
//! Both write into a fixed buffer on the stack: formatting a reply allocates nothing.

use std::fmt::{self, Write};

/// Room for any `%.17g` text; the longest is 24 bytes (`-2.2250738585072014e-308`).
const G17_CAPACITY: usize = 32;

/// Room for any human text; the longest is `-` and the 309 integer digits of `f64::MAX`.
const HUMAN_CAPACITY: usize = 320;

/// The text of one formatted double, held on the stack in `CAPACITY` bytes.
#[derive(Clone, Copy)]
pub struct DoubleText<const CAPACITY: usize> {
    bytes: [u8; CAPACITY],
    len: usize,
}

impl<const CAPACITY: usize> DoubleText<CAPACITY> {
    const fn new() -> Self {
        Self { bytes: [0; CAPACITY], len: 0 }
    }

    fn from_str(text: &str) -> Self {
        let mut out = Self::new();
        out.push(text.as_bytes());
        out
    }

    /// The text as bytes, ready for the wire.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever written, so this cannot fail.
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }

    /// Appends `bytes`, dropping what does not fit (nothing ever does not: see the capacities).
    fn push(&mut self, bytes: &[u8]) {
        let room = CAPACITY - self.len;
        let taken = bytes.len().min(room);
        self.bytes[self.len..self.len + taken].copy_from_slice(&bytes[..taken]);
        self.len += taken;
    }
}

impl<const CAPACITY: usize> Write for DoubleText<CAPACITY> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        if text.len() > CAPACITY - self.len {
            return Err(fmt::Error);
        }
        self.push(text.as_bytes());
        Ok(())
    }
}

impl<const CAPACITY: usize> AsRef<[u8]> for DoubleText<CAPACITY> {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl<const CAPACITY: usize> fmt::Debug for DoubleText<CAPACITY> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl<const CAPACITY: usize> fmt::Display for DoubleText<CAPACITY> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<const CAPACITY: usize> PartialEq for DoubleText<CAPACITY> {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl<const CAPACITY: usize> Eq for DoubleText<CAPACITY> {}

/// The spelling of NaN and the infinities, which C libraries do not agree on.
fn non_finite<const CAPACITY: usize>(value: f64) -> Option<DoubleText<CAPACITY>> {
    if value.is_nan() {
        Some(DoubleText::from_str("nan"))
    } else if value.is_infinite() {
        Some(DoubleText::from_str(if value > 0.0 { "inf" } else { "-inf" }))
    } else {
        None
    }
}

/// `value` as Redis writes a double reply: C's `%.17g`, with `inf`, `-inf` and `nan`.
///
/// ```
/// use jotter_resp::double::format;
///
/// assert_eq!(format(1.5).as_str(), "1.5");
/// assert_eq!(format(10.0).as_str(), "10");
/// assert_eq!(format(0.1).as_str(), "0.10000000000000001");
/// assert_eq!(format(1e20).as_str(), "1e+20");
/// assert_eq!(format(-0.00001).as_str(), "-1.0000000000000001e-05");
/// assert_eq!(format(f64::NEG_INFINITY).as_str(), "-inf");
/// ```
#[must_use]
pub fn format(value: f64) -> DoubleText<G17_CAPACITY> {
    if let Some(text) = non_finite(value) {
        return text;
    }
    if let Some(text) = small_integer(value) {
        return text;
    }
    // Rust's `{:.16e}` rounds exactly to 17 significant digits, as glibc's printf does; `%g`
    // only decides where the point goes and drops trailing zeros.
    let mut scientific = DoubleText::<G17_CAPACITY>::new();
    if write!(scientific, "{value:.16e}").is_err() {
        return scientific;
    }
    let text = scientific.as_bytes();
    let (negative, text) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let mut digits = [b'0'; 17];
    let mut count = 0;
    let mut exponent_text: &[u8] = &[];
    for (at, &byte) in text.iter().enumerate() {
        match byte {
            b'0'..=b'9' if count < digits.len() => {
                digits[count] = byte;
                count += 1;
            }
            b'e' => {
                exponent_text = &text[at + 1..];
                break;
            }
            _ => {}
        }
    }
    let exponent = parse_exponent(exponent_text);
    // Significant digits without trailing zeros (at least one).
    let mut significant = digits.len();
    while significant > 1 && digits[significant - 1] == b'0' {
        significant -= 1;
    }
    let digits = &digits[..significant];

    let mut out = DoubleText::new();
    if negative {
        out.push(b"-");
    }
    if (-4..17).contains(&exponent) {
        if exponent >= 0 {
            let integer_digits = exponent.unsigned_abs() as usize + 1;
            if digits.len() <= integer_digits {
                out.push(digits);
                for _ in digits.len()..integer_digits {
                    out.push(b"0");
                }
            } else {
                out.push(&digits[..integer_digits]);
                out.push(b".");
                out.push(&digits[integer_digits..]);
            }
        } else {
            out.push(b"0.");
            for _ in 1..exponent.unsigned_abs() {
                out.push(b"0");
            }
            out.push(digits);
        }
    } else {
        out.push(&digits[..1]);
        if digits.len() > 1 {
            out.push(b".");
            out.push(&digits[1..]);
        }
        out.push(if exponent < 0 { b"e-" } else { b"e+" });
        // C writes at least two exponent digits.
        if exponent.unsigned_abs() < 10 {
            out.push(b"0");
        }
        out.push(itoa::Buffer::new().format(exponent.unsigned_abs()).as_bytes());
    }
    out
}

/// Integral values below 1e17 (scores are often whole numbers) print as the integer under
/// `%.17g`, and `itoa` writes them several times faster than exact float formatting (Redis's
/// `d2string` takes the same shortcut).
fn small_integer(value: f64) -> Option<DoubleText<G17_CAPACITY>> {
    const LIMIT: f64 = 1e17;
    if value.fract() != 0.0 || value.abs() >= LIMIT {
        return None;
    }
    if value == 0.0 {
        return Some(DoubleText::from_str(if value.is_sign_negative() { "-0" } else { "0" }));
    }
    // Exact: the value is integral and below 1e17 in magnitude, well inside i64.
    let integer = value as i64;
    Some(DoubleText::from_str(itoa::Buffer::new().format(integer)))
}

/// The decimal exponent Rust wrote after `e`: an optional `-`, then digits.
fn parse_exponent(text: &[u8]) -> i32 {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let magnitude =
        digits.iter().fold(0_i32, |acc, digit| acc * 10 + i32::from(digit.wrapping_sub(b'0')));
    if negative { -magnitude } else { magnitude }
}

/// `value` as Redis writes an `INCRBYFLOAT` result: plain decimal, at most 17 digits after the
/// point, no trailing zeros, `-0` as `0`.
///
/// ```
/// use jotter_resp::double::format_human;
///
/// assert_eq!(format_human(10.5).as_str(), "10.5");
/// assert_eq!(format_human(3.0).as_str(), "3");
/// assert_eq!(format_human(5.0e3).as_str(), "5000");
/// assert_eq!(format_human(1e20).as_str(), "100000000000000000000");
/// assert_eq!(format_human(-0.0).as_str(), "0");
/// ```
#[must_use]
pub fn format_human(value: f64) -> DoubleText<HUMAN_CAPACITY> {
    if let Some(text) = non_finite(value) {
        return text;
    }
    // Rust's `{}` is the shortest text that reads back as the same f64, never in exponent form.
    let mut out = DoubleText::new();
    if write!(out, "{value}").is_err() {
        return out;
    }
    let decimals = out.as_bytes().iter().position(|&b| b == b'.').map(|point| out.len - point - 1);
    if decimals.is_some_and(|decimals| decimals > 17) {
        // Redis prints 17 decimals (`%.17Lf`); beyond that the digits are rounded away.
        out = DoubleText::new();
        if write!(out, "{value:.17}").is_err() {
            return out;
        }
        while out.as_bytes().last() == Some(&b'0') {
            out.len -= 1;
        }
        if out.as_bytes().last() == Some(&b'.') {
            out.len -= 1;
        }
    }
    if out.as_bytes() == b"-0" {
        out = DoubleText::from_str("0");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{format, format_human};

    #[test]
    fn g17_examples() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (1.5, "1.5"),
            (10.0, "10"),
            (-3.25, "-3.25"),
            (0.1, "0.10000000000000001"),
            (1e16, "10000000000000000"),
            (1e17, "1e+17"),
            (1e20, "1e+20"),
            (123_456_789_012_345_680.0, "1.2345678901234568e+17"),
            (0.0001, "0.0001"),
            (0.00001, "1.0000000000000001e-05"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (5e-324, "4.9406564584124654e-324"),
            (99_999_999_999_999_999.0, "1e+17"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
        ];
        for &(value, expected) in cases {
            assert_eq!(format(value).as_str(), expected, "{value:e}");
        }
    }

    #[test]
    fn human_examples() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "0"),
            (10.5, "10.5"),
            (3.0, "3"),
            (-2.5, "-2.5"),
            (0.1, "0.1"),
            (5.0e3, "5000"),
            (1e20, "100000000000000000000"),
            (1e-17, "0.00000000000000001"),
            (1e-18, "0"),
            (-1e-20, "0"),
            (1.5e-10, "0.00000000015"),
            (f64::INFINITY, "inf"),
        ];
        for &(value, expected) in cases {
            assert_eq!(format_human(value).as_str(), expected, "{value:e}");
        }
        assert_eq!(format_human(f64::MAX).as_str().len(), 309);
    }
}
