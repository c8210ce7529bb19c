//! KEYS, SCAN, DBSIZE and RANDOMKEY against flushes, as one client sees
//! them: after each of a random mix of SET, RENAME, DEL and HSET over ten
//! keys, with the server flushing every millisecond, every listing holds
//! exactly the keys that exist (a key being flushed is never in neither the
//! buffer nor the store's listing).

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::Server;
use redis::aio::MultiplexedConnection;

async fn keys(con: &mut MultiplexedConnection) -> BTreeSet<String> {
    redis::cmd("KEYS").arg("*").query_async(con).await.unwrap()
}

/// A full SCAN iteration, small pages so that it takes several calls.
async fn scan_all(con: &mut MultiplexedConnection) -> BTreeSet<String> {
    let mut all = BTreeSet::new();
    let mut cursor = 0u64;
    loop {
        let (next, page): (u64, Vec<String>) =
            redis::cmd("SCAN").arg(cursor).arg("COUNT").arg(2).query_async(con).await.unwrap();
        all.extend(page);
        if next == 0 {
            return all;
        }
        cursor = next;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listings_see_every_key_while_it_is_flushed() {
    let server = Server::start(&["--flush-interval", "1ms", "--batch-size", "2"]);
    let mut con = server.client().await;
    // The keys that exist, and whether each is a hash.
    let mut model = BTreeMap::<String, bool>::new();
    let mut rng = fastrand::Rng::with_seed(11);
    let mut wrong = Vec::new();
    const ROUNDS: usize = 3000;
    for round in 0..ROUNDS {
        let a = format!("k{}", rng.usize(..10));
        let b = format!("k{}", rng.usize(..10));
        match rng.u8(..4) {
            0 => {
                let () = redis::cmd("SET").arg(&a).arg("x").query_async(&mut con).await.unwrap();
                model.insert(a, false);
            }
            1 => {
                let _: i64 = redis::cmd("DEL").arg(&a).query_async(&mut con).await.unwrap();
                model.remove(&a);
            }
            2 if model.get(&a) != Some(&false) => {
                let _: i64 = redis::cmd("HSET")
                    .arg(&a)
                    .arg("f")
                    .arg("v")
                    .query_async(&mut con)
                    .await
                    .unwrap();
                model.insert(a, true);
            }
            _ if model.contains_key(&a) => {
                let () = redis::cmd("RENAME").arg(&a).arg(&b).query_async(&mut con).await.unwrap();
                let kind = model.remove(&a).expect("exists");
                model.insert(b, kind);
            }
            _ => {}
        }
        let expected: BTreeSet<String> = model.keys().cloned().collect();
        let listed = match round % 4 {
            0 => keys(&mut con).await,
            1 => scan_all(&mut con).await,
            2 => {
                let n: usize = redis::cmd("DBSIZE").query_async(&mut con).await.unwrap();
                if n == expected.len() {
                    expected.clone()
                } else {
                    BTreeSet::from([format!("{n} keys")])
                }
            }
            _ => {
                let key: Option<String> =
                    redis::cmd("RANDOMKEY").query_async(&mut con).await.unwrap();
                match key {
                    Some(k) if expected.contains(&k) => expected.clone(),
                    None if expected.is_empty() => expected.clone(),
                    other => BTreeSet::from([format!("RANDOMKEY {other:?}")]),
                }
            }
        };
        if listed != expected {
            wrong.push((round, expected, listed));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {ROUNDS} listings were wrong, first: {:?}",
        wrong.len(),
        wrong[0]
    );
}
