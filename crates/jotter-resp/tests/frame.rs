//! Frames round-trip through encode and parse in both protocols, RESP2 downgrades are what a
//! RESP2 client reads, and an independent implementation (`redis-protocol`) reads our bytes the
//! same way.

use bytes::{Bytes, BytesMut};
use jotter_resp::{Frame, Protocol};
use proptest::prelude::*;

fn encoded(frame: &Frame, protocol: Protocol) -> BytesMut {
    let mut out = BytesMut::new();
    frame.encode(protocol, &mut out);
    out
}

fn parse_one(mut buf: BytesMut) -> Frame {
    let frame = Frame::parse(&mut buf).expect("valid").expect("complete");
    assert!(buf.is_empty(), "bytes left over: {buf:?}");
    frame
}

fn bytes_any() -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..24).prop_map(Bytes::from)
}

/// One line of text: anything but CR and LF.
fn line() -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(
        any::<u8>().prop_filter("one line", |b| *b != b'\r' && *b != b'\n'),
        0..24,
    )
    .prop_map(Bytes::from)
}

fn digits() -> impl Strategy<Value = Bytes> {
    "-?[1-9][0-9]{0,60}".prop_map(Bytes::from)
}

fn double() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("NaN never equals itself", |v| !v.is_nan()),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        (-1000_i32..1000).prop_map(|n| f64::from(n) / 4.0),
    ]
}

/// RESP2's types: what a RESP2 connection can carry.
fn resp2_frame() -> impl Strategy<Value = Frame> {
    let leaf = prop_oneof![
        line().prop_map(Frame::Simple),
        line().prop_map(Frame::Error),
        any::<i64>().prop_map(Frame::Integer),
        bytes_any().prop_map(Frame::Bulk),
        Just(Frame::Null),
        Just(Frame::NullArray),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        proptest::collection::vec(inner, 0..6).prop_map(Frame::Array)
    })
}

/// RESP3's scalar frames, with the error texts and verbatim formats drawn
/// from `error` and `format`.
fn resp3_leaf(
    error: impl Strategy<Value = Bytes> + 'static,
    format: impl Strategy<Value = [u8; 3]> + 'static,
) -> impl Strategy<Value = Frame> {
    prop_oneof![
        line().prop_map(Frame::Simple),
        error.prop_map(Frame::Error),
        any::<i64>().prop_map(Frame::Integer),
        bytes_any().prop_map(Frame::Bulk),
        Just(Frame::Null),
        double().prop_map(Frame::Double),
        any::<bool>().prop_map(Frame::Boolean),
        bytes_any().prop_map(Frame::BlobError),
        (format, bytes_any()).prop_map(|(format, text)| Frame::Verbatim { format, text }),
        digits().prop_map(Frame::BigNumber),
    ]
}

/// Every RESP3 type, except `NullArray` (RESP3 has one null, `Frame::Null`).
fn resp3_frame() -> impl Strategy<Value = Frame> {
    let leaf = resp3_leaf(line(), any::<[u8; 3]>());
    leaf.prop_recursive(4, 48, 6, |inner| {
        let pairs = proptest::collection::vec((inner.clone(), inner.clone()), 0..4);
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Frame::Array),
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Frame::Set),
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Frame::Push),
            pairs.clone().prop_map(Frame::Map),
            (pairs, inner).prop_map(|(attributes, data)| Frame::Attribute {
                attributes,
                data: Box::new(data)
            }),
        ]
    })
}

