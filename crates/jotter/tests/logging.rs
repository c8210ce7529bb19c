//! What the engine writes to the log when the store refuses writes: a
//! batch of 10,000 refused writes gives a bounded number of lines, each of
//! bounded length, with no value in any of them, and long keys cut.

use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use jotter::{Cache, Entry, MemoryStore, Store, StoreError, Write};

/// Refuses every write for good, with a long message (as a database's
/// error text can be).
#[derive(Clone, Default)]
struct Refusing(MemoryStore);

impl Store for Refusing {
    async fn write(&self, batch: &[Write]) -> Result<(), StoreError> {
        Err(StoreError::permanent(format!(
            "{} rows refused: constraint {}",
            batch.len(),
            "c".repeat(100_000)
        )))
    }

    async fn load(&self, key: &Bytes) -> Result<Option<Entry>, StoreError> {
        self.0.load(key).await
    }

    async fn max_version(&self) -> Result<u64, StoreError> {
        self.0.max_version().await
    }
}

/// Log lines written into memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_refused_batch_of_10000_writes_logs_a_bounded_number_of_short_lines() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    // The test's runtime has one thread: every task logs through this.
    let _guard = tracing::subscriber::set_default(subscriber);

    const N: usize = 10_000;
    let cache = Cache::builder(Refusing::default())
        .batch_size(N)
        .flush_workers(1)
        .flush_interval(Duration::from_secs(3_600))
        .dead_letter_after(1)
        .build()
        .await
        .expect("cache");
    let long_key = |i: usize| format!("{i:05}{}", "k".repeat(3_000));
    for i in 0..N {
        cache.put(long_key(i), format!("secret-value-{i}")).await.expect("put");
    }
    cache.flush().await.expect("flush");
    assert_eq!(cache.dead_letters().len(), N);

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines.len() <= 5,
        "{} lines:\n{}",
        lines.len(),
        text.chars().take(4_000).collect::<String>()
    );
    assert!(lines.iter().any(|l| l.contains("dead-lettered")), "{text}");
    assert!(lines.iter().any(|l| l.contains(&format!("more={}", N - 3))), "{text}");
    for line in &lines {
        assert!(line.len() < 2_000, "a line of {} bytes", line.len());
        assert!(!line.contains("secret-value"), "a value in: {line}");
    }
    let keyed: Vec<&&str> = lines.iter().filter(|l| l.contains("key=")).collect();
    assert!(!keyed.is_empty());
    for line in keyed {
        assert!(line.contains("...\" (3005 bytes)"), "the key is cut: {line}");
    }
    let _ = std::io::stderr().flush();
}
