//! Codec speed: decoding a pipeline of one million `SET key:N value` requests from one buffer
//! (time per request = reported time / 1,000,000), and writing bulk replies.

use std::hint::black_box;
use std::time::Duration;

use bytes::BytesMut;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use jotter_resp::{Limits, Protocol, ReplyWriter, RequestDecoder, encode_request};

const REQUESTS: usize = 1_000_000;

fn multibulk_pipeline() -> BytesMut {
    let mut buf = BytesMut::new();
    for n in 0..REQUESTS {
        encode_request(&[&b"SET"[..], format!("key:{n}").as_bytes(), b"value"], &mut buf);
    }
    buf
}

fn inline_pipeline() -> BytesMut {
    let mut buf = BytesMut::new();
    for n in 0..REQUESTS {
        buf.extend_from_slice(format!("SET key:{n} value\r\n").as_bytes());
    }
    buf
}

/// Decodes every request in `buf`; with `recycle`, argument vectors go back to the decoder as a
/// server would hand them back after running each command.
fn decode_all(mut buf: BytesMut, recycle: bool) -> usize {
    let mut decoder = RequestDecoder::new(Limits::default());
    let mut count = 0;
    while let Ok(Some(request)) = decoder.decode(&mut buf) {
        black_box(request.args());
        count += 1;
        if recycle {
            decoder.recycle(request);
        }
    }
    assert_eq!(count, REQUESTS);
    count
}

fn decode(c: &mut Criterion) {
    let multibulk = multibulk_pipeline();
    let inline = inline_pipeline();
    let mut group = c.benchmark_group("decode_1m_set");
    group.throughput(Throughput::Elements(REQUESTS as u64));
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    group.bench_function("multibulk", |b| {
        b.iter_batched(|| multibulk.clone(), |buf| decode_all(buf, false), BatchSize::PerIteration);
    });
    group.bench_function("multibulk_recycled", |b| {
        b.iter_batched(|| multibulk.clone(), |buf| decode_all(buf, true), BatchSize::PerIteration);
    });
    group.bench_function("inline", |b| {
        b.iter_batched(|| inline.clone(), |buf| decode_all(buf, true), BatchSize::PerIteration);
    });
    group.finish();
}

fn encode(c: &mut Criterion) {
    const REPLIES: usize = 1000;
    let small = vec![b'v'; 16];
    let large = vec![b'v'; 1024];
    let mut out = BytesMut::with_capacity(2 * 1024 * 1024);
    let mut group = c.benchmark_group("encode_1000_replies");
    group.throughput(Throughput::Elements(REPLIES as u64));
    group.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    for (name, value) in [("bulk_16b", &small), ("bulk_1kib", &large)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                out.clear();
                let mut reply = ReplyWriter::new(&mut out, Protocol::Resp2);
                for _ in 0..REPLIES {
                    reply.bulk(black_box(value));
                }
                black_box(out.len())
            });
        });
    }
    for (name, step) in [("double_integral", 1.0), ("double_fraction", 1.37)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                out.clear();
                let mut reply = ReplyWriter::new(&mut out, Protocol::Resp3);
                for n in 0..REPLIES {
                    reply.double(black_box(n as f64 * step));
                }
                black_box(out.len())
            });
        });
    }
    group.finish();
}

criterion_group!(benches, decode, encode);
criterion_main!(benches);
