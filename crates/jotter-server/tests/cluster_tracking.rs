//! Client-side caching (CLIENT TRACKING) on `jotter serve --cluster`: the
//! real binary as two front ends of one private redis-server, raw clients,
//! every exchange made alike on a second private redis-server used
//! directly (the reference), reply for reply and message for message. A
//! RESP3 client that read a key is told while idle when a client of the
//! other front end writes it; BCAST with and without prefixes, OPTIN with
//! CLIENT CACHING, NOLOOP; RESP2 through a REDIRECT to a subscriber of
//! `__redis__:invalidate`; no invalidation ever names Jotter's own
//! `{jotter}:` keys (the change records every write makes); and after
//! Redis closes the front end's connections, the idle client gets Redis's
//! flush signal and its tracking is on again; across a Sentinel
//! failover a write through the other front end still reaches it.

mod common;

use std::time::Duration;

use common::Raw;
use common::Server;
use common::cluster::front_end;
use common::differential::{read_same, same_on, tracking_matches_redis};
use common::private_redis::PrivateRedis;
use common::reply::{hello3, q, read_tree};
use common::sentinel::Sentinels;

const SHARDS: u32 = 4;

/// A private Redis with two front ends, and the reference Redis.
struct Cluster {
    redis: PrivateRedis,
    one: Server,
    two: Server,
    reference: PrivateRedis,
}

impl Cluster {
    /// `None` after a loud skip when redis-server cannot run.
    fn start() -> Option<Cluster> {
        let redis = PrivateRedis::start()?;
        let reference = PrivateRedis::start()?;
        let one = front_end(&redis, SHARDS, &[]);
        let two = front_end(&redis, SHARDS, &[]);
        Some(Cluster { redis, one, two, reference })
    }

    /// A client of `front` and one of the reference, in RESP3 if `resp3`.
    fn clients(&self, front: &Server, resp3: bool) -> (Raw, Raw) {
        let (mut j, mut r) = (front.raw(), Raw::connect(self.reference.addr));
        if resp3 {
            hello3(&mut j);
            hello3(&mut r);
        }
        (j, r)
    }
}

#[test]
fn an_idle_resp3_client_is_told_of_a_write_through_another_front_end() {
    let Some(cluster) = Cluster::start() else { return };
    let (mut j, mut r) = cluster.clients(&cluster.one, true);
    let (mut wj, mut wr) = cluster.clients(&cluster.two, false);
    let (j, r) = (&mut j, &mut r);
    // The reader is pushed while idle; its own write, made with its
    // change records, names its key only.
    tracking_matches_redis(j, r, &mut wj, &mut wr);
}

