//! What the bench's clients send. Four workloads drawn from the users
//! Jotter is built for, each a mix of writes and reads (`--read-ratio`):
//!
//! - `counters`: `INCR bench:counter:N` on Zipf-distributed keys (page
//!   views, likes: few hot keys take most increments); reads `GET`.
//! - `sessions`: `HSET bench:session:N user .. cart .. last_seen .. data ..`
//!   then `EXPIRE .. 1800`, uniform over many keys; reads `HGETALL`.
//! - `leaderboard`: `ZINCRBY bench:board SCORE player:N`, Zipf players on one
//!   sorted set; reads `ZREVRANGE bench:board 0 9 WITHSCORES`.
//! - `events`: append-only `SET bench:event:ID VALUE`, IDs increasing across
//!   all clients (readings, audit events); reads `GET` a recent event.
//!
//! And six that send what redis-benchmark's tests send, one command each
//! (no `--read-ratio`), N uniform below `-r`, 12 digits (`template.rs`):
//! `set` (`SET bench:key:N VALUE`), `get` (`GET bench:key:N`, the keys
//! written beforehand), `incr` (`INCR bench:counter:N`), `hset` (`HSET
//! bench:hash element:N VALUE`: one hash), `zadd` (`ZADD bench:zset N
//! element:N`: one sorted set) and `multi` (`MULTI`, `SET bench:key:N
//! VALUE` twice, `EXEC`: four requests). Every key starts with `bench:`, so
//! a run never touches other data.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::BytesMut;
use jotter_resp::encode_request;

use super::template::{RAND, Template};
use super::zipf::Zipf;

/// `--workload`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Workload {
    Counters,
    Sessions,
    Leaderboard,
    Events,
    Set,
    Get,
    Incr,
    Hset,
    Zadd,
    Multi,
}

impl Workload {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Workload::Counters => "counters",
            Workload::Sessions => "sessions",
            Workload::Leaderboard => "leaderboard",
            Workload::Events => "events",
            Workload::Set => "set",
            Workload::Get => "get",
            Workload::Incr => "incr",
            Workload::Hset => "hset",
            Workload::Zadd => "zadd",
            Workload::Multi => "multi",
        }
    }

    /// Whether its keys must exist before it runs (`get`: written by
    /// `preload.rs`).
    pub(crate) fn reads_preloaded_keys(self) -> bool {
        self == Workload::Get
    }
}

/// The key `set`, `get` and `multi` use, for the 12 digits of N.
pub(crate) fn string_key(digits: &str) -> String {
    format!("bench:key:{digits}")
}

/// One operation of a redis-benchmark-style workload: its requests, in
/// order, and how many of them write.
#[derive(Debug)]
struct Templates {
    requests: Vec<Template>,
    writes: u64,
}

impl Templates {
    /// `None` for the workloads drawn from users.
    fn new(mix: &Mix) -> Option<Templates> {
        let value = vec![b'x'; mix.value_size];
        let key = string_key(RAND);
        let member = format!("element:{RAND}");
        let write = |args: &[&[u8]]| Template::new(&written(mix.through, args));
        let (requests, writes) = match mix.workload {
            Workload::Set => (vec![write(&[b"SET", key.as_bytes(), &value])], 1),
            Workload::Get => (vec![Template::new(&[b"GET", key.as_bytes()])], 0),
            Workload::Incr => {
                (vec![write(&[b"INCR", format!("bench:counter:{RAND}").as_bytes()])], 1)
            }
            Workload::Hset => {
                (vec![write(&[b"HSET", b"bench:hash", member.as_bytes(), &value])], 1)
            }
            Workload::Zadd => {
                (vec![write(&[b"ZADD", b"bench:zset", RAND.as_bytes(), member.as_bytes()])], 1)
            }
            Workload::Multi => {
                let set = write(&[b"SET", key.as_bytes(), &value]);
                (vec![Template::new(&["MULTI"]), set.clone(), set, Template::new(&["EXEC"])], 2)
            }
            Workload::Counters | Workload::Sessions | Workload::Leaderboard | Workload::Events => {
                return None;
            }
        };
        Some(Templates { requests, writes })
    }
}

/// A write's arguments, under `JOTTER.THROUGH` when the target is written
/// through.
fn written<'a>(through: bool, args: &[&'a [u8]]) -> Vec<&'a [u8]> {
    let mut all: Vec<&[u8]> = Vec::with_capacity(args.len() + 1);
    if through {
        all.push(b"JOTTER.THROUGH");
    }
    all.extend_from_slice(args);
    all
}

/// What every client of one run shares.
#[derive(Debug, Clone)]
pub(crate) struct Mix {
    pub workload: Workload,
    pub read_ratio: f64,
    pub keyspace: u64,
    pub value_size: usize,
    pub zipf: f64,
    pub through: bool,
    /// The next event id: one sequence across the clients of every run.
    pub next_event: Arc<AtomicU64>,
}

