//! Differential testing against the real redis-server: a Jotter server and
//! a private Redis get the same commands, and their replies must be the
//! same, reply for reply. [`Pair::fuzz`] feeds both random histories; a
//! mismatch panics with the seed and the history that led to it, so a
//! failure can be replayed.

use super::Raw;
use super::Server;
use super::private_redis::PrivateRedis;
use super::reply::{Reply, hello3, read_tree};
use super::{resp, resp_bytes};

/// A Jotter server and a private redis-server, one connection to each.
pub struct Pair {
    pub jotter: Server,
    pub j: Raw,
    pub r: Raw,
    /// Every command sent so far, for the report of a mismatch.
    history: Vec<Vec<String>>,
    _redis: PrivateRedis,
}

impl Pair {
    /// Both servers (Jotter with `extra` arguments); `None` after a loud
    /// skip when redis-server cannot be run.
    pub fn start(extra: &[&str]) -> Option<Pair> {
        Pair::start_with_redis(extra, &[])
    }

    /// [`start`](Self::start), redis-server with `redis_extra` arguments.
    pub fn start_with_redis(extra: &[&str], redis_extra: &[&str]) -> Option<Pair> {
        let redis = PrivateRedis::start_with(redis_extra)?;
        let jotter = Server::start(extra);
        let j = jotter.raw();
        let r = Raw::connect(redis.addr);
        Some(Pair { jotter, j, r, history: Vec::new(), _redis: redis })
    }

    /// New connections to both servers (Jotter's first), for what one
    /// client does to another's.
    pub fn connect_both(&self) -> (Raw, Raw) {
        (self.jotter.raw(), Raw::connect(self._redis.addr))
    }

    /// Switches both connections to RESP3.
    pub fn resp3(&mut self) {
        hello3(&mut self.j);
        hello3(&mut self.r);
    }

    /// Sends `args` to both and returns both parsed replies.
    pub fn both_trees(&mut self, args: &[&str]) -> (Reply, Reply) {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        self.exchange(&args)
    }

    /// [`both_trees`](Self::both_trees) for arguments that are not text.
    pub fn exchange(&mut self, args: &[&[u8]]) -> (Reply, Reply) {
        self.history.push(args.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect());
        let request = resp_bytes(args);
        self.j.send(&request);
        self.r.send(&request);
        (read_tree(&mut self.j), read_tree(&mut self.r))
    }

    /// [`same`](Self::same) for arguments that are not text.
    #[track_caller]
    pub fn same_bytes(&mut self, args: &[&[u8]]) -> String {
        let (j, r) = self.exchange(args);
        let (j, r) = (j.render(), r.render());
        self.assert_equal(&j, &r);
        j
    }

    /// Sends `args` to both and returns both rendered replies (Jotter's
    /// first), without comparing them: for replies that differ by design
    /// (random picks), which the caller checks for shape.
    pub fn both(&mut self, args: &[&str]) -> (String, String) {
        let (j, r) = self.both_trees(args);
        (j.render(), r.render())
    }

    /// Sends `args` to both; the replies must be equal. Returns the reply.
    #[track_caller]
    pub fn same(&mut self, args: &[&str]) -> String {
        let (j, r) = self.both(args);
        self.assert_equal(&j, &r);
        j
    }

    /// [`same`](Self::same), comparing the outer array (or map) as a
    /// multiset: for replies whose order Redis leaves unspecified.
    #[track_caller]
    pub fn same_unordered(&mut self, args: &[&str]) -> String {
        let (j, r) = self.both_trees(args);
        let (j, r) = (j.sorted().render(), r.sorted().render());
        self.assert_equal(&j, &r);
        j
    }

    #[track_caller]
    fn assert_equal(&self, jotter: &str, redis: &str) {
        if jotter != redis {
            let history: Vec<String> = self.history.iter().map(|c| c.join(" ")).collect();
            panic!(
                "replies differ\n  command: {}\n  jotter:  {jotter}\n  redis:   {redis}\n  history ({} commands):\n    {}",
                history.last().map_or("", String::as_str),
                history.len(),
                history.join("\n    ")
            );
        }
    }

    /// Runs `steps` random commands from `generate` on both; every reply
    /// must be equal (replies that are arrays with `unordered` set are
    /// compared as multisets). Panics with the seed on a mismatch.
    #[track_caller]
    pub fn fuzz(&mut self, seed: u64, steps: usize, mut generate: impl FnMut(&mut Rng) -> Command) {
        let mut rng = Rng::new(seed);
        self.history.clear();
        for step in 0..steps {
            let command = generate(&mut rng);
            let args: Vec<&str> = command.args.iter().map(String::as_str).collect();
            let (j, r) = self.both_trees(&args);
            let (j, r) = if command.unordered {
                (j.sorted().render(), r.sorted().render())
            } else {
                (j.render(), r.render())
            };
            if j != r {
                eprintln!("fuzz seed {seed}, step {step} of {steps}");
            }
            self.assert_equal(&j, &r);
        }
    }

