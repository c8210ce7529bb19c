//! Reading and reshaping Redis's replies as bytes, without decoding them
//! into values: the elements of an array reply (EXEC's, SCAN's, KEYS'),
//! an array rebuilt from some of them, a bulk string's payload, an error.
//! Whatever is not reshaped reaches the client exactly as Redis wrote it,
//! in the protocol (RESP2 or RESP3) the client chose.

use bytes::{BufMut, Bytes, BytesMut};
use jotter_resp::Frame;
use jotter_scaleout::is_reserved;

/// The elements of an array reply (`*n`) or a RESP3 push (`>n`), each as
/// its bytes; `None` for any other reply (an error, a null array).
pub(crate) fn elements(reply: &Bytes) -> Option<Vec<Bytes>> {
    let rest = reply.strip_prefix(b"*").or_else(|| reply.strip_prefix(b">"))?;
    let end = rest.iter().position(|&b| b == b'\r')?;
    let count: usize = std::str::from_utf8(&rest[..end]).ok()?.parse().ok()?;
    let mut at = 1 + end + 2;
    let mut items = Vec::with_capacity(count.min(1024));
    for _ in 0..count {
        let len = Frame::measure(reply.get(at..)?).ok()??;
        items.push(reply.slice(at..at + len));
        at += len;
    }
    Some(items)
}

/// An array reply of `items`.
pub(crate) fn array(items: &[Bytes]) -> Bytes {
    let mut out = BytesMut::with_capacity(16 + items.iter().map(Bytes::len).sum::<usize>());
    out.put_slice(format!("*{}\r\n", items.len()).as_bytes());
    items.iter().for_each(|item| out.put_slice(item));
    out.freeze()
}

/// A bulk string's payload (`$n` or RESP3's simple string).
pub(crate) fn bulk(reply: &[u8]) -> Option<&[u8]> {
    match reply.first()? {
        b'$' => {
            let end = reply.iter().position(|&b| b == b'\r')?;
            let len: usize = std::str::from_utf8(&reply[1..end]).ok()?.parse().ok()?;
            reply.get(end + 2..end + 2 + len)
        }
        b'+' => reply.get(1..reply.len().checked_sub(2)?),
        _ => None,
    }
}

/// An integer reply's value.
pub(crate) fn integer(reply: &[u8]) -> Option<i64> {
    let text = reply.strip_prefix(b":")?.strip_suffix(b"\r\n")?;
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// Whether `reply` is a null (RESP2's null array or bulk string, RESP3's
/// null): what a blocking command run in MULTI answers when it found
/// nothing.
pub(crate) fn is_null(reply: &[u8]) -> bool {
    matches!(reply, b"*-1\r\n" | b"$-1\r\n" | b"_\r\n")
}

/// Whether `reply` is an error (simple or, in RESP3, blob).
pub(crate) fn is_error(reply: &[u8]) -> bool {
    matches!(reply.first(), Some(b'-' | b'!'))
}

/// An error reply of `text` (which starts with its code, e.g. `ERR`).
pub(crate) fn error(text: &str) -> Bytes {
    let line = text.replace(['\r', '\n'], " ");
    Bytes::from(format!("-{line}\r\n"))
}

/// An array of bulk strings with Jotter's own keys left out.
pub(crate) fn without_own_keys(reply: &Bytes) -> Option<Bytes> {
    let items = elements(reply)?;
    let kept: Vec<Bytes> =
        items.into_iter().filter(|item| !bulk(item).is_some_and(is_reserved)).collect();
    Some(array(&kept))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_keys_are_left_out_of_an_array() {
        let reply = Bytes::from_static(b"*3\r\n$1\r\na\r\n$12\r\n{jotter}:ver\r\n$1\r\nb\r\n");
        assert_eq!(
            without_own_keys(&reply).unwrap(),
            Bytes::from_static(b"*2\r\n$1\r\na\r\n$1\r\nb\r\n")
        );
    }

    #[test]
    fn elements_are_whole_frames() {
        let reply = Bytes::from_static(b"*2\r\n*1\r\n:1\r\n+QUEUED\r\n");
        let items = elements(&reply).unwrap();
        assert_eq!(items, [&b"*1\r\n:1\r\n"[..], b"+QUEUED\r\n"]);
        assert_eq!(elements(&Bytes::from_static(b"*-1\r\n")), None);
        assert_eq!(bulk(b"$2\r\nhi\r\n"), Some(&b"hi"[..]));
        assert_eq!(integer(b":12\r\n"), Some(12));
        let push = Bytes::from_static(b">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n");
        assert_eq!(elements(&push).unwrap().len(), 2);
        assert!(is_null(b"_\r\n") && is_null(b"*-1\r\n") && !is_null(b"*0\r\n"));
    }
}
