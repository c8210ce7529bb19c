//! Throttling of password guesses, per client address.
//!
//! Without it a pipeline of `AUTH` commands tried 577,000 passwords a
//! second. Here the first [`FREE_FAILURES`] failed attempts from an address
//! cost nothing; after that every `AUTH` (and `HELLO … AUTH`) from the
//! address waits before its password is even looked at: [`FIRST_DELAY`],
//! doubling with each further failure up to [`MAX_DELAY`]. Once an address
//! has failed, its attempts still waiting count as failures to come, and
//! the waits are spaced per address, not per connection: opening more
//! connections does not multiply the guesses. An address that never failed
//! is not slowed, however many connections it opens at once (a client's
//! pool). The wait suspends only the connection that asked; other clients
//! are not held up.
//!
//! An address's failures are forgotten [`FORGET_AFTER`] after its last
//! one. A success does not reset them (a guesser who holds one valid
//! password must not clear its record with it). IPv6 addresses are counted
//! by their /64, which one host usually holds whole.
//!
//! `auth_failures` and `auth_throttled` (attempts made to wait) show in
//! INFO's stats and on `/metrics`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::time::Instant;

/// Failed attempts an address makes before its attempts wait.
pub(crate) const FREE_FAILURES: u32 = 5;
/// The wait after [`FREE_FAILURES`] failures; doubled for each more.
pub(crate) const FIRST_DELAY: Duration = Duration::from_millis(100);
/// The longest wait between two attempts of one address.
pub(crate) const MAX_DELAY: Duration = Duration::from_secs(2);
/// An address with no failure for this long starts afresh.
const FORGET_AFTER: Duration = Duration::from_secs(60);
/// Addresses tracked at most; past it, the forgotten ones are dropped, and
/// if none is, the oldest record goes (memory stays bounded under a flood
/// of addresses).
const MAX_ADDRESSES: usize = 65_536;

#[derive(Clone, Copy, Debug)]
struct Record {
    failures: u32,
    /// Attempts begun and not yet ended.
    pending: u32,
    last_failure: Instant,
    /// When the next throttled attempt of this address may go.
    next_slot: Instant,
}

/// The server's record of failed authentications.
pub(crate) struct AuthThrottle {
    addresses: Mutex<HashMap<IpAddr, Record>>,
    failures: AtomicU64,
    throttled: AtomicU64,
    failures_metric: metrics::Counter,
    throttled_metric: metrics::Counter,
}

impl Default for AuthThrottle {
    fn default() -> Self {
        AuthThrottle {
            addresses: Mutex::default(),
            failures: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
            failures_metric: metrics::counter!("jotter_auth_failures_total"),
            throttled_metric: metrics::counter!("jotter_auth_throttled_total"),
        }
    }
}

impl AuthThrottle {
    /// Begins an attempt to authenticate from `addr`: waits as long as the
    /// address's failures say, then hands back the attempt, which the
    /// caller marks [`failed`](Attempt::failed) if the password was wrong.
    pub(crate) async fn attempt(&self, addr: IpAddr) -> Attempt<'_> {
        let key = counted_as(addr);
        let attempt = Attempt { throttle: self, key };
        if let Some(until) = self.begin(key, Instant::now()) {
            self.throttled.fetch_add(1, Ordering::Relaxed);
            self.throttled_metric.increment(1);
            tokio::time::sleep_until(until).await;
        }
        attempt
    }

    /// Counts a failed attempt from the address counted as `key`.
    fn failed(&self, key: IpAddr) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        self.failures_metric.increment(1);
        let now = Instant::now();
        let mut addresses = self.addresses.lock();
        let record = record_of(&mut addresses, key, now);
        record.failures = record.failures.saturating_add(1);
        record.last_failure = now;
    }

    /// Ends an attempt (however it ended, the connection gone included).
    fn ended(&self, key: IpAddr) {
        let mut addresses = self.addresses.lock();
        if let Some(record) = addresses.get_mut(&key) {
            record.pending = record.pending.saturating_sub(1);
            if record.pending == 0 && record.failures == 0 {
                addresses.remove(&key);
            }
        }
    }

    /// Failed attempts since start.
    pub(crate) fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    /// Attempts made to wait since start.
    pub(crate) fn throttled(&self) -> u64 {
        self.throttled.load(Ordering::Relaxed)
    }

    /// Registers an attempt from `key` made `now`; the moment it may be
    /// checked, if it must wait, taking that slot so the next attempt
    /// waits after it.
    fn begin(&self, key: IpAddr, now: Instant) -> Option<Instant> {
        let mut addresses = self.addresses.lock();
        let record = record_of(&mut addresses, key, now);
        let ahead = record.pending;
        record.pending = record.pending.saturating_add(1);
        if record.failures == 0 {
            return None;
        }
        let delay = delay_after(record.failures.saturating_add(ahead))?;
        let until = record.next_slot.max(now) + delay;
        record.next_slot = until;
        Some(until)
    }
}

