//! Parsing of command arguments as Redis 7.0 reads them: integers
//! (`string2ll`), floats (`string2d`, and `strtod` for score bounds), scan
//! cursors, score and lex bounds of the sorted-set range commands
//! (ZRANGE/ZRANGEBYSCORE/ZRANGEBYLEX/ZCOUNT/ZLEXCOUNT/ZREMRANGEBY*), rank
//! and GETRANGE windows, and LIMIT.
//!
//! Everything here is pure and mirrors Redis 7.0 exactly, quirks included;
//! each item names the C function it reproduces. Notable quirks:
//!
//! * Score bounds go through bare `strtod` (`zslParseRange`): leading
//!   whitespace, hex floats and overflow to ±inf are accepted, and an empty
//!   bound (`""` or `"("`) parses as 0 because `strtod` converts nothing and
//!   the end pointer then sits on the terminating NUL.
//! * ZADD/ZINCRBY scores use the stricter `string2d`: no whitespace, whole
//!   argument consumed, and decimal overflow/underflow (`1e400`, `1e-400`)
//!   rejected.
//! * C-string checks stop at an embedded NUL where Redis does (`"1\0x"` is a
//!   valid score bound, `"+\0x"` a valid lex bound).
//!
//! Callers own the error replies: `ERR min or max is not a float`,
//! `ERR min or max not valid string range item`, `ERR value is not a valid
//! float`, `ERR value is not an integer or out of range`.

use std::cmp::Ordering;

// ---------------------------------------------------------------------------
// strtod emulation (glibc, "C" locale: Redis only sets LC_COLLATE)
// ---------------------------------------------------------------------------

/// Result of [`strtod`]: the value, how many bytes were consumed (0 when no
/// conversion happened, as `endptr == nptr`) and whether `errno` would be
/// `ERANGE` (overflow to ±inf or a non-zero input rounding to zero).
struct Strtod {
    value: f64,
    end: usize,
    erange: bool,
}

/// C `isspace` in the C locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn starts_with_ci(s: &[u8], word: &[u8]) -> bool {
    s.len() >= word.len() && s[..word.len()].eq_ignore_ascii_case(word)
}

fn count_while(s: &[u8], from: usize, pred: impl Fn(u8) -> bool) -> usize {
    s.get(from..).map_or(0, |rest| rest.iter().take_while(|&&b| pred(b)).count())
}

/// Parses the longest prefix of `s` that glibc `strtod` would accept.
/// Never reads past `s`; an embedded NUL ends the number like a terminator.
fn strtod(s: &[u8]) -> Strtod {
    let none = Strtod { value: 0.0, end: 0, erange: false };
    let mut i = count_while(s, 0, is_c_space);
    let negative = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let sign = |v: f64| if negative { -v } else { v };
    let rest = &s[i..];

    if starts_with_ci(rest, b"inf") {
        let len = if starts_with_ci(rest, b"infinity") { 8 } else { 3 };
        return Strtod { value: sign(f64::INFINITY), end: i + len, erange: false };
    }
    if starts_with_ci(rest, b"nan") {
        // "nan(n-char-sequence)" is also consumed; callers reject NaN anyway.
        let mut end = i + 3;
        if s.get(end) == Some(&b'(') {
            let n = count_while(s, end + 1, |b| b.is_ascii_alphanumeric() || b == b'_');
            if s.get(end + 1 + n) == Some(&b')') {
                end += n + 2;
            }
        }
        return Strtod { value: f64::NAN, end, erange: false };
    }
    // "0x" without hex digits falls through: strtod then reads just the "0".
    if rest.len() >= 2
        && rest[0] == b'0'
        && (rest[1] | 0x20) == b'x'
        && let Some((value, len, erange)) = parse_hex(&rest[2..])
    {
        return Strtod { value: sign(value), end: i + 2 + len, erange };
    }

    // Decimal: digits [. digits] with at least one digit, then an optional
    // exponent that only counts if it has digits.
    let int_digits = count_while(s, i, |b| b.is_ascii_digit());
    let mut j = i + int_digits;
    let mut frac_digits = 0;
    if s.get(j) == Some(&b'.') {
        frac_digits = count_while(s, j + 1, |b| b.is_ascii_digit());
        j += 1 + frac_digits;
    }
    if int_digits + frac_digits == 0 {
        return none;
    }
    let mantissa_end = j;
    if matches!(s.get(j), Some(b'e' | b'E')) {
        let k = j + 1 + usize::from(matches!(s.get(j + 1), Some(b'+' | b'-')));
        let exp_digits = count_while(s, k, |b| b.is_ascii_digit());
        if exp_digits > 0 {
            j = k + exp_digits;
        }
    }
    // The slice is plain ASCII in Rust's float grammar; Rust's parser is
    // correctly rounded like glibc's, and saturates to inf / 0 on range.
    let text = std::str::from_utf8(&s[i..j]).expect("ascii");
    let value: f64 = text.parse().expect("validated float syntax");
    let nonzero_mantissa = s[i..mantissa_end].iter().any(|&b| matches!(b, b'1'..=b'9'));
    Strtod {
        value: sign(value),
        end: j,
        erange: value.is_infinite() || (value == 0.0 && nonzero_mantissa),
    }
}

