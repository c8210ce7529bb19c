//! Decoding client requests: the server's hot path.
//!
//! A client sends either a multibulk request, an array of bulk strings
//! (`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n`, what every client library sends), or an inline
//! command line (`SET k v\r\n`, what people type into telnet). As in Redis, the first byte
//! decides: `*` is multibulk, anything else inline.
//!
//! [`RequestDecoder`] follows Redis's `processMultibulkBuffer` and `processInlineBuffer` step by
//! step, so that it accepts and refuses the same inputs with the same errors, in the same order.
//! Like Redis (its `qb_pos`), the decoder leaves a request's bytes in the buffer until the
//! request is complete and remembers how far it has read, so no byte is scanned twice however
//! the request is split across reads. A complete request is then split off the buffer in one
//! piece (`split_to` + `freeze`, no copy), and its arguments are spans of that piece: one
//! reference count for the whole request instead of one per argument, which on this hot path
//! is most of the cost.

use std::fmt;

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::inline::split_inline;
use crate::integer::parse_i64;
use crate::{Limits, ProtocolError};

/// Room made for each read when nothing larger is expected (as Redis's `PROTO_IOBUF_LEN`).
const READ_CHUNK: usize = 16 * 1024;

/// Argument slots reserved up front for a request at most; more grow as arguments arrive, so
/// that `*2147483647\r\n` costs no memory until the arguments come (as in Redis).
const MAX_ARGS_RESERVED: usize = 1024;

/// One client request: the command name and its arguments, never empty.
///
/// The arguments are spans of one shared buffer, normally the request's bytes as they
/// arrived: reading them copies nothing, and [`arg_bytes`](Self::arg_bytes) hands one out as
/// [`Bytes`] without a copy. Keeping such a `Bytes` keeps the request's bytes alive; a server
/// that stores small values long-term may prefer to copy them.
#[derive(Clone)]
pub struct Request {
    data: Bytes,
    spans: Vec<(usize, usize)>,
}

impl Request {
    /// A request with these arguments, or `None` if there are none (the protocol has no empty
    /// request: the decoder skips `*0`, `*-1` and blank lines).
    #[must_use]
    pub fn from_args<A: AsRef<[u8]>>(args: &[A]) -> Option<Self> {
        if args.is_empty() {
            return None;
        }
        let mut data = Vec::with_capacity(args.iter().map(|arg| arg.as_ref().len()).sum());
        let mut spans = Vec::with_capacity(args.len());
        for arg in args {
            let start = data.len();
            data.extend_from_slice(arg.as_ref());
            spans.push((start, data.len()));
        }
        Some(Self { data: Bytes::from(data), spans })
    }

    /// The number of arguments, the command name included (at least 1).
    #[must_use]
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Always false: a request has at least its command name.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The command name as sent (Redis matches it case-insensitively).
    #[must_use]
    pub fn name(&self) -> &[u8] {
        self.arg(0).unwrap_or_default()
    }

    /// Argument `index` (0 is the command name).
    #[must_use]
    pub fn arg(&self, index: usize) -> Option<&[u8]> {
        let &(start, end) = self.spans.get(index)?;
        self.data.get(start..end)
    }

    /// Argument `index` as [`Bytes`] sharing the request's memory (no copy).
    #[must_use]
    pub fn arg_bytes(&self, index: usize) -> Option<Bytes> {
        let &(start, end) = self.spans.get(index)?;
        (end <= self.data.len()).then(|| self.data.slice(start..end))
    }

    /// All arguments in order, the command name first.
    #[must_use]
    pub fn args(&self) -> Args<'_> {
        Args { data: &self.data, spans: self.spans.iter() }
    }

    /// All arguments as [`Bytes`] sharing the request's memory.
    #[must_use]
    pub fn into_args(self) -> Vec<Bytes> {
        self.spans.iter().map(|&(start, end)| self.data.slice(start..end)).collect()
    }

    /// Appends the request as a multibulk request, the form every client sends.
    pub fn encode(&self, out: &mut BytesMut) {
        encode_request(&self.args().collect::<Vec<_>>(), out);
    }
}

impl PartialEq for Request {
    /// Requests are equal when their arguments are, wherever the bytes live.
    fn eq(&self, other: &Self) -> bool {
        self.args().eq(other.args())
    }
}

impl Eq for Request {}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.args().map(|arg| String::from_utf8_lossy(arg))).finish()
    }
}

