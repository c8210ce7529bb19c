//! SORT's BY and GET patterns (`lookupKeyByPattern`): `#` is the element
//! itself; otherwise the first `*` is replaced by the element to name a
//! key, whose string value is the answer, or, when `->field` (a non-empty
//! field) follows the `*`, that field of the key's hash. A pattern without
//! `*` names nothing; a key of another type, or a missing key or field,
//! answers nothing.

use bytes::Bytes;
use jotter::{Txn, Value};

/// A pattern, split where the element and the field go.
pub(super) enum Pattern<'p> {
    /// `#`: the element itself.
    Itself,
    /// `prefix*suffix`, with a hash field after `->`.
    Key { prefix: &'p [u8], suffix: &'p [u8], field: Option<&'p [u8]> },
    /// No `*`: nothing is looked up.
    Nothing,
}

impl<'p> Pattern<'p> {
    pub(super) fn parse(pattern: &'p [u8]) -> Pattern<'p> {
        if pattern == b"#" {
            return Pattern::Itself;
        }
        let Some(star) = pattern.iter().position(|&b| b == b'*') else {
            return Pattern::Nothing;
        };
        let (prefix, rest) = (&pattern[..star], &pattern[star + 1..]);
        match rest.windows(2).position(|w| w == b"->") {
            Some(arrow) if arrow + 2 < rest.len() => {
                Pattern::Key { prefix, suffix: &rest[..arrow], field: Some(&rest[arrow + 2..]) }
            }
            _ => Pattern::Key { prefix, suffix: rest, field: None },
        }
    }

    /// The key the pattern names for `element`, if it names one.
    pub(super) fn key(&self, element: &[u8]) -> Option<Bytes> {
        let Pattern::Key { prefix, suffix, .. } = self else { return None };
        Some([*prefix, element, *suffix].concat().into())
    }

    /// What the pattern answers for `element`, read in `txn` (which holds
    /// the key [`key`](Self::key) names).
    pub(super) fn lookup(&self, txn: &Txn<'_>, element: &Bytes) -> Option<Bytes> {
        match self {
            Pattern::Itself => Some(element.clone()),
            Pattern::Nothing => None,
            Pattern::Key { field, .. } => {
                let value = txn.get(&self.key(element)?)?;
                match (value, field) {
                    (Value::Hash(map), Some(field)) => map.get(*field).cloned(),
                    (Value::Blob(blob), None) => Some(blob.clone()),
                    _ => None,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(pattern: &str, element: &str) -> Option<String> {
        Pattern::parse(pattern.as_bytes())
            .key(element.as_bytes())
            .map(|k| String::from_utf8_lossy(&k).into_owned())
    }

    #[test]
    fn patterns_name_keys_as_redis() {
        assert_eq!(key("w_*", "3"), Some("w_3".into()));
        assert_eq!(key("o_*->f", "3"), Some("o_3".into()));
        assert_eq!(key("o_*_x->", "3"), Some("o_3_x->".into()), "an empty field is no field");
        assert_eq!(key("a->b*", "3"), Some("a->b3".into()), "an arrow before the star is no field");
        assert_eq!(key("#", "3"), None);
        assert_eq!(key("nosort", "3"), None);
        assert!(matches!(Pattern::parse(b"o_*->f->g"), Pattern::Key { field: Some(b"f->g"), .. }));
    }
}
