//! Random histories against a model: puts, deletes, increments and field
//! and member writes (hashes, sorted sets, sets) over a few keys, with random flush timing, random transient store
//! failures, and a store that re-delivers old batches (duplicated and
//! reordered). Every read must see the model's value (read your writes),
//! and after a final barrier the store must equal the model (convergence,
//! no regression).

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::cache_with;
use jotter::{Cache, Error, FieldValue, MapKind, MemoryStore, Value, WriteMode};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Step {
    Put(u8, u8),
    Delete(u8),
    Incr(u8, i8),
    SetField(u8, u8, u8),
    RemoveField(u8, u8),
    IncrScore(u8, u8, i8),
    AddMember(u8, u8),
    RemoveMember(u8, u8),
    Read(u8),
    Sleep(u16),
    Flush,
    FailWrites(u8),
}

fn step() -> impl Strategy<Value = Step> {
    let k = 0u8..4;
    prop_oneof![
        4 => (k.clone(), 0u8..4).prop_map(|(k, v)| Step::Put(k, v)),
        2 => k.clone().prop_map(Step::Delete),
        3 => (k.clone(), -3i8..4).prop_map(|(k, d)| Step::Incr(k, d)),
        3 => (k.clone(), 0u8..3, 0u8..3).prop_map(|(k, f, v)| Step::SetField(k, f, v)),
        2 => (k.clone(), 0u8..3).prop_map(|(k, f)| Step::RemoveField(k, f)),
        2 => (k.clone(), 0u8..3, -2i8..3).prop_map(|(k, m, d)| Step::IncrScore(k, m, d)),
        2 => (k.clone(), 0u8..3).prop_map(|(k, m)| Step::AddMember(k, m)),
        2 => (k.clone(), 0u8..3).prop_map(|(k, m)| Step::RemoveMember(k, m)),
        4 => k.prop_map(Step::Read),
        2 => (0u16..1500).prop_map(Step::Sleep),
        1 => Just(Step::Flush),
        1 => (1u8..4).prop_map(Step::FailWrites),
    ]
}

#[derive(Clone, Debug)]
struct Setup {
    batch_size: usize,
    workers: usize,
    ordered: bool,
    redeliver: Option<u64>,
}

fn setup() -> impl Strategy<Value = Setup> {
    (1usize..6, 1usize..4, any::<bool>(), proptest::option::of(any::<u64>())).prop_map(
        |(batch_size, workers, ordered, redeliver)| Setup {
            batch_size,
            workers,
            ordered,
            redeliver,
        },
    )
}

fn key(k: u8) -> Bytes {
    Bytes::from(format!("k{k}"))
}

fn name(prefix: &str, i: u8) -> Bytes {
    Bytes::from(format!("{prefix}{i}"))
}

/// What the model expects of one write step: the new value, or the error.
fn expect(model: &BTreeMap<Bytes, Value>, step: &Step) -> Result<Option<Value>, &'static str> {
    let cur = |k: u8| model.get(&key(k)).cloned();
    let map_edit = |k: u8, kind: MapKind, f: &dyn Fn(&mut Value)| match cur(k) {
        Some(v) if v.map_kind() != Some(kind) => Err("wrongtype"),
        v => {
            let mut v = v.unwrap_or(match kind {
                MapKind::Hash => Value::Hash(Arc::default()),
                MapKind::Scores => Value::Scores(Arc::default()),
                MapKind::Stream => Value::Stream(Arc::default()),
                MapKind::Set => Value::Set(Arc::default()),
                MapKind::List => Value::List(Arc::default()),
            });
            f(&mut v);
            let empty = match &v {
                Value::Hash(m) | Value::List(m) => m.is_empty(),
                Value::Scores(m) => m.is_empty(),
                Value::Set(m) => m.is_empty(),
                // The model writes no stream.
                Value::Blob(_) | Value::Stream(_) => false,
            };
            Ok((!empty).then_some(v))
        }
    };
    match *step {
        Step::Put(_, v) => Ok(Some(Value::Blob(name("", v)))),
        Step::Delete(_) => Ok(None),
        Step::Incr(k, d) => match cur(k) {
            None => Ok(Some(Value::Blob(Bytes::from(i64::from(d).to_string())))),
            Some(Value::Blob(b)) => {
                match std::str::from_utf8(&b).ok().and_then(|s| s.parse::<i64>().ok()) {
                    Some(n) => Ok(Some(Value::Blob(Bytes::from((n + i64::from(d)).to_string())))),
                    None => Err("integer"),
                }
            }
            Some(_) => Err("wrongtype"),
        },
        Step::SetField(k, f, v) => map_edit(k, MapKind::Hash, &|m| {
            if let Value::Hash(m) = m {
                Arc::make_mut(m).insert(name("f", f), name("v", v));
            }
        }),
        Step::RemoveField(k, f) => map_edit(k, MapKind::Hash, &|m| {
            if let Value::Hash(m) = m {
                Arc::make_mut(m).remove(&name("f", f));
            }
        }),
        Step::IncrScore(k, m, d) => map_edit(k, MapKind::Scores, &|v| {
            if let Value::Scores(s) = v {
                let map = Arc::make_mut(s);
                let member = name("m", m);
                let score = map.get(&member).unwrap_or(0.0) + f64::from(d);
                map.insert(member, score);
            }
        }),
        Step::AddMember(k, m) => map_edit(k, MapKind::Set, &|v| {
            if let Value::Set(s) = v {
                Arc::make_mut(s).insert(name("m", m));
            }
        }),
        Step::RemoveMember(k, m) => map_edit(k, MapKind::Set, &|v| {
            if let Value::Set(s) = v {
                Arc::make_mut(s).remove(&name("m", m));
            }
        }),
        _ => unreachable!("not a write"),
    }
}

