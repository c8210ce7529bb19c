//! The latency monitor: while `latency-monitor-threshold` is above 0,
//! every command that took at least that many milliseconds is a sample of
//! its event (`command`, or `fast-command` for a command flagged fast), as
//! Redis records them: per event the latest 160 samples, one a second at
//! most (a second sample in the same second keeps the larger), and the
//! largest ever. Only a slow command takes its lock.

use std::collections::{BTreeMap, VecDeque};
use std::time::{SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;

/// Samples kept per event, as Redis.
const HISTORY: usize = 160;

/// One event's samples.
#[derive(Clone, Debug, Default)]
pub(crate) struct Event {
    /// (unix seconds, milliseconds), oldest first.
    pub samples: VecDeque<(u64, u64)>,
    /// The largest latency ever sampled.
    pub max: u64,
}

impl Event {
    /// The newest sample.
    pub(crate) fn latest(&self) -> (u64, u64) {
        self.samples.back().copied().unwrap_or_default()
    }
}

/// Every event's samples.
#[derive(Default)]
pub(crate) struct Latency {
    events: Mutex<BTreeMap<&'static str, Event>>,
}

impl Latency {
    /// A sample of `event`: it took `millis`.
    pub(crate) fn add(&self, event: &'static str, millis: u64) {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let mut events = self.events.lock();
        let e = events.entry(event).or_default();
        e.max = e.max.max(millis);
        match e.samples.back_mut() {
            Some((at, ms)) if *at == now => *ms = (*ms).max(millis),
            _ => {
                e.samples.push_back((now, millis));
                if e.samples.len() > HISTORY {
                    e.samples.pop_front();
                }
            }
        }
    }

    /// Every event with samples, by name.
    pub(crate) fn events(&self) -> Vec<(&'static str, Event)> {
        self.events.lock().iter().map(|(name, e)| (*name, e.clone())).collect()
    }

    /// One event's samples, by name.
    pub(crate) fn event(&self, name: &[u8]) -> Option<Event> {
        self.events.lock().iter().find(|(n, _)| n.as_bytes() == name).map(|(_, e)| e.clone())
    }

    /// Drops the samples of `names` (of every event when empty); returns
    /// how many events had samples.
    pub(crate) fn reset(&self, names: &[&[u8]]) -> usize {
        let mut events = self.events.lock();
        if names.is_empty() {
            let n = events.len();
            events.clear();
            return n;
        }
        let before = events.len();
        events.retain(|name, _| !names.contains(&name.as_bytes()));
        before - events.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sample_a_second_keeps_the_larger_and_the_max_stays() {
        let latency = Latency::default();
        latency.add("command", 5);
        latency.add("command", 9);
        latency.add("command", 3);
        let e = latency.event(b"command").expect("the event");
        // All three fell within one or two seconds.
        assert!(e.samples.len() <= 2);
        assert_eq!(e.max, 9);
        assert_eq!(latency.reset(&[b"nope"]), 0);
        assert_eq!(latency.reset(&[]), 1);
        assert!(latency.events().is_empty());
    }
}
