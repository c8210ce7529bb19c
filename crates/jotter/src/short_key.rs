//! [`ShortKey`]: a key kept by value in a table's slot or node, its bytes
//! inline when short, else boxed, so that finding a short key touches no
//! memory beyond the slot or node that holds it, and keeping it costs no
//! allocation of its own.
//!
//! The clean cache keeps its keys so (every key may be resident there), and
//! so does the write buffer's table of pending keys (`pending_keys.rs`),
//! where the first touch of a key under a write is then one cache miss, the
//! node, not two (the node, then the key's bytes to compare).

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};

use bytes::Bytes;

/// Bytes a key up to which is kept inline, not in an allocation of its
/// own: with its length, the size of the boxed slice that holds a longer
/// one, so inline keys cost nothing more.
pub(crate) const INLINE_KEY: usize = 22;

/// A key: its bytes inline if short, else boxed. Hashed and compared as its
/// bytes, so that a table of them is looked up by a `&[u8]`.
#[derive(Clone, Debug)]
pub(crate) enum ShortKey {
    Inline { len: u8, bytes: [u8; INLINE_KEY] },
    Boxed(Box<[u8]>),
}

impl ShortKey {
    pub(crate) fn new(key: &[u8]) -> Self {
        match u8::try_from(key.len()) {
            Ok(len) if key.len() <= INLINE_KEY => {
                let mut bytes = [0; INLINE_KEY];
                bytes[..key.len()].copy_from_slice(key);
                ShortKey::Inline { len, bytes }
            }
            _ => ShortKey::Boxed(key.into()),
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            ShortKey::Inline { len, bytes } => &bytes[..usize::from(*len)],
            ShortKey::Boxed(b) => b,
        }
    }

    /// The key as `Bytes`, in an allocation of its own (see `owned.rs`).
    pub(crate) fn to_bytes(&self) -> Bytes {
        Bytes::copy_from_slice(self.as_bytes())
    }

    /// Bytes the key holds beyond its slot.
    pub(crate) fn allocated(&self) -> usize {
        match self {
            ShortKey::Inline { .. } => 0,
            ShortKey::Boxed(b) => allocation(b.len()),
        }
    }
}

impl Borrow<[u8]> for ShortKey {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for ShortKey {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for ShortKey {}

impl Hash for ShortKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

/// Bytes the allocator sets aside for a request of `n`: jemalloc's size
/// classes, 16 bytes apart up to 128, then four to each doubling.
pub(crate) fn allocation(n: usize) -> usize {
    if n <= 8 {
        8
    } else if n <= 128 {
        n.next_multiple_of(16)
    } else {
        n.next_multiple_of(n.next_power_of_two() / 8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_key_is_inline_and_a_long_one_boxed() {
        assert_eq!(ShortKey::new(&[1; 22]).allocated(), 0);
        assert_eq!(ShortKey::new(&[1; 23]).allocated(), 32);
        assert_eq!(ShortKey::new(b"key:000000000001").as_bytes(), b"key:000000000001");
        assert_eq!(ShortKey::new(b"").as_bytes(), b"");
        assert_eq!(ShortKey::new(&[7; 40]).to_bytes(), Bytes::from(vec![7; 40]));
        assert_eq!(size_of::<ShortKey>(), 24);
    }

    #[test]
    fn allocations_round_up_to_the_allocators_classes() {
        let classes = [(1, 8), (9, 16), (17, 32), (73, 80), (128, 128), (129, 160), (300, 320)];
        for (n, class) in classes {
            assert_eq!(allocation(n), class, "{n}");
        }
    }
}
