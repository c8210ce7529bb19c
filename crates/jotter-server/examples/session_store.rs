//! Web sessions on Jotter, through a plain Redis client.
//!
//! Every request reads its session (`HGETALL`) and many write it (`HSET`);
//! sessions expire after 30 minutes of inactivity (`EXPIRE`), and an
//! expired session is deleted from the database behind. A checkout is the
//! one write that must be in the database before the user sees "paid":
//! `JOTTER.THROUGH` makes that single command write-through. Start the
//! server first, then run this:
//!
//! ```text
//! cargo run --release -- serve
//! cargo run --release -p jotter-server --example session_store
//! ```
//!
//! Set `JOTTER_URL` (default `redis://127.0.0.1:6380`) to point elsewhere.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use redis::AsyncCommands;

const IDLE_SECONDS: i64 = 1800;

#[tokio::main(flavor = "current_thread")]
async fn main() -> redis::RedisResult<()> {
    let mut con = common::connect().await?;

    // A login creates the session.
    let session = "session:ab12";
    let _: () = redis::pipe()
        .hset_multiple(session, &[("user", "42"), ("cart", "0"), ("last_seen", "1732262400")])
        .ignore()
        .expire(session, IDLE_SECONDS)
        .ignore()
        .query_async(&mut con)
        .await?;

    // A thousand page views: read the session, touch it, slide the expiry.
    let started = Instant::now();
    for view in 0..1_000u32 {
        let fields: HashMap<String, String> = con.hgetall(session).await?;
        assert_eq!(fields.get("user").map(String::as_str), Some("42"));
        let _: () = redis::pipe()
            .hset(session, "last_seen", 1_732_262_400 + u64::from(view))
            .ignore()
            .hincr(session, "cart", i64::from(view % 7 == 0))
            .ignore()
            .expire(session, IDLE_SECONDS)
            .ignore()
            .query_async(&mut con)
            .await?;
    }
    println!("1000 page views (read + write + expire) in {:?}", started.elapsed());
    let ttl: i64 = con.ttl(session).await?;
    println!(
        "{session} expires in {ttl} s; now: {:?}",
        con.hgetall::<_, HashMap<String, String>>(session).await?
    );

    // Checkout: this one write is acknowledged only once it is stored.
    let started = Instant::now();
    let _: () = redis::cmd("JOTTER.THROUGH")
        .arg("HSET")
        .arg("order:9001")
        .arg("user")
        .arg("42")
        .arg("status")
        .arg("paid")
        .query_async(&mut con)
        .await?;
    println!("write-through checkout stored in {:?}", started.elapsed());

    // A short-lived session expires, in memory and then in the database.
    let _: () = con.hset("session:tmp", "user", "7").await?;
    let _: () = con.pexpire("session:tmp", 200).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let gone: HashMap<String, String> = con.hgetall("session:tmp").await?;
    println!("session:tmp after its expiry: {gone:?} (deleted from the database behind)");
    Ok(())
}