/// Parses the part of a hex float after "0x": hex digits [. hex digits]
/// (at least one) and an optional binary exponent `p[+-]digits`. Returns
/// (magnitude, bytes consumed, erange), correctly rounded to nearest-even,
/// or None if there are no hex digits.
fn parse_hex(s: &[u8]) -> Option<(f64, usize, bool)> {
    let mut mant: u64 = 0;
    let mut exp: i64 = 0; // value = mant * 2^exp (before rounding)
    let mut sticky = false; // non-zero bits dropped below `mant`
    let mut digits = 0;
    let mut i = 0;
    let mut seen_dot = false;
    while i < s.len() {
        let b = s[i];
        if b == b'.' && !seen_dot {
            seen_dot = true;
            i += 1;
            continue;
        }
        let Some(d) = (b as char).to_digit(16) else {
            break;
        };
        digits += 1;
        if mant >> 60 == 0 {
            mant = (mant << 4) | u64::from(d);
            if seen_dot {
                exp -= 4;
            }
        } else {
            // No room: the digit only affects rounding (sticky), and integer
            // digits still scale the value.
            sticky |= d != 0;
            if !seen_dot {
                exp += 4;
            }
        }
        i += 1;
    }
    if digits == 0 {
        return None;
    }
    if matches!(s.get(i), Some(b'p' | b'P')) {
        let neg = s.get(i + 1) == Some(&b'-');
        let k = i + 1 + usize::from(matches!(s.get(i + 1), Some(b'+' | b'-')));
        let n = count_while(s, k, |b| b.is_ascii_digit());
        if n > 0 {
            // Saturate: anything beyond a few thousand is already 0 or inf.
            let e = s[k..k + n]
                .iter()
                .fold(0i64, |acc, &b| (acc * 10 + i64::from(b - b'0')).min(1 << 40));
            exp += if neg { -e } else { e };
            i = k + n;
        }
    }
    if mant == 0 {
        return Some((0.0, i, false));
    }

    // Normalise so bit 63 is set; the top bit then has weight 2^(exp + 63).
    let lz = mant.leading_zeros();
    mant <<= lz;
    exp -= i64::from(lz);
    let top = exp + 63;
    if top > 1023 {
        return Some((f64::INFINITY, i, true));
    }
    // Bits of precision available at this magnitude (53 when normal, fewer
    // when subnormal, possibly <= 0 when it underflows entirely).
    let keep = if top >= -1022 { 53 } else { 53 - (-1022 - top) };
    let shift = 64 - keep; // >= 11
    let (mut kept, round_up) = if shift >= 128 {
        (0u128, false)
    } else {
        let x = u128::from(mant);
        let kept = x >> shift;
        let rem = x & ((1u128 << shift) - 1);
        let half = 1u128 << (shift - 1);
        let up = rem > half || (rem == half && (sticky || kept & 1 == 1));
        (kept, up)
    };
    if round_up {
        kept += 1;
    }
    // `kept` fits in 54 bits, so the conversion is exact; scaling by a power
    // of two is exact because the result is representable by construction
    // (except overflow after rounding up, which correctly yields inf).
    let value = ldexp(kept as f64, exp + shift);
    let erange = value == 0.0 || value.is_infinite();
    Some((value, i, erange))
}

/// `x * 2^e`, exact whenever the result is representable.
fn ldexp(mut x: f64, mut e: i64) -> f64 {
    let pow2 = |k: i64| f64::from_bits(((k + 1023) as u64) << 52); // normal k
    while e > 1000 {
        x *= pow2(1000);
        e -= 1000;
        if x.is_infinite() {
            return x;
        }
    }
    while e < -1000 {
        x *= pow2(-1000);
        e += 1000;
        if x == 0.0 {
            return x;
        }
    }
    x * pow2(e)
}

// ---------------------------------------------------------------------------
// Numeric arguments (ZADD/ZINCRBY scores, ranks, LIMIT)
// ---------------------------------------------------------------------------

/// Redis `string2d` (via `getDoubleFromObject`), used for ZADD/ZINCRBY
/// scores. `None` means `ERR value is not a valid float`.
pub(crate) fn parse_f64(arg: &[u8]) -> Option<f64> {
    // string2d: reject empty, a leading space, partial consumption, overflow
    // or underflow to zero (errno == ERANGE), and NaN.
    if arg.first().is_none_or(|&b| is_c_space(b)) {
        return None;
    }
    let r = strtod(arg);
    if r.end != arg.len()
        || (r.erange && (r.value.is_infinite() || r.value == 0.0))
        || r.value.is_nan()
    {
        return None;
    }
    Some(r.value)
}

