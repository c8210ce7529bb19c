//! Reading the compact encodings inside Redis's payloads: a listpack (Redis
//! 7's packed list of strings and integers, used for small hashes, sorted
//! sets, sets and list nodes) and an intset (a small set of integers). Each
//! element comes out as the bytes Redis would reply with: an integer as its
//! decimal digits.

/// The elements of a listpack, or `None` if it is malformed.
pub(super) fn elements(lp: &[u8]) -> Option<Vec<Vec<u8>>> {
    let total = usize::try_from(u32::from_le_bytes(lp.get(..4)?.try_into().ok()?)).ok()?;
    if total != lp.len() {
        return None;
    }
    let count = u16::from_le_bytes(lp.get(4..6)?.try_into().ok()?);
    let mut out = Vec::new();
    let mut i = 6;
    loop {
        let first = *lp.get(i)?;
        if first == 0xff {
            break;
        }
        let (element, size) = entry(lp.get(i..)?)?;
        out.push(element);
        i += size + backlen_size(size);
    }
    // 65535 means "too many to count here"; otherwise the count must agree.
    (i + 1 == lp.len() && (count == u16::MAX || usize::from(count) == out.len())).then_some(out)
}

/// One entry at the start of `e`: its element and the size of its encoding
/// and data (without the back-length that follows).
fn entry(e: &[u8]) -> Option<(Vec<u8>, usize)> {
    let b0 = e[0];
    let int = |value: i64, size: usize| Some((value.to_string().into_bytes(), size));
    let string =
        |start: usize, len: usize| Some((e.get(start..start + len)?.to_vec(), start + len));
    match b0 {
        0x00..=0x7f => int(i64::from(b0), 1),
        0x80..=0xbf => string(1, usize::from(b0 & 0x3f)),
        0xc0..=0xdf => {
            let raw = (i64::from(b0 & 0x1f) << 8) | i64::from(*e.get(1)?);
            int(if raw >= 1 << 12 { raw - (1 << 13) } else { raw }, 2)
        }
        0xe0..=0xef => string(2, (usize::from(b0 & 0x0f) << 8) | usize::from(*e.get(1)?)),
        0xf0 => {
            let len = u32::from_le_bytes(e.get(1..5)?.try_into().ok()?);
            string(5, usize::try_from(len).ok()?)
        }
        0xf1 => int(i64::from(i16::from_le_bytes(e.get(1..3)?.try_into().ok()?)), 3),
        0xf2 => {
            let b = e.get(1..4)?;
            int(i64::from(i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8), 4)
        }
        0xf3 => int(i64::from(i32::from_le_bytes(e.get(1..5)?.try_into().ok()?)), 5),
        0xf4 => int(i64::from_le_bytes(e.get(1..9)?.try_into().ok()?), 9),
        _ => None,
    }
}

/// How many bytes the back-length of an entry of `size` bytes takes.
fn backlen_size(size: usize) -> usize {
    match size {
        0..=127 => 1,
        128..=16_382 => 2,
        16_383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    }
}

/// The members of an intset, or `None` if it is malformed.
pub(super) fn intset(set: &[u8]) -> Option<Vec<Vec<u8>>> {
    let width = usize::try_from(u32::from_le_bytes(set.get(..4)?.try_into().ok()?)).ok()?;
    let len = usize::try_from(u32::from_le_bytes(set.get(4..8)?.try_into().ok()?)).ok()?;
    let body = set.get(8..)?;
    if !matches!(width, 2 | 4 | 8) || body.len() != width.checked_mul(len)? {
        return None;
    }
    let members = body.chunks_exact(width).map(|c| {
        let value = match width {
            2 => i64::from(i16::from_le_bytes([c[0], c[1]])),
            4 => i64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            _ => i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]),
        };
        value.to_string().into_bytes()
    });
    Some(members.collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A listpack of `entries` (each encoding and data), back-lengths added.
    fn pack(entries: &[&[u8]]) -> Vec<u8> {
        let mut body = Vec::new();
        for e in entries {
            body.extend_from_slice(e);
            body.push(u8::try_from(e.len()).unwrap());
        }
        let mut lp = Vec::new();
        lp.extend_from_slice(&u32::try_from(body.len() + 7).unwrap().to_le_bytes());
        lp.extend_from_slice(&u16::try_from(entries.len()).unwrap().to_le_bytes());
        lp.extend_from_slice(&body);
        lp.push(0xff);
        lp
    }

    #[test]
    fn every_encoding_reads() {
        let lp = pack(&[
            &[5],
            &[0x83, b'a', b'b', b'c'],
            &[0xdf, 0xff],
            &[0xf1, 0x00, 0x80],
            &[0xf2, 0x01, 0x00, 0x80],
            &[0xf3, 0xff, 0xff, 0xff, 0x7f],
        ]);
        let got: Vec<String> =
            elements(&lp).unwrap().into_iter().map(|e| String::from_utf8(e).unwrap()).collect();
        assert_eq!(got, ["5", "abc", "-1", "-32768", "-8388607", "2147483647"]);
        assert_eq!(elements(&lp[..lp.len() - 1]), None);
    }

    #[test]
    fn an_intset_reads_at_each_width() {
        let mut set = vec![2, 0, 0, 0, 2, 0, 0, 0];
        set.extend_from_slice(&(-3i16).to_le_bytes());
        set.extend_from_slice(&7i16.to_le_bytes());
        assert_eq!(intset(&set), Some(vec![b"-3".to_vec(), b"7".to_vec()]));
        assert_eq!(intset(&set[..11]), None);
    }
}
