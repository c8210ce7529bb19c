//! Fuzzes the reply parser (`Frame::parse`): arbitrary bytes never panic it, and a frame it
//! reads, encoded again, reads back as documented: as `into_resp3()` in RESP3 and as
//! `into_resp2()` in RESP2.
//!
//! Run: `cargo fuzz run parse_frame` (nightly, or `RUSTC_BOOTSTRAP=1` on stable).

#![no_main]

use bytes::BytesMut;
use jotter_resp::{Frame, Protocol};
use libfuzzer_sys::fuzz_target;

/// Encodes `frame` in `protocol` and reads it back, checking nothing is left over.
fn reread(frame: &Frame, protocol: Protocol) -> Frame {
    let mut wire = BytesMut::new();
    frame.encode(protocol, &mut wire);
    let read = Frame::parse(&mut wire);
    assert!(wire.is_empty(), "the re-encoded frame was not read whole");
    match read {
        Ok(Some(frame)) => frame,
        other => panic!("re-encoded frame unreadable: {other:?}"),
    }
}

fuzz_target!(|input: &[u8]| {
    let mut buf = BytesMut::from(input);
    while let Ok(Some(frame)) = Frame::parse(&mut buf) {
        let resp3 = reread(&frame, Protocol::Resp3);
        let resp2 = reread(&frame, Protocol::Resp2);
        // NaN is the one value not equal to itself.
        if !format!("{frame:?}").contains("NaN") {
            assert_eq!(resp3, frame.clone().into_resp3(), "RESP3 re-encoding");
            assert_eq!(resp2, frame.into_resp2(), "RESP2 downgrade");
        }
    }
});