/// Redis `string2ll` (via `getLongLongFromObject`), used for ranks, LIMIT
/// and every other integer argument. `None` means `ERR value is not an
/// integer or out of range`.
pub(crate) fn parse_i64(arg: &[u8]) -> Option<i64> {
    // LONG_STR_SIZE is 21: anything that long cannot be a valid long long.
    if arg.is_empty() || arg.len() >= 21 {
        return None;
    }
    if arg == b"0" {
        return Some(0);
    }
    let (negative, digits) = match arg.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, arg),
    };
    // First digit must be 1-9: rejects "", "-", "+1", "01", "-0", " 1".
    if !matches!(digits.first(), Some(b'1'..=b'9')) {
        return None;
    }
    let mut v: u64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    if negative {
        // -(2^63) is the one magnitude that only fits when negative.
        0i64.checked_sub_unsigned(v)
    } else {
        i64::try_from(v).ok()
    }
}

// ---------------------------------------------------------------------------
// Score ranges (ZRANGEBYSCORE, ZCOUNT, ZREMRANGEBYSCORE, ZRANGE ... BYSCORE)
// ---------------------------------------------------------------------------

/// One end of a score range; the value may be ±inf, never NaN.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ScoreBound {
    Inclusive(f64),
    Exclusive(f64),
}

impl ScoreBound {
    /// The bound's score, and whether it is exclusive.
    pub(crate) fn parts(self) -> (f64, bool) {
        match self {
            ScoreBound::Inclusive(v) => (v, false),
            ScoreBound::Exclusive(v) => (v, true),
        }
    }
}

/// A SCAN/HSCAN/ZSCAN cursor as Redis's `parseScanCursorOrReply` reads it:
/// C `strtoul` in base 10 (optional sign, a negative wrapping around, the
/// empty string being 0), refusing leading space, trailing bytes and
/// overflow. A NUL ends the cursor, as it ends the C string.
pub(crate) fn parse_scan_cursor(arg: &[u8]) -> Option<u64> {
    let arg = arg.split(|&b| b == 0).next().unwrap_or_default();
    if arg.first().copied().is_some_and(is_c_space) {
        return None;
    }
    if arg.is_empty() {
        return Some(0);
    }
    let (negative, digits) = match arg[0] {
        b'-' => (true, &arg[1..]),
        b'+' => (false, &arg[1..]),
        _ => (false, arg),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for &b in digits {
        v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(if negative { v.wrapping_neg() } else { v })
}

/// Parses a score bound as `zslParseRange` does: optional `(` for exclusive,
/// then `strtod` which must stop at the end of the argument or at a NUL,
/// and must not yield NaN. `None` means `ERR min or max is not a float`.
pub(crate) fn parse_score_bound(arg: &[u8]) -> Option<ScoreBound> {
    let (body, exclusive) = match arg.split_first() {
        Some((b'(', rest)) => (rest, true),
        _ => (arg, false),
    };
    let r = strtod(body);
    // Redis checks `eptr[0] != '\0'` on the NUL-terminated sds, so stopping at
    // an embedded NUL is accepted, and so is converting nothing from "".
    let stopped_at_end = body.get(r.end).is_none_or(|&b| b == 0);
    if !stopped_at_end || r.value.is_nan() {
        return None;
    }
    Some(if exclusive { ScoreBound::Exclusive(r.value) } else { ScoreBound::Inclusive(r.value) })
}

/// A parsed `min max` pair: of scores ([`ScoreRange`], Redis `zrangespec`)
/// or of lex bounds ([`LexRange`], `zlexrangespec`). Each kind has its own
/// `contains` and `is_empty_range`, as Redis has for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Range<B> {
    pub(crate) min: B,
    pub(crate) max: B,
}

impl<B> Range<B> {
    pub(crate) fn new(min: B, max: B) -> Self {
        Range { min, max }
    }
}

/// A parsed `min max` score pair (Redis `zrangespec`).
pub(crate) type ScoreRange = Range<ScoreBound>;

impl ScoreRange {
    /// `zslValueGteMin && zslValueLteMax`.
    pub(crate) fn contains(&self, score: f64) -> bool {
        let (min, minex) = self.min.parts();
        let (max, maxex) = self.max.parts();
        let gte_min = if minex { score > min } else { score >= min };
        let lte_max = if maxex { score < max } else { score <= max };
        gte_min && lte_max
    }

    /// The "always empty" test at the top of `zslIsInRange`: min > max, or
    /// min == max with either side exclusive.
    pub(crate) fn is_empty_range(&self) -> bool {
        let (min, minex) = self.min.parts();
        let (max, maxex) = self.max.parts();
        min > max || (min == max && (minex || maxex))
    }
}

// ---------------------------------------------------------------------------
// Lex ranges (ZRANGEBYLEX, ZLEXCOUNT, ZREMRANGEBYLEX, ZRANGE ... BYLEX)
// ---------------------------------------------------------------------------

/// One end of a lex range. `-`/`+` are Redis's `shared.minstring` /
/// `shared.maxstring` sentinels, which sort below / above every member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LexBound {
    NegInf,
    PosInf,
    Inclusive(Vec<u8>),
    Exclusive(Vec<u8>),
}

