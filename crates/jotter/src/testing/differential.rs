//! The differential property test: batch histories applied to a store and
//! to [`MemoryStore`], every key, listing and the highest version compared
//! after each batch. Two kinds of history: random versions with
//! re-deliveries (anything out of order), and what an engine sends (one
//! clock, a kind change always behind a reset, stale re-deliveries, and
//! collections below a horizon, checked against a `MemoryStore` that never
//! collects too, since collecting must change no outcome).

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::store::{Change, FieldChange, MemoryStore, Store, Write};
use crate::value::{FieldValue, MapKind};

/// What the property test draws from, and how long it runs.
#[derive(Clone, Debug)]
pub struct Universe {
    /// The keys written (at least three; key `i` holds a hash, a sorted set
    /// or a set as `i % 3` is 0, 1 or 2, when it holds a map).
    pub keys: Vec<Bytes>,
    /// The fields and members written.
    pub fields: Vec<Bytes>,
    /// Scores drawn besides small halves (-4 to 3.5).
    pub scores: Vec<f64>,
    /// The keys after which listings are paged, besides from the start.
    pub cursors: Vec<Bytes>,
    /// Cases per property.
    pub cases: u32,
    /// Most batches in one history.
    pub batches: usize,
}

impl Default for Universe {
    fn default() -> Self {
        let keys: Vec<Bytes> =
            [&b"a"[..], b"b\x00\xff", b"c", b"", b"d"].map(Bytes::from_static).into();
        Universe {
            cursors: vec![keys[1].clone()],
            keys,
            fields: [&b"f"[..], b"g\x00\xfe", b""].map(Bytes::from_static).into(),
            scores: vec![-0.0, f64::INFINITY, f64::NEG_INFINITY, 1e300],
            cases: 64,
            batches: 32,
        }
    }
}

/// Runs both properties on stores `fresh` makes, one per case (with what
/// must live as long as it); a case passes at once if it makes none.
///
/// # Panics
///
/// With the smallest history the store answers differently from
/// `MemoryStore`.
pub fn differential<S: Store, G, Fut: Future<Output = Option<(S, G)>>>(
    universe: &Universe,
    fresh: impl Fn() -> Fut,
) {
    let u = Arc::new(universe.clone());
    let config = Config { cases: u.cases, failure_persistence: None, ..Config::default() };
    let check = |deliveries: &[Vec<Write>], collects: &[(usize, u64)]| {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
        rt.block_on(async {
            let Some((store, _guard)) = fresh().await else { return Ok(()) };
            against_memory(&u, &store, deliveries, collects).await
        })
    };
    TestRunner::new(config.clone())
        .run(&random_deliveries(&u), |deliveries| check(&deliveries, &[]))
        .unwrap_or_else(|e| panic!("random versions: {e}"));
    TestRunner::new(config)
        .run(&vec(action(&u), 1..40), |actions| {
            let (deliveries, collects) = engine_deliveries(&u, actions);
            check(&deliveries, &collects)
        })
        .unwrap_or_else(|e| panic!("engine histories: {e}"));
}

/// Applies every batch to `store` and a `MemoryStore` and compares after
/// each one; collects both as `collects` says (`(n, horizon)`: once the
/// first `n` batches are in).
async fn against_memory(
    u: &Universe,
    store: &impl Store,
    deliveries: &[Vec<Write>],
    collects: &[(usize, u64)],
) -> Result<(), TestCaseError> {
    let memory = MemoryStore::new();
    let uncollected = MemoryStore::new();
    for (i, batch) in deliveries.iter().enumerate() {
        memory.write(batch).await.expect("memory write");
        uncollected.write(batch).await.expect("memory write");
        if let Err(e) = store.write(batch).await {
            return Err(TestCaseError::fail(format!("batch {i} failed: {e}")));
        }
        for &(_, horizon) in collects.iter().filter(|(n, _)| *n == i + 1) {
            memory.collect(horizon).await.expect("memory collect");
            store.collect(horizon).await.expect("store collect");
        }
        for key in &u.keys {
            let want = memory.load(key).await.expect("memory load");
            let got = store.load(key).await.expect("store load");
            prop_assert_eq!(&got, &want, "key {:?} after batch {} {:?}", key, i, batch);
            let kept = uncollected.load(key).await.expect("memory load");
            prop_assert_eq!(got, kept, "collected: key {:?} after batch {}", key, i);
        }
        for now in [0, 500, 2_000] {
            let pages = std::iter::once((None, 100)).chain(u.cursors.iter().map(|c| (Some(c), 2)));
            for (after, limit) in pages {
                let after = after.map(|a| &a[..]);
                let want = memory.keys(after, limit, now).await.expect("memory keys");
                let got = store.keys(after, limit, now).await.expect("store keys");
                prop_assert_eq!(got, want, "keys after {:?} at {} after batch {}", after, now, i);
                let want = memory.expired(now, after, limit).await.expect("memory expired");
                let got = store.expired(now, after, limit).await.expect("store expired");
                prop_assert_eq!(got, want, "expired after {:?} at {} after {}", after, now, i);
            }
        }
        let want = memory.max_version().await.expect("memory max");
        let got = store.max_version().await.expect("store max");
        prop_assert_eq!(got, want, "max_version after batch {}", i);
    }
    Ok(())
}

