//! A blob: an opaque byte string (a Redis string, a counter; the stores
//! keep it in `jotter_strings`).
//!
//! A blob is written whole (a put record, not a patch), so it has no log
//! tag or field encoding of its own; its remaining rules live here. In the
//! clean cache a blob up to [`PACK_MAX`] bytes is packed: its bytes as they
//! are, after the clean entry's header, in one allocation (`clean.rs`).

use bytes::Bytes;

/// The kind's tag in a packed clean entry.
pub(super) const PACK_TAG: u8 = 1;

/// The largest blob packed. A packed blob is copied out on every read, so
/// a large one stays a shared [`Bytes`] (a read clones a handle).
const PACK_MAX: usize = 1024;

/// Appends the blob to a packed clean entry, unless it is too large to pack.
pub(super) fn pack(blob: &Bytes, out: &mut Vec<u8>) -> bool {
    if blob.len() > PACK_MAX {
        return false;
    }
    out.extend_from_slice(blob);
    true
}

/// The blob [`pack`] wrote: `payload` itself.
pub(super) fn unpack(payload: Bytes) -> Bytes {
    payload
}

/// Bytes a blob accounts for.
pub(super) fn weight(blob: &Bytes) -> usize {
    blob.len()
}
