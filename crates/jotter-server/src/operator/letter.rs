//! One dead letter as the operator's commands show it: the fields of a
//! `JOTTER.DEADLETTERS LIST` entry (docs/SERVER.md), read from a server's
//! reply or taken from the engine, and printed as a table row or a JSON
//! object (the admin port's field names).

use bytes::Bytes;
use jotter_resp::Frame;

use super::render;
pub(crate) use crate::dead_letter_fields::LetterFields as Letter;

/// Why an entry could not be read.
#[derive(Debug, thiserror::Error)]
#[error("a dead-letter entry without a usable `{0}` field")]
pub(crate) struct MissingField(pub &'static str);

impl Letter {
    /// Reads an entry: a RESP3 map, or RESP2's flat field, value pairs.
    pub(crate) fn from_frame(frame: &Frame) -> Result<Letter, MissingField> {
        let pairs: Vec<(&Frame, &Frame)> = match frame {
            Frame::Map(pairs) => pairs.iter().map(|(k, v)| (k, v)).collect(),
            Frame::Array(flat) => flat.chunks_exact(2).map(|p| (&p[0], &p[1])).collect(),
            _ => Vec::new(),
        };
        let find = |name: &'static str| {
            pairs.iter().find(|(k, _)| bytes(k) == Some(name.as_bytes())).map(|(_, v)| *v)
        };
        let int = |name: &'static str| find(name).and_then(integer).ok_or(MissingField(name));
        let text = |name: &'static str| {
            find(name).and_then(bytes).map(Bytes::copy_from_slice).ok_or(MissingField(name))
        };
        let word =
            |name: &'static str| text(name).map(|t| String::from_utf8_lossy(&t).into_owned());
        Ok(Letter {
            id: int("id")?,
            key: text("key")?,
            op: word("op")?,
            value_size: int("value-size")?,
            value_prefix: text("value-prefix")?,
            error_kind: word("error-kind")?,
            error: word("error")?,
            attempts: int("attempts")?,
            first_failure_ms: int("first-failure")?,
            last_failure_ms: int("last-failure")?,
        })
    }

    /// The table's columns.
    pub(crate) const HEADER: [&'static str; 8] =
        ["ID", "KEY", "OP", "SIZE", "ATTEMPTS", "LAST FAILURE (UTC)", "KIND", "ERROR"];

    /// One table row; on a terminal long keys and errors are cut so a row
    /// fits a line, in a pipe they are whole.
    pub(crate) fn row(&self, terminal: bool) -> Vec<String> {
        let (key_max, error_max) = if terminal { (Some(32), Some(80)) } else { (None, None) };
        vec![
            self.id.to_string(),
            render::cell(&self.key, key_max),
            self.op.clone(),
            self.value_size.to_string(),
            self.attempts.to_string(),
            render::utc(self.last_failure_ms),
            self.error_kind.clone(),
            render::cell(self.error.as_bytes(), error_max),
        ]
    }
}

fn bytes(frame: &Frame) -> Option<&[u8]> {
    match frame {
        Frame::Bulk(b) | Frame::Simple(b) | Frame::Verbatim { text: b, .. } => Some(b),
        _ => None,
    }
}

fn integer(frame: &Frame) -> Option<u64> {
    match frame {
        Frame::Integer(n) => u64::try_from(*n).ok(),
        other => std::str::from_utf8(bytes(other)?).ok()?.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    fn entry() -> Vec<(Frame, Frame)> {
        let b = |s: &str| Frame::Bulk(Bytes::copy_from_slice(s.as_bytes()));
        vec![
            (b("id"), Frame::Integer(42)),
            (b("key"), Frame::Bulk(Bytes::from_static(b"user:\xff"))),
            (b("op"), Frame::Simple(Bytes::from_static(b"set"))),
            (b("value-size"), Frame::Integer(3)),
            (b("value-prefix"), b("abc")),
            (b("error-kind"), b("permanent")),
            (b("error"), b("CHECK failed")),
            (b("attempts"), Frame::Integer(1)),
            (b("first-failure"), Frame::Integer(1000)),
            (b("last-failure"), Frame::Integer(2000)),
        ]
    }

    #[test]
    fn an_entry_reads_from_resp3_and_resp2_alike() {
        let map = Letter::from_frame(&Frame::Map(entry())).unwrap();
        let flat: Vec<Frame> = entry().into_iter().flat_map(|(k, v)| [k, v]).collect();
        assert_eq!(Letter::from_frame(&Frame::Array(flat)).unwrap(), map);
        assert_eq!((map.id, map.op.as_str(), map.last_failure_ms), (42, "set", 2000));
        let json = serde_json::to_string(&map).unwrap();
        assert!(json.starts_with(r#"{"id":42,"key":"user:\\xff","op":"set","#), "{json}");
    }

    #[test]
    fn a_missing_field_is_named() {
        let mut e = entry();
        e.remove(0);
        assert_eq!(Letter::from_frame(&Frame::Map(e)).unwrap_err().0, "id");
    }
}