/// How many requests one operation queued, and how many of them write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Queued {
    pub requests: u64,
    pub writes: u64,
}

/// One client's request maker.
#[derive(Debug)]
pub(crate) struct Generator {
    mix: Mix,
    zipf: Zipf,
    rng: fastrand::Rng,
    key: Vec<u8>,
    member: Vec<u8>,
    value: Vec<u8>,
    templates: Option<Templates>,
}

impl Generator {
    pub(crate) fn new(mix: Mix, seed: u64) -> Generator {
        let zipf = Zipf::new(mix.keyspace, mix.zipf);
        let value = vec![b'x'; mix.value_size];
        let templates = Templates::new(&mix);
        Generator {
            templates,
            mix,
            zipf,
            rng: fastrand::Rng::with_seed(seed),
            key: vec![],
            member: vec![],
            value,
        }
    }

    /// Queues the next operation's requests on `out`.
    pub(crate) fn queue_next(&mut self, out: &mut BytesMut) -> Queued {
        if let Some(templates) = &self.templates {
            for request in &templates.requests {
                request.queue(out, &mut self.rng, self.mix.keyspace);
            }
            let requests = templates.requests.len() as u64;
            return Queued { requests, writes: templates.writes };
        }
        let read = self.mix.read_ratio > 0.0 && self.rng.f64() < self.mix.read_ratio;
        self.key.clear();
        match self.mix.workload {
            Workload::Counters => {
                let n = self.zipf.sample(&mut self.rng);
                let _ = write!(self.key, "bench:counter:{n}");
                if read {
                    encode_request(&[b"GET".as_slice(), &self.key], out);
                    return Queued { requests: 1, writes: 0 };
                }
                self.write(out, &[b"INCR", &self.key]);
                Queued { requests: 1, writes: 1 }
            }
            Workload::Sessions => {
                let n = self.rng.u64(1..=self.mix.keyspace);
                let _ = write!(self.key, "bench:session:{n}");
                if read {
                    encode_request(&[b"HGETALL".as_slice(), &self.key], out);
                    return Queued { requests: 1, writes: 0 };
                }
                let user = itoa::Buffer::new().format(n).to_owned();
                let cart = itoa::Buffer::new().format(self.rng.u8(0..10)).to_owned();
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or_default();
                let seen = itoa::Buffer::new().format(now).to_owned();
                let key = std::mem::take(&mut self.key);
                let value = std::mem::take(&mut self.value);
                self.write(
                    out,
                    &[
                        b"HSET",
                        &key,
                        b"user",
                        user.as_bytes(),
                        b"cart",
                        cart.as_bytes(),
                        b"last_seen",
                        seen.as_bytes(),
                        b"data",
                        &value,
                    ],
                );
                self.write(out, &[b"EXPIRE", &key, b"1800"]);
                (self.key, self.value) = (key, value);
                Queued { requests: 2, writes: 2 }
            }
            Workload::Leaderboard => {
                self.key.extend_from_slice(b"bench:board");
                if read {
                    encode_request(
                        &[b"ZREVRANGE".as_slice(), &self.key, b"0", b"9", b"WITHSCORES"],
                        out,
                    );
                    return Queued { requests: 1, writes: 0 };
                }
                self.member.clear();
                let _ = write!(self.member, "player:{}", self.zipf.sample(&mut self.rng));
                let score = itoa::Buffer::new().format(self.rng.u8(1..=100)).to_owned();
                let member = std::mem::take(&mut self.member);
                self.write(out, &[b"ZINCRBY", b"bench:board", score.as_bytes(), &member]);
                self.member = member;
                Queued { requests: 1, writes: 1 }
            }
            Workload::Events => {
                if read {
                    let last = self.mix.next_event.load(Ordering::Relaxed);
                    let back = self.rng.u64(1..=1000).min(last.max(1));
                    let _ = write!(self.key, "bench:event:{:020}", last.saturating_sub(back));
                    encode_request(&[b"GET".as_slice(), &self.key], out);
                    return Queued { requests: 1, writes: 0 };
                }
                let id = self.mix.next_event.fetch_add(1, Ordering::Relaxed);
                // Zero-padded, so the ids sort as the events came.
                let _ = write!(self.key, "bench:event:{id:020}");
                let key = std::mem::take(&mut self.key);
                let value = std::mem::take(&mut self.value);
                self.write(out, &[b"SET", &key, &value]);
                (self.key, self.value) = (key, value);
                Queued { requests: 1, writes: 1 }
            }
            // Sent from their templates, above.
            Workload::Set
            | Workload::Get
            | Workload::Incr
            | Workload::Hset
            | Workload::Zadd
            | Workload::Multi => Queued::default(),
        }
    }

    /// Queues a write, write-through when the target asks for it.
    fn write(&self, out: &mut BytesMut, args: &[&[u8]]) {
        encode_request(&written(self.mix.through, args), out);
    }
}
