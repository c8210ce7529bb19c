//! Wake-ups for the clients of a front end blocked on keys (BLPOP,
//! XREADGROUP ... BLOCK, see `blocking.rs`): one connection to the primary
//! per front end, opened when the first client blocks, with Redis's
//! client-side caching turned on (`HELLO 3`, `CLIENT TRACKING ON`). Before
//! each try a blocked client has the connection read its keys (`EXISTS`),
//! which makes Redis track them for it; Redis then pushes an `invalidate`
//! message the moment any of them changes, whoever wrote it (a client of
//! any front end, a script, Redis's expiry). No polling, no change to the
//! records, no CPU while nothing changes.
//!
//! Guarantees:
//! - No wake-up is lost: a key is tracked before the try that found it
//!   empty, so a change after that try is pushed.
//! - First come, first woken, per key: a change wakes the front end's
//!   oldest waiter on the key not already woken. A waiter keeps its place
//!   across tries; one that leaves holding a wake-up it did not use (it
//!   timed out, its client closed, or a change came after its last look)
//!   passes it to the next on each of its keys. A pop that serves a
//!   waiter is itself a change of the key, which wakes the next.
//! - When the connection breaks (a failover) every waiter is woken and
//!   the connection reopened; meanwhile [`Registration::track`] says so
//!   and waiters poll.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use jotter_scaleout::ClusterUrl;
use tokio::sync::{Notify, mpsc, oneshot};

use super::replies::{bulk, elements, integer, is_error};
use super::upstream::{Upstream, UpstreamError};

/// A front end's wake-ups: its tracking connection (started with the first
/// blocked client) and who waits on which key.
pub(crate) struct Wakeups {
    url: ClusterUrl,
    shards: u32,
    shared: Arc<Mutex<Registry>>,
    requests: OnceLock<mpsc::UnboundedSender<Track>>,
}

#[derive(Default)]
struct Registry {
    /// Each key's waiters, oldest first.
    waiting: HashMap<Bytes, VecDeque<Arc<Waiter>>>,
    /// Counts the tracking connection's openings; 0 while it is down.
    generation: u64,
    openings: u64,
}

#[derive(Default)]
struct Waiter {
    notify: Notify,
    /// Woken since its last [`Registration::rearm`].
    woken: AtomicBool,
}

/// A request to read (and so track) keys on the tracking connection.
struct Track {
    keys: Vec<Bytes>,
    reply: oneshot::Sender<Bytes>,
}

/// What a look at the keys found.
pub(crate) struct Tracked {
    /// How many of the keys exist; `None` when the tracking connection is
    /// down (no wake-up is promised: poll).
    pub exists: Option<i64>,
    /// Which opening of the tracking connection tracks them: another than
    /// at the last look means the primary may have changed.
    pub generation: u64,
}

/// A waiter in line on its keys; leaves the line when dropped.
pub(crate) struct Registration<'w> {
    wakeups: &'w Wakeups,
    waiter: Arc<Waiter>,
    keys: Vec<Bytes>,
    /// Passes every wake-up on when it leaves (a reader in a group takes
    /// entries without changing the key, so its serving wakes nobody).
    always_pass: bool,
}

/// How long a look may take before the waiter polls instead.
const TRACK_LIMIT: Duration = Duration::from_secs(1);
/// Pause before reopening a broken tracking connection.
const REOPEN_PAUSE: Duration = Duration::from_millis(200);

impl Wakeups {
    pub(crate) fn new(url: ClusterUrl, shards: u32) -> Wakeups {
        Wakeups { url, shards, shared: Arc::default(), requests: OnceLock::new() }
    }

    /// Puts a waiter in line on `keys` (last, on each). `always_pass`: see
    /// [`Registration`].
    pub(crate) fn register(&self, keys: Vec<Bytes>, always_pass: bool) -> Registration<'_> {
        let waiter = Arc::new(Waiter::default());
        let mut registry = self.registry();
        for key in &keys {
            registry.waiting.entry(key.clone()).or_default().push_back(Arc::clone(&waiter));
        }
        Registration { wakeups: self, waiter, keys, always_pass }
    }

    fn registry(&self) -> MutexGuard<'_, Registry> {
        self.shared.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn sender(&self) -> &mpsc::UnboundedSender<Track> {
        self.requests.get_or_init(|| {
            let (sender, receiver) = mpsc::unbounded_channel();
            let (url, shards, shared) = (self.url.clone(), self.shards, Arc::clone(&self.shared));
            tokio::spawn(run(url, shards, shared, receiver));
            sender
        })
    }
}

