//! A trim is a watermark, not a delete per entry: random appends with
//! trims between flushes (and deletes of single entries) must bring every
//! appended entry to the store in some batch, however soon it was trimmed,
//! and the stream a fresh cache loads back from the store must be the one
//! the cache held.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use bytes::Bytes;
use common::{Recording, cache_flushing_every};
use jotter::{MapKind, StreamId, StreamMeta, StreamWrite, Value};
use proptest::prelude::*;

/// One step of a history.
#[derive(Clone, Debug)]
enum Step {
    /// Append an entry, then keep at most this many (`None`: no trim).
    Add(Option<usize>),
    /// Delete the entry at this position (modulo the length), as XDEL.
    Del(usize),
    Flush,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => proptest::option::of(0usize..4).prop_map(Step::Add),
        1 => (0usize..8).prop_map(Step::Del),
        1 => Just(Step::Flush),
    ]
}

fn stream_of(v: Option<Value>) -> BTreeMap<StreamId, Vec<Bytes>> {
    match v {
        Some(Value::Stream(s)) => s.entries().iter().map(|(id, e)| (*id, e.to_vec())).collect(),
        None => BTreeMap::new(),
        Some(other) => panic!("not a stream: {other:?}"),
    }
}

async fn run(steps: Vec<Step>) {
    let store = Recording::new();
    let cache = cache_flushing_every(&store, Duration::from_secs(3600)).await;
    let key = Bytes::from_static(b"clicks");
    let keys = [key.clone()];
    // The model: the entries a trim or a delete has not removed.
    let mut model: BTreeMap<StreamId, Vec<Bytes>> = BTreeMap::new();
    let mut added = BTreeSet::new();
    let mut deleted = BTreeSet::new();
    for (n, step) in steps.into_iter().enumerate() {
        match step {
            Step::Add(keep) => {
                let id = StreamId { ms: n as u64 + 1, seq: 0 };
                let flat = vec![Bytes::from("n"), Bytes::from(n.to_string())];
                model.insert(id, flat.clone());
                added.insert(id);
                let trim_through = keep.and_then(|keep| {
                    let gone = model.len().saturating_sub(keep);
                    let last = *model.keys().nth(gone.checked_sub(1)?)?;
                    model = model.split_off(&last.next()?);
                    Some(last)
                });
                cache
                    .transact(&keys, |txn| {
                        let old = match txn.get(&key) {
                            Some(Value::Stream(s)) => s.meta(),
                            _ => StreamMeta::default(),
                        };
                        let mut meta =
                            StreamMeta { last_id: id, entries_added: old.entries_added + 1, ..old };
                        txn.set_fields(
                            &key,
                            MapKind::Stream,
                            [StreamWrite::entry(id, &flat), StreamWrite::meta(&meta)],
                        )?;
                        if let Some(through) = trim_through {
                            meta.trimmed_through = meta.trimmed_through.max(through);
                            txn.set_fields(&key, MapKind::Stream, [StreamWrite::meta(&meta)])?;
                        }
                        Ok(())
                    })
                    .await
                    .unwrap();
            }
            Step::Del(at) if !model.is_empty() => {
                let id = *model.keys().nth(at % model.len()).unwrap();
                model.remove(&id);
                deleted.insert(id);
                cache
                    .transact(&keys, |txn| {
                        txn.set_fields(&key, MapKind::Stream, [StreamWrite::remove_entry(id)])
                    })
                    .await
                    .unwrap();
            }
            Step::Del(_) => {}
            Step::Flush => cache.flush().await.unwrap(),
        }
        assert_eq!(stream_of(cache.get(key.clone()).await.unwrap()), model, "cache vs model");
    }
    cache.flush().await.unwrap();

    // Every entry appended and not deleted reached the store in some batch,
    // trimmed or not.
    let reached: BTreeSet<StreamId> = store
        .writes_of("clicks")
        .iter()
        .flat_map(|w| match &w.change {
            jotter::Change::Patch { fields, .. } => fields
                .iter()
                .filter(|f| f.value.is_some())
                .filter_map(|f| StreamId::from_bytes(&f.field))
                .collect::<Vec<_>>(),
            _ => Vec::new(),
        })
        .collect();
    for id in added.difference(&deleted) {
        assert!(reached.contains(id), "entry {id} never reached the store");
    }

    // A fresh cache over the same store reads back what the cache held.
    let again = cache_flushing_every(&store, Duration::from_secs(3600)).await;
    assert_eq!(stream_of(again.get(key.clone()).await.unwrap()), model, "reloaded vs model");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn every_appended_entry_reaches_the_store_and_reloads_as_cached(
        steps in proptest::collection::vec(step(), 1..60)
    ) {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(run(steps));
    }
}