/// The arguments of a [`Request`], in order.
#[derive(Debug, Clone)]
pub struct Args<'a> {
    data: &'a [u8],
    spans: std::slice::Iter<'a, (usize, usize)>,
}

impl<'a> Iterator for Args<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let &(start, end) = self.spans.next()?;
        Some(self.data.get(start..end).unwrap_or_default())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.spans.size_hint()
    }
}

impl DoubleEndedIterator for Args<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let &(start, end) = self.spans.next_back()?;
        Some(self.data.get(start..end).unwrap_or_default())
    }
}

impl ExactSizeIterator for Args<'_> {}

/// Appends `args` as a multibulk request (`*N\r\n$len\r\narg\r\n...`), as a client sends it.
pub fn encode_request<A: AsRef<[u8]>>(args: &[A], out: &mut BytesMut) {
    let mut header = itoa::Buffer::new();
    let payload: usize = args.iter().map(|arg| arg.as_ref().len() + 16).sum();
    out.reserve(16 + payload);
    out.put_u8(b'*');
    out.extend_from_slice(header.format(args.len()).as_bytes());
    out.extend_from_slice(b"\r\n");
    for arg in args {
        let arg = arg.as_ref();
        out.put_u8(b'$');
        out.extend_from_slice(header.format(arg.len()).as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

/// Where the decoder is in the request stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between requests: the next byte decides between multibulk and inline.
    Start,
    /// Inside a multibulk request, whose `*<count>` line is read.
    Multibulk {
        /// Arguments still to read.
        remaining: usize,
        /// The length of the argument whose `$<len>` line is read, while its bytes arrive.
        bulk_len: Option<usize>,
    },
}

/// Decodes requests from a connection's input buffer, one at a time.
///
/// Call [`decode`](Self::decode) after each read. It takes what it decodes off the front of
/// the buffer and keeps the state of a request that is still arriving, so a large request that
/// comes in many pieces is read once, not re-scanned from its start at every piece.
///
/// Decode one request, run it, then decode the next: whether the client is authenticated (see
/// [`set_authenticated`](Self::set_authenticated)) applies to requests decoded after the change,
/// which is how `AUTH` followed by a big command in one pipeline works in Redis.
///
/// ```
/// use bytes::BytesMut;
/// use jotter_resp::{Limits, RequestDecoder};
///
/// let mut decoder = RequestDecoder::new(Limits::default());
/// let mut buf = BytesMut::from(&b"*2\r\n$4\r\nECHO\r\n$5\r\nhel"[..]);
/// assert_eq!(decoder.decode(&mut buf)?, None); // waits for the rest
/// buf.extend_from_slice(b"lo\r\n");
/// let request = decoder.decode(&mut buf)?.expect("complete");
/// assert_eq!(request.name(), b"ECHO");
/// assert_eq!(request.arg(1), Some(&b"hello"[..]));
/// # Ok::<(), jotter_resp::ProtocolError>(())
/// ```
#[derive(Debug)]
pub struct RequestDecoder {
    limits: Limits,
    /// False while a password is required and not given: tighter limits apply (Redis's
    /// `authRequired`).
    authenticated: bool,
    state: State,
    /// How many bytes at the front of the buffer belong to the request being decoded and have
    /// been read (Redis's `qb_pos`). They stay in the buffer until the request is complete.
    pos: usize,
    /// How far the search for the current line's end got, so a line arriving byte by byte is
    /// scanned once. Never behind `pos` while a line is searched.
    scanned: usize,
    /// The spans of the arguments read so far; a recycled vector when the server gives one
    /// back, so that steady-state decoding allocates nothing.
    spans: Vec<(usize, usize)>,
}

impl RequestDecoder {
    /// A decoder for a new connection, authenticated (as in Redis without `requirepass`).
    #[must_use]
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            authenticated: true,
            state: State::Start,
            pos: 0,
            scanned: 0,
            spans: Vec::new(),
        }
    }

    /// The limits this decoder enforces.
    #[must_use]
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Whether the client counts as authenticated.
    #[must_use]
    pub fn is_authenticated(&self) -> bool {
        self.authenticated
    }

    /// Marks the client as authenticated or not. A server with a password sets `false` when the
    /// connection opens and `true` once `AUTH` (or `HELLO ... AUTH`) succeeds; until then a
    /// request may have at most 10 arguments of at most 16 KB, as in Redis.
    pub fn set_authenticated(&mut self, authenticated: bool) {
        self.authenticated = authenticated;
    }

    /// Whether part of a request has been read and the rest is awaited.
    #[must_use]
    pub fn is_mid_request(&self) -> bool {
        self.state != State::Start || self.scanned != 0
    }

    /// Gives back a request the server has finished with, so its span vector is reused for the
    /// next request instead of allocating a new one.
    pub fn recycle(&mut self, request: Request) {
        let mut spans = request.spans;
        if self.spans.is_empty() && spans.capacity() > self.spans.capacity() {
            spans.clear();
            self.spans = spans;
        }
    }

    /// Makes room in `buf` for the next read.
    ///
    /// Normally that is 16 KB. While a large argument arrives, the room grows with what has
    /// arrived (each call at most doubles the buffer) up to what the argument still needs, and
    /// never to the declared length at once: a peer that declares a 512 MB argument and sends
    /// ten bytes makes the server hold kilobytes. (Redis allocates the declared length up
    /// front for authenticated clients; this is the one place the decoder is stricter.)
    pub fn reserve(&self, buf: &mut BytesMut) {
        let wanted = match self.state {
            State::Multibulk { bulk_len: Some(len), .. } => {
                let missing = (self.pos + len + 2).saturating_sub(buf.len());
                missing.min(buf.len()).max(READ_CHUNK)
            }
            _ => READ_CHUNK,
        };
        buf.reserve(wanted);
    }

    /// Decodes the next request from the front of `buf`.
    ///
    /// `Ok(None)` means more bytes are needed; what was read is remembered. Empty requests
    /// (`*0`, `*-1`, blank inline lines) are skipped, as Redis skips them. Between calls the
    /// caller may only append to `buf`.
    ///
    /// # Errors
    ///
    /// A [`ProtocolError`] in Redis's words when the input breaks the protocol or a [`Limits`]
    /// limit. The connection cannot continue after that: reply with the error and close it.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Request>, ProtocolError> {
        let decoded = self.decode_next(buf);
        if decoded.is_err() {
            // Leave nothing of the broken request behind, should the caller go on regardless.
            self.state = State::Start;
            self.pos = 0;
            self.scanned = 0;
            self.spans.clear();
        }
        decoded
    }

    fn decode_next(&mut self, buf: &mut BytesMut) -> Result<Option<Request>, ProtocolError> {
        loop {
            match self.state {
                State::Start => {
                    let Some(&first) = buf.first() else { return Ok(None) };
                    if first != b'*' {
                        match self.inline(buf)? {
                            Line::Request(request) => return Ok(Some(request)),
                            Line::Blank => continue,
                            Line::Incomplete => return Ok(None),
                        }
                    }
                    let Some(count) = self.multibulk_count(buf)? else { return Ok(None) };
                    if count == 0 {
                        // `*0` and negative counts are no request: drop the line, go on.
                        buf.advance(self.pos);
                        self.pos = 0;
                    } else {
                        self.spans.reserve(count.min(MAX_ARGS_RESERVED));
                        self.state = State::Multibulk { remaining: count, bulk_len: None };
                    }
                }
                State::Multibulk { .. } => {
                    if !self.multibulk_args(buf)? {
                        return Ok(None);
                    }
                    self.state = State::Start;
                    let data = buf.split_to(self.pos).freeze();
                    self.pos = 0;
                    let spans = std::mem::take(&mut self.spans);
                    return Ok(Some(Request { data, spans }));
                }
            }
        }
    }

    /// Reads the `*<count>` line (negative counts read as 0). `Ok(None)`: not complete yet.
    fn multibulk_count(&mut self, buf: &BytesMut) -> Result<Option<usize>, ProtocolError> {
        let Some(line_end) = self.header_line_end(buf, ProtocolError::TooBigMultibulkCount)? else {
            return Ok(None);
        };
        let count = match parse_i64(&buf[1..line_end]) {
            Some(count) if count <= 0 => 0,
            Some(count) if count.unsigned_abs() <= self.limits.max_multibulk_len() => {
                count.unsigned_abs()
            }
            _ => return Err(ProtocolError::InvalidMultibulkLength),
        };
        if !self.authenticated && count > self.limits.unauthenticated_max_multibulk_len() {
            return Err(ProtocolError::UnauthenticatedMultibulkLength);
        }
        let count = usize::try_from(count).map_err(|_| ProtocolError::InvalidMultibulkLength)?;
        self.pos = line_end + 2;
        Ok(Some(count))
    }

    /// Reads `$<len>` lines and arguments until the request is complete (`Ok(true)`) or the
    /// buffer runs dry (`Ok(false)`).
    fn multibulk_args(&mut self, buf: &BytesMut) -> Result<bool, ProtocolError> {
        while let State::Multibulk { remaining, bulk_len } = self.state {
            if remaining == 0 {
                return Ok(true);
            }
            let len = if let Some(len) = bulk_len {
                len
            } else {
                let Some(len) = self.bulk_len(buf)? else { return Ok(false) };
                self.state = State::Multibulk { remaining, bulk_len: Some(len) };
                len
            };
            if buf.len().saturating_sub(self.pos) < len + 2 {
                return Ok(false);
            }
            self.spans.push((self.pos, self.pos + len));
            // Like Redis, skip the two bytes after the argument without looking at them.
            self.pos += len + 2;
            self.state = State::Multibulk { remaining: remaining - 1, bulk_len: None };
        }
        Ok(true)
    }

    /// Reads a `$<len>` line. `Ok(None)`: not complete yet.
    fn bulk_len(&mut self, buf: &BytesMut) -> Result<Option<usize>, ProtocolError> {
        let Some(line_end) = self.header_line_end(buf, ProtocolError::TooBigBulkCount)? else {
            return Ok(None);
        };
        let first = buf[self.pos];
        if first != b'$' {
            return Err(ProtocolError::ExpectedDollar { got: first });
        }
        let len = match parse_i64(&buf[self.pos + 1..line_end]) {
            Some(len) if len >= 0 && len.unsigned_abs() <= self.limits.max_bulk_len() => {
                len.unsigned_abs()
            }
            _ => return Err(ProtocolError::InvalidBulkLength),
        };
        if !self.authenticated && len > self.limits.unauthenticated_max_bulk_len() {
            return Err(ProtocolError::UnauthenticatedBulkLength);
        }
        // A length that cannot fit in memory cannot arrive either.
        let len = usize::try_from(len)
            .ok()
            .filter(|len| len.checked_add(line_end + 4).is_some())
            .ok_or(ProtocolError::InvalidBulkLength)?;
        self.pos = line_end + 2;
        Ok(Some(len))
    }

    /// Finds the `\r` that ends the `*` or `$` header line at `pos`, as Redis does: the line
    /// ends at the first `\r`, and one more byte (taken to be `\n`, unchecked) must have
    /// arrived. `Ok(None)`: not yet; `too_big` once the inline limit is passed without a `\r`.
    fn header_line_end(
        &mut self,
        buf: &BytesMut,
        too_big: ProtocolError,
    ) -> Result<Option<usize>, ProtocolError> {
        let Some(cr) = find_from(buf, self.scanned.max(self.pos), b'\r') else {
            if buf.len().saturating_sub(self.pos) > self.limits.max_inline_len() {
                return Err(too_big);
            }
            self.scanned = buf.len();
            return Ok(None);
        };
        if cr + 1 >= buf.len() {
            self.scanned = cr;
            return Ok(None);
        }
        self.scanned = 0;
        Ok(Some(cr))
    }

    /// Reads one inline line.
    fn inline(&mut self, buf: &mut BytesMut) -> Result<Line, ProtocolError> {
        let Some(newline) = find_from(buf, self.scanned, b'\n') else {
            if buf.len() > self.limits.max_inline_len() {
                return Err(ProtocolError::TooBigInlineRequest);
            }
            self.scanned = buf.len();
            return Ok(Line::Incomplete);
        };
        self.scanned = 0;
        let mut line = buf.split_to(newline + 1).freeze();
        let content_end =
            if newline > 0 && line[newline - 1] == b'\r' { newline - 1 } else { newline };
        line.truncate(content_end);
        let data = split_inline(line, &mut self.spans)?;
        if self.spans.is_empty() {
            return Ok(Line::Blank);
        }
        Ok(Line::Request(Request { data, spans: std::mem::take(&mut self.spans) }))
    }
}

/// What one inline line gave.
enum Line {
    Request(Request),
    /// A line with no argument, which Redis skips.
    Blank,
    /// No line end yet.
    Incomplete,
}

/// The position of the first `byte` in `buf` at or after `from`.
fn find_from(buf: &[u8], from: usize, byte: u8) -> Option<usize> {
    buf.get(from..)?.iter().position(|&b| b == byte).map(|at| at + from)
}