/// An attempt to authenticate, from [`AuthThrottle::attempt`].
pub(crate) struct Attempt<'a> {
    throttle: &'a AuthThrottle,
    key: IpAddr,
}

impl Attempt<'_> {
    /// The password was wrong.
    pub(crate) fn failed(self) {
        self.throttle.failed(self.key);
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        self.throttle.ended(self.key);
    }
}

/// The record of `key`, made if missing (room made first if the map is
/// full) and started afresh if its failures are old enough to forget.
fn record_of(addresses: &mut HashMap<IpAddr, Record>, key: IpAddr, now: Instant) -> &mut Record {
    if !addresses.contains_key(&key) && addresses.len() >= MAX_ADDRESSES {
        make_room(addresses, now);
    }
    let record = addresses.entry(key).or_insert(Record {
        failures: 0,
        pending: 0,
        last_failure: now,
        next_slot: now,
    });
    if now.saturating_duration_since(record.last_failure) >= FORGET_AFTER {
        record.failures = 0;
    }
    record
}

/// The wait before an attempt from an address with `failures` failures.
fn delay_after(failures: u32) -> Option<Duration> {
    let over = failures.checked_sub(FREE_FAILURES)?;
    let doubled = FIRST_DELAY.saturating_mul(1u32 << over.min(16));
    Some(doubled.min(MAX_DELAY))
}

/// What an address is counted under: itself, or its /64 for IPv6 (an
/// IPv4 address mapped into IPv6 counts as the IPv4 one).
fn counted_as(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(_) => addr,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        },
    }
}

fn make_room(addresses: &mut HashMap<IpAddr, Record>, now: Instant) {
    addresses.retain(|_, r| {
        r.pending > 0 || now.saturating_duration_since(r.last_failure) < FORGET_AFTER
    });
    if addresses.len() >= MAX_ADDRESSES
        && let Some(oldest) = addresses.iter().min_by_key(|(_, r)| r.last_failure).map(|(a, _)| *a)
    {
        addresses.remove(&oldest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

    #[test]
    fn the_delay_grows_and_is_capped() {
        assert_eq!(delay_after(FREE_FAILURES - 1), None);
        assert_eq!(delay_after(FREE_FAILURES), Some(FIRST_DELAY));
        assert_eq!(delay_after(FREE_FAILURES + 1), Some(FIRST_DELAY * 2));
        assert_eq!(delay_after(FREE_FAILURES + 40), Some(MAX_DELAY));
    }

    /// One attempt from `addr` made `now` that fails; its wait, if any.
    fn fail_once(t: &AuthThrottle, addr: IpAddr, now: Instant) -> Option<Instant> {
        let key = counted_as(addr);
        let wait = t.begin(key, now);
        t.failed(key);
        t.ended(key);
        wait
    }

    #[test]
    fn attempts_wait_after_a_few_failures_and_only_from_that_address() {
        let t = AuthThrottle::default();
        for _ in 0..FREE_FAILURES {
            assert_eq!(fail_once(&t, A, Instant::now()), None, "the first failures are free");
        }
        let now = Instant::now();
        assert_eq!(fail_once(&t, A, now), Some(now + FIRST_DELAY));
        // The next waits after that one, twice as long.
        assert_eq!(fail_once(&t, A, now), Some(now + 3 * FIRST_DELAY));
        assert_eq!(t.begin(B, now), None, "another address is not held up");
        assert_eq!(t.failures(), u64::from(FREE_FAILURES) + 2);
        // Forgotten once the address stops failing for a while.
        assert_eq!(t.begin(counted_as(A), Instant::now() + FORGET_AFTER), None);
    }

    #[test]
    fn attempts_still_waiting_count_as_failures_to_come() {
        let t = AuthThrottle::default();
        let key = counted_as(A);
        // Many connections at once from an address that never failed (a
        // client's pool): none waits.
        for _ in 0..20 {
            assert_eq!(t.begin(key, Instant::now()), None);
        }
        for _ in 0..20 {
            t.ended(key);
        }
        assert!(t.addresses.lock().is_empty(), "a clean address keeps no record");
        for _ in 0..FREE_FAILURES {
            fail_once(&t, A, Instant::now());
        }
        // Three guesses at once after that: each waits for the ones ahead.
        let now = Instant::now();
        let waits: Vec<_> = (0..3).map(|_| t.begin(key, now)).collect();
        assert_eq!(
            waits,
            vec![Some(now + FIRST_DELAY), Some(now + 3 * FIRST_DELAY), Some(now + 7 * FIRST_DELAY)]
        );
    }

    #[test]
    fn ipv6_counts_by_its_64_prefix() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(counted_as(a), counted_as(b));
        assert_ne!(counted_as(a), counted_as(c));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(counted_as(mapped), A);
    }
}