#[test]
fn bcast_and_optin_match_redis_without_jotters_keys() {
    let Some(cluster) = Cluster::start() else { return };
    let (mut j, mut r) = cluster.clients(&cluster.one, true);
    let (mut wj, mut wr) = cluster.clients(&cluster.two, false);
    let (j, r) = (&mut j, &mut r);
    // Every key: the change records a write makes go unmentioned.
    same_on(j, r, &["CLIENT", "TRACKING", "on", "BCAST"], 1);
    same_on(&mut wj, &mut wr, &["SET", "k", "v"], 1);
    assert_eq!(read_same(j, r), r#">["invalidate", ["k"]]"#);
    same_on(&mut wj, &mut wr, &["MSET", "a", "1", "b", "2"], 1);
    assert_eq!(read_same(j, r), r#">["invalidate", ["a", "b"]]"#);
    same_on(j, r, &["CLIENT", "TRACKING", "off"], 1);
    same_on(j, r, &["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:", "PREFIX", "job:"], 1);
    same_on(j, r, &["CLIENT", "TRACKINGINFO"], 1);
    same_on(&mut wj, &mut wr, &["SET", "other", "1"], 1);
    same_on(&mut wj, &mut wr, &["SET", "user:7", "1"], 1);
    assert_eq!(read_same(j, r), r#">["invalidate", ["user:7"]]"#);
    same_on(&mut wj, &mut wr, &["HSET", "job:1", "f", "v"], 1);
    read_same(j, r);
    same_on(j, r, &["CLIENT", "TRACKING", "off"], 1);
    // OPTIN: only what follows CLIENT CACHING YES is tracked.
    same_on(j, r, &["CLIENT", "TRACKING", "on", "OPTIN"], 1);
    same_on(j, r, &["GET", "untracked"], 1);
    same_on(j, r, &["CLIENT", "CACHING", "yes"], 1);
    same_on(j, r, &["GET", "tracked"], 1);
    same_on(j, r, &["CLIENT", "TRACKINGINFO"], 1);
    same_on(&mut wj, &mut wr, &["SET", "untracked", "1"], 1);
    same_on(&mut wj, &mut wr, &["SET", "tracked", "1"], 1);
    assert_eq!(read_same(j, r), r#">["invalidate", ["tracked"]]"#);
    same_on(j, r, &["PING"], 1);
}

#[test]
fn resp2_tracking_redirects_to_a_subscriber_of_another_connection() {
    let Some(cluster) = Cluster::start() else { return };
    let (mut sj, mut sr) = cluster.clients(&cluster.one, false);
    let (mut tj, mut tr) = cluster.clients(&cluster.two, false);
    let (mut wj, mut wr) = cluster.clients(&cluster.one, false);
    // CLIENT ID on a front end is the id of the client's own connection
    // to Redis: the one a redirect must name.
    let id_of = |c: &mut Raw| q(c, &["CLIENT", "ID"]).trim_start_matches(':').to_owned();
    let (idj, idr) = (id_of(&mut sj), id_of(&mut sr));
    same_on(&mut sj, &mut sr, &["SUBSCRIBE", "__redis__:invalidate"], 1);
    assert_eq!(q(&mut tj, &["CLIENT", "TRACKING", "on", "REDIRECT", &idj]), "+OK");
    assert_eq!(q(&mut tr, &["CLIENT", "TRACKING", "on", "REDIRECT", &idr]), "+OK");
    assert_eq!(q(&mut tj, &["CLIENT", "GETREDIR"]), format!(":{idj}"));
    same_on(&mut tj, &mut tr, &["GET", "k"], 1);
    same_on(&mut wj, &mut wr, &["SET", "k", "v"], 1);
    assert_eq!(read_same(&mut sj, &mut sr), r#"["message", "__redis__:invalidate", ["k"]]"#);
    // BCAST of every key through the redirect: no record is named.
    same_on(&mut tj, &mut tr, &["CLIENT", "TRACKING", "off"], 1);
    let bcast =
        |c: &mut Raw, id: &str| q(c, &["CLIENT", "TRACKING", "on", "BCAST", "REDIRECT", id]);
    assert_eq!(bcast(&mut tj, &idj), "+OK");
    assert_eq!(bcast(&mut tr, &idr), "+OK");
    same_on(&mut wj, &mut wr, &["INCR", "n"], 1);
    assert_eq!(read_same(&mut sj, &mut sr), r#"["message", "__redis__:invalidate", ["n"]]"#);
    same_on(&mut sj, &mut sr, &["PING"], 1);
}

#[test]
fn a_new_connection_to_redis_flushes_the_cache_and_keeps_tracking() {
    let Some(cluster) = Cluster::start() else { return };
    let mut j = cluster.one.raw();
    hello3(&mut j);
    assert_eq!(q(&mut j, &["CLIENT", "TRACKING", "on", "NOLOOP"]), "+OK");
    assert_eq!(q(&mut j, &["GET", "k"]), "_");
    // Redis closes every client connection (as a failover does): the
    // idle client is told to forget everything, unasked.
    let mut admin = Raw::connect(cluster.redis.addr);
    let killed = q(&mut admin, &["CLIENT", "KILL", "TYPE", "normal"]);
    assert!(killed.starts_with(':'), "{killed}");
    assert_eq!(read_tree(&mut j).render(), r#">["invalidate", _]"#);
    // Tracking is on again, with its options, on the new connection.
    let info = q(&mut j, &["CLIENT", "TRACKINGINFO"]);
    assert!(info.contains("on") && info.contains("noloop"), "{info}");
    assert_eq!(q(&mut j, &["GET", "k"]), "_");
    let mut w = cluster.two.raw();
    assert_eq!(q(&mut w, &["SET", "k", "v"]), "+OK");
    assert_eq!(read_tree(&mut j).render(), r#">["invalidate", ["k"]]"#);
    assert_eq!(q(&mut j, &["GET", "k"]), r#""v""#);
}

#[test]
fn tracking_outlives_a_sentinel_failover() {
    let Some(cluster) = Sentinels::start() else { return };
    let args = ["--cluster", &cluster.url(), "--cluster-shards", "4"];
    let (one, two) = (Server::start(&args), Server::start(&args));
    let mut j = one.raw();
    j.stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    hello3(&mut j);
    assert_eq!(q(&mut j, &["CLIENT", "TRACKING", "on"]), "+OK");
    assert_eq!(q(&mut j, &["GET", "k"]), "_");
    cluster.fail_over();
    // Whether the client's connection survived on the demoted node (which
    // replays the new primary's writes) or was opened again (flush signal
    // first), a write through the other front end reaches it.
    let mut w = two.raw();
    assert_eq!(q(&mut w, &["SET", "k", "v"]), "+OK");
    let mut told = read_tree(&mut j).render();
    if told == r#">["invalidate", _]"# {
        assert_eq!(q(&mut j, &["GET", "k"]), r#""v""#);
        assert_eq!(q(&mut w, &["SET", "k", "w"]), "+OK");
        told = read_tree(&mut j).render();
    }
    assert_eq!(told, r#">["invalidate", ["k"]]"#);
}
