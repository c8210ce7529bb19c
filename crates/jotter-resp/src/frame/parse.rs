//! Reading [`Frame`]s from a server's reply stream.
//!
//! Parsing is two passes, as in mini-redis: first [`measure`] checks that a whole, valid frame
//! is buffered and finds its end without allocating, then [`build`] reads it from the frozen
//! bytes, slicing strings out of them (no copy). An incomplete frame thus costs one scan and no
//! allocation, and every aggregate's element count is known to be backed by buffered bytes
//! before a vector is sized for it.
//!
//! This parser is stricter than the request decoder: a reply must end every line and payload
//! with CRLF.

use bytes::{Bytes, BytesMut};

use crate::{Frame, FrameError};

/// How deep aggregates may nest. Redis replies nest a few levels; the limit keeps hostile input
/// from overflowing the stack.
const MAX_DEPTH: usize = 128;

impl Frame {
    /// Reads one frame from the front of `buf`, consuming its bytes; `Ok(None)` if the frame is
    /// not complete yet (nothing is consumed then).
    ///
    /// RESP2's `$-1` reads as [`Frame::Null`] and `*-1` as [`Frame::NullArray`]; RESP3's `_`
    /// as [`Frame::Null`].
    ///
    /// ```
    /// use bytes::{Bytes, BytesMut};
    /// use jotter_resp::Frame;
    ///
    /// let mut buf = BytesMut::from(&b"*2\r\n$3\r\nfoo\r\n,1.5\r\n:7"[..]);
    /// let frame = Frame::parse(&mut buf)?;
    /// assert_eq!(frame, Some(Frame::Array(vec![Frame::Bulk(Bytes::from("foo")), Frame::Double(1.5)])));
    /// assert_eq!(Frame::parse(&mut buf)?, None); // ":7" still lacks its CRLF
    /// # Ok::<(), jotter_resp::FrameError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A [`FrameError`] when the bytes are not RESP.
    pub fn parse(buf: &mut BytesMut) -> Result<Option<Frame>, FrameError> {
        let Some(end) = measure(buf, 0, 0)? else { return Ok(None) };
        let bytes = buf.split_to(end).freeze();
        build(&bytes, &mut 0).map(Some)
    }

    /// The length of the whole frame at the front of `buf`, without
    /// building it; `Ok(None)` if it is not complete yet. For relaying a
    /// server's replies byte for byte.
    ///
    /// ```
    /// use jotter_resp::Frame;
    ///
    /// assert_eq!(Frame::measure(b"*2\r\n:1\r\n+OK\r\n:9")?, Some(13));
    /// assert_eq!(Frame::measure(b"$3\r\nab")?, None);
    /// # Ok::<(), jotter_resp::FrameError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A [`FrameError`] when the bytes are not RESP.
    pub fn measure(buf: &[u8]) -> Result<Option<usize>, FrameError> {
        measure(buf, 0, 0)
    }
}

/// Checks that a whole frame starts at `at`; returns where it ends, or `None` if incomplete.
fn measure(buf: &[u8], at: usize, depth: usize) -> Result<Option<usize>, FrameError> {
    if depth > MAX_DEPTH {
        return Err(FrameError::TooDeep(MAX_DEPTH));
    }
    let Some(&kind) = buf.get(at) else { return Ok(None) };
    let Some((line, mut next)) = line(buf, at + 1)? else { return Ok(None) };
    match kind {
        b'+' | b'-' => {}
        b':' => {
            integer(line)?;
        }
        b'_' => null(line)?,
        b',' => {
            double(line)?;
        }
        b'#' => {
            boolean(line)?;
        }
        b'(' => big_number(line)?,
        b'$' | b'!' | b'=' => {
            let Some(len) = length(line, kind == b'$')? else { return Ok(Some(next)) };
            let Some(end) = next.checked_add(len).filter(|end| end.checked_add(2).is_some()) else {
                return Err(FrameError::InvalidInteger);
            };
            if buf.len() < end + 2 {
                return Ok(None);
            }
            if &buf[end..end + 2] != b"\r\n" {
                return Err(FrameError::MissingCrlf);
            }
            if kind == b'=' && (len < 4 || buf[next + 3] != b':') {
                return Err(FrameError::InvalidVerbatim);
            }
            next = end + 2;
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let Some(count) = length(line, kind == b'*')? else { return Ok(Some(next)) };
            let elements = match kind {
                b'%' | b'|' => count.checked_mul(2).ok_or(FrameError::InvalidInteger)?,
                _ => count,
            };
            for _ in 0..elements {
                let Some(end) = measure(buf, next, depth + 1)? else { return Ok(None) };
                next = end;
            }
            if kind == b'|' {
                // Attributes describe the frame that follows them.
                let Some(end) = measure(buf, next, depth + 1)? else { return Ok(None) };
                next = end;
            }
        }
        other => return Err(FrameError::InvalidType(other)),
    }
    Ok(Some(next))
}