impl Registration<'_> {
    /// Forgets the wake-ups received so far: called before each look.
    pub(crate) fn rearm(&self) {
        let _registry = self.wakeups.registry();
        self.waiter.woken.store(false, Ordering::SeqCst);
    }

    /// Reads the keys on the tracking connection, so that a change of any
    /// of them from now on wakes this waiter.
    pub(crate) async fn track(&self) -> Tracked {
        let generation = self.wakeups.registry().generation;
        let (reply, answer) = oneshot::channel();
        let sent = self.wakeups.sender().send(Track { keys: self.keys.clone(), reply });
        let exists = match sent {
            // Bounded: a connection being opened again answers late.
            Ok(()) => tokio::time::timeout(TRACK_LIMIT, answer)
                .await
                .ok()
                .and_then(Result::ok)
                .and_then(|r| integer(&r)),
            Err(_) => None,
        };
        let now = self.wakeups.registry().generation;
        Tracked { exists: exists.filter(|_| now == generation && now != 0), generation: now }
    }

    /// Returns once woken (at once if woken since [`rearm`](Self::rearm)).
    pub(crate) async fn woken(&self) {
        while !self.waiter.woken.load(Ordering::SeqCst) {
            self.waiter.notify.notified().await;
        }
    }
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        let mut registry = self.wakeups.registry();
        for key in &self.keys {
            if let Some(line) = registry.waiting.get_mut(key) {
                line.retain(|w| !Arc::ptr_eq(w, &self.waiter));
                if line.is_empty() {
                    registry.waiting.remove(key);
                }
            }
        }
        if self.always_pass || self.waiter.woken.load(Ordering::SeqCst) {
            for key in &self.keys {
                wake_next(&mut registry, key);
            }
        }
    }
}

/// Wakes the oldest waiter on `key` not already woken.
fn wake_next(registry: &mut Registry, key: &[u8]) {
    let next = registry
        .waiting
        .get(key)
        .and_then(|line| line.iter().find(|w| !w.woken.load(Ordering::SeqCst)));
    if let Some(waiter) = next {
        wake(waiter);
    }
}

fn wake(waiter: &Waiter) {
    waiter.woken.store(true, Ordering::SeqCst);
    waiter.notify.notify_one();
}

fn wake_all(registry: &Registry) {
    registry.waiting.values().flatten().for_each(|waiter| wake(waiter));
}

/// The tracking connection's task: opens it, serves looks and relays
/// invalidations, and opens it again when it breaks.
async fn run(
    url: ClusterUrl,
    shards: u32,
    shared: Arc<Mutex<Registry>>,
    mut requests: mpsc::UnboundedReceiver<Track>,
) {
    let lock = || shared.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    loop {
        let opened = match open(&url, shards).await {
            Ok(up) => Some(up),
            Err(e) => {
                tracing::warn!(error = %e, "cannot open the connection that wakes blocked clients; polling meanwhile");
                None
            }
        };
        if let Some(mut up) = opened {
            {
                let mut registry = lock();
                registry.openings += 1;
                registry.generation = registry.openings;
                // Changes while it was down were not pushed.
                wake_all(&registry);
            }
            match serve(&mut up, &shared, &mut requests).await {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "the connection that wakes blocked clients broke; opening it again");
                }
            }
            let mut registry = lock();
            registry.generation = 0;
            wake_all(&registry);
        }
        // Looks asked meanwhile are answered "down" (their sender dropped).
        let pause = tokio::time::sleep(REOPEN_PAUSE);
        tokio::pin!(pause);
        loop {
            tokio::select! {
                () = &mut pause => break,
                request = requests.recv() => if request.is_none() { return },
            }
        }
    }
}

/// A connection to the primary whose reads Redis tracks, pushing
/// invalidations on it (RESP3).
async fn open(url: &ClusterUrl, shards: u32) -> Result<Upstream, UpstreamError> {
    let mut up = Upstream::open(url, shards).await?;
    let hello = up.call(&["HELLO", "3"]).await?;
    if is_error(&hello) {
        return Err(UpstreamError::Broken("the primary refused HELLO 3".to_owned()));
    }
    up.expect_ok(&[b"CLIENT", b"TRACKING", b"ON"]).await.map_err(UpstreamError::Broken)?;
    Ok(up)
}

