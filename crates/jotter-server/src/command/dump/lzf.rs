//! LZF decompression, for the compressed strings in payloads Redis writes
//! (Redis compresses a string of more than 20 bytes when that saves space).
//! Jotter writes its payloads uncompressed.

/// `data` decompressed into exactly `len` bytes, or `None` if it is not a
/// valid LZF stream of that length.
pub(super) fn decompress(data: &[u8], len: usize) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(len);
    let mut i = 0;
    while i < data.len() {
        let ctrl = usize::from(data[i]);
        i += 1;
        if ctrl < 32 {
            // A literal run of ctrl + 1 bytes.
            let run = data.get(i..i + ctrl + 1)?;
            out.extend_from_slice(run);
            i += ctrl + 1;
        } else {
            // A back reference: length in the top three bits (7 means one
            // more byte of length), distance in the rest and the next byte.
            let mut run = ctrl >> 5;
            if run == 7 {
                run += usize::from(*data.get(i)?);
                i += 1;
            }
            let distance = ((ctrl & 0x1f) << 8) + usize::from(*data.get(i)?) + 1;
            i += 1;
            let start = out.len().checked_sub(distance)?;
            for k in 0..run + 2 {
                let byte = out[start + k];
                out.push(byte);
            }
        }
        if out.len() > len {
            return None;
        }
    }
    (out.len() == len).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_back_references_expand() {
        // "abcabcabc": a literal "abc", then 6 bytes from 3 back.
        let compressed = [2, b'a', b'b', b'c', 0x80, 2];
        assert_eq!(decompress(&compressed, 9).as_deref(), Some(&b"abcabcabc"[..]));
        assert_eq!(decompress(&compressed, 8), None);
        assert_eq!(decompress(&[0x80, 9], 2), None);
    }
}
