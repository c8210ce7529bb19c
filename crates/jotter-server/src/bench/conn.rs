//! A bench client's connection, lean so that the client costs less CPU a
//! request than the servers it measures (they share the machine's cores):
//! requests are written from one reused buffer in one write a batch, and
//! replies are not decoded, only delimited (where each ends, and whether it
//! is an error), straight from one reused read buffer.
//!
//! It speaks RESP2 (`HELLO 2`), as redis-benchmark does: replies are the
//! ones a Redis client sees by default, and no RESP3 push interleaves.

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::target::Target;
use crate::operator::remote::RemoteError;

/// One reply, delimited: how many bytes it took and whether it is an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reply {
    len: usize,
    pub error: bool,
}

/// Finds the end of the reply at the start of `buf`; `None` while it is
/// incomplete. Replies inside aggregates (arrays, maps, sets) count as
/// part of theirs; an error among them (EXEC's) does not make it one.
pub(crate) fn delimit(buf: &[u8]) -> Option<Reply> {
    let (len, _) = skip(buf, 0)?;
    Some(Reply { len, error: matches!(buf.first(), Some(b'-' | b'!')) })
}

/// The end of the line starting at `at` (after its `\r\n`), and its text
/// without the type byte.
fn line(buf: &[u8], at: usize) -> Option<(usize, &[u8])> {
    let rest = buf.get(at..)?;
    let end = rest.windows(2).position(|w| w == b"\r\n")?;
    Some((at + end + 2, rest.get(1..end).unwrap_or_default()))
}

/// Skips one reply starting at `at`; returns where the next one starts and
/// the reply's own length field, if it has one.
fn skip(buf: &[u8], at: usize) -> Option<(usize, i64)> {
    let kind = *buf.get(at)?;
    let (next, text) = line(buf, at)?;
    let count = || std::str::from_utf8(text).ok()?.parse::<i64>().ok();
    match kind {
        // Bulk strings, bulk errors, verbatim strings: a length, the bytes.
        b'$' | b'!' | b'=' => {
            let len = count()?;
            if len < 0 {
                return Some((next, len));
            }
            let end = next + len as usize + 2;
            (buf.len() >= end).then_some((end, len))
        }
        // Aggregates: their elements follow (maps and attributes: pairs).
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let n = count()?;
            let elements = if matches!(kind, b'%' | b'|') { n * 2 } else { n };
            let mut at = next;
            for _ in 0..elements.max(0) {
                at = skip(buf, at)?.0;
            }
            Some((at, n))
        }
        // Simple strings, errors, integers, nulls, doubles, booleans.
        _ => Some((next, 0)),
    }
}

/// One logged-in bench connection.
#[derive(Debug)]
pub(crate) struct Conn {
    stream: TcpStream,
    /// Requests queued for the next [`Conn::send`].
    pub out: BytesMut,
    input: Vec<u8>,
    /// Where the first reply not yet taken starts in `input`.
    start: usize,
    addr: String,
}

impl Conn {
    /// Connects and logs in (`HELLO 2 [AUTH default PASSWORD] SETNAME
    /// jotter-bench`).
    pub(crate) async fn connect(
        target: &Target,
        password: Option<&str>,
    ) -> Result<Conn, RemoteError> {
        let addr = target.address();
        let stream = TcpStream::connect((target.host.as_str(), target.port))
            .await
            .map_err(|source| RemoteError::Connect { addr: addr.clone(), source })?;
        // Batches are written whole: no reason to hold the last bytes back.
        let _ = stream.set_nodelay(true);
        let mut conn = Conn {
            stream,
            out: BytesMut::with_capacity(16 * 1024),
            input: Vec::with_capacity(64 * 1024),
            start: 0,
            addr,
        };
        let mut hello: Vec<&[u8]> = vec![b"HELLO", b"2"];
        if let Some(password) = password {
            hello.extend([b"AUTH".as_slice(), b"default", password.as_bytes()]);
        }
        hello.extend([b"SETNAME".as_slice(), b"jotter-bench"]);
        jotter_resp::encode_request(&hello, &mut conn.out);
        conn.send().await?;
        conn.fill().await?;
        let reply = conn.next_reply().ok_or(RemoteError::Closed { addr: conn.addr.clone() })?;
        if reply.error {
            return Err(RemoteError::Refused {
                addr: conn.addr.clone(),
                command: "HELLO".to_owned(),
                message: conn.last_reply_text(reply),
            });
        }
        Ok(conn)
    }

    /// Writes the queued requests in one write.
    pub(crate) async fn send(&mut self) -> Result<(), RemoteError> {
        let written = self.stream.write_all(&self.out).await;
        self.out.clear();
        written.map_err(|source| RemoteError::Io { addr: self.addr.clone(), source })
    }

    /// Reads what the server has sent (at least one byte).
    pub(crate) async fn fill(&mut self) -> Result<(), RemoteError> {
        if self.start > 0 {
            self.input.drain(..self.start);
            self.start = 0;
        }
        if self.input.capacity() - self.input.len() < 16 * 1024 {
            self.input.reserve(64 * 1024);
        }
        match self.stream.read_buf(&mut self.input).await {
            Ok(0) => Err(RemoteError::Closed { addr: self.addr.clone() }),
            Ok(_) => Ok(()),
            Err(source) => Err(RemoteError::Io { addr: self.addr.clone(), source }),
        }
    }

    /// Takes the next complete reply already read, if there is one.
    pub(crate) fn next_reply(&mut self) -> Option<Reply> {
        let reply = delimit(&self.input[self.start..])?;
        self.start += reply.len;
        Some(reply)
    }

    /// The text of `reply`, the one [`Conn::next_reply`] just took.
    pub(crate) fn last_reply_text(&self, reply: Reply) -> String {
        let bytes = &self.input[self.start - reply.len..self.start];
        String::from_utf8_lossy(bytes).trim_end().trim_start_matches(['-', '!']).to_owned()
    }

    /// Reads the next reply, waiting for it.
    pub(crate) async fn reply(&mut self) -> Result<Reply, RemoteError> {
        loop {
            if let Some(reply) = self.next_reply() {
                return Ok(reply);
            }
            self.fill().await?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_delimited_whole() {
        let error = |b: &[u8]| delimit(b).map(|r| (r.len, r.error));
        assert_eq!(error(b"+OK\r\n+QUEUED\r\n"), Some((5, false)));
        assert_eq!(error(b"-ERR no\r\n"), Some((9, true)));
        assert_eq!(error(b"$3\r\nabc\r\n"), Some((9, false)));
        assert_eq!(error(b"$-1\r\n"), Some((5, false)));
        assert_eq!(error(b"*2\r\n+OK\r\n-ERR x\r\n:1"), Some((17, false)));
        assert_eq!(error(b"%1\r\n+a\r\n:1\r\n"), Some((12, false)));
        for partial in [&b"$3\r\nab"[..], b"+O", b"*2\r\n+OK\r\n", b"", b"$3\r\nabc\r"] {
            assert_eq!(delimit(partial), None, "{partial:?}");
        }
    }
}