/// Reads the frame at `*at` from bytes that [`measure`] has checked (nesting depth included),
/// advancing `*at`.
fn build(bytes: &Bytes, at: &mut usize) -> Result<Frame, FrameError> {
    let kind = *bytes.get(*at).ok_or(FrameError::MissingCrlf)?;
    let (line, next) = line(bytes, *at + 1)?.ok_or(FrameError::MissingCrlf)?;
    let line_range = (*at + 1)..(*at + 1 + line.len());
    *at = next;
    let frame = match kind {
        b'+' => Frame::Simple(bytes.slice(line_range)),
        b'-' => Frame::Error(bytes.slice(line_range)),
        b':' => Frame::Integer(integer(line)?),
        b'_' => Frame::Null,
        b',' => Frame::Double(double(line)?),
        b'#' => Frame::Boolean(boolean(line)?),
        b'(' => Frame::BigNumber(bytes.slice(line_range)),
        b'$' | b'!' | b'=' => {
            let Some(len) = length(line, kind == b'$')? else { return Ok(Frame::Null) };
            let data = bytes.slice(next..next + len);
            *at = next + len + 2;
            match kind {
                b'$' => Frame::Bulk(data),
                b'!' => Frame::BlobError(data),
                _ => Frame::Verbatim { format: [data[0], data[1], data[2]], text: data.slice(4..) },
            }
        }
        b'*' | b'~' | b'>' => {
            let Some(count) = length(line, kind == b'*')? else { return Ok(Frame::NullArray) };
            // `measure` found `count` frames of at least three bytes each in the buffer, so this
            // allocation is bounded by the bytes received.
            let mut items = Vec::with_capacity(count);
            for _ in 0..count {
                items.push(build(bytes, at)?);
            }
            match kind {
                b'*' => Frame::Array(items),
                b'~' => Frame::Set(items),
                _ => Frame::Push(items),
            }
        }
        b'%' | b'|' => {
            let count = length(line, false)?.unwrap_or(0);
            let mut pairs = Vec::with_capacity(count);
            for _ in 0..count {
                let key = build(bytes, at)?;
                pairs.push((key, build(bytes, at)?));
            }
            if kind == b'%' {
                Frame::Map(pairs)
            } else {
                Frame::Attribute { attributes: pairs, data: Box::new(build(bytes, at)?) }
            }
        }
        other => return Err(FrameError::InvalidType(other)),
    };
    Ok(frame)
}

/// The line starting at `at` (without its CRLF) and where the next one starts; `None` if its
/// CRLF has not arrived. A line holds neither CR nor LF: either alone is an error.
fn line(buf: &[u8], at: usize) -> Result<Option<(&[u8], usize)>, FrameError> {
    let rest = buf.get(at..).unwrap_or_default();
    let Some(end) = rest.iter().position(|&byte| byte == b'\r' || byte == b'\n') else {
        return Ok(None);
    };
    match (rest[end], rest.get(end + 1)) {
        (b'\r', None) => Ok(None),
        (b'\r', Some(b'\n')) => Ok(Some((&rest[..end], at + end + 2))),
        _ => Err(FrameError::MissingCrlf),
    }
}

/// A length field; `None` for `-1` where a null is allowed (`$-1`, `*-1`).
fn length(line: &[u8], null_allowed: bool) -> Result<Option<usize>, FrameError> {
    if line == b"?" {
        return Err(FrameError::Streamed);
    }
    match integer(line)? {
        -1 if null_allowed => Ok(None),
        len => usize::try_from(len).map(Some).map_err(|_| FrameError::InvalidInteger),
    }
}

fn integer(line: &[u8]) -> Result<i64, FrameError> {
    std::str::from_utf8(line)
        .ok()
        .and_then(|text| text.parse().ok())
        .ok_or(FrameError::InvalidInteger)
}

fn double(line: &[u8]) -> Result<f64, FrameError> {
    std::str::from_utf8(line)
        .ok()
        .and_then(|text| text.parse().ok())
        .ok_or(FrameError::InvalidDouble)
}

fn boolean(line: &[u8]) -> Result<bool, FrameError> {
    match line {
        b"t" => Ok(true),
        b"f" => Ok(false),
        _ => Err(FrameError::InvalidBoolean),
    }
}

fn null(line: &[u8]) -> Result<(), FrameError> {
    if line.is_empty() { Ok(()) } else { Err(FrameError::InvalidNull) }
}

fn big_number(line: &[u8]) -> Result<(), FrameError> {
    let digits = match line {
        [b'-' | b'+', rest @ ..] => rest,
        _ => line,
    };
    if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) {
        Ok(())
    } else {
        Err(FrameError::InvalidBigNumber)
    }
}

#[cfg(test)]
mod tests {
    use bytes::{Bytes, BytesMut};

    use crate::{Frame, FrameError};

    fn parse(input: &[u8]) -> Result<Option<Frame>, FrameError> {
        Frame::parse(&mut BytesMut::from(input))
    }

    fn bulk(text: &str) -> Frame {
        Frame::Bulk(Bytes::copy_from_slice(text.as_bytes()))
    }