/// Parses a lex bound as `zslParseLexRangeItem`. `None` means
/// `ERR min or max not valid string range item`.
pub(crate) fn parse_lex_bound(arg: &[u8]) -> Option<LexBound> {
    // Redis tests `c[1] != '\0'` for `+`/`-`, so a NUL right after the sign
    // still counts as the bare sentinel.
    let lone = arg.get(1).is_none_or(|&b| b == 0);
    match arg.first()? {
        b'+' if lone => Some(LexBound::PosInf),
        b'-' if lone => Some(LexBound::NegInf),
        b'(' => Some(LexBound::Exclusive(arg[1..].to_vec())),
        b'[' => Some(LexBound::Inclusive(arg[1..].to_vec())),
        _ => None,
    }
}

/// Sort key for `sdscmplex`: min sentinel < any string < max sentinel, and
/// strings compare as `memcmp` then length (Rust slice order).
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum LexKey<'a> {
    Min,
    Str(&'a [u8]),
    Max,
}

impl LexBound {
    /// (sort key, exclusive flag). The sentinels carry `ex = 1` in Redis,
    /// which matters for `is_empty_range` (`- -` and `+ +` are empty).
    fn parts(&self) -> (LexKey<'_>, bool) {
        match self {
            LexBound::NegInf => (LexKey::Min, true),
            LexBound::PosInf => (LexKey::Max, true),
            LexBound::Inclusive(s) => (LexKey::Str(s), false),
            LexBound::Exclusive(s) => (LexKey::Str(s), true),
        }
    }
}

/// A parsed `min max` lex pair (Redis `zlexrangespec`).
pub(crate) type LexRange = Range<LexBound>;

impl LexRange {
    /// `zslLexValueGteMin && zslLexValueLteMax`.
    pub(crate) fn contains(&self, member: &[u8]) -> bool {
        let v = LexKey::Str(member);
        let (min, minex) = self.min.parts();
        let (max, maxex) = self.max.parts();
        let gte_min = match v.cmp(&min) {
            Ordering::Greater => true,
            Ordering::Equal => !minex,
            Ordering::Less => false,
        };
        let lte_max = match v.cmp(&max) {
            Ordering::Less => true,
            Ordering::Equal => !maxex,
            Ordering::Greater => false,
        };
        gte_min && lte_max
    }

    /// The "always empty" test at the top of `zslIsInLexRange`.
    pub(crate) fn is_empty_range(&self) -> bool {
        let (min, minex) = self.min.parts();
        let (max, maxex) = self.max.parts();
        match min.cmp(&max) {
            Ordering::Greater => true,
            Ordering::Equal => minex || maxex,
            Ordering::Less => false,
        }
    }
}

// ---------------------------------------------------------------------------
// Index ranges and LIMIT
// ---------------------------------------------------------------------------

/// Index normalisation of ZRANGE (by rank), ZREMRANGEBYRANK, LRANGE and
/// LTRIM: negatives count from the end, start clamps to 0, stop clamps to
/// `len - 1`. Returns the inclusive `(start, stop)` or `None` when empty
/// (`start > stop || start >= len`). Not for GETRANGE: see [`getrange_range`].
pub(crate) fn rank_range(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i128;
    let (start, mut stop) = from_end(start, stop, len);
    let start = start.max(0);
    if start > stop || start >= len {
        return None;
    }
    if stop >= len {
        stop = len - 1;
    }
    Some((start as usize, stop as usize))
}

/// GETRANGE's (`getrangeCommand`) variant, which differs from
/// [`rank_range`]: a negative stop still past the start clamps to 0 instead
/// of emptying the range (`GETRANGE "Hello" 0 -10` is `"H"`), while two
/// negatives with start > stop are empty before normalisation.
pub(crate) fn getrange_range(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    if start < 0 && stop < 0 && start > stop {
        return None;
    }
    let len = len as i128;
    let (mut start, mut stop) = from_end(start, stop, len);
    start = start.max(0);
    stop = stop.max(0);
    if stop >= len {
        stop = len - 1;
    }
    if start > stop || len == 0 {
        return None;
    }
    Some((start as usize, stop as usize))
}

/// `start` and `stop` with negatives counted from the end of `len`; in
/// i128, so that `len + start` can never overflow.
fn from_end(start: i64, stop: i64, len: i128) -> (i128, i128) {
    let from_end = |i: i64| if i < 0 { i128::from(i) + len } else { i128::from(i) };
    (from_end(start), from_end(stop))
}

