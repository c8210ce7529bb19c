//! One record's framing on disk: a 16-byte little-endian header, then the
//! payload. The byte-by-byte layout is specified in the crate documentation.

use bytes::{Buf, BufMut, BytesMut};

use crate::WalError;

/// Bytes before the payload: length (4), crc (4), lsn (8).
pub(crate) const HEADER_LEN: usize = 16;

/// The largest payload one record may carry, in bytes (256 MiB).
///
/// The bound keeps a corrupted length field from asking recovery for
/// gigabytes, and keeps the length within its 32-bit field.
pub const MAX_PAYLOAD_LEN: usize = 256 << 20;

/// What the bytes at some offset of a segment turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Frame<'a> {
    /// A whole record whose checksum matches.
    Record {
        /// Its sequence number.
        lsn: u64,
        /// Its payload, borrowed from the input.
        payload: &'a [u8],
        /// Header plus payload: where the next record starts.
        len: usize,
    },
    /// The input ends inside this record (a torn write, or a cut file).
    Incomplete,
    /// The length field exceeds [`MAX_PAYLOAD_LEN`]: the header is garbage.
    TooLong {
        /// The length the header claims.
        len: u32,
    },
    /// The record is whole but its checksum does not match its bytes.
    BadChecksum,
}

impl Frame<'_> {
    /// Why this frame is not a record, in words for an error message.
    pub(crate) fn describe(&self) -> String {
        match self {
            Frame::Record { lsn, .. } => format!("a valid record (LSN {lsn})"),
            Frame::Incomplete => "the file ends in the middle of a record".to_owned(),
            Frame::TooLong { len } => {
                format!("a record header claims {len} bytes, more than any record may hold")
            }
            Frame::BadChecksum => "a record's checksum does not match its contents".to_owned(),
        }
    }
}

/// The CRC-32 that protects a record: over the LSN's 8 bytes, then the
/// payload, so a record copied to the wrong place or with a stale LSN fails.
fn checksum(lsn: u64, payload: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&lsn.to_le_bytes());
    hasher.update(payload);
    hasher.finalize()
}

/// Appends one framed record to `out` whose payload is what `write`
/// appends after the header, and returns the payload's length.
///
/// The header is reserved first and filled in once the payload is there, so
/// the payload is written once, straight into the batch. `len_hint` is the
/// payload's expected length (room is reserved for it). A payload longer
/// than [`MAX_PAYLOAD_LEN`] is cut away again and refused.
pub(crate) fn encode_with(
    out: &mut BytesMut,
    lsn: u64,
    len_hint: usize,
    write: impl FnOnce(&mut BytesMut),
) -> Result<(), WalError> {
    let start = out.len();
    out.reserve(HEADER_LEN + len_hint);
    out.put_bytes(0, HEADER_LEN);
    write(out);
    let body = start + HEADER_LEN;
    assert!(out.len() >= body, "a record's payload writer must only append");
    let len = out.len() - body;
    if len > MAX_PAYLOAD_LEN {
        out.truncate(start);
        return Err(WalError::TooLarge { len, max: MAX_PAYLOAD_LEN });
    }
    let crc = checksum(lsn, &out[body..]);
    let mut header = &mut out[start..body];
    // No truncation: the length is bounded by MAX_PAYLOAD_LEN < 2^32.
    header.put_u32_le(len as u32);
    header.put_u32_le(crc);
    header.put_u64_le(lsn);
    Ok(())
}

/// Reads the frame at the start of `buf`.
pub(crate) fn decode(buf: &[u8]) -> Frame<'_> {
    let Some(mut header) = buf.get(..HEADER_LEN) else {
        return Frame::Incomplete;
    };
    let len = header.get_u32_le();
    let crc = header.get_u32_le();
    let lsn = header.get_u64_le();
    let payload_len = len as usize;
    if payload_len > MAX_PAYLOAD_LEN {
        return Frame::TooLong { len };
    }
    let Some(payload) = buf.get(HEADER_LEN..HEADER_LEN + payload_len) else {
        return Frame::Incomplete;
    };
    if checksum(lsn, payload) != crc {
        return Frame::BadChecksum;
    }
    Frame::Record { lsn, payload, len: HEADER_LEN + payload_len }
}

