//! Flush throughput of the PostgreSQL store, in rows per second, against
//! the ceiling of the same database in the same run.
//!
//! Options, each one transaction per batch of puts (100-byte values) over
//! keys that already exist (the steady state of a write-behind cache: every
//! row is an upsert with a newer version):
//!
//! - `unnest`: the store's own write (arrays bound as parameters, one
//!   pipelined round trip: `BEGIN`, the conditional upsert, `COMMIT`);
//! - `copy`: binary `COPY` into a temporary staging table, then the same
//!   conditional upsert reading from it;
//! - `ceiling`: binary `COPY` into a staging table, then a plain upsert into
//!   a table with the same primary key as `jotter_strings` (no tombstone,
//!   expiry or map bookkeeping): what the database can take at best.
//!
//! Run: `cargo bench -p jotter-postgres --bench flush` (PostgreSQL from
//! `JOTTER_PG_URL`, default the `test` database on 127.0.0.1). It works in
//! its own schema and drops it afterwards.

use std::time::{Duration, Instant};

use bytes::Bytes;
use jotter::{Change, Store, Write};
use jotter_postgres::{PostgresOptions, PostgresStore};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};

const ROWS: usize = 20_000;
const ROUNDS: u64 = 3;
const SIZES: [usize; 3] = [100, 1_000, 10_000];