async fn apply(cache: &Cache<MemoryStore>, step: &Step) -> Result<(), Error> {
    match *step {
        Step::Put(k, v) => cache.put(key(k), Value::Blob(name("", v))).await.map(drop),
        Step::Delete(k) => cache.delete(key(k)).await.map(drop),
        Step::Incr(k, d) => cache.incr(key(k), i64::from(d)).await.map(drop),
        Step::SetField(k, f, v) => {
            cache.set_field(key(k), name("f", f), FieldValue::Bytes(name("v", v))).await.map(drop)
        }
        Step::RemoveField(k, f) => {
            cache.remove_field(key(k), MapKind::Hash, name("f", f)).await.map(drop)
        }
        Step::IncrScore(k, m, d) => {
            cache.incr_score(key(k), name("m", m), f64::from(d)).await.map(drop)
        }
        Step::AddMember(k, m) => {
            cache.set_field(key(k), name("m", m), FieldValue::Member).await.map(drop)
        }
        Step::RemoveMember(k, m) => {
            cache.remove_field(key(k), MapKind::Set, name("m", m)).await.map(drop)
        }
        _ => unreachable!("not a write"),
    }
}

/// A flush that must finish: a barrier stuck for an hour of (paused,
/// auto-advancing) time is a failure, not a hung test.
async fn barrier(cache: &Cache<MemoryStore>) -> Result<(), TestCaseError> {
    match tokio::time::timeout(Duration::from_secs(3600), cache.flush()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(TestCaseError::fail(format!("flush failed: {e}"))),
        Err(_) => Err(TestCaseError::fail("flush did not finish")),
    }
}

fn run(setup: &Setup, steps: &[Step]) -> Result<(), TestCaseError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    rt.block_on(async {
        let store = MemoryStore::new();
        if let Some(seed) = setup.redeliver {
            store.faults().redeliver(seed, 0.3);
        }
        let mode = if setup.ordered { WriteMode::Ordered } else { WriteMode::Coalesce };
        let cache = cache_with(&store, |b| {
            b.batch_size(setup.batch_size)
                .flush_workers(setup.workers)
                .flush_interval(Duration::from_millis(100))
                .retry_backoff(Duration::from_millis(10), Duration::from_millis(200))
                .mode(mode)
        })
        .await;
        let mut model: BTreeMap<Bytes, Value> = BTreeMap::new();
        for (i, step) in steps.iter().enumerate() {
            match step {
                Step::Read(k) => {
                    let got = cache.get(key(*k)).await.unwrap();
                    prop_assert_eq!(got, model.get(&key(*k)).cloned(), "read at step {}", i);
                }
                Step::Sleep(ms) => tokio::time::sleep(Duration::from_millis(u64::from(*ms))).await,
                Step::Flush => barrier(&cache).await?,
                Step::FailWrites(n) => store.faults().fail_next_writes(u64::from(*n)),
                write => {
                    let k = match write {
                        Step::Put(k, _)
                        | Step::Delete(k)
                        | Step::Incr(k, _)
                        | Step::SetField(k, _, _)
                        | Step::RemoveField(k, _)
                        | Step::IncrScore(k, _, _)
                        | Step::AddMember(k, _)
                        | Step::RemoveMember(k, _) => *k,
                        _ => unreachable!(),
                    };
                    match (expect(&model, write), apply(&cache, write).await) {
                        (Ok(value), Ok(())) => {
                            match value {
                                Some(v) => model.insert(key(k), v),
                                None => model.remove(&key(k)),
                            };
                        }
                        (Err("wrongtype"), Err(Error::WrongType { .. })) => {}
                        (Err("integer"), Err(Error::NotAnInteger)) => {}
                        (want, got) => {
                            prop_assert!(false, "step {i} {write:?}: model {want:?}, cache {got:?}")
                        }
                    }
                }
            }
        }
        barrier(&cache).await?;
        prop_assert_eq!(store.snapshot(), model.clone(), "store after the final barrier");
        for (k, v) in &model {
            let got = cache.get(k.clone()).await.unwrap();
            prop_assert_eq!(got.as_ref(), Some(v));
        }
        prop_assert!(cache.dead_letters().is_empty());
        let report = cache.shutdown(Duration::from_secs(5)).await;
        prop_assert!(report.drained);
        Ok(())
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn histories_converge_to_the_model(setup in setup(), steps in proptest::collection::vec(step(), 1..80)) {
        run(&setup, &steps)?;
    }
}
