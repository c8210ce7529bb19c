//! An entry's field/value pairs as one byte string: the value of an entry's
//! field in the log, the dead-letter file and the stores' `fields` column.
//!
//! Readable when it can be: pairs that are all UTF-8 are a JSON object in
//! entry order (`{"user":"42","url":"/home"}`, a field given twice appears
//! twice, as the entry holds it), which SQL reads with its JSON functions.
//! Any other pairs are a zero byte followed by each field and value as a
//! little-endian `u32` length and its bytes. The first byte tells them
//! apart (`{` or 0), so decoding never guesses.

use std::fmt::Write as _;

use bytes::{BufMut, Bytes, BytesMut};

use crate::wire::{self, RecordError};

/// The first byte of the binary form.
const BINARY: u8 = 0;

/// `flat` (field, value, field, value, ...) as one byte string.
pub(crate) fn encode(flat: &[Bytes]) -> Bytes {
    let texts: Option<Vec<&str>> = flat.iter().map(|b| std::str::from_utf8(b).ok()).collect();
    match texts {
        Some(texts) => {
            let mut out =
                String::with_capacity(flat.iter().map(|b| b.len() + 4).sum::<usize>() + 2);
            out.push('{');
            for (i, pair) in texts.chunks(2).enumerate() {
                if i > 0 {
                    out.push(',');
                }
                quote(&mut out, pair[0]);
                out.push(':');
                quote(&mut out, pair.get(1).copied().unwrap_or(""));
            }
            out.push('}');
            Bytes::from(out)
        }
        None => {
            let mut out =
                BytesMut::with_capacity(1 + flat.iter().map(|b| b.len() + 4).sum::<usize>());
            out.put_u8(BINARY);
            for b in flat {
                wire::put_bytes(&mut out, b);
            }
            out.freeze()
        }
    }
}

/// The pairs [`encode`] wrote, flat, each in an allocation of its own.
pub(crate) fn decode(bytes: &[u8]) -> Result<Vec<Bytes>, RecordError> {
    match bytes.first() {
        Some(&BINARY) => {
            let mut buf = Bytes::copy_from_slice(&bytes[1..]);
            let mut flat = Vec::new();
            while !buf.is_empty() {
                flat.push(wire::get_bytes(&mut buf)?);
            }
            Ok(flat)
        }
        Some(b'{') => {
            let text =
                std::str::from_utf8(bytes).map_err(|_| RecordError("entry text not UTF-8"))?;
            parse_object(text).ok_or(RecordError("entry text is not a JSON object of strings"))
        }
        _ => Err(RecordError("unknown entry encoding")),
    }
}

/// Appends `s` as a JSON string.
fn quote(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A JSON object whose values are all strings, as its keys and values in
/// order (duplicates kept); `None` if it is not one.
fn parse_object(text: &str) -> Option<Vec<Bytes>> {
    let mut p = Parser { s: text.as_bytes(), at: 0 };
    p.eat(b'{')?;
    let mut flat = Vec::new();
    p.skip_ws();
    if p.peek() == Some(b'}') {
        p.at += 1;
    } else {
        loop {
            flat.push(p.string()?);
            p.eat(b':')?;
            flat.push(p.string()?);
            p.skip_ws();
            match p.next()? {
                b',' => continue,
                b'}' => break,
                _ => return None,
            }
        }
    }
    p.skip_ws();
    (p.at == p.s.len()).then_some(flat)
}

struct Parser<'a> {
    s: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.at += 1;
        Some(c)
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        self.skip_ws();
        (self.next()? == c).then_some(())
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = std::str::from_utf8(self.s.get(self.at..self.at + 4)?).ok()?;
        self.at += 4;
        u32::from_str_radix(digits, 16).ok()
    }

    fn string(&mut self) -> Option<Bytes> {
        self.eat(b'"')?;
        let mut out = String::new();
        loop {
            let start = self.at;
            while !matches!(self.peek()?, b'"' | b'\\') {
                self.at += 1;
            }
            out.push_str(std::str::from_utf8(&self.s[start..self.at]).ok()?);
            if self.next()? == b'"' {
                return Some(Bytes::from(out));
            }
            let c = match self.next()? {
                b'"' => '"',
                b'\\' => '\\',
                b'/' => '/',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                b'u' => {
                    let hi = self.hex4()?;
                    let code = if (0xd800..0xdc00).contains(&hi) {
                        (self.next()? == b'\\' && self.next()? == b'u').then_some(())?;
                        let lo = self.hex4()?;
                        0x10000 + ((hi - 0xd800) << 10) + lo.checked_sub(0xdc00)?
                    } else {
                        hi
                    };
                    char::from_u32(code)?
                }
                _ => return None,
            };
            out.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn text_pairs_are_a_json_object() {
        let flat = [&b"user"[..], b"42", b"url", b"/home \"x\"\n"].map(Bytes::from_static);
        let enc = encode(&flat);
        assert_eq!(&enc[..], br#"{"user":"42","url":"/home \"x\"\n"}"#);
        assert_eq!(decode(&enc).unwrap(), flat.to_vec());
    }

    #[test]
    fn escapes_written_by_others_read_back() {
        let got = decode(br#"{ "a\u00e9\ud83d\ude00" : "\/\b" }"#).unwrap();
        assert_eq!(got, vec![Bytes::from("a\u{e9}\u{1f600}"), Bytes::from("/\u{8}")]);
    }

    proptest! {
        #[test]
        fn any_pairs_round_trip(flat in proptest::collection::vec(
            prop_oneof![
                ".{0,8}".prop_map(Bytes::from),
                proptest::collection::vec(any::<u8>(), 0..8).prop_map(Bytes::from),
            ], 0..6).prop_map(|mut v| { if v.len() % 2 == 1 { v.pop(); } v })) {
            prop_assert_eq!(decode(&encode(&flat)).unwrap(), flat);
        }
    }
}
