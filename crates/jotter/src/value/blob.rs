//! A blob: an opaque byte string (a Redis string, a counter; the stores
//! keep it in `jotter_strings`).
//!
//! A blob is written whole (a put record, not a patch), so it has no log
//! tag or field encoding of its own; its remaining rules live here.

use bytes::Bytes;

use crate::owned::own;

/// Bytes a blob accounts for.
pub(super) fn weight(blob: &Bytes) -> usize {
    blob.len()
}

/// Makes the blob the op's own copy: the put's bytes (`put`) if the write
/// put these very bytes, else a copy of its own.
pub(super) fn adopt(blob: &mut Bytes, put: Option<&Bytes>) {
    *blob = match put {
        Some(value) if blob == value => value.clone(),
        _ => own(blob),
    };
}