    /// [`fuzz`](Self::fuzz) with `seed` in RESP2, then, from an empty
    /// keyspace, with `seed + 1` in RESP3.
    #[track_caller]
    pub fn fuzz_both_protocols(
        &mut self,
        seed: u64,
        steps: usize,
        mut generate: impl FnMut(&mut Rng) -> Command,
    ) {
        self.fuzz(seed, steps, &mut generate);
        self.same(&["FLUSHALL"]);
        self.resp3();
        self.fuzz(seed + 1, steps, generate);
    }
}

/// One generated command, and whether its reply's order is unspecified.
pub struct Command {
    pub args: Vec<String>,
    pub unordered: bool,
}

impl Command {
    pub fn new(args: &[&str]) -> Command {
        Command { args: args.iter().map(|a| (*a).to_owned()).collect(), unordered: false }
    }

    /// The same command, its reply compared as a multiset.
    pub fn unordered(mut self) -> Command {
        self.unordered = true;
        self
    }
}

impl From<Vec<String>> for Command {
    fn from(args: Vec<String>) -> Command {
        Command { args, unordered: false }
    }
}

/// A small deterministic generator (xorshift64*), so a seed replays.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// A number in `lo..=hi`.
    pub fn between(&mut self, lo: i64, hi: i64) -> i64 {
        let span = u64::try_from(hi - lo).expect("lo <= hi") + 1;
        lo + i64::try_from(self.below(span)).expect("small span")
    }

    /// One of `items`.
    pub fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[usize::try_from(self.below(items.len() as u64)).expect("index")]
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

/// Sends `args` on one connection to each server and reads `n` replies
/// from each; they must be equal. Returns Jotter's, rendered.
#[track_caller]
pub fn same_on(j: &mut Raw, r: &mut Raw, args: &[&str], n: usize) -> Vec<String> {
    j.send(&resp(args));
    r.send(&resp(args));
    (0..n).map(|_| read_same(j, r)).collect()
}

/// Reads the next reply (or message) from each; they must be equal.
#[track_caller]
pub fn read_same(j: &mut Raw, r: &mut Raw) -> String {
    let (mine, theirs) = (read_tree(j).render(), read_tree(r).render());
    assert_eq!(mine, theirs, "the next message differs");
    mine
}

/// Client-side caching, the same on both servers: `j`, `r` a RESP3 client
/// of each, `wj`, `wr` another client of each. CLIENT TRACKING's options
/// and errors, TRACKINGINFO, GETREDIR; a read key invalidated once when
/// the other client writes it (pushed while the tracking client is idle);
/// its own write told after the reply, not with NOLOOP; nothing once
/// tracking is off.
#[track_caller]
pub fn tracking_matches_redis(j: &mut Raw, r: &mut Raw, wj: &mut Raw, wr: &mut Raw) {
    for args in [
        &["CLIENT", "GETREDIR"][..],
        &["CLIENT", "TRACKINGINFO"],
        &["CLIENT", "CACHING", "yes"],
        &["CLIENT", "TRACKING", "maybe"],
        &["CLIENT", "TRACKING", "on", "PREFIX", "a"],
        &["CLIENT", "TRACKING", "on", "BCAST", "OPTIN"],
        &["CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT"],
        &["CLIENT", "TRACKING", "on", "REDIRECT", "999999"],
        &["CLIENT", "TRACKING", "on", "REDIRECT", "x"],
        &["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a", "PREFIX", "ab"],
        &["CLIENT", "TRACKING", "on", "NOPE"],
        &["CLIENT", "TRACKING", "on"],
        &["CLIENT", "TRACKINGINFO"],
        &["CLIENT", "GETREDIR"],
        &["CLIENT", "CACHING", "yes"],
        &["GET", "k"],
        &["MGET", "k2", "k3"],
    ] {
        same_on(j, r, args, 1);
    }
    same_on(wj, wr, &["SET", "k", "v"], 1);
    let pushed = read_same(j, r);
    assert_eq!(pushed, r#">["invalidate", ["k"]]"#);
    // Told once: the key is no longer tracked until read again.
    same_on(wj, wr, &["SET", "k", "w"], 1);
    same_on(wj, wr, &["MSET", "k2", "1", "k3", "2"], 1);
    read_same(j, r);
    read_same(j, r);
    same_on(j, r, &["GET", "own"], 1);
    let own = same_on(j, r, &["SET", "own", "1"], 2);
    assert_eq!(own[1], r#">["invalidate", ["own"]]"#);
    same_on(j, r, &["CLIENT", "TRACKING", "on", "NOLOOP"], 1);
    same_on(j, r, &["GET", "own"], 1);
    same_on(j, r, &["SET", "own", "2"], 1);
    same_on(j, r, &["INCR", "own"], 1);
    same_on(j, r, &["CLIENT", "TRACKINGINFO"], 1);
    same_on(j, r, &["PING"], 1);
    same_on(j, r, &["CLIENT", "TRACKING", "off"], 1);
    same_on(j, r, &["GET", "k"], 1);
    same_on(wj, wr, &["SET", "k", "x"], 1);
    same_on(j, r, &["PING"], 1);
}