    #[test]
    fn parses_each_type() {
        let cases: Vec<(&[u8], Frame)> = vec![
            (b"+OK\r\n", Frame::Simple(Bytes::from("OK"))),
            (b"-ERR x\r\n", Frame::Error(Bytes::from("ERR x"))),
            (b":-12\r\n", Frame::Integer(-12)),
            (b":+12\r\n", Frame::Integer(12)),
            (b"$3\r\na\r\n\r\n", bulk("a\r\n")),
            (b"$0\r\n\r\n", bulk("")),
            (b"$-1\r\n", Frame::Null),
            (b"*-1\r\n", Frame::NullArray),
            (b"_\r\n", Frame::Null),
            (b"*0\r\n", Frame::Array(vec![])),
            (b",1.5\r\n", Frame::Double(1.5)),
            (b",1e+20\r\n", Frame::Double(1e20)),
            (b",-inf\r\n", Frame::Double(f64::NEG_INFINITY)),
            (b"#t\r\n", Frame::Boolean(true)),
            (b"#f\r\n", Frame::Boolean(false)),
            (b"!5\r\nERR x\r\n", Frame::BlobError(Bytes::from("ERR x"))),
            (b"=8\r\ntxt:abcd\r\n", Frame::Verbatim { format: *b"txt", text: Bytes::from("abcd") }),
            (b"(-123\r\n", Frame::BigNumber(Bytes::from("-123"))),
            (
                b"%1\r\n+a\r\n:1\r\n",
                Frame::Map(vec![(Frame::Simple(Bytes::from("a")), Frame::Integer(1))]),
            ),
            (b"~2\r\n:1\r\n:2\r\n", Frame::Set(vec![Frame::Integer(1), Frame::Integer(2)])),
            (b">1\r\n+x\r\n", Frame::Push(vec![Frame::Simple(Bytes::from("x"))])),
            (
                b"|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n",
                Frame::Attribute {
                    attributes: vec![(Frame::Simple(Bytes::from("ttl")), Frame::Integer(3))],
                    data: Box::new(bulk("v")),
                },
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(parse(input), Ok(Some(expected)), "{:?}", String::from_utf8_lossy(input));
        }
        assert!(matches!(parse(b",nan\r\n"), Ok(Some(Frame::Double(v))) if v.is_nan()));
    }

    #[test]
    fn every_proper_prefix_is_incomplete() {
        let input =
            b"*3\r\n%1\r\n$1\r\nk\r\n=8\r\ntxt:abcd\r\n|1\r\n+a\r\n#t\r\n,2.5\r\n~1\r\n_\r\n";
        for end in 0..input.len() {
            assert_eq!(parse(&input[..end]), Ok(None), "prefix of {end} bytes");
        }
        let mut buf = BytesMut::from(&input[..]);
        buf.extend_from_slice(b"+next\r\n");
        assert!(matches!(Frame::parse(&mut buf), Ok(Some(Frame::Array(_)))));
        assert_eq!(&buf[..], b"+next\r\n");
    }

    #[test]
    fn malformed_replies_are_errors() {
        let cases: &[(&[u8], FrameError)] = &[
            (b"?x\r\n", FrameError::InvalidType(b'?')),
            (b":x\r\n", FrameError::InvalidInteger),
            (b":\r\n", FrameError::InvalidInteger),
            (b"$-2\r\n", FrameError::InvalidInteger),
            (b"%-1\r\n", FrameError::InvalidInteger),
            (b"$1\r\nab\r\n", FrameError::MissingCrlf),
            (b"+a\rb\r\n", FrameError::MissingCrlf),
            (b"+a\nb\r\n", FrameError::MissingCrlf),
            (b":1\n", FrameError::MissingCrlf),
            (b",x\r\n", FrameError::InvalidDouble),
            (b"#x\r\n", FrameError::InvalidBoolean),
            (b"_x\r\n", FrameError::InvalidNull),
            (b"(12a\r\n", FrameError::InvalidBigNumber),
            (b"=3\r\ntxt\r\n", FrameError::InvalidVerbatim),
            (b"=4\r\ntxtx\r\n", FrameError::InvalidVerbatim),
            (b"$?\r\n", FrameError::Streamed),
            (b"*?\r\n", FrameError::Streamed),
        ];
        for (input, expected) in cases {
            assert_eq!(parse(input), Err(*expected), "{:?}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowing_the_stack() {
        let mut input = b"*1\r\n".repeat(100_000);
        input.extend_from_slice(b":1\r\n");
        assert_eq!(parse(&input), Err(FrameError::TooDeep(super::MAX_DEPTH)));
        let mut ok = b"*1\r\n".repeat(super::MAX_DEPTH);
        ok.extend_from_slice(b":1\r\n");
        assert!(matches!(parse(&ok), Ok(Some(Frame::Array(_)))));
    }

    #[test]
    fn huge_declared_aggregates_allocate_nothing_until_their_bytes_arrive() {
        assert_eq!(parse(b"*9223372036854775807\r\n:1\r\n"), Ok(None));
        assert_eq!(parse(b"$9223372036854775000\r\nabc"), Ok(None));
        assert_eq!(parse(b"$9223372036854775807\r\nabc"), Ok(None));
    }
}
