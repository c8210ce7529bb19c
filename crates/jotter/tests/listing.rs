//! Listings against flushes: `Cache::keys` lists the store's keys and the
//! buffer's pending keys; a key whose write completes between the two looks
//! must still be listed. Checked once deterministically (the store's listing
//! held open while a flush completes) and once at random (listings racing
//! writes, renames, deletes and field writes, flushed all the time).

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::{cache_flushing_every, cache_with};
use jotter::{Cache, FieldValue, Listing, MemoryStore, Page, Store, StoreError, Write};
use tokio::sync::Semaphore;

/// A [`MemoryStore`] whose listing answers with what it held when asked, but
/// only once let go (`hold`), or after yielding a few times; its writes
/// yield too, so flushes interleave with everything else.
#[derive(Clone, Default)]
struct SlowListing {
    inner: MemoryStore,
    hold: Arc<parking_lot::Mutex<Option<Arc<Semaphore>>>>,
}

impl Store for SlowListing {
    async fn write(&self, batch: &[Write]) -> Result<(), StoreError> {
        tokio::task::yield_now().await;
        self.inner.write(batch).await
    }
    async fn load(&self, key: &Bytes) -> Result<Option<jotter::Entry>, StoreError> {
        self.inner.load(key).await
    }
    async fn max_version(&self) -> Result<u64, StoreError> {
        self.inner.max_version().await
    }
    async fn list(&self, page: Page<'_>) -> Result<Vec<Bytes>, StoreError> {
        if page.listing == Listing::Expired {
            return Ok(Vec::new());
        }
        let listed = self.inner.list(page).await;
        let hold = self.hold.lock().clone();
        match hold {
            Some(gate) => drop(gate.acquire().await),
            // About a flush interval, half the time: long enough for a
            // flush to complete during the listing.
            None if fastrand::bool() => tokio::time::sleep(Duration::from_millis(1)).await,
            None => tokio::task::yield_now().await,
        }
        listed
    }
}

/// Every key of the cache, page by page, as the server's KEYS does.
async fn list_all<S: Store>(cache: &Cache<S>, page: usize) -> BTreeSet<Bytes> {
    let mut all = BTreeSet::new();
    let mut after: Option<Bytes> = None;
    loop {
        let keys = cache.keys(after.as_deref(), page).await.unwrap();
        let Some(last) = keys.last().cloned() else { break };
        all.extend(keys);
        after = Some(last);
    }
    all
}

/// A key pending when the listing starts, stored and gone from the buffer
/// before the listing looks at the buffer, is listed.
#[tokio::test]
async fn a_key_flushed_while_the_store_lists_is_listed() {
    let store = SlowListing::default();
    let cache = Arc::new(cache_flushing_every(&store, Duration::from_secs(3600)).await);
    cache.put("stored", "1").await.unwrap();
    cache.flush().await.unwrap();
    cache.put("pending", "2").await.unwrap();

    let gate = Arc::new(Semaphore::new(0));
    *store.hold.lock() = Some(gate.clone());
    let listing = tokio::spawn({
        let cache = cache.clone();
        async move { cache.keys(None, 10).await.unwrap() }
    });
    // The store has answered (without "pending") and waits to be let go.
    while gate.available_permits() == 0 && Arc::strong_count(&gate) < 3 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    cache.flush().await.unwrap(); // "pending" is stored and leaves the buffer
    gate.add_permits(1);
    let listed = listing.await.unwrap();
    assert_eq!(listed, vec![Bytes::from("pending"), Bytes::from("stored")]);
}

/// As a client would see it, op for op: a random mix of SET, RENAME, DEL
/// and HSET over ten keys, each followed by a full listing (page by page,
/// as KEYS, SCAN and DBSIZE do), while flushes complete all the time. Every
/// listing holds exactly the keys that exist.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listings_racing_flushes_renames_and_deletes_miss_no_key() {
    let store = SlowListing::default();
    let cache =
        cache_with(&store, |b| b.flush_interval(Duration::from_millis(1)).batch_size(2)).await;
    let keys: Vec<Bytes> = (0..10).map(|i| Bytes::from(format!("k{i}"))).collect();
    // The keys that exist, and whether each is a hash.
    let mut model = std::collections::BTreeMap::<Bytes, bool>::new();
    let mut rng = fastrand::Rng::with_seed(7);
    let mut wrong = Vec::new();
    for round in 0..2000 {
        let a = keys[rng.usize(..keys.len())].clone();
        let b = keys[rng.usize(..keys.len())].clone();
        match rng.u8(..4) {
            0 => {
                cache.put(a.clone(), "x").await.unwrap();
                model.insert(a, false);
            }
            1 => {
                cache.delete(a.clone()).await.unwrap();
                model.remove(&a);
            }
            2 if model.get(&a) != Some(&false) => {
                let field = FieldValue::Bytes(Bytes::from("v"));
                cache.set_field(a.clone(), Bytes::from("f"), field).await.unwrap();
                model.insert(a, true);
            }
            _ if a != b && model.contains_key(&a) => {
                let pair = [a.clone(), b.clone()];
                cache
                    .transact(&pair, |txn| {
                        let entry = txn.entry(&a).cloned().expect("the model says it exists");
                        txn.delete(&a);
                        txn.put(&b, entry.value, entry.expires_at);
                        Ok(())
                    })
                    .await
                    .unwrap();
                let kind = model.remove(&a).expect("exists");
                model.insert(b, kind);
            }
            _ => {}
        }
        let listed = list_all(&cache, 1 + round % 4).await;
        let expected: BTreeSet<Bytes> = model.keys().cloned().collect();
        if listed != expected {
            wrong.push((round, expected, listed));
        }
    }
    assert!(wrong.is_empty(), "{} listings of 2000 were wrong, first: {:?}", wrong.len(), wrong[0]);
}
