//! Fuzzes the request decoder: arbitrary bytes, fed in arbitrary pieces.
//!
//! Checks that decoding never panics, that the pieces do not change the outcome (the same
//! requests and the same error as decoding everything at once, below the 64 KB inline limit
//! where Redis's own outcome depends on read sizes), and that every decoded request, encoded
//! again as a multibulk request, decodes to the same arguments.
//!
//! Run: `cargo fuzz run parse_request` (nightly, or `RUSTC_BOOTSTRAP=1` on stable).

#![no_main]

use bytes::{Bytes, BytesMut};
use jotter_resp::{Limits, ProtocolError, RequestDecoder, encode_request};
use libfuzzer_sys::fuzz_target;

type Outcome = (Vec<Vec<Bytes>>, Option<ProtocolError>);

/// Decodes `input` fed in pieces of `sizes` (cycled; empty means all at once).
fn decode(input: &[u8], sizes: &[u8], authenticated: bool) -> Outcome {
    let mut decoder = RequestDecoder::new(Limits::default());
    decoder.set_authenticated(authenticated);
    let mut buf = BytesMut::new();
    let mut requests = Vec::new();
    let mut fed = 0;
    let mut sizes = sizes.iter().map(|&size| usize::from(size).max(1)).cycle();
    while fed < input.len() {
        decoder.reserve(&mut buf);
        let size = sizes.next().unwrap_or(input.len()).min(input.len() - fed);
        buf.extend_from_slice(&input[fed..fed + size]);
        fed += size;
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(request)) => {
                    assert!(!request.is_empty(), "empty requests are skipped");
                    requests.push(request.into_args());
                }
                Ok(None) => break,
                Err(error) => return (requests, Some(error)),
            }
        }
    }
    (requests, None)
}

fuzz_target!(|case: (bool, Vec<u8>, Vec<u8>)| {
    let (authenticated, sizes, input) = case;
    let whole = decode(&input, &[], authenticated);
    if input.len() <= Limits::default().max_inline_len() {
        assert_eq!(decode(&input, &sizes, authenticated), whole, "pieces changed the outcome");
    }

    let mut again = BytesMut::new();
    for args in &whole.0 {
        encode_request(args, &mut again);
    }
    let (requests, error) = decode(&again, &[], true);
    assert_eq!(error, None, "a re-encoded request was refused");
    assert_eq!(requests, whole.0, "re-encoding changed the arguments");
});
