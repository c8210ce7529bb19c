//! The scale-out fault harness (`scripts/cluster/run.sh`) in reduced form:
//! a private primary with one replica (`min-replicas-to-write 1`), one
//! Sentinel, a front end reached through it (`fsync = always`), two flush
//! workers into a PostgreSQL schema of the test's own, and one worker
//! killed with SIGKILL in the middle of the load. Checked as the harness
//! checks: after `JOTTER.FLUSH`, every acknowledged key is in the store with
//! its last acknowledged value (or a later one sent without an answer), and
//! nothing else is there.

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::Server;
use common::cluster::Worker;
use common::pg::Schema;
use common::private_redis::PrivateRedis;
use common::sentinel::Sentinel;

/// What one writer did: per key, the last acknowledged sequence number and
/// the ones sent after it without an answer.
#[derive(Default)]
struct Written {
    acked: HashMap<String, u64>,
    unanswered: HashMap<String, HashSet<u64>>,
}

/// Writes `SET prefix:i seq` through `front` round the keys until `stop`;
/// each key has this one writer, each value its sequence number.
fn writer(front: std::net::SocketAddr, prefix: String, stop: Arc<AtomicBool>) -> Written {
    let client = redis::Client::open(format!("redis://{front}")).expect("client");
    let mut connection = None;
    let mut written = Written::default();
    let mut seq = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let key = format!("{prefix}:{}", seq % 200);
        seq += 1;
        if connection.is_none() {
            connection = client.get_connection().ok();
        }
        let reply: Result<(), _> = match connection.as_mut() {
            Some(c) => redis::cmd("SET").arg(&key).arg(seq.to_string()).query(c),
            None => Err(redis::RedisError::from((redis::ErrorKind::Io, "no connection"))),
        };
        match reply {
            Ok(()) => {
                written.acked.insert(key.clone(), seq);
                written.unanswered.remove(&key);
            }
            Err(_) => {
                written.unanswered.entry(key).or_default().insert(seq);
                connection = None;
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
    written
}

#[test]
fn a_worker_killed_mid_load_loses_no_acknowledged_write() {
    let Some(primary) = PrivateRedis::start_with(&["--min-replicas-to-write", "1"]) else {
        return;
    };
    let Some(schema) = Schema::create("faults") else { return };
    let replica = PrivateRedis::start_with(&[
        "--replicaof",
        &primary.addr.ip().to_string(),
        &primary.addr.port().to_string(),
    ])
    .expect("a second redis-server");
    let mut admin = redis::Client::open(format!("redis://{}", primary.addr))
        .and_then(|c| c.get_connection())
        .expect("connect to the primary");
    let start = Instant::now();
    loop {
        let info: String = redis::cmd("INFO").arg("replication").query(&mut admin).unwrap();
        if info.contains("min_slaves_good_slaves:1") {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "the replica did not sync: {info}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let sentinel = Sentinel::start(primary.addr);
    let url = sentinel.url();
    let front = Server::start(&["--cluster", &url, "--cluster-shards", "4", "--fsync", "always"]);
    let store = schema.url();
    let flags = |name: &'static str| ["--consumer", name, "--claim-idle", "1s"];
    let mut doomed = Worker::start_on(&url, Some(&store), &flags("w1"));
    let survivor = Worker::start_on(&url, Some(&store), &flags("w2"));

    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..2)
        .map(|i| {
            let stop = Arc::clone(&stop);
            let addr = front.resp;
            std::thread::spawn(move || writer(addr, format!("k{i}"), stop))
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    doomed.signal("KILL");
    doomed.wait(Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(1500));
    stop.store(true, Ordering::Relaxed);
    let written: Vec<Written> = writers.into_iter().map(|w| w.join().expect("writer")).collect();

    let mut client = redis::Client::open(format!("redis://{}", front.resp))
        .and_then(|c| c.get_connection())
        .expect("connect to the front end");
    let () = redis::cmd("JOTTER.FLUSH").query(&mut client).unwrap_or_else(|e| {
        panic!("JOTTER.FLUSH: {e}; survivor log:\n{}", survivor.log());
    });

    let rows: HashMap<String, String> = schema
        .query(
            "SELECT convert_from(key, 'UTF8') || '|' || convert_from(value, 'UTF8') \
             FROM jotter_strings",
        )
        .lines()
        .filter_map(|line| line.split_once('|'))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let (mut acked, mut lost) = (0, Vec::new());
    let mut sent: HashMap<&str, HashSet<u64>> = HashMap::new();
    for w in &written {
        for (key, seq) in &w.acked {
            acked += 1;
            let stored = rows.get(key).and_then(|v| v.parse::<u64>().ok());
            let later = w.unanswered.get(key);
            if stored != Some(*seq)
                && !stored.is_some_and(|s| later.is_some_and(|l| l.contains(&s)))
            {
                lost.push((key.clone(), *seq, stored));
            }
        }
        for (key, seqs) in &w.unanswered {
            sent.entry(key.as_str()).or_default().extend(seqs);
        }
    }
    let known: HashSet<&str> =
        written.iter().flat_map(|w| w.acked.keys()).map(|k| k.as_str()).collect();
    let unexpected: Vec<_> = rows
        .iter()
        .filter(|(k, v)| {
            !known.contains(k.as_str())
                && !v
                    .parse()
                    .is_ok_and(|s: u64| sent.get(k.as_str()).is_some_and(|l| l.contains(&s)))
        })
        .collect();
    eprintln!(
        "acknowledged keys {acked}, found {}, lost {}, unexpected {}",
        acked - lost.len(),
        lost.len(),
        unexpected.len()
    );
    assert!(acked >= 100, "too few writes acknowledged to mean anything: {acked}");
    assert!(
        lost.is_empty(),
        "{} of {acked} acknowledged keys lost: {:?}",
        lost.len(),
        &lost[..lost.len().min(5)]
    );
    assert!(unexpected.is_empty(), "rows never written: {unexpected:?}");
    drop(replica);
}