/// How many in-range elements to skip and then emit, for `LIMIT offset count`
/// on BYSCORE/BYLEX. `take == None` means no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LimitWindow {
    pub(crate) skip: usize,
    pub(crate) take: Option<usize>,
}

/// LIMIT semantics of `genericZrangebyscoreCommand`/`genericZrangebylexCommand`
/// (absent LIMIT is `offset 0, count -1`). Both values are accepted by the
/// parser whatever their sign; the effect comes from the C loops
/// `while (ln && offset--)` / `while (ln && limit--)`:
/// * negative offset: the skip loop never reaches 0, skipping everything, so
///   the reply is empty (`None`);
/// * count 0: empty (`None`); negative count: unlimited.
///
/// An offset past the end is simply an empty window for the caller to find.
pub(crate) fn limit_window(offset: i64, count: i64) -> Option<LimitWindow> {
    let skip = usize::try_from(offset).ok()?;
    let take = match count {
        0 => return None,
        c if c < 0 => None,
        c => Some(usize::try_from(c).ok()?),
    };
    Some(LimitWindow { skip, take })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sb(s: &str) -> Option<ScoreBound> {
        parse_score_bound(s.as_bytes())
    }
    fn f(s: &str) -> Option<f64> {
        parse_f64(s.as_bytes())
    }
    fn i(s: &str) -> Option<i64> {
        parse_i64(s.as_bytes())
    }
    fn lb(s: &str) -> Option<LexBound> {
        parse_lex_bound(s.as_bytes())
    }
    use ScoreBound::{Exclusive as Ex, Inclusive as In};

    // --- parse_score_bound (zslParseRange) ---------------------------------

    #[test]
    fn score_bound_basic_forms() {
        assert_eq!(sb("1.5"), Some(In(1.5)));
        assert_eq!(sb("(1.5"), Some(Ex(1.5)));
        assert_eq!(sb("-2"), Some(In(-2.0)));
        assert_eq!(sb("1e3"), Some(In(1000.0)));
        assert_eq!(sb("1E-2"), Some(In(0.01)));
        assert_eq!(sb(".5"), Some(In(0.5)));
        assert_eq!(sb("5."), Some(In(5.0)));
        assert_eq!(sb("+7"), Some(In(7.0)));
    }

    #[test]
    fn score_bound_infinities() {
        assert_eq!(sb("-inf"), Some(In(f64::NEG_INFINITY)));
        assert_eq!(sb("+inf"), Some(In(f64::INFINITY)));
        assert_eq!(sb("inf"), Some(In(f64::INFINITY)));
        assert_eq!(sb("(-inf"), Some(Ex(f64::NEG_INFINITY)));
        assert_eq!(sb("(+inf"), Some(Ex(f64::INFINITY)));
        // strtod is case-insensitive and accepts the long spelling.
        assert_eq!(sb("-INF"), Some(In(f64::NEG_INFINITY)));
        assert_eq!(sb("Infinity"), Some(In(f64::INFINITY)));
        assert_eq!(sb("infin"), None); // only "inf" consumed
        // No ERANGE check in zslParseRange: overflow is just +inf.
        assert_eq!(sb("1e400"), Some(In(f64::INFINITY)));
        assert_eq!(sb("1e-400"), Some(In(0.0)));
    }

    #[test]
    fn score_bound_rejects() {
        for text in [
            "nan", "(nan", "-NaN", "nan(123)", "abc", "1.5x",
            "1 ", // trailing space is left unconsumed
            "((", "[1", "1e", // "e" without digits is not consumed
            "0x", // only the "0" is consumed
            " ",  // no conversion: endptr is the space
            "-",
        ] {
            assert_eq!(sb(text), None, "{text:?}");
        }
    }

    #[test]
    fn score_bound_strtod_quirks() {
        // strtod skips leading whitespace, so Redis accepts these.
        assert_eq!(sb(" 1"), Some(In(1.0)));
        assert_eq!(sb("\t\n-3"), Some(In(-3.0)));
        assert_eq!(sb("( 2"), Some(Ex(2.0)));
        // Nothing to convert, but endptr then rests on the NUL terminator, so
        // the empty bound is 0 (ZCOUNT z "" "(" counts scores in [0, 0)).
        assert_eq!(sb(""), Some(In(0.0)));
        assert_eq!(sb("("), Some(Ex(0.0)));
        // The check is `eptr[0] != '\0'`, so an embedded NUL ends the number.
        assert_eq!(parse_score_bound(b"1\0junk"), Some(In(1.0)));
        // Hex floats are strtod syntax too.
        assert_eq!(sb("0x10"), Some(In(16.0)));
        assert_eq!(sb("(0x1p-2"), Some(Ex(0.25)));
    }

    // --- parse_f64 (string2d) ----------------------------------------------

    #[test]
    fn f64_accepts() {
        assert_eq!(f("0"), Some(0.0));
        assert_eq!(f("-0"), Some(-0.0));
        assert_eq!(f("1.5"), Some(1.5));
        assert_eq!(f("-1.5e3"), Some(-1500.0));
        assert_eq!(f("+2"), Some(2.0));
        assert_eq!(f("1e+2"), Some(100.0));
        assert_eq!(f(".5"), Some(0.5));
        assert_eq!(f("5."), Some(5.0));
        assert_eq!(f("inf"), Some(f64::INFINITY));
        assert_eq!(f("+inf"), Some(f64::INFINITY));
        assert_eq!(f("-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(f("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(f("0x1A"), Some(26.0));
        assert_eq!(f("0X1.8p1"), Some(3.0));
        assert_eq!(f("1.7976931348623157e308"), Some(f64::MAX));
        assert_eq!(f("0e9999"), Some(0.0)); // exact zero is not underflow
        // Subnormals are fine: string2d only rejects ERANGE *to zero*.
        assert_eq!(f("4.9e-324"), Some(f64::from_bits(1)));
    }

    #[test]
    fn f64_rejects() {
        for text in [
            "",
            " 1",
            "1 ",
            "\t1",
            "nan",
            "-nan",
            "1x",
            "1e",
            "e5",
            ".",
            "-",
            "(1",
            "1,5",
            "0x",
            "1e400", // overflow: ERANGE + HUGE_VAL
            "-1e400",
            "1e-400", // underflow: ERANGE + zero
            "0x1p99999",
            "0x1p-99999",
        ] {
            assert_eq!(f(text), None, "{text:?}");
        }
        assert_eq!(parse_f64(b"1\0"), None); // binary safe: length must match
    }

    #[test]
    fn f64_decimal_rounding_matches_strtod() {
        assert_eq!(f("0.1"), Some(0.1));
        assert_eq!(f("3.141592653589793238462643383279"), Some(std::f64::consts::PI));
        assert_eq!(f("2.2250738585072014e-308"), Some(f64::MIN_POSITIVE));
    }

    #[test]
    fn hex_float_rounding() {
        // 2^53 + 1 is a tie: rounds to even (2^53).
        assert_eq!(f("0x20000000000001"), Some(9007199254740992.0));
        // 2^53 + 3 is a tie: rounds to even (2^53 + 4).
        assert_eq!(f("0x20000000000003"), Some(9007199254740996.0));
        // Tie broken upward by a non-zero digit far below (sticky bit).
        assert_eq!(f("0x200000000000010000000001"), Some(f("0x20000000000002p40").unwrap()));
        assert_eq!(f("0x1.fffffffffffffp1023"), Some(f64::MAX));
        assert_eq!(f("0x1.fffffffffffff8p1023"), None); // rounds up to inf
        assert_eq!(f("0x1p-1074"), Some(f64::from_bits(1)));
        assert_eq!(f("0x1.8p-1074"), Some(f64::from_bits(2))); // tie -> even
        assert_eq!(f("0x1p-1075"), None); // tie -> even -> 0: ERANGE
        assert_eq!(f("0x1.0000001p-1075"), Some(f64::from_bits(1)));
        assert_eq!(f("0x.8"), Some(0.5));
        assert_eq!(f("0x8."), Some(8.0));
        assert_eq!(f("-0x10p-4"), Some(-1.0));
        assert_eq!(f("0x1p"), None); // "p" without digits is not consumed
        assert_eq!(f("0x0p0"), Some(0.0));
    }

    // --- parse_i64 (string2ll) ---------------------------------------------

    #[test]
    fn i64_accepts() {
        assert_eq!(i("0"), Some(0));
        assert_eq!(i("1"), Some(1));
        assert_eq!(i("-1"), Some(-1));
        assert_eq!(i("1234567890"), Some(1234567890));
        assert_eq!(i("9223372036854775807"), Some(i64::MAX));
        assert_eq!(i("-9223372036854775808"), Some(i64::MIN));
    }

    #[test]
    fn i64_rejects() {
        assert_eq!(i(""), None);
        assert_eq!(i("-"), None);
        assert_eq!(i("+1"), None);
        assert_eq!(i("-0"), None); // first digit after '-' must be 1-9
        assert_eq!(i("00"), None);
        assert_eq!(i("01"), None);
        assert_eq!(i(" 1"), None);
        assert_eq!(i("1 "), None);
        assert_eq!(i("1.0"), None);
        assert_eq!(i("1e3"), None);
        assert_eq!(i("0x10"), None);
        assert_eq!(i("9223372036854775808"), None);
        assert_eq!(i("-9223372036854775809"), None);
        assert_eq!(i("18446744073709551616"), None); // u64 overflow
        assert_eq!(i("99999999999999999999"), None);
        assert_eq!(i("100000000000000000000"), None); // >= LONG_STR_SIZE
        assert_eq!(parse_i64(b"1\0"), None);
    }

    // --- ScoreRange ----------------------------------------------------------

    #[test]
    fn score_range_contains() {
        let r = ScoreRange::new(In(1.0), In(2.0));
        assert!(r.contains(1.0) && r.contains(1.5) && r.contains(2.0));
        assert!(!r.contains(0.999) && !r.contains(2.001));
        let r = ScoreRange::new(Ex(1.0), Ex(2.0));
        assert!(!r.contains(1.0) && r.contains(1.5) && !r.contains(2.0));
        let all = ScoreRange::new(In(f64::NEG_INFINITY), In(f64::INFINITY));
        assert!(
            all.contains(f64::NEG_INFINITY) && all.contains(0.0) && all.contains(f64::INFINITY)
        );
        let open = ScoreRange::new(Ex(f64::NEG_INFINITY), Ex(f64::INFINITY));
        assert!(!open.contains(f64::NEG_INFINITY) && open.contains(0.0));
        assert!(!open.contains(f64::INFINITY));
    }

    #[test]
    fn score_range_empty() {
        assert!(!ScoreRange::new(In(1.0), In(2.0)).is_empty_range());
        assert!(!ScoreRange::new(In(1.0), In(1.0)).is_empty_range());
        assert!(ScoreRange::new(Ex(1.0), In(1.0)).is_empty_range());
        assert!(ScoreRange::new(In(1.0), Ex(1.0)).is_empty_range());
        assert!(ScoreRange::new(In(2.0), In(1.0)).is_empty_range());
        assert!(!ScoreRange::new(Ex(1.0), Ex(1.0000001)).is_empty_range());
        let inf = f64::INFINITY;
        assert!(!ScoreRange::new(In(inf), In(inf)).is_empty_range());
        assert!(ScoreRange::new(Ex(inf), In(inf)).is_empty_range());
        assert!(ScoreRange::new(In(inf), In(f64::NEG_INFINITY)).is_empty_range());
        // -0.0 == 0.0 in C too.
        assert!(!ScoreRange::new(In(0.0), In(-0.0)).is_empty_range());
    }

    // --- LexBound / LexRange -------------------------------------------------

    #[test]
    fn lex_bound_parsing() {
        assert_eq!(lb("-"), Some(LexBound::NegInf));
        assert_eq!(lb("+"), Some(LexBound::PosInf));
        assert_eq!(lb("[a"), Some(LexBound::Inclusive(b"a".to_vec())));
        assert_eq!(lb("(a"), Some(LexBound::Exclusive(b"a".to_vec())));
        assert_eq!(lb("["), Some(LexBound::Inclusive(vec![])));
        assert_eq!(lb("("), Some(LexBound::Exclusive(vec![])));
        assert_eq!(lb("[+"), Some(LexBound::Inclusive(b"+".to_vec())));
        assert_eq!(parse_lex_bound(b"[a\0b"), Some(LexBound::Inclusive(b"a\0b".to_vec())));
        assert_eq!(lb(""), None);
        assert_eq!(lb("a"), None);
        assert_eq!(lb("1"), None);
        assert_eq!(lb("+a"), None);
        assert_eq!(lb("-a"), None);
        assert_eq!(lb("--"), None);
        assert_eq!(lb(" ["), None);
        // Redis checks `c[1] != '\0'`: a NUL after the sign is still a sentinel.
        assert_eq!(parse_lex_bound(b"+\0x"), Some(LexBound::PosInf));
        assert_eq!(parse_lex_bound(b"-\0"), Some(LexBound::NegInf));
    }

    fn lr(min: &str, max: &str) -> LexRange {
        LexRange::new(lb(min).unwrap(), lb(max).unwrap())
    }

    #[test]
    fn lex_range_contains() {
        let all = lr("-", "+");
        assert!(all.contains(b"") && all.contains(b"zzz") && all.contains(b"\xff"));
        let r = lr("[b", "(d");
        assert!(!r.contains(b"a") && r.contains(b"b") && r.contains(b"c"));
        assert!(r.contains(b"cz") && !r.contains(b"d") && !r.contains(b"da"));
        let r = lr("(b", "[d");
        assert!(!r.contains(b"b") && r.contains(b"ba") && r.contains(b"d"));
        // Byte order (memcmp), then length: "a" < "a\0" < "b", 0xff > 'z'.
        let r = lr("(a", "+");
        assert!(r.contains(b"a\0") && !r.contains(b"a") && r.contains(b"\xff"));
        // Empty string members are ordinary strings.
        assert!(lr("[", "[a").contains(b""));
        assert!(!lr("(", "[a").contains(b""));
        // Sentinels on the "wrong" side contain nothing.
        assert!(!lr("+", "+").contains(b"a"));
        assert!(!lr("-", "-").contains(b"a"));
    }

    #[test]
    fn lex_range_empty() {
        assert!(!lr("-", "+").is_empty_range());
        assert!(!lr("[a", "[a").is_empty_range());
        assert!(lr("(a", "[a").is_empty_range());
        assert!(lr("[a", "(a").is_empty_range());
        assert!(lr("[b", "[a").is_empty_range());
        assert!(!lr("[a", "[b").is_empty_range());
        assert!(lr("+", "-").is_empty_range());
        assert!(lr("+", "[a").is_empty_range());
        assert!(lr("[a", "-").is_empty_range());
        // Sentinels carry ex = 1, so equal sentinels are empty (sdscmplex == 0).
        assert!(lr("-", "-").is_empty_range());
        assert!(lr("+", "+").is_empty_range());
        assert!(!lr("-", "[a").is_empty_range());
        assert!(!lr("[", "+").is_empty_range());
    }

    // --- rank_range / getrange_range ----------------------------------------

    #[test]
    fn rank_range_cases() {
        // ZRANGE z 0 -1 on 5 elements: everything.
        assert_eq!(rank_range(0, -1, 5), Some((0, 4)));
        assert_eq!(rank_range(1, 2, 5), Some((1, 2)));
        assert_eq!(rank_range(-2, -1, 5), Some((3, 4)));
        assert_eq!(rank_range(-100, 2, 5), Some((0, 2))); // start clamps to 0
        assert_eq!(rank_range(2, 100, 5), Some((2, 4))); // stop clamps to len-1
        assert_eq!(rank_range(3, 3, 5), Some((3, 3)));
        assert_eq!(rank_range(3, 2, 5), None); // start > stop
        assert_eq!(rank_range(5, 10, 5), None); // start >= len
        assert_eq!(rank_range(0, -6, 5), None); // stop normalises to -1
        assert_eq!(rank_range(-1, -2, 5), None);
        assert_eq!(rank_range(0, -1, 0), None); // empty collection
        assert_eq!(rank_range(0, 0, 0), None);
        assert_eq!(rank_range(i64::MIN, i64::MAX, 3), Some((0, 2)));
        assert_eq!(rank_range(i64::MAX, i64::MAX, 3), None);
        assert_eq!(rank_range(i64::MIN, i64::MIN, 3), None);
    }

    #[test]
    fn getrange_range_cases() {
        // From the GETRANGE docs on "This is a string" (16 bytes).
        assert_eq!(getrange_range(0, 3, 16), Some((0, 3)));
        assert_eq!(getrange_range(-3, -1, 16), Some((13, 15)));
        assert_eq!(getrange_range(0, -1, 16), Some((0, 15)));
        assert_eq!(getrange_range(10, 100, 16), Some((10, 15)));
        // Differs from rank_range: a too-negative stop clamps to 0.
        assert_eq!(getrange_range(0, -100, 5), Some((0, 0)));
        assert_eq!(rank_range(0, -100, 5), None);
        assert_eq!(getrange_range(-1, -5, 5), None); // both negative, start > stop
        assert_eq!(getrange_range(5, 10, 5), None);
        assert_eq!(getrange_range(0, 0, 0), None);
        assert_eq!(getrange_range(i64::MIN, i64::MAX, 3), Some((0, 2)));
    }

    // --- limit_window ---------------------------------------------------------

    #[test]
    fn limit_window_cases() {
        // No LIMIT clause is offset 0, count -1: everything.
        assert_eq!(limit_window(0, -1), Some(LimitWindow { skip: 0, take: None }));
        assert_eq!(limit_window(2, 3), Some(LimitWindow { skip: 2, take: Some(3) }));
        assert_eq!(limit_window(5, -7), Some(LimitWindow { skip: 5, take: None }));
        assert_eq!(limit_window(0, 0), None);
        assert_eq!(limit_window(3, 0), None);
        // `while (ln && offset--)` with a negative offset skips everything.
        assert_eq!(limit_window(-1, 10), None);
        assert_eq!(limit_window(i64::MIN, -1), None);
        assert_eq!(
            limit_window(i64::MAX, i64::MAX),
            Some(LimitWindow { skip: i64::MAX as usize, take: Some(i64::MAX as usize) })
        );
    }

    #[test]
    fn scan_cursors_parse_as_strtoul() {
        let parse_cursor = parse_scan_cursor;
        assert_eq!(parse_cursor(b"0"), Some(0));
        assert_eq!(parse_cursor(b""), Some(0));
        assert_eq!(parse_cursor(b"+7"), Some(7));
        assert_eq!(parse_cursor(b"+17"), Some(17));
        assert_eq!(parse_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"12\0junk"), Some(12));
        assert_eq!(parse_cursor(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551616"), None);
        assert_eq!(parse_cursor(b"99999999999999999999"), None);
        assert_eq!(parse_cursor(b" 1"), None);
        assert_eq!(parse_cursor(b"\x0b1"), None);
        assert_eq!(parse_cursor(b"1 "), None);
        assert_eq!(parse_cursor(b"1x"), None);
        assert_eq!(parse_cursor(b"x"), None);
        assert_eq!(parse_cursor(b"-"), None);
        assert_eq!(parse_cursor(b"+"), None);
    }
}