fn url() -> String {
    std::env::var("JOTTER_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

fn rows(round: u64) -> Vec<Write> {
    let value = Bytes::from(vec![b'v'; 100]);
    (0..ROWS)
        .map(|i| {
            let version = round * ROWS as u64 + i as u64 + 1;
            Write::new(format!("bench:key:{i:08}"), version, Change::Put(value.clone()))
        })
        .collect()
}

/// Writes `batch` by binary COPY into `stage`, then runs `upsert`.
async fn copy_then(
    client: &mut deadpool_postgres::Object,
    stage: &str,
    upsert: &str,
    batch: &[Write],
) -> Result<(), tokio_postgres::Error> {
    let tx = client.transaction().await?;
    let sink = tx
        .copy_in(&format!("COPY {stage} (key, value, version, expires_at) FROM STDIN BINARY"))
        .await?;
    let writer = BinaryCopyInWriter::new(sink, &[Type::BYTEA, Type::BYTEA, Type::INT8, Type::INT8]);
    let mut writer = Box::pin(writer);
    for w in batch {
        let Change::Put(value) = &w.change else { unreachable!() };
        let (key, value): (&[u8], &[u8]) = (&w.key, value);
        let version = i64::try_from(w.version).expect("version");
        let expires_at: Option<i64> = None;
        let row: [&(dyn ToSql + Sync); 4] = [&key, &value, &version, &expires_at];
        writer.as_mut().write(&row).await?;
    }
    writer.as_mut().finish().await?;
    tx.execute(upsert, &[]).await?;
    tx.commit().await
}

fn rate(d: Duration) -> f64 {
    ROWS as f64 / d.as_secs_f64()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let schema = format!("jotter_bench_{}", std::process::id());
    let options = PostgresOptions::default().with_pool_size(1).with_schema(schema.clone());
    let store = match PostgresStore::connect_with(&url(), options).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("flush bench skipped: PostgreSQL at {} is unreachable: {e}", url());
            return;
        }
    };
    let mut client = store.pool().get().await.expect("client");
    client
        .batch_execute(
            "CREATE TEMP TABLE stage (key bytea, value bytea, version bigint, expires_at bigint)
                 ON COMMIT DELETE ROWS;
             CREATE TABLE ceiling_target (key bytea PRIMARY KEY, value bytea NOT NULL,
                 version bigint NOT NULL, expires_at bigint);",
        )
        .await
        .expect("setup");
    let copy_upsert = jotter_postgres::puts_from("stage");
    let ceiling_upsert = "INSERT INTO ceiling_target AS t SELECT * FROM stage
        ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version,
            expires_at = excluded.expires_at WHERE t.version < excluded.version";

    println!("PostgreSQL flush throughput, {ROWS} rows per round, 100-byte values, existing keys");
    println!("(best of {ROUNDS} rounds; rows/s)\n");
    println!(
        "| batch | store | copy + upsert | ceiling: copy + plain upsert | store / ceiling | copy / ceiling |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    let mut round = 0u64;
    for size in SIZES {
        let (mut unnest, mut copy, mut ceiling) = (Duration::MAX, Duration::MAX, Duration::MAX);
        // Round 0 of each table inserts the keys; the measured rounds update.
        for r in 0..=ROUNDS {
            round += 1;
            let data = rows(round);

            drop(client);
            let t = Instant::now();
            for batch in data.chunks(size) {
                store.write(batch).await.expect("store write");
            }
            let d = t.elapsed();
            client = store.pool().get().await.expect("client");
            if r > 0 {
                unnest = unnest.min(d);
            }

            // The same rows again, with versions above the last ones, for
            // the COPY option on the same table.
            round += 1;
            let data = rows(round);
            let t = Instant::now();
            for batch in data.chunks(size) {
                copy_then(&mut client, "stage", &copy_upsert, batch).await.expect("copy");
            }
            if r > 0 {
                copy = copy.min(t.elapsed());
            }

            let t = Instant::now();
            for batch in data.chunks(size) {
                copy_then(&mut client, "stage", ceiling_upsert, batch).await.expect("ceiling");
            }
            if r > 0 {
                ceiling = ceiling.min(t.elapsed());
            }
        }
        let (u, c, top) = (rate(unnest), rate(copy), rate(ceiling));
        println!(
            "| {size} | {u:.0} | {c:.0} | {top:.0} | {:.0} % | {:.0} % |",
            100.0 * u / top,
            100.0 * c / top
        );
    }
    drop(client);
    latency(store.clone()).await;
    let client = store.pool().get().await.expect("client");
    client.batch_execute(&format!("DROP SCHEMA {schema} CASCADE")).await.expect("drop schema");
}

/// One row written through (`put_through`: the reply waits for the
/// database's commit) against written behind (`put`), p50 and p99, rounds
/// interleaved so both see the same machine.
async fn latency(store: PostgresStore) {
    let cache = jotter::Cache::builder(store)
        .flush_interval(Duration::from_millis(100))
        .build()
        .await
        .expect("cache");
    let mut through = hdrhistogram::Histogram::<u64>::new(3).expect("histogram");
    let mut behind = hdrhistogram::Histogram::<u64>::new(3).expect("histogram");
    let value = bytes::Bytes::from_static(b"{\"user\":42,\"cart\":3}");
    for round in 0..20u64 {
        for i in 0..50u64 {
            let t = Instant::now();
            cache.put_through(format!("through:{round}:{i}"), value.clone()).await.expect("put");
            through.record(t.elapsed().as_nanos() as u64).expect("record");
        }
        for i in 0..2_000u64 {
            let t = Instant::now();
            cache.put(format!("behind:{round}:{i}"), value.clone()).await.expect("put");
            behind.record(t.elapsed().as_nanos() as u64).expect("record");
        }
    }
    cache.flush().await.expect("flush");
    let us = |h: &hdrhistogram::Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    println!("\nOne row, write-through (put_through) against write-behind (put), µs\n");
    println!("| | samples | p50 | p99 |");
    println!("|---|---:|---:|---:|");
    println!("| put | {} | {:.2} | {:.2} |", behind.len(), us(&behind, 0.5), us(&behind, 0.99));
    println!(
        "| put_through | {} | {:.0} | {:.0} |",
        through.len(),
        us(&through, 0.5),
        us(&through, 0.99)
    );
    println!(
        "\nratio through/behind: p50 {:.0}×, p99 {:.0}×",
        us(&through, 0.5) / us(&behind, 0.5),
        us(&through, 0.99) / us(&behind, 0.99)
    );
    cache.shutdown(Duration::from_secs(10)).await;
}