fn blob_value() -> impl Strategy<Value = Bytes> {
    prop::sample::select(vec![&b""[..], b"x", b"\x00\xffy", b"a longer value, of some bytes"])
        .prop_map(Bytes::from_static)
}

fn score(u: &Universe) -> BoxedStrategy<f64> {
    let halves = (-8i32..8).prop_map(|i| f64::from(i) / 2.0);
    if u.scores.is_empty() {
        return halves.boxed();
    }
    prop_oneof![4 => halves, 1 => prop::sample::select(u.scores.clone())].boxed()
}

/// At most one entry per field: each gets an optional `(version, remove?,
/// bytes value, score)`.
type FieldSpec = Vec<Option<(u64, bool, Bytes, f64)>>;

fn field_specs(u: &Universe, versions: std::ops::Range<u64>) -> impl Strategy<Value = FieldSpec> {
    let field = proptest::option::of((versions, any::<bool>(), blob_value(), score(u)));
    vec(field, u.fields.len())
}

fn build_fields(
    u: &Universe,
    kind: MapKind,
    spec: &FieldSpec,
    mut version: impl FnMut(u64) -> u64,
) -> Vec<FieldChange> {
    spec.iter()
        .zip(&u.fields)
        .enumerate()
        .filter_map(|(i, (f, name))| {
            let (v, remove, bytes, score) = f.clone()?;
            let (field, value) = match (remove, kind) {
                // A stream reads only the fields it writes: the universe's
                // field `i` stands for one of them.
                (_, MapKind::Stream) => {
                    crate::value::stream::sample_change(i as u64, bytes, !remove)
                }
                (true, _) => (name.clone(), None),
                (false, MapKind::Hash) => (name.clone(), Some(FieldValue::Bytes(bytes))),
                (false, MapKind::Scores) => (name.clone(), Some(FieldValue::Score(score))),
                (false, MapKind::Set) => (name.clone(), Some(FieldValue::Member)),
                (false, MapKind::List) => (name.clone(), Some(FieldValue::Element(bytes))),
            };
            Some(FieldChange { field, version: version(v), value })
        })
        .collect()
}

/// Each key keeps one map kind for good, so that any order of versions is a
/// history an engine could produce (delivered out of order); blobs and
/// deletes may hit any key.
fn fixed_kind(i: usize) -> MapKind {
    MapKind::ALL[i % MapKind::ALL.len()]
}

fn random_change(u: &Arc<Universe>, kind: MapKind) -> impl Strategy<Value = (u64, Change)> {
    const V: std::ops::Range<u64> = 0..10;
    let fields_of = Arc::clone(u);
    prop_oneof![
        (V, blob_value()).prop_map(|(v, b)| (v, Change::Put(b))),
        V.prop_map(|v| (v, Change::Delete)),
        (proptest::option::of(V), field_specs(u, V)).prop_map(move |(reset, spec)| {
            let fields = build_fields(&fields_of, kind, &spec, |v| v);
            let version = fields.iter().map(|f| f.version).chain(reset).max().unwrap_or(0);
            (version, Change::Patch { kind, reset, fields })
        }),
    ]
}

fn random_batch(u: &Arc<Universe>) -> impl Strategy<Value = Vec<Write>> {
    let per_key: Vec<_> = u
        .keys
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let key = key.clone();
            (
                proptest::option::of(random_change(u, fixed_kind(i))),
                proptest::option::of(0u64..1_000),
            )
                .prop_map(move |(c, expires_at)| {
                    c.map(|(version, change)| Write {
                        expires_at,
                        key: key.clone(),
                        version,
                        change,
                    })
                })
        })
        .collect();
    per_key.prop_map(|ws| ws.into_iter().flatten().collect())
}

/// Batches with random versions, plus re-deliveries of earlier batches.
fn random_deliveries(u: &Arc<Universe>) -> impl Strategy<Value = Vec<Vec<Write>>> {
    vec((random_batch(u), proptest::option::of(any::<prop::sample::Index>())), 1..u.batches)
        .prop_map(|steps| {
            let mut out: Vec<Vec<Write>> = Vec::new();
            for (batch, replay) in steps {
                if let Some(i) = replay.filter(|_| !out.is_empty()) {
                    out.push(out[i.index(out.len())].clone());
                }
                out.push(batch);
            }
            out
        })
}