/// Whether a valid record with an LSN of at least `min_lsn` starts anywhere
/// in `buf` after offset `from`.
///
/// Recovery asks this after damage in the last segment: if nothing valid
/// follows, the damage is a torn tail (a write cut short by a crash) and may
/// be cut off; if something does, it is corruption and must not be
/// silently dropped. Cheap on the usual zero-filled or short tail: most
/// offsets fail the LSN test before any checksum is computed.
pub(crate) fn valid_record_after(buf: &[u8], from: usize, min_lsn: u64) -> bool {
    // LSNs of later records exceed `min_lsn` by at most the number of LSNs
    // handed out since; 2^40 is far beyond any real count and rejects noise.
    const PLAUSIBLE_SPAN: u64 = 1 << 40;
    let last_start = buf.len().saturating_sub(HEADER_LEN);
    (from..=last_start).any(|offset| {
        let mut lsn_bytes = &buf[offset + 8..offset + HEADER_LEN];
        let lsn = lsn_bytes.get_u64_le();
        lsn >= min_lsn
            && lsn - min_lsn < PLAUSIBLE_SPAN
            && matches!(decode(&buf[offset..]), Frame::Record { .. })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn framed(lsn: u64, payload: &[u8]) -> Vec<u8> {
        let mut out = BytesMut::new();
        encode_with(&mut out, lsn, payload.len(), |buf| buf.put_slice(payload)).expect("fits");
        out.to_vec()
    }

    #[test]
    fn header_layout_is_little_endian_len_crc_lsn() {
        let bytes = framed(0x0102_0304_0506_0708, b"abc");
        assert_eq!(bytes.len(), HEADER_LEN + 3);
        assert_eq!(&bytes[0..4], &[3, 0, 0, 0]);
        assert_eq!(&bytes[8..16], &[8, 7, 6, 5, 4, 3, 2, 1]);
        assert_eq!(&bytes[16..], b"abc");
        let mut crc = crc32fast::Hasher::new();
        crc.update(&bytes[8..]);
        assert_eq!(&bytes[4..8], &crc.finalize().to_le_bytes());
    }

    #[test]
    fn empty_input_and_short_header_are_incomplete() {
        assert_eq!(decode(&[]), Frame::Incomplete);
        assert_eq!(decode(&framed(1, b"x")[..10]), Frame::Incomplete);
    }

    #[test]
    fn oversized_length_is_rejected_before_reading() {
        let mut bytes = framed(1, b"x");
        bytes[0..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode(&bytes), Frame::TooLong { len: u32::MAX });
    }

    #[test]
    fn valid_record_after_finds_a_record_past_garbage() {
        let mut bytes = vec![0xAB; 37];
        bytes.extend(framed(10, b"later"));
        assert!(valid_record_after(&bytes, 1, 5));
        assert!(!valid_record_after(&bytes, 1, 11), "LSN below the floor is not accepted");
        assert!(!valid_record_after(&[0; 4096], 1, 1), "zeros hold no record");
    }

    fn payload_len() -> impl Strategy<Value = usize> {
        prop_oneof![Just(0_usize), 1_usize..300, 65_000_usize..70_000, Just(200_000_usize)]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn round_trip(lsn in any::<u64>(), len in payload_len(), seed in any::<u8>()) {
            let payload: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(31) ^ seed).collect();
            let mut bytes = framed(lsn, &payload);
            bytes.extend_from_slice(b"next record");
            match decode(&bytes) {
                Frame::Record { lsn: got, payload: body, len: size } => {
                    prop_assert_eq!(got, lsn);
                    prop_assert_eq!(body, &payload[..]);
                    prop_assert_eq!(size, HEADER_LEN + len);
                }
                other => prop_assert!(false, "decoded {:?}", other),
            }
        }

        #[test]
        fn every_cut_is_incomplete(len in 0_usize..100, cut_seed in any::<usize>()) {
            let bytes = framed(7, &vec![1; len]);
            let cut = cut_seed % bytes.len();
            prop_assert_eq!(decode(&bytes[..cut]), Frame::Incomplete);
        }

        #[test]
        fn any_flipped_bit_after_the_length_is_detected(len in 1_usize..100, bit_seed in any::<usize>()) {
            let mut bytes = framed(7, &vec![0x5A; len]);
            let bit = 32 + bit_seed % ((bytes.len() - 4) * 8);
            bytes[bit / 8] ^= 1 << (bit % 8);
            prop_assert_eq!(decode(&bytes), Frame::BadChecksum);
        }
    }
}