/// Any frame at all, `NullArray` included.
fn any_frame() -> impl Strategy<Value = Frame> {
    prop_oneof![resp3_frame(), resp2_frame()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn resp3_frames_round_trip(frame in resp3_frame()) {
        prop_assert_eq!(parse_one(encoded(&frame, Protocol::Resp3)), frame);
    }

    #[test]
    fn resp2_frames_round_trip(frame in resp2_frame()) {
        prop_assert_eq!(parse_one(encoded(&frame, Protocol::Resp2)), frame);
    }

    #[test]
    fn resp3_encoding_reads_back_as_into_resp3(frame in any_frame()) {
        let expected = frame.clone().into_resp3();
        prop_assert_eq!(parse_one(encoded(&frame, Protocol::Resp3)), expected);
    }

    #[test]
    fn resp2_encoding_reads_back_as_the_downgraded_frame(frame in any_frame()) {
        let downgraded = frame.clone().into_resp2();
        prop_assert_eq!(parse_one(encoded(&frame, Protocol::Resp2)), downgraded);
    }

    /// Replies arriving in arbitrary pieces parse to the same frames.
    #[test]
    fn frames_parse_the_same_in_any_chunks(
        frames in proptest::collection::vec(resp3_frame(), 1..6),
        sizes in proptest::collection::vec(1_usize..50, 1..10),
    ) {
        let mut wire = BytesMut::new();
        for frame in &frames {
            frame.encode(Protocol::Resp3, &mut wire);
        }
        let mut buf = BytesMut::new();
        let mut parsed = Vec::new();
        let mut sizes = sizes.iter().copied().cycle();
        let mut fed = 0;
        while fed < wire.len() {
            let end = (fed + sizes.next().unwrap_or(1)).min(wire.len());
            buf.extend_from_slice(&wire[fed..end]);
            fed = end;
            while let Some(frame) = Frame::parse(&mut buf).expect("valid") {
                parsed.push(frame);
            }
        }
        prop_assert!(buf.is_empty());
        prop_assert_eq!(parsed, frames);
    }

    /// Arbitrary bytes never panic the reply parser, and what it parses encodes back to it.
    #[test]
    fn arbitrary_bytes_parse_without_panic(
        input in proptest::collection::vec(
            prop_oneof![any::<u8>(), Just(b'\r'), Just(b'\n'), Just(b'*'), Just(b'1'), Just(b'%'), Just(b'|')],
            0..200,
        ),
    ) {
        let mut buf = BytesMut::from(&input[..]);
        if let Ok(Some(frame)) = Frame::parse(&mut buf) {
            let again = parse_one(encoded(&frame, Protocol::Resp3));
            // NaN doubles are the one value not equal to themselves.
            if !format!("{frame:?}").contains("NaN") {
                prop_assert_eq!(again, frame.into_resp3());
            }
        }
    }
}

#[test]
fn null_array_is_null_in_resp3() {
    assert_eq!(&encoded(&Frame::NullArray, Protocol::Resp3)[..], b"_\r\n");
    assert_eq!(parse_one(encoded(&Frame::NullArray, Protocol::Resp3)), Frame::Null);
    assert_eq!(parse_one(encoded(&Frame::NullArray, Protocol::Resp2)), Frame::NullArray);
}

#[test]
fn nan_round_trips_as_nan() {
    let frame = parse_one(encoded(&Frame::Double(f64::NAN), Protocol::Resp3));
    assert!(matches!(frame, Frame::Double(v) if v.is_nan()));
}

#[test]
fn attributes_are_dropped_in_resp2() {
    let frame = Frame::Attribute {
        attributes: vec![(Frame::Simple(Bytes::from("key-popularity")), Frame::Double(0.5))],
        data: Box::new(Frame::Array(vec![Frame::Integer(1)])),
    };
    assert_eq!(&encoded(&frame, Protocol::Resp2)[..], b"*1\r\n:1\r\n");
    assert_eq!(
        &encoded(&frame, Protocol::Resp3)[..],
        b"|1\r\n+key-popularity\r\n,0.5\r\n*1\r\n:1\r\n"
    );
}

mod oracle {
    //! `redis-protocol` reads what this crate writes. Maps, sets and attributes are left out:
    //! it keeps them in hash containers, which lose wire order and cannot hold every key type.

    use bytes::Bytes;
    use jotter_resp::{Frame, Protocol};
    use proptest::prelude::*;
    use redis_protocol::resp2::types::OwnedFrame as Resp2;
    use redis_protocol::resp3::types::{OwnedFrame as Resp3, VerbatimStringFormat};

    use super::{encoded, resp2_frame, resp3_leaf};

    fn from_resp3(frame: Resp3) -> Frame {
        match frame {
            Resp3::BlobString { data, .. } => Frame::Bulk(Bytes::from(data)),
            Resp3::BlobError { data, .. } => Frame::BlobError(Bytes::from(data)),
            Resp3::SimpleString { data, .. } => Frame::Simple(Bytes::from(data)),
            Resp3::SimpleError { data, .. } => Frame::Error(Bytes::from(data)),
            Resp3::Boolean { data, .. } => Frame::Boolean(data),
            Resp3::Null => Frame::Null,
            Resp3::Number { data, .. } => Frame::Integer(data),
            Resp3::Double { data, .. } => Frame::Double(data),
            Resp3::BigNumber { data, .. } => Frame::BigNumber(Bytes::from(data)),
            Resp3::VerbatimString { data, format, .. } => Frame::Verbatim {
                format: match format {
                    VerbatimStringFormat::Text => *b"txt",
                    VerbatimStringFormat::Markdown => *b"mkd",
                },
                text: Bytes::from(data),
            },
            Resp3::Array { data, .. } => Frame::Array(data.into_iter().map(from_resp3).collect()),
            Resp3::Push { data, .. } => Frame::Push(data.into_iter().map(from_resp3).collect()),
            other => panic!("not generated: {other:?}"),
        }
    }

    fn from_resp2(frame: Resp2) -> Frame {
        match frame {
            Resp2::SimpleString(data) => Frame::Simple(Bytes::from(data)),
            Resp2::Error(data) => Frame::Error(Bytes::from(data)),
            Resp2::Integer(n) => Frame::Integer(n),
            Resp2::BulkString(data) => Frame::Bulk(Bytes::from(data)),
            Resp2::Array(items) => Frame::Array(items.into_iter().map(from_resp2).collect()),
            // redis-protocol reads both `$-1` and `*-1` as its one null.
            Resp2::Null => Frame::Null,
        }
    }

    fn without_null_arrays(frame: Frame) -> Frame {
        match frame {
            Frame::NullArray => Frame::Null,
            Frame::Array(items) => {
                Frame::Array(items.into_iter().map(without_null_arrays).collect())
            }
            other => other,
        }
    }

    fn text() -> impl Strategy<Value = Bytes> {
        "[ -~]{0,20}".prop_map(Bytes::from)
    }

    fn oracle_frame() -> impl Strategy<Value = Frame> {
        // redis-protocol keeps simple errors as `str` and knows two verbatim formats.
        let leaf = resp3_leaf(text(), prop_oneof![Just(*b"txt"), Just(*b"mkd")]);
        leaf.prop_recursive(3, 32, 5, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(Frame::Array),
                proptest::collection::vec(inner, 0..5).prop_map(Frame::Push),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn redis_protocol_reads_our_resp3(frame in oracle_frame()) {
            let wire = encoded(&frame, Protocol::Resp3);
            let (theirs, used) = redis_protocol::resp3::decode::complete::decode(&wire)
                .expect("valid RESP3")
                .expect("complete");
            prop_assert_eq!(used, wire.len());
            prop_assert_eq!(from_resp3(theirs), frame);
        }

        #[test]
        fn redis_protocol_reads_our_resp2(frame in resp2_frame()) {
            let wire = encoded(&frame, Protocol::Resp2);
            match redis_protocol::resp2::decode::decode(&wire) {
                Ok(Some((theirs, used))) => {
                    prop_assert_eq!(used, wire.len());
                    prop_assert_eq!(from_resp2(theirs), without_null_arrays(frame));
                }
                // redis-protocol keeps errors as `str`: it refuses errors that are not UTF-8.
                Ok(None) => prop_assert!(false, "incomplete"),
                Err(_) => prop_assert!(has_non_utf8_error(&frame)),
            }
        }
    }

    fn has_non_utf8_error(frame: &Frame) -> bool {
        match frame {
            Frame::Error(text) => std::str::from_utf8(text).is_err(),
            Frame::Array(items) => items.iter().any(has_non_utf8_error),
            _ => false,
        }
    }
}
