//! A throw-away schema per test in the real PostgreSQL of this machine.
//!
//! `JOTTER_PG_URL` names the database (default: the `test` database on
//! 127.0.0.1:5432 as `postgres`). If it cannot be reached the tests skip
//! with a loud message, unless `JOTTER_REQUIRE_SERVICES=1`, when they fail.
#![allow(dead_code, reason = "each test file uses part of this module")]

use std::sync::atomic::{AtomicU64, Ordering};

use std::time::Duration;

use jotter::{Cache, Store};
use jotter_postgres::{PostgresOptions, PostgresStore};
use tokio_postgres::NoTls;

pub fn url() -> String {
    std::env::var("JOTTER_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A schema that is dropped when this is dropped, even when the test panics.
pub struct Schema {
    pub name: String,
}

impl Drop for Schema {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Its own thread and runtime: this may run inside a test's runtime,
        // or while a panic unwinds out of one.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                if let Ok(c) = raw_client(None).await {
                    let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE")).await;
                }
            });
        })
        .join();
    }
}

/// A plain connection, as a user's SQL tool, in `schema` if given.
pub async fn raw_client(
    schema: Option<&str>,
) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let mut url = url();
    if let Some(s) = schema {
        url.push_str(if url.contains('?') { "&" } else { "?" });
        url.push_str(&format!("options=-csearch_path%3D{s}"));
    }
    let (client, conn) = tokio_postgres::connect(&url, NoTls).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}

/// A plain connection in `schema` that has run `sql` (the test's own
/// tables or constraints).
pub async fn client_after(schema: &Schema, sql: &str) -> tokio_postgres::Client {
    let c = raw_client(Some(&schema.name)).await.expect("raw client");
    c.batch_execute(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    c
}

/// A cache over `store` that retries a refused batch after 1 ms (10 ms at
/// most), so that a write the database refuses is dead-lettered quickly.
pub async fn quick_retry_cache<S: Store>(store: S) -> Cache<S> {
    Cache::builder(store)
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(10))
        .build()
        .await
        .expect("cache")
}

/// Flushes `cache`, failing the test if that takes over a minute.
pub async fn flush<S: Store>(cache: &Cache<S>) {
    tokio::time::timeout(Duration::from_secs(60), cache.flush())
        .await
        .expect("flush in time")
        .expect("flush");
}

fn unique_name(test: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("jt_{test}_{}_{}_{nanos}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

/// A store in a fresh schema, or `None` (after a loud message) if
/// PostgreSQL is unreachable and not required.
pub async fn store(test: &str) -> Option<(PostgresStore, Schema)> {
    store_with(test, PostgresOptions::default().with_pool_size(4)).await
}

pub async fn store_with(test: &str, options: PostgresOptions) -> Option<(PostgresStore, Schema)> {
    if let Err(e) = raw_client(None).await {
        if std::env::var("JOTTER_REQUIRE_SERVICES").as_deref() == Ok("1") {
            panic!("PostgreSQL at {} is required (JOTTER_REQUIRE_SERVICES=1): {e}", url());
        }
        eprintln!(
            "\n!!!!! SKIPPED {test}: PostgreSQL at {} is unreachable ({e}); \
             set JOTTER_REQUIRE_SERVICES=1 to fail instead !!!!!\n",
            url()
        );
        return None;
    }
    let name = unique_name(test);
    let schema = Schema { name: name.clone() };
    // The application name marks the pool's connections, so that a test
    // can terminate them and no others.
    let mut url = url();
    url.push_str(if url.contains('?') { "&" } else { "?" });
    url.push_str(&format!("application_name={name}"));
    let store =
        PostgresStore::connect_with(&url, options.with_schema(name)).await.expect("connect");
    Some((store, schema))
}

/// Whether a connection of `store`'s pool is encrypted, as the server
/// sees it.
pub async fn is_encrypted(store: &PostgresStore) -> bool {
    let client = store.pool().get().await.expect("a connection");
    client
        .query_one("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[])
        .await
        .expect("pg_stat_ssl")
        .get(0)
}

/// Terminates every backend of the pool of the store in `schema` (its
/// connections carry the schema's name as their application name), and
/// waits until they are gone.
pub async fn terminate_backends(schema: &Schema) -> u64 {
    let c = raw_client(None).await.expect("raw client");
    let rows = c
        .query(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity
              WHERE application_name = $1 AND pid <> pg_backend_pid()",
            &[&schema.name],
        )
        .await
        .expect("terminate");
    rows.len() as u64
}

/// `n` pseudo-random bytes from seed `tag`: a key no index could hold
/// whole, even compressed (PostgreSQL compresses long index rows, so a
/// repetitive key would fit).
pub fn long(tag: u8, n: usize) -> bytes::Bytes {
    let mut x = 0x9e37_79b9_7f4a_7c15_u64 ^ u64::from(tag);
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[0]
        })
        .collect::<Vec<u8>>()
        .into()
}
