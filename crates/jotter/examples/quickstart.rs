//! Jotter in front of the embedded SQLite store, with three everyday
//! loads: page-view counters, a session hash and a leaderboard.
//! Writes return from memory; the database receives one row per key per
//! flush window, which the example then reads back with plain SQL.
//!
//! Run: `cargo run --release -p jotter --example quickstart [DATA_DIR]`
//! (default `./jotter-data`).

use std::time::{Duration, Instant};

use jotter::{Cache, FieldValue, SqliteStore};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "jotter-data".to_owned());
    std::fs::create_dir_all(&dir)?;
    let path = std::path::Path::new(&dir).join("jotter.db");
    let cache = Cache::builder(SqliteStore::open(&path)?)
        .flush_interval(Duration::from_millis(200))
        .build()
        .await?;
    println!("store: {}", path.display());

    let start = Instant::now();
    for i in 0..100_000u32 {
        cache.incr(format!("views:article:{}", i % 1000), 1).await?;
        cache.incr_score("board:weekly", format!("player:{}", i % 50), 15.0).await?;
    }
    cache.set_field("session:ab12", "user", FieldValue::Bytes("42".into())).await?;
    cache.set_field("session:ab12", "cart", FieldValue::Bytes("3".into())).await?;
    let took = start.elapsed();
    println!(
        "200,002 writes acknowledged in {took:.2?} ({:.0} writes/s)",
        200_002.0 / took.as_secs_f64()
    );

    cache.flush().await?;
    let stats = cache.stats();
    println!(
        "in the store after one barrier: {} writes accepted, {} store writes (coalescing ratio {:.0}), {} batches",
        stats.writes_accepted, stats.store_writes, stats.coalescing_ratio, stats.batches
    );
    let report = cache.shutdown(Duration::from_secs(10)).await;
    println!("shutdown drained: {}", report.drained);

    let db = rusqlite::Connection::open(&path)?;
    let views: String = db.query_row(
        "SELECT CAST(value AS TEXT) FROM jotter_strings WHERE key = CAST('views:article:7' AS BLOB)",
        [],
        |r| r.get(0),
    )?;
    let (top, score): (String, f64) = db.query_row(
        "SELECT CAST(member AS TEXT), score FROM jotter_zsets ORDER BY score DESC, member LIMIT 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    println!("plain SQL: views:article:7 = {views}; best player {top} with {score}");
    Ok(())
}
