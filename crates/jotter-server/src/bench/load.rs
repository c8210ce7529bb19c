//! One run of the load: `--clients` connections (`conn.rs`) on the one
//! tokio thread, each sending `-P` requests at a time, for `--duration`.
//!
//! Without `--rate` each client sends its next batch as soon as the last
//! one's replies are in (closed loop), and a request's latency counts from
//! its send. With `--rate` the requests are due on a fixed schedule
//! whatever the server does (open loop): a client sends a batch when its
//! last request is due, late if the server held it back, and every latency
//! counts from when its request was due. A stalled server therefore shows
//! in the percentiles instead of slowing the clients down and hiding
//! (coordinated omission). A reply's latency ends when the read that
//! brought it in returned: one clock reading for every reply of a read.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use hdrhistogram::Histogram;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::conn::Conn;
use super::target::Target;
use super::workload::{Generator, Mix};
use crate::cli::BenchArgs;
use crate::operator::remote::{Address, Remote, RemoteError};

/// How often the progress line and the throughput timeline are updated.
const TICK: Duration = Duration::from_millis(250);

/// Latencies are recorded in microseconds, up to an hour, to 3 digits.
pub(crate) fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("constant bounds are valid")
}

/// What one run measured.
#[derive(Debug)]
pub(crate) struct Run {
    /// Latency of every reply, in microseconds.
    pub latency: Histogram<u64>,
    pub sent: u64,
    pub replies: u64,
    pub writes: u64,
    /// Error replies (counted in `replies` and in the latencies too).
    pub errors: u64,
    pub first_error: Option<String>,
    /// From the first send until the last reply.
    pub elapsed: Duration,
    /// (seconds since the start, replies a second over the interval before).
    pub timeline: Vec<(f64, f64)>,
}

impl Run {
    /// Replies a second over the whole run.
    pub(crate) fn throughput(&self) -> f64 {
        self.replies as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// One client's share of a run.
struct ClientRun {
    latency: Histogram<u64>,
    sent: u64,
    replies: u64,
    writes: u64,
    errors: u64,
    first_error: Option<String>,
}

/// When a client's requests are due, under `--rate`.
#[derive(Clone, Copy)]
struct Schedule {
    first: Instant,
    interval_ns: f64,
}

impl Schedule {
    fn due(&self, index: u64) -> Instant {
        self.first + Duration::from_nanos((index as f64 * self.interval_ns) as u64)
    }
}

/// Connects to `target` for what is not load: JOTTER.FLUSH, JOTTER.STATUS.
pub(crate) async fn control(target: &Target, args: &BenchArgs) -> Result<Remote, RemoteError> {
    let address = Address {
        host: target.host.clone(),
        port: target.port,
        user: None,
        password: args.password.clone(),
    };
    Remote::connect(&address, "jotter-bench").await
}

/// Loads `target` for `args.duration`, `pipeline` requests a batch;
/// `label` heads the progress line.
pub(crate) async fn run(
    target: &Target,
    args: &BenchArgs,
    mix: &Mix,
    pipeline: u32,
    label: &str,
) -> anyhow::Result<Run> {
    let mut conns = Vec::with_capacity(args.clients as usize);
    for _ in 0..args.clients {
        let conn = Conn::connect(target, args.password.as_deref())
            .await
            .with_context(|| format!("bench {target}"))?;
        conns.push(conn);
    }
    let start = Instant::now();
    let end = start + args.duration;
    let done = Arc::new(AtomicU64::new(0));
    let mut clients = JoinSet::new();
    let seed = fastrand::u64(..);
    for (i, conn) in conns.into_iter().enumerate() {
        // Each client offers rate/clients a second, the clients staggered
        // across one interval so that they do not all send at once.
        let schedule = (args.rate > 0).then(|| {
            let interval_ns = 1e9 * f64::from(args.clients) / args.rate as f64;
            let offset = interval_ns * i as f64 / f64::from(args.clients);
            Schedule { first: start + Duration::from_nanos(offset as u64), interval_ns }
        });
        let generator = Generator::new(mix.clone(), seed.wrapping_add(i as u64));
        let pipeline = u64::from(pipeline);
        clients.spawn(client(conn, generator, pipeline, schedule, end, Arc::clone(&done)));
    }

    let terminal = std::io::stderr().is_terminal();
    let mut tick = tokio::time::interval_at(start + TICK, TICK);
    let (mut timeline, mut last_done, mut last_at) = (vec![], 0, start);
    let mut total = ClientRun::new();
    let mut failure = None;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let (now, replies) = (Instant::now(), done.load(Ordering::Relaxed));
                let rate = (replies - last_done) as f64 / (now - last_at).as_secs_f64();
                timeline.push(((now - start).as_secs_f64(), rate));
                (last_done, last_at) = (replies, now);
                if terminal {
                    let secs = (now - start).as_secs();
                    let total_secs = args.duration.as_secs();
                    eprint!("\r{label}: {secs}/{total_secs} s, {rate:.0} req/s      ");
                    let _ = std::io::stderr().flush();
                }
            }
            joined = clients.join_next() => match joined {
                None => break,
                Some(Ok(Ok(client))) => total.add(client),
                Some(Ok(Err(e))) => failure = failure.or(Some(e)),
                Some(Err(e)) => anyhow::bail!("a bench client stopped: {e}"),
            },
        }
    }
    if let Some(e) = failure {
        return Err(e).with_context(|| format!("bench {target}"));
    }
    let now = Instant::now();
    let elapsed = now - start;
    let tail = (now - last_at).as_secs_f64();
    if tail > 0.05 {
        timeline.push((elapsed.as_secs_f64(), (total.replies - last_done) as f64 / tail));
    }
    let run = Run {
        latency: total.latency,
        sent: total.sent,
        replies: total.replies,
        writes: total.writes,
        errors: total.errors,
        first_error: total.first_error,
        elapsed,
        timeline,
    };
    if terminal {
        eprint!("\r");
    }
    eprintln!(
        "{label}: {:.0} req/s, {} requests, {} replies, {} errors",
        run.throughput(),
        run.sent,
        run.replies,
        run.errors
    );
    if let Some(error) = &run.first_error {
        eprintln!("{label}: the first error reply: {error}");
    }
    Ok(run)
}

