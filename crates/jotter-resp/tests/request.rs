//! The request decoder against Redis's behaviour: what it accepts, what it refuses and with
//! which words, how it copes with input arriving in pieces, and what it allocates.

use bytes::{Bytes, BytesMut};
use jotter_resp::{Limits, ProtocolError, Request, RequestDecoder, encode_request};
use proptest::prelude::*;

/// Everything `input` decodes to, in one buffer: the requests, then the error if one came.
fn decode_all(input: &[u8], limits: Limits) -> (Vec<Vec<Bytes>>, Option<ProtocolError>) {
    let mut decoder = RequestDecoder::new(limits);
    let mut buf = BytesMut::from(input);
    let mut requests = Vec::new();
    loop {
        match decoder.decode(&mut buf) {
            Ok(Some(request)) => requests.push(request.into_args()),
            Ok(None) => return (requests, None),
            Err(error) => return (requests, Some(error)),
        }
    }
}

/// The same, fed in pieces of the given sizes (cycled), decoding after each piece.
fn decode_chunked(
    input: &[u8],
    sizes: &[usize],
    limits: Limits,
) -> (Vec<Vec<Bytes>>, Option<ProtocolError>) {
    let mut decoder = RequestDecoder::new(limits);
    let mut buf = BytesMut::new();
    let mut requests = Vec::new();
    let mut fed = 0;
    let mut sizes = sizes.iter().copied().cycle();
    while fed < input.len() {
        decoder.reserve(&mut buf);
        let size = sizes.next().unwrap_or(1).clamp(1, input.len() - fed);
        buf.extend_from_slice(&input[fed..fed + size]);
        fed += size;
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(request)) => requests.push(request.into_args()),
                Ok(None) => break,
                Err(error) => return (requests, Some(error)),
            }
        }
    }
    (requests, None)
}

fn args(list: &[&[u8]]) -> Vec<Bytes> {
    list.iter().map(|arg| Bytes::copy_from_slice(arg)).collect()
}

fn one(input: &[u8]) -> Vec<Bytes> {
    let (requests, error) = decode_all(input, Limits::default());
    assert_eq!(error, None);
    assert_eq!(requests.len(), 1, "{requests:?}");
    requests.into_iter().next().unwrap_or_default()
}

