//! Short byte strings one after another, each after a byte holding its
//! length: how a small hash (field, value, field, ...) or a small set (its
//! members) is packed into a clean entry's one allocation (`clean.rs`), as
//! Redis keeps a small hash or set in a listpack.

use bytes::Bytes;

/// The longest string packed (Redis's `*-max-listpack-value`); its length
/// fits in the byte before it.
pub(super) const MAX_LEN: usize = 64;

/// Whether `items` are all short enough to pack.
pub(super) fn fits<'a>(mut items: impl Iterator<Item = &'a Bytes>) -> bool {
    items.all(|b| b.len() <= MAX_LEN)
}

/// Appends `items` (each at most [`MAX_LEN`] bytes: see [`fits`]).
pub(super) fn put<'a>(items: impl Iterator<Item = &'a Bytes>, out: &mut Vec<u8>) {
    for bytes in items {
        out.push(u8::try_from(bytes.len()).expect("a packed string is short"));
        out.extend_from_slice(bytes);
    }
}

/// The strings [`put`] wrote, slices of `payload`; `None` if `payload` is
/// not such a sequence.
pub(super) fn items(mut payload: Bytes) -> Option<Vec<Bytes>> {
    let mut out = Vec::new();
    while let Some(&len) = payload.first() {
        let len = usize::from(len);
        if payload.len() <= len {
            return None;
        }
        out.push(payload.split_to(len + 1).split_off(1));
    }
    Some(out)
}
