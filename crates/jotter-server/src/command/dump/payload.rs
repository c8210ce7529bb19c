//! The frame around a serialized value, as Redis's DUMP writes it: the
//! object, then the RDB format version it was written in (two bytes,
//! little-endian), then a CRC-64 (Jones polynomial, reflected, as Redis
//! computes it) of everything before it (eight bytes, little-endian). A
//! frame whose checksum does not match, or whose version is newer than
//! [`NEWEST_READ`], is refused before its object is read.

/// The RDB version our payloads carry: Redis 7.0's, so that a Redis 7.0
/// RESTOREs what Jotter DUMPs.
pub(super) const WRITTEN: u16 = 10;

/// The newest RDB version read: Redis 7.2's, whose payloads differ from
/// 7.0's only by encodings [`decode`](super::decode) reads.
const NEWEST_READ: u16 = 11;

/// Closes a payload: appends the version and the checksum.
pub(in crate::command) fn seal(mut object: Vec<u8>) -> Vec<u8> {
    object.extend_from_slice(&WRITTEN.to_le_bytes());
    let crc = crc64(&object);
    object.extend_from_slice(&crc.to_le_bytes());
    object
}

/// The object inside a payload, or `None` if the version or the checksum is
/// wrong.
pub(in crate::command) fn open(payload: &[u8]) -> Option<&[u8]> {
    let body_len = payload.len().checked_sub(10)?;
    let (body, footer) = payload.split_at(body_len);
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    let crc = u64::from_le_bytes(footer[2..].try_into().ok()?);
    (version <= NEWEST_READ && crc64(&payload[..body_len + 2]) == crc).then_some(body)
}

/// The reflected form of the Jones polynomial 0xad93d23594c935a9.
const POLY: u64 = 0x95ac_9329_ac4b_c9b5;

const TABLE: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u64;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ POLY } else { crc >> 1 };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

fn crc64(data: &[u8]) -> u64 {
    data.iter().fold(0u64, |crc, &byte| TABLE[usize::from((crc as u8) ^ byte)] ^ (crc >> 8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checksum_is_redis_crc64() {
        // The check value Redis's own crc64 test uses.
        assert_eq!(crc64(b"123456789"), 0xe9c6_d914_c4b8_d9ca);
    }

    #[test]
    fn a_sealed_payload_opens_and_a_changed_one_does_not() {
        let sealed = seal(b"\x00\x03abc".to_vec());
        assert_eq!(open(&sealed), Some(&b"\x00\x03abc"[..]));
        let mut bad = sealed.clone();
        bad[2] ^= 1;
        assert_eq!(open(&bad), None);
        assert_eq!(open(&sealed[..9]), None);
    }
}
