//! What the bench's clients send: four workloads drawn from the users
//! Jotter is built for, each a mix of writes and reads (`--read-ratio`).
//! Every key starts with `bench:`, so a run never touches other data.
//!
//! - `counters`: `INCR bench:counter:N` on Zipf-distributed keys (page
//!   views, likes: few hot keys take most increments); reads `GET`.
//! - `sessions`: `HSET bench:session:N user .. cart .. last_seen .. data ..`
//!   then `EXPIRE .. 1800`, uniform over many keys; reads `HGETALL`.
//! - `leaderboard`: `ZINCRBY bench:board SCORE player:N`, Zipf players on one
//!   sorted set; reads `ZREVRANGE bench:board 0 9 WITHSCORES`.
//! - `events`: append-only `SET bench:event:ID VALUE`, IDs increasing across
//!   all clients (readings, audit events); reads `GET` a recent event.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::zipf::Zipf;
use crate::operator::remote::Remote;

/// `--workload`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Workload {
    Counters,
    Sessions,
    Leaderboard,
    Events,
}

impl Workload {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Workload::Counters => "counters",
            Workload::Sessions => "sessions",
            Workload::Leaderboard => "leaderboard",
            Workload::Events => "events",
        }
    }
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
}

impl Generator {
    pub(crate) fn new(mix: Mix, seed: u64) -> Generator {
        let zipf = Zipf::new(mix.keyspace, mix.zipf);
        let value = vec![b'x'; mix.value_size];
        Generator {
            mix,
            zipf,
            rng: fastrand::Rng::with_seed(seed),
            key: vec![],
            member: vec![],
            value,
        }
    }

    /// Queues the next operation's requests on `remote`.
    pub(crate) fn queue_next(&mut self, remote: &mut Remote) -> Queued {
        let read = self.mix.read_ratio > 0.0 && self.rng.f64() < self.mix.read_ratio;
        self.key.clear();
        match self.mix.workload {
            Workload::Counters => {
                let n = self.zipf.sample(&mut self.rng);
                let _ = write!(self.key, "bench:counter:{n}");
                if read {
                    remote.queue(&[b"GET".as_slice(), &self.key]);
                    return Queued { requests: 1, writes: 0 };
                }
                self.write(remote, &[b"INCR", &self.key]);
                Queued { requests: 1, writes: 1 }
            }
            Workload::Sessions => {
                let n = self.rng.u64(1..=self.mix.keyspace);
                let _ = write!(self.key, "bench:session:{n}");
                if read {
                    remote.queue(&[b"HGETALL".as_slice(), &self.key]);
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
                    remote,
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
                self.write(remote, &[b"EXPIRE", &key, b"1800"]);
                (self.key, self.value) = (key, value);
                Queued { requests: 2, writes: 2 }
            }
            Workload::Leaderboard => {
                self.key.extend_from_slice(b"bench:board");
                if read {
                    remote.queue(&[b"ZREVRANGE".as_slice(), &self.key, b"0", b"9", b"WITHSCORES"]);
                    return Queued { requests: 1, writes: 0 };
                }
                self.member.clear();
                let _ = write!(self.member, "player:{}", self.zipf.sample(&mut self.rng));
                let score = itoa::Buffer::new().format(self.rng.u8(1..=100)).to_owned();
                let member = std::mem::take(&mut self.member);
                self.write(remote, &[b"ZINCRBY", b"bench:board", score.as_bytes(), &member]);
                self.member = member;
                Queued { requests: 1, writes: 1 }
            }
            Workload::Events => {
                if read {
                    let last = self.mix.next_event.load(Ordering::Relaxed);
                    let back = self.rng.u64(1..=1000).min(last.max(1));
                    let _ = write!(self.key, "bench:event:{:020}", last.saturating_sub(back));
                    remote.queue(&[b"GET".as_slice(), &self.key]);
                    return Queued { requests: 1, writes: 0 };
                }
                let id = self.mix.next_event.fetch_add(1, Ordering::Relaxed);
                // Zero-padded, so the ids sort as the events came.
                let _ = write!(self.key, "bench:event:{id:020}");
                let key = std::mem::take(&mut self.key);
                let value = std::mem::take(&mut self.value);
                self.write(remote, &[b"SET", &key, &value]);
                (self.key, self.value) = (key, value);
                Queued { requests: 1, writes: 1 }
            }
        }
    }

    /// Queues a write, write-through when the target asks for it.
    fn write(&self, remote: &mut Remote, args: &[&[u8]]) {
        if self.mix.through {
            let mut through: Vec<&[u8]> = Vec::with_capacity(args.len() + 1);
            through.push(b"JOTTER.THROUGH");
            through.extend_from_slice(args);
            remote.queue(&through);
        } else {
            remote.queue(args);
        }
    }
}