impl ClientRun {
    fn new() -> ClientRun {
        ClientRun {
            latency: histogram(),
            sent: 0,
            replies: 0,
            writes: 0,
            errors: 0,
            first_error: None,
        }
    }

    fn add(&mut self, other: ClientRun) {
        // Same bounds on both sides: adding cannot fail.
        let _ = self.latency.add(&other.latency);
        self.sent += other.sent;
        self.replies += other.replies;
        self.writes += other.writes;
        self.errors += other.errors;
        self.first_error = self.first_error.take().or(other.first_error);
    }
}

async fn client(
    mut conn: Conn,
    mut generator: Generator,
    pipeline: u64,
    schedule: Option<Schedule>,
    end: Instant,
    done: Arc<AtomicU64>,
) -> Result<ClientRun, RemoteError> {
    let mut run = ClientRun::new();
    while Instant::now() < end {
        let mut batch = 0;
        let mut writes = 0;
        while batch < pipeline {
            let queued = generator.queue_next(&mut conn.out);
            batch += queued.requests;
            writes += queued.writes;
        }
        if let Some(schedule) = schedule {
            let last = schedule.due(run.sent + batch - 1);
            if last >= end {
                break;
            }
            tokio::time::sleep_until(last).await;
        }
        let sent_at = Instant::now();
        conn.send().await?;
        let mut now = Instant::now();
        let mut taken = 0;
        while taken < batch {
            let Some(reply) = conn.next_reply() else {
                conn.fill().await?;
                now = Instant::now();
                continue;
            };
            // From its send, or from when it was due under --rate.
            let from = schedule.map_or(sent_at, |schedule| schedule.due(run.sent + taken));
            let micros = (now - from).as_micros();
            run.latency.saturating_record(u64::try_from(micros).unwrap_or(u64::MAX));
            run.replies += 1;
            taken += 1;
            if reply.error {
                run.errors += 1;
                if run.first_error.is_none() {
                    run.first_error = Some(conn.last_reply_text(reply));
                }
            }
        }
        run.sent += batch;
        run.writes += writes;
        done.fetch_add(batch, Ordering::Relaxed);
    }
    Ok(run)
}