/// Serves looks and invalidations until the connection breaks (`Err`) or
/// the front end stops (`Ok`).
async fn serve(
    up: &mut Upstream,
    shared: &Mutex<Registry>,
    requests: &mut mpsc::UnboundedReceiver<Track>,
) -> Result<(), UpstreamError> {
    let mut answers: VecDeque<oneshot::Sender<Bytes>> = VecDeque::new();
    loop {
        tokio::select! {
            request = requests.recv() => {
                let Some(first) = request else { return Ok(()) };
                let mut next = Some(first);
                // Every look asked meanwhile goes in one write.
                while let Some(track) = next {
                    let mut args: Vec<&[u8]> = vec![b"EXISTS"];
                    args.extend(track.keys.iter().map(|k| k.as_ref()));
                    up.queue(&args);
                    answers.push_back(track.reply);
                    next = requests.try_recv().ok();
                }
                up.flush().await?;
            }
            reply = up.frame() => {
                let reply = reply?;
                if reply.first() == Some(&b'>') {
                    invalidated(shared, &reply);
                } else if let Some(answer) = answers.pop_front() {
                    let _ = answer.send(reply);
                }
            }
        }
    }
}

/// Wakes the waiters of the keys an `invalidate` push names (all of them
/// for a null: the database was flushed).
fn invalidated(shared: &Mutex<Registry>, push: &Bytes) {
    let Some(items) = elements(push) else { return };
    if items.first().and_then(|kind| bulk(kind)) != Some(b"invalidate".as_slice()) {
        return;
    }
    let mut registry = shared.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    match items.get(1).and_then(elements) {
        Some(keys) => keys.iter().filter_map(|k| bulk(k)).for_each(|k| wake_next(&mut registry, k)),
        None => wake_all(&registry),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wakeups() -> Wakeups {
        Wakeups::new(ClusterUrl::parse("redis://127.0.0.1:1").expect("a url"), 4)
    }

    fn push(keys: &[&str]) -> Bytes {
        let mut push = format!(">2\r\n$10\r\ninvalidate\r\n*{}\r\n", keys.len());
        for key in keys {
            push.push_str(&format!("${}\r\n{key}\r\n", key.len()));
        }
        Bytes::from(push)
    }

    fn woken(line: &Registration<'_>) -> bool {
        line.waiter.woken.load(Ordering::SeqCst)
    }

    #[test]
    fn a_change_wakes_the_first_in_line_not_yet_woken() {
        let wakeups = wakeups();
        let first = wakeups.register(vec![Bytes::from("k")], false);
        let second = wakeups.register(vec![Bytes::from("k"), Bytes::from("j")], false);
        invalidated(&wakeups.shared, &push(&["k"]));
        assert!(woken(&first) && !woken(&second));
        invalidated(&wakeups.shared, &push(&["k"]));
        assert!(woken(&second));
        // A waiter keeps its place across tries: rearmed, it is first again.
        first.rearm();
        second.rearm();
        invalidated(&wakeups.shared, &push(&["other", "k"]));
        assert!(woken(&first) && !woken(&second));
        // A flush (a null instead of keys) wakes everyone.
        first.rearm();
        invalidated(&wakeups.shared, &Bytes::from_static(b">2\r\n$10\r\ninvalidate\r\n_\r\n"));
        assert!(woken(&first) && woken(&second));
    }

    #[test]
    fn a_waiter_that_leaves_passes_on_only_a_wake_up_it_did_not_use() {
        let wakeups = wakeups();
        let first = wakeups.register(vec![Bytes::from("k")], false);
        let second = wakeups.register(vec![Bytes::from("k")], false);
        // Served after its last look, without a change since: its own pop
        // is the change that wakes the next, nothing to pass.
        drop(first);
        assert!(!woken(&second));
        let third = wakeups.register(vec![Bytes::from("k")], false);
        invalidated(&wakeups.shared, &push(&["k"]));
        assert!(woken(&second) && !woken(&third));
        // Left (timed out, closed) holding the wake-up: the next gets it.
        drop(second);
        assert!(woken(&third));
        drop(third);
        assert!(wakeups.registry().waiting.is_empty(), "the lines are gone with their waiters");
        // A group reader passes every time: its reads change no key.
        let reader = wakeups.register(vec![Bytes::from("s")], true);
        let next = wakeups.register(vec![Bytes::from("s")], true);
        drop(reader);
        assert!(woken(&next));
    }
}