#[test]
fn multibulk_requests_decode_and_pipeline() {
    assert_eq!(one(b"*1\r\n$4\r\nPING\r\n"), args(&[b"PING"]));
    assert_eq!(one(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"), args(&[b"SET", b"k", b""]));
    assert_eq!(one(b"*2\r\n$4\r\nECHO\r\n$4\r\n\r\n\r\n\r\n"), args(&[b"ECHO", b"\r\n\r\n"]));
    let (requests, error) = decode_all(
        b"*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n*1\r\n$4\r\nPI",
        Limits::default(),
    );
    assert_eq!(error, None);
    assert_eq!(requests, vec![args(&[b"PING"]), args(&[b"GET", b"k"]), args(&[b"PING"])]);
}

#[test]
fn inline_requests_decode_with_crlf_or_lf() {
    assert_eq!(one(b"PING\r\n"), args(&[b"PING"]));
    assert_eq!(one(b"PING\n"), args(&[b"PING"]));
    assert_eq!(one(b"SET k \"a b\\x00\"\r\n"), args(&[b"SET", b"k", b"a b\x00"]));
    assert_eq!(one(b"  GET \t k  \r\n"), args(&[b"GET", b"k"]));
}

#[test]
fn empty_requests_are_skipped() {
    let (requests, error) = decode_all(
        b"\r\n\n   \r\n*0\r\n*-1\r\n*-10\r\nPING\r\n\r\n*0\r\n*1\r\n$4\r\nPING\r\n",
        Limits::default(),
    );
    assert_eq!(error, None);
    assert_eq!(requests, vec![args(&[b"PING"]), args(&[b"PING"])]);

    // Many empty requests in a row are skipped in a loop, not by recursion.
    let mut many = b"\n*0\r\n*-1\r\n".repeat(200_000);
    many.extend_from_slice(b"PING\r\n");
    assert_eq!(decode_all(&many, Limits::default()), (vec![args(&[b"PING"])], None));
}

#[test]
fn unconsumed_bytes_stay_in_the_buffer() {
    let mut decoder = RequestDecoder::new(Limits::default());
    let mut buf = BytesMut::from(&b"*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r"[..]);
    assert_eq!(
        decoder.decode(&mut buf).map(|r| r.map(Request::into_args)),
        Ok(Some(args(&[b"PING"])))
    );
    assert!(!decoder.is_mid_request());
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    assert!(decoder.is_mid_request());
    buf.extend_from_slice(b"\nk\r\n");
    assert_eq!(
        decoder.decode(&mut buf).map(|r| r.map(Request::into_args)),
        Ok(Some(args(&[b"GET", b"k"])))
    );
    assert!(buf.is_empty());
}

/// Inputs from Redis's own `tests/unit/protocol.tcl` and `networking.c`, with Redis's words.
#[test]
fn malformed_requests_get_redis_errors() {
    let long_line = vec![b'a'; 64 * 1024 + 1];
    let mut long_count = b"*".to_vec();
    long_count.extend(std::iter::repeat_n(b'1', 64 * 1024));
    let mut long_bulk_count = b"*1\r\n$".to_vec();
    long_bulk_count.extend(std::iter::repeat_n(b'1', 64 * 1024));
    let cases: Vec<(&[u8], &str)> = vec![
        (b"*3000000000\r\n", "Protocol error: invalid multibulk length"),
        (b"*2147483648\r\n", "Protocol error: invalid multibulk length"),
        (b"*abc\r\n", "Protocol error: invalid multibulk length"),
        (b"*\r\n", "Protocol error: invalid multibulk length"),
        (b"*+1\r\n", "Protocol error: invalid multibulk length"),
        (b"*01\r\n", "Protocol error: invalid multibulk length"),
        (b"*1 \r\n", "Protocol error: invalid multibulk length"),
        (b"*99999999999999999999\r\n", "Protocol error: invalid multibulk length"),
        (b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n", "Protocol error: expected '$', got 'f'"),
        (b"*1\r\nfoo\r\n", "Protocol error: expected '$', got 'f'"),
        (b"*1\r\n\r\n", "Protocol error: expected '$', got ' '"),
        (b"*1\r\n:1\r\n", "Protocol error: expected '$', got ':'"),
        (b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$-10\r\n", "Protocol error: invalid bulk length"),
        (b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$2000000000\r\n", "Protocol error: invalid bulk length"),
        (b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$blabla\r\n", "Protocol error: invalid bulk length"),
        (b"*1\r\n$536870913\r\n", "Protocol error: invalid bulk length"),
        (b"*1\r\n$-1\r\n", "Protocol error: invalid bulk length"),
        (b"*1\r\n$\r\n", "Protocol error: invalid bulk length"),
        (b"*1\r\n$03\r\n", "Protocol error: invalid bulk length"),
        (b"SET k \"v\r\n", "Protocol error: unbalanced quotes in request"),
        (b"SET k 'v'x\r\n", "Protocol error: unbalanced quotes in request"),
        (&long_line, "Protocol error: too big inline request"),
        (&long_count, "Protocol error: too big mbulk count string"),
        (&long_bulk_count, "Protocol error: too big bulk count string"),
    ];
    for (input, expected) in cases {
        let (requests, error) = decode_all(input, Limits::default());
        let shown = String::from_utf8_lossy(&input[..input.len().min(60)]).into_owned();
        assert_eq!(requests, Vec::<Vec<Bytes>>::new(), "{shown}");
        assert_eq!(error.map(|e| e.to_string()).as_deref(), Some(expected), "{shown}");
    }
}

#[test]
fn limits_are_inclusive_and_waiting_is_not_an_error() {
    let mut at_limit = vec![b'a'; 64 * 1024];
    assert_eq!(decode_all(&at_limit, Limits::default()), (vec![], None));
    at_limit.extend_from_slice(b"\n");
    assert_eq!(decode_all(&at_limit, Limits::default()).0.len(), 1);
    // A line ending found in one read is fine whatever its length, as in Redis.
    let mut longer = vec![b'a'; 100 * 1024];
    longer.extend_from_slice(b"\r\n");
    assert_eq!(decode_all(&longer, Limits::default()).0.len(), 1);
    assert_eq!(decode_all(b"*1\r\n$536870912\r\nabc", Limits::default()), (vec![], None));
    assert_eq!(decode_all(b"*2147483647\r\n$1\r\na\r\n", Limits::default()), (vec![], None));
    // The count line needs its byte after '\r' before it is read.
    assert_eq!(decode_all(b"*abc\r", Limits::default()), (vec![], None));
}

#[test]
fn configured_limits_apply() {
    let limits =
        Limits::new().with_max_bulk_len(3).with_max_multibulk_len(2).with_max_inline_len(8);
    assert_eq!(decode_all(b"*2\r\n$3\r\nGET\r\n$3\r\nabc\r\n", limits).0.len(), 1);
    assert_eq!(decode_all(b"*1\r\n$4\r\n", limits).1, Some(ProtocolError::InvalidBulkLength));
    assert_eq!(decode_all(b"*3\r\n", limits).1, Some(ProtocolError::InvalidMultibulkLength));
    assert_eq!(decode_all(b"123456789", limits).1, Some(ProtocolError::TooBigInlineRequest));
    assert_eq!(decode_all(b"12345678", limits), (vec![], None));
}

#[test]
fn unauthenticated_clients_get_tighter_limits() {
    let check = |input: &[u8], authenticated: bool| {
        let mut decoder = RequestDecoder::new(Limits::default());
        decoder.set_authenticated(authenticated);
        decoder.decode(&mut BytesMut::from(input)).map(|_| ())
    };
    // (one over the limit, the limit), each refused only before AUTH.
    for (over, at, error, text) in [
        (
            &b"*11\r\n"[..],
            &b"*10\r\n"[..],
            ProtocolError::UnauthenticatedMultibulkLength,
            "Protocol error: unauthenticated multibulk length",
        ),
        (
            b"*1\r\n$16385\r\n",
            b"*1\r\n$16384\r\n",
            ProtocolError::UnauthenticatedBulkLength,
            "Protocol error: unauthenticated bulk length",
        ),
    ] {
        assert_eq!(check(over, false), Err(error));
        assert_eq!(error.to_string(), text);
        assert_eq!(check(at, false), Ok(()));
        assert_eq!(check(over, true), Ok(()));
    }
    // The invalid-length checks come first, as in Redis.
    assert_eq!(check(b"*1\r\n$-5\r\n", false), Err(ProtocolError::InvalidBulkLength));

    // AUTH then a big request in one pipeline: the server decodes, runs AUTH, then decodes on.
    let mut decoder = RequestDecoder::new(Limits::default());
    decoder.set_authenticated(false);
    let mut buf = BytesMut::new();
    encode_request(&[&b"AUTH"[..], b"secret"], &mut buf);
    encode_request(&vec![&b"x"[..]; 20], &mut buf);
    assert!(matches!(decoder.decode(&mut buf), Ok(Some(_))));
    decoder.set_authenticated(true);
    assert!(matches!(decoder.decode(&mut buf), Ok(Some(request)) if request.args().len() == 20));
}

#[test]
fn arguments_are_slices_of_the_input_buffer() {
    let mut buf = BytesMut::with_capacity(1024);
    encode_request(&[&b"SET"[..], b"key", b"value"], &mut buf);
    buf.extend_from_slice(b"GET key\r\n");
    let range = buf.as_ptr_range();
    let mut decoder = RequestDecoder::new(Limits::default());
    for _ in 0..2 {
        let request = decoder.decode(&mut buf).ok().flatten().expect("a request");
        for arg in request.args() {
            assert!(range.contains(&arg.as_ptr()), "{arg:?} was copied");
        }
    }
}

#[test]
fn huge_declared_lengths_allocate_nothing_up_front() {
    let mut decoder = RequestDecoder::new(Limits::default());
    let mut buf = BytesMut::from(&b"*1\r\n$536870911\r\n0123456789"[..]);
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    decoder.reserve(&mut buf);
    assert!(buf.capacity() < 1024 * 1024, "reserved {} bytes", buf.capacity());

    let mut decoder = RequestDecoder::new(Limits::default());
    let mut buf = BytesMut::from(&b"*2147483647\r\n"[..]);
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    decoder.reserve(&mut buf);
    assert!(buf.capacity() < 1024 * 1024, "reserved {} bytes", buf.capacity());
}

#[test]
fn a_large_argument_arriving_in_pieces_grows_the_buffer_with_the_data() {
    const LEN: usize = 8 * 1024 * 1024;
    let mut decoder = RequestDecoder::new(Limits::default());
    let mut buf = BytesMut::from(format!("*2\r\n$3\r\nSET\r\n${LEN}\r\n").as_bytes());
    let mut body = vec![b'v'; LEN];
    body.extend_from_slice(b"\r\n");
    let mut fed = 0;
    let request = loop {
        decoder.reserve(&mut buf);
        assert!(buf.capacity() - buf.len() >= 16 * 1024, "room for a normal read");
        // Room grows with the data, never towards the declared 8 MB at once.
        assert!(
            buf.capacity() <= 4 * buf.len() + 64 * 1024,
            "capacity {} holding {}",
            buf.capacity(),
            buf.len()
        );
        let end = (fed + 4096).min(body.len());
        buf.extend_from_slice(&body[fed..end]);
        fed = end;
        if let Some(request) = decoder.decode(&mut buf).expect("valid") {
            break request;
        }
        assert!(fed < body.len(), "complete input must decode");
    };
    assert_eq!(fed, body.len());
    assert_eq!(request.arg(1).map(<[u8]>::len), Some(LEN));
    assert!(request.arg(1).unwrap_or_default().iter().all(|&b| b == b'v'));
}

#[test]
fn recycled_requests_do_not_disturb_decoding() {
    let mut decoder = RequestDecoder::new(Limits::default());
    let mut buf = BytesMut::new();
    encode_request(&[&b"SET"[..], b"k", b"v"], &mut buf);
    encode_request(&[&b"GET"[..], b"k"], &mut buf);
    buf.extend_from_slice(b"DEL a b c d\r\n");
    let mut seen = Vec::new();
    while let Ok(Some(request)) = decoder.decode(&mut buf) {
        seen.push(request.clone().into_args());
        decoder.recycle(request);
    }
    assert_eq!(
        seen,
        vec![
            args(&[b"SET", b"k", b"v"]),
            args(&[b"GET", b"k"]),
            args(&[b"DEL", b"a", b"b", b"c", b"d"])
        ]
    );
}

#[test]
fn request_accessors() {
    let mut buf = BytesMut::from(&b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n"[..]);
    let range = buf.as_ptr_range();
    let request =
        RequestDecoder::new(Limits::default()).decode(&mut buf).ok().flatten().expect("request");
    assert_eq!(request.len(), 3);
    assert!(!request.is_empty());
    assert_eq!(request.name(), b"SET");
    assert_eq!(request.arg(2), Some(&b"value"[..]));
    assert_eq!(request.arg(3), None);
    let value = request.arg_bytes(2).expect("value");
    assert_eq!(value, Bytes::from_static(b"value"));
    assert!(range.contains(&value.as_ptr()), "arg_bytes copied");
    assert_eq!(request.args().next_back(), Some(&b"value"[..]));
    assert_eq!(format!("{request:?}"), r#"["SET", "k", "value"]"#);
    // Equal by arguments, wherever the bytes live.
    assert_eq!(Request::from_args(&["SET", "k", "value"]), Some(request.clone()));
    let inline = RequestDecoder::new(Limits::default())
        .decode(&mut BytesMut::from(&b"SET 'k' va\"lue\"\n"[..]))
        .ok()
        .flatten();
    assert_eq!(inline, Some(request.clone()));
    let mut encoded = BytesMut::new();
    request.encode(&mut encoded);
    assert_eq!(&encoded[..], b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n");
    assert_eq!(Request::from_args::<&[u8]>(&[]), None);
}

#[test]
fn errors_leave_no_partial_request_behind() {
    let mut decoder = RequestDecoder::new(Limits::default());
    let mut buf = BytesMut::from(&b"*3\r\n$1\r\na\r\nxyz\r\n"[..]);
    assert_eq!(decoder.decode(&mut buf), Err(ProtocolError::ExpectedDollar { got: b'x' }));
    assert!(!decoder.is_mid_request());
}

/// `redis-protocol`, an independent implementation, encodes; this crate decodes.
#[test]
fn oracle_redis_protocol_encoded_requests_decode() {
    use redis_protocol::resp2::{encode::extend_encode, types::BytesFrame};
    let requests = [
        args(&[b"PING"]),
        args(&[b"SET", b"key:1", b"value with spaces\r\n"]),
        args(&[b"HSET", b"h", b"", b"\x00\xff"]),
    ];
    let mut buf = BytesMut::new();
    for request in &requests {
        let frame =
            BytesFrame::Array(request.iter().cloned().map(BytesFrame::BulkString).collect());
        extend_encode(&mut buf, &frame, false).expect("encodes");
    }
    assert_eq!(decode_all(&buf, Limits::default()), (requests.to_vec(), None));
}

/// An inline line that stands for exactly `args`: every byte as a `\xHH` escape in quotes.
fn inline_line(args: &[Vec<u8>]) -> Vec<u8> {
    let mut line = Vec::new();
    for arg in args {
        line.extend_from_slice(b" \"");
        for byte in arg {
            line.extend_from_slice(format!("\\x{byte:02x}").as_bytes());
        }
        line.push(b'"');
    }
    line.extend_from_slice(b"\r\n");
    line
}

fn arg_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..40),
        proptest::collection::vec(
            prop_oneof![Just(b'\r'), Just(b'\n'), Just(b'$'), Just(b'*')],
            0..8
        ),
        proptest::collection::vec(any::<u8>(), 200..2000),
    ]
}

fn requests_strategy() -> impl Strategy<Value = Vec<(bool, Vec<Vec<u8>>)>> {
    proptest::collection::vec(
        (any::<bool>(), proptest::collection::vec(arg_strategy(), 1..6)),
        1..8,
    )
}

fn wire(requests: &[(bool, Vec<Vec<u8>>)]) -> Vec<u8> {
    let mut buf = BytesMut::new();
    for (inline, args) in requests {
        if *inline {
            buf.extend_from_slice(&inline_line(args));
        } else {
            encode_request(args, &mut buf);
        }
    }
    buf.to_vec()
}

fn expected(requests: &[(bool, Vec<Vec<u8>>)]) -> Vec<Vec<Bytes>> {
    requests
        .iter()
        .map(|(_, args)| args.iter().map(|arg| Bytes::copy_from_slice(arg)).collect())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn requests_round_trip_whole(requests in requests_strategy()) {
        prop_assert_eq!(decode_all(&wire(&requests), Limits::default()), (expected(&requests), None));
    }

    #[test]
    fn requests_round_trip_one_byte_at_a_time(requests in requests_strategy()) {
        prop_assert_eq!(decode_chunked(&wire(&requests), &[1], Limits::default()), (expected(&requests), None));
    }

    #[test]
    fn requests_round_trip_in_random_chunks(
        requests in requests_strategy(),
        sizes in proptest::collection::vec(1_usize..300, 1..20),
    ) {
        prop_assert_eq!(decode_chunked(&wire(&requests), &sizes, Limits::default()), (expected(&requests), None));
    }

    /// Any bytes at all: decoding in pieces gives what decoding at once gives (inputs stay
    /// under the 64 KB inline limit, the one place where Redis's outcome depends on reads).
    #[test]
    fn arbitrary_input_decodes_the_same_in_any_chunks(
        input in proptest::collection::vec(
            prop_oneof![any::<u8>(), Just(b'\r'), Just(b'\n'), Just(b'*'), Just(b'$'), Just(b'"'), Just(b'1')],
            0..300,
        ),
        sizes in proptest::collection::vec(1_usize..40, 1..10),
    ) {
        prop_assert_eq!(decode_chunked(&input, &sizes, Limits::default()), decode_all(&input, Limits::default()));
    }

    /// Whatever decodes, re-encoded as multibulk, decodes to the same requests.
    #[test]
    fn decoded_requests_re_encode_to_the_same_meaning(
        input in proptest::collection::vec(
            prop_oneof![any::<u8>(), Just(b'\r'), Just(b'\n'), Just(b' '), Just(b'\''), Just(b'"')],
            0..300,
        ),
    ) {
        let (requests, _) = decode_all(&input, Limits::default());
        let mut again = BytesMut::new();
        for args in &requests {
            prop_assert!(!args.is_empty());
            encode_request(args, &mut again);
        }
        prop_assert_eq!(decode_all(&again, Limits::default()), (requests, None));
    }
}
