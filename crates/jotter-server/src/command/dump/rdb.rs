//! The RDB format's building blocks: lengths (one to nine bytes by size),
//! strings (plain, integer-encoded, or LZF-compressed when Redis wrote
//! them), and a reader over a payload that fails, never panics, on bytes
//! that end early or make no sense.

use super::lzf;

/// Appends a length in RDB's variable-size encoding.
pub(super) fn put_len(out: &mut Vec<u8>, len: usize) {
    let len = len as u64;
    if len < 1 << 6 {
        out.push(len as u8);
    } else if len < 1 << 14 {
        out.extend_from_slice(&[0x40 | (len >> 8) as u8, len as u8]);
    } else if let Ok(len) = u32::try_from(len) {
        out.push(0x80);
        out.extend_from_slice(&len.to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&len.to_be_bytes());
    }
}

/// Appends a string: its length, then its bytes (never compressed).
pub(in crate::command) fn put_string(out: &mut Vec<u8>, s: &[u8]) {
    put_len(out, s.len());
    out.extend_from_slice(s);
}

/// Reads a payload's object front to back.
pub(in crate::command) struct Reader<'a> {
    rest: &'a [u8],
}

/// What a length's first byte may say instead of a length.
enum Length {
    Plain(u64),
    /// A string in a special encoding (integer or LZF), by its number.
    Encoded(u8),
}

impl<'a> Reader<'a> {
    pub(in crate::command) fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { rest: bytes }
    }

    pub(in crate::command) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    pub(super) fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.rest.len() {
            return None;
        }
        let (taken, rest) = self.rest.split_at(n);
        self.rest = rest;
        Some(taken)
    }

    pub(in crate::command) fn byte(&mut self) -> Option<u8> {
        self.bytes(1).map(|b| b[0])
    }

    fn length_or_encoding(&mut self) -> Option<Length> {
        let first = self.byte()?;
        let value = u64::from(first & 0x3f);
        Some(match first >> 6 {
            0 => Length::Plain(value),
            1 => Length::Plain((value << 8) | u64::from(self.byte()?)),
            2 if first == 0x80 => {
                Length::Plain(u64::from(u32::from_be_bytes(self.bytes(4)?.try_into().ok()?)))
            }
            2 if first == 0x81 => {
                Length::Plain(u64::from_be_bytes(self.bytes(8)?.try_into().ok()?))
            }
            2 => return None,
            _ => Length::Encoded(first & 0x3f),
        })
    }

    /// A length (of a collection or a string).
    pub(super) fn len(&mut self) -> Option<usize> {
        match self.length_or_encoding()? {
            Length::Plain(n) => usize::try_from(n).ok(),
            Length::Encoded(_) => None,
        }
    }

    /// A collection's length, checked against the bytes left (each element
    /// takes at least one byte), so a forged length cannot make a reader
    /// reserve memory it will never fill.
    pub(super) fn count(&mut self) -> Option<usize> {
        self.len().filter(|&n| n <= self.rest.len())
    }

    /// A string, decoded from whichever encoding Redis chose.
    pub(in crate::command) fn string(&mut self) -> Option<Vec<u8>> {
        match self.length_or_encoding()? {
            Length::Plain(n) => self.bytes(usize::try_from(n).ok()?).map(<[u8]>::to_vec),
            Length::Encoded(0) => Some(i64::from(self.byte()? as i8).to_string().into_bytes()),
            Length::Encoded(1) => {
                let n = i16::from_le_bytes(self.bytes(2)?.try_into().ok()?);
                Some(n.to_string().into_bytes())
            }
            Length::Encoded(2) => {
                let n = i32::from_le_bytes(self.bytes(4)?.try_into().ok()?);
                Some(n.to_string().into_bytes())
            }
            Length::Encoded(3) => {
                let compressed = self.len()?;
                let len = self.len()?;
                lzf::decompress(self.bytes(compressed)?, len)
            }
            Length::Encoded(_) => None,
        }
    }

    /// A score as the old sorted-set type wrote it: its length, then its
    /// decimal text (253, 254 and 255 mean NaN, +inf and -inf).
    pub(super) fn text_double(&mut self) -> Option<f64> {
        match self.byte()? {
            253 => None,
            254 => Some(f64::INFINITY),
            255 => Some(f64::NEG_INFINITY),
            len => std::str::from_utf8(self.bytes(usize::from(len))?).ok()?.parse().ok(),
        }
    }

    /// A score as eight little-endian bytes.
    pub(super) fn binary_double(&mut self) -> Option<f64> {
        Some(f64::from_le_bytes(self.bytes(8)?.try_into().ok()?)).filter(|s| !s.is_nan())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_round_trip_at_every_size() {
        for len in [0, 63, 64, 16_383, 16_384, 1 << 31, 1 << 33] {
            let mut out = Vec::new();
            put_len(&mut out, len);
            assert_eq!(Reader::new(&out).len(), Some(len), "{len}");
        }
    }

    #[test]
    fn integer_encoded_strings_read_as_digits() {
        assert_eq!(Reader::new(&[0xc0, 0xfe]).string().as_deref(), Some(&b"-2"[..]));
        assert_eq!(Reader::new(&[0xc1, 0x39, 0x30]).string().as_deref(), Some(&b"12345"[..]));
        assert_eq!(
            Reader::new(&[0xc2, 0, 0, 0, 0x80]).string().as_deref(),
            Some(&b"-2147483648"[..])
        );
        assert_eq!(Reader::new(&[0xc4]).string(), None);
        assert_eq!(Reader::new(&[0x05, b'a']).string(), None);
    }
}
