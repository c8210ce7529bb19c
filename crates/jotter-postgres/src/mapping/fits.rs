//! What a mapped column takes, told from its type's name alone.
//!
//! The start-up check reads each mapped column's type from the catalog
//! (`character varying(20)`, `integer`, ...); [`Fits`] keeps what can be
//! known from it without a round trip, so that the `admit` module can
//! refuse a value PostgreSQL would refuse for sure.

/// What a column takes, as far as it can be told without the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Fits {
    /// Bytes as they are (`bytea`).
    Bytes,
    /// UTF-8 text of at most this many characters (`None`: any length);
    /// trailing spaces beyond the limit are cut by PostgreSQL, not refused.
    Text(Option<usize>),
    /// An integer in this range (`smallint`, `integer`, `bigint`).
    Integer(i64, i64),
    /// A floating-point number (`real`, `double precision`).
    Float,
    /// A boolean in any spelling PostgreSQL takes.
    Boolean,
    /// Text whose fit only the database can judge.
    Other,
}

impl Fits {
    /// The facts of a column whose type PostgreSQL's `format_type` names
    /// `actual` (with its modifier, e.g. `character varying(20)`).
    pub(super) fn of(actual: &str) -> Fits {
        let (base, modifier) = match actual.split_once('(') {
            Some((base, rest)) => (base.trim(), rest.trim_end_matches(')').parse::<usize>().ok()),
            None => (actual.trim(), None),
        };
        match base {
            "bytea" => Fits::Bytes,
            "text" => Fits::Text(None),
            "character varying" | "character" => Fits::Text(modifier),
            "smallint" => Fits::Integer(i16::MIN.into(), i16::MAX.into()),
            "integer" => Fits::Integer(i32::MIN.into(), i32::MAX.into()),
            "bigint" => Fits::Integer(i64::MIN, i64::MAX),
            "real" | "double precision" => Fits::Float,
            "boolean" => Fits::Boolean,
            _ => Fits::Other,
        }
    }

    /// Why `value` cannot go into such a column, or `None` if it may.
    pub(super) fn refuses(self, value: &[u8]) -> Option<String> {
        if self == Fits::Bytes {
            return None;
        }
        let Ok(text) = std::str::from_utf8(value) else {
            return Some("it is not UTF-8 text".into());
        };
        if text.contains('\0') {
            return Some("it holds a NUL byte, which PostgreSQL text cannot".into());
        }
        let trimmed = text.trim_matches(|c: char| c.is_ascii_whitespace());
        match self {
            Fits::Text(Some(max)) => {
                let chars = text.trim_end_matches(' ').chars().count();
                (chars > max).then(|| format!("it is {chars} characters long, over {max}"))
            }
            Fits::Integer(min, max) => integer_refuses(trimmed, min, max),
            Fits::Float => trimmed.parse::<f64>().is_err().then(|| "it is not a number".into()),
            Fits::Boolean => (!is_boolean(trimmed)).then(|| "it is not a boolean".into()),
            Fits::Bytes | Fits::Text(None) | Fits::Other => None,
        }
    }
}

/// An integer column refuses a plain decimal out of its range, and text
/// with no digit or with a character no integer input takes. (Other
/// spellings, such as `0x1F` or `1_000` that newer PostgreSQL versions
/// take, are left to the database.)
fn integer_refuses(s: &str, min: i64, max: i64) -> Option<String> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty()
        || !digits.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        || !digits.bytes().next().is_some_and(|b| b.is_ascii_digit())
    {
        return Some("it is not an integer".into());
    }
    if digits.bytes().all(|b| b.is_ascii_digit()) {
        let fits = s.parse::<i64>().is_ok_and(|n| (min..=max).contains(&n));
        if !fits {
            return Some(format!("it is out of the column's range {min}..={max}"));
        }
    }
    None
}

/// PostgreSQL's boolean input: a unique prefix of `true`, `false`, `yes`
/// or `no`, `on`, `off`, `1` or `0`, in any case.
fn is_boolean(s: &str) -> bool {
    let s = s.to_ascii_lowercase();
    !s.is_empty()
        && (["true", "false", "yes", "no"].iter().any(|w| w.starts_with(&s))
            || matches!(s.as_str(), "on" | "of" | "off" | "1" | "0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_facts_come_from_the_type_names() {
        assert_eq!(Fits::of("character varying(20)"), Fits::Text(Some(20)));
        assert_eq!(Fits::of("character varying"), Fits::Text(None));
        assert_eq!(Fits::of("character(3)"), Fits::Text(Some(3)));
        assert_eq!(Fits::of("integer"), Fits::Integer(-2_147_483_648, 2_147_483_647));
        assert_eq!(Fits::of("numeric(10,2)"), Fits::Other);
        assert_eq!(Fits::of("bytea"), Fits::Bytes);
    }

    #[test]
    fn only_what_postgres_would_refuse_is_refused() {
        let v20 = Fits::Text(Some(20));
        assert!(v20.refuses("ünïcödé is 20 chars!".as_bytes()).is_none());
        assert!(v20.refuses(b"twenty-one characters").is_some());
        assert!(v20.refuses(b"twenty characters!!     ").is_none(), "trailing spaces are cut");
        assert!(v20.refuses(b"\xff").is_some());
        assert!(Fits::Text(None).refuses(b"a\0b").is_some());
        let int = Fits::of("integer");
        for ok in [&b"42"[..], b" -7 ", b"+2147483647", b"0x1F", b"1_000"] {
            assert!(int.refuses(ok).is_none(), "{}", ok.escape_ascii());
        }
        for bad in [&b"2147483648"[..], b"4.5", b"abc", b"", b"-"] {
            assert!(int.refuses(bad).is_some(), "{}", bad.escape_ascii());
        }
        assert!(Fits::Float.refuses(b" 1.5e3").is_none());
        assert!(Fits::Float.refuses(b"NaN").is_none());
        assert!(Fits::Float.refuses(b"one").is_some());
        for ok in ["t", "FALSE", "yes", "n", "on", "off", "1"] {
            assert!(Fits::Boolean.refuses(ok.as_bytes()).is_none(), "{ok}");
        }
        for bad in ["o", "maybe", "2"] {
            assert!(Fits::Boolean.refuses(bad.as_bytes()).is_some(), "{bad}");
        }
        assert!(Fits::Bytes.refuses(b"\xff\0").is_none());
        assert!(Fits::Other.refuses(b"2026-13-45").is_none());
    }
}
