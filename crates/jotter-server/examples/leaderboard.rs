//! A game's weekly leaderboard on Jotter, through a plain Redis client.
//!
//! A burst of score updates (`ZINCRBY`) lands in memory and is acknowledged
//! at once; players read their rank immediately (`ZREVRANGE ... WITHSCORES`,
//! `ZREVRANK`); the database receives one row per player per flush, however
//! many times that player scored. Start the server first, then run this:
//!
//! ```text
//! cargo run --release -- serve
//! cargo run --release -p jotter-server --example leaderboard
//! ```
//!
//! Set `JOTTER_URL` (default `redis://127.0.0.1:6380`) to point elsewhere.

mod common;

use std::time::Instant;

use redis::AsyncCommands;

const BOARD: &str = "board:weekly";
const PLAYERS: u32 = 10_000;
const UPDATES: u32 = 100_000;

#[tokio::main(flavor = "current_thread")]
async fn main() -> redis::RedisResult<()> {
    let mut con = common::connect().await?;
    let _: () = con.del(BOARD).await?;

    // Peak hour: most updates go to a few hot players, pipelined 100 at a time.
    let started = Instant::now();
    let mut rng = 0x9E37_79B9_u32;
    for chunk in 0..UPDATES / 100 {
        let mut pipe = redis::pipe();
        for _ in 0..100 {
            rng ^= rng << 13;
            rng ^= rng >> 17;
            rng ^= rng << 5;
            let player = if rng.is_multiple_of(4) { rng % PLAYERS } else { rng % 20 };
            pipe.zincr(BOARD, format!("player:{player}"), 15).ignore();
        }
        let _: () = pipe.query_async(&mut con).await?;
        if chunk == 0 {
            // Players see their new rank at once, before any flush.
            let rank: Option<u64> = con.zrevrank(BOARD, "player:7").await?;
            println!("player:7 is ranked {:?} right after its first points", rank.map(|r| r + 1));
        }
    }
    let elapsed = started.elapsed();
    println!(
        "{UPDATES} score updates in {:.0} ms ({:.0}/s), acknowledged from memory",
        elapsed.as_secs_f64() * 1e3,
        f64::from(UPDATES) / elapsed.as_secs_f64()
    );

    let top: Vec<(String, f64)> = con.zrevrange_withscores(BOARD, 0, 9).await?;
    println!("top ten:");
    for (i, (player, score)) in top.iter().enumerate() {
        println!("  {:>2}. {player:<14} {score}", i + 1);
    }

    // The barrier: returns once every update above is in the database.
    let _: () = redis::cmd("JOTTER.FLUSH").query_async(&mut con).await?;
    let info: String = redis::cmd("INFO").arg("writebehind").query_async(&mut con).await?;
    for line in info.lines().filter(|l| {
        l.starts_with("writes_accepted")
            || l.starts_with("store_writes")
            || l.starts_with("coalescing")
    }) {
        println!("{line}");
    }
    println!(
        "in the database now: SELECT CAST(member AS TEXT), score FROM jotter_zsets \
         WHERE key = CAST('{BOARD}' AS BLOB) ORDER BY score DESC LIMIT 10;"
    );
    Ok(())
}
