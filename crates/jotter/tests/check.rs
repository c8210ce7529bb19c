//! A store that can tell which writes it will refuse ([`Store::check`]):
//! the engine refuses them when it accepts them, so they are never
//! acknowledged, never pending and never dead-lettered, and a transaction
//! with one of them accepts none.

use bytes::Bytes;
use jotter::{Cache, Change, Entry, MemoryStore, Store, StoreError, Write};

/// A memory store that refuses any blob holding `bad`.
#[derive(Clone, Default)]
struct Picky(MemoryStore);

impl Store for Picky {
    const CHECKS_WRITES: bool = true;

    fn check(&self, write: &Write) -> Result<(), StoreError> {
        match &write.change {
            Change::Put(v) if v.windows(3).any(|w| w == b"bad") => {
                Err(StoreError::permanent("column v: bad values do not fit"))
            }
            _ => Ok(()),
        }
    }

    async fn write(&self, batch: &[Write]) -> Result<(), StoreError> {
        self.0.write(batch).await
    }

    async fn load(&self, key: &Bytes) -> Result<Option<Entry>, StoreError> {
        self.0.load(key).await
    }

    async fn max_version(&self) -> Result<u64, StoreError> {
        self.0.max_version().await
    }
}

#[tokio::test]
async fn a_write_the_store_would_refuse_is_refused_when_accepted() {
    let store = Picky::default();
    let cache = Cache::builder(store.clone()).build().await.expect("cache");
    let err = cache.put("k", "a bad value").await.expect_err("refused");
    assert!(matches!(err, jotter::Error::Refused(_)), "{err}");
    assert!(err.to_string().contains("column v"), "{err}");
    assert_eq!(cache.get("k").await.expect("get"), None);
    assert_eq!(cache.stats().pending_entries, 0);

    let keys = [Bytes::from_static(b"a"), Bytes::from_static(b"b")];
    let err = cache
        .transact(&keys, |txn| {
            txn.put(b"a", "good".into(), None);
            txn.put(b"b", "bad".into(), None);
            Ok(())
        })
        .await
        .expect_err("one write of the transaction does not fit");
    assert!(matches!(err, jotter::Error::Refused(_)), "{err}");
    assert_eq!(cache.get("a").await.expect("get"), None, "none of the transaction");

    cache.put("k", "good").await.expect("a fitting write is accepted");
    cache.flush().await.expect("flush");
    assert!(cache.dead_letters().is_empty());
    assert_eq!(
        store.0.load(&Bytes::from_static(b"k")).await.expect("load").map(|e| e.value),
        Some("good".into())
    );
}