#[derive(Clone, Debug)]
enum Op {
    Put(Bytes),
    Delete,
    Patch { kind: MapKind, reset: bool, fields: FieldSpec },
}

#[derive(Clone, Debug)]
enum Action {
    Op(usize, Op),
    /// Ends the current batch.
    Cut,
    /// Ends the current batch, then delivers an earlier one again.
    Replay(prop::sample::Index),
    /// Ends the current batch, then collects below a horizon picked among
    /// the versions handed out so far; no batch with a write below it is
    /// delivered again, as the engine's horizon promises.
    Collect(prop::sample::Index),
}

fn action(u: &Universe) -> impl Strategy<Value = Action> {
    let kind = prop::sample::select(MapKind::ALL.to_vec());
    let op = prop_oneof![
        1 => blob_value().prop_map(Op::Put),
        1 => Just(Op::Delete),
        3 => (kind, any::<bool>(), field_specs(u, 0..1))
            .prop_map(|(kind, reset, fields)| Op::Patch { kind, reset, fields }),
    ];
    prop_oneof![
        6 => (0..u.keys.len(), op).prop_map(|(k, op)| Action::Op(k, op)),
        1 => Just(Action::Cut),
        1 => any::<prop::sample::Index>().prop_map(Action::Replay),
        1 => any::<prop::sample::Index>().prop_map(Action::Collect),
    ]
}

/// The oldest version a write carries (a patch's reset and fields included).
fn lowest_version(w: &Write) -> u64 {
    match &w.change {
        Change::Patch { reset, fields, .. } => {
            fields.iter().map(|f| f.version).chain(*reset).chain([w.version]).min().unwrap_or(0)
        }
        Change::Put(_) | Change::Delete => w.version,
    }
}

/// What an engine sends: versions from one increasing clock, one key's
/// writes in order, a kind change always behind a reset, and stale
/// re-deliveries of whole earlier batches; with the collections it asks
/// for, as `(n, horizon)`: collect once the first `n` batches are in.
fn engine_deliveries(u: &Universe, actions: Vec<Action>) -> (Vec<Vec<Write>>, Vec<(usize, u64)>) {
    #[derive(Clone, Copy, PartialEq)]
    enum Shape {
        Blob,
        Map(MapKind),
    }
    fn cut(batch: &mut Vec<Write>, sent: &mut Vec<Vec<Write>>, out: &mut Vec<Vec<Write>>) {
        if !batch.is_empty() {
            sent.push(batch.clone());
            out.push(std::mem::take(batch));
        }
    }
    let mut clock = 0u64;
    let mut shapes: Vec<Option<Shape>> = vec![None; u.keys.len()];
    let (mut batch, mut sent, mut out) = (Vec::new(), Vec::new(), Vec::new());
    let mut collects = Vec::new();
    for a in actions {
        match a {
            Action::Op(k, op) => {
                let key = u.keys[k].clone();
                if batch.iter().any(|w: &Write| w.key == key) {
                    cut(&mut batch, &mut sent, &mut out);
                }
                let (version, change) = match op {
                    Op::Put(value) => {
                        clock += 1;
                        shapes[k] = Some(Shape::Blob);
                        (clock, Change::Put(value))
                    }
                    Op::Delete => {
                        clock += 1;
                        shapes[k] = None;
                        (clock, Change::Delete)
                    }
                    Op::Patch { kind, reset, fields } => {
                        let shape_changes = shapes[k].is_some_and(|s| s != Shape::Map(kind));
                        let reset = (reset || shape_changes).then(|| {
                            clock += 1;
                            clock
                        });
                        let fields = build_fields(u, kind, &fields, |_| {
                            clock += 1;
                            clock
                        });
                        shapes[k] = Some(Shape::Map(kind));
                        (clock, Change::Patch { kind, reset, fields })
                    }
                };
                batch.push(Write::new(key, version, change));
            }
            Action::Cut => cut(&mut batch, &mut sent, &mut out),
            Action::Replay(i) => {
                cut(&mut batch, &mut sent, &mut out);
                if !sent.is_empty() {
                    out.push(sent[i.index(sent.len())].clone());
                }
            }
            Action::Collect(i) => {
                cut(&mut batch, &mut sent, &mut out);
                let horizon = i.index(usize::try_from(clock).expect("small") + 2) as u64;
                if !out.is_empty() {
                    collects.push((out.len(), horizon));
                    sent.retain(|b| b.iter().all(|w| lowest_version(w) >= horizon));
                }
            }
        }
    }
    cut(&mut batch, &mut sent, &mut out);
    (out, collects)
}
