//! The slow log: the latest commands that took at least
//! `slowlog-log-slower-than` microseconds, at most `slowlog-max-len` of
//! them, newest first, each as Redis keeps it (id, time, duration, the
//! arguments cut to 32 of at most 128 bytes each, the client's address and
//! name). Only a slow command takes its lock.

use std::collections::VecDeque;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use parking_lot::Mutex;

/// Redis's limits on what an entry keeps of a command.
const MAX_ARGS: usize = 32;
const MAX_ARG_BYTES: usize = 128;

/// One slow command.
#[derive(Clone, Debug)]
pub(crate) struct SlowEntry {
    pub id: u64,
    /// Unix seconds when it ran.
    pub at: u64,
    pub micros: u64,
    pub args: Vec<Bytes>,
    pub client_addr: String,
    pub client_name: Bytes,
}

#[derive(Default)]
struct Log {
    entries: VecDeque<SlowEntry>,
    next_id: u64,
}

/// The slow log.
#[derive(Default)]
pub(crate) struct SlowLog {
    log: Mutex<Log>,
}

impl SlowLog {
    /// Logs a command that took `micros`, keeping at most `max_len`
    /// entries.
    pub(crate) fn push<'a>(
        &self,
        args: impl ExactSizeIterator<Item = &'a [u8]>,
        micros: u64,
        client_addr: String,
        client_name: Bytes,
        max_len: u64,
    ) {
        let args = kept_args(args);
        let at = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let mut log = self.log.lock();
        let id = log.next_id;
        log.next_id += 1;
        log.entries.push_front(SlowEntry { id, at, micros, args, client_addr, client_name });
        let max = usize::try_from(max_len).unwrap_or(usize::MAX);
        log.entries.truncate(max);
    }

    /// The newest `count` entries (all for `None`), newest first.
    pub(crate) fn latest(&self, count: Option<usize>) -> Vec<SlowEntry> {
        let log = self.log.lock();
        let n = count.unwrap_or(log.entries.len()).min(log.entries.len());
        log.entries.iter().take(n).cloned().collect()
    }

    pub(crate) fn len(&self) -> usize {
        self.log.lock().entries.len()
    }

    /// Drops every entry; ids go on.
    pub(crate) fn reset(&self) {
        self.log.lock().entries.clear();
    }

    /// Drops the oldest entries past `max_len` (after `CONFIG SET
    /// slowlog-max-len`).
    pub(crate) fn trim(&self, max_len: u64) {
        let max = usize::try_from(max_len).unwrap_or(usize::MAX);
        self.log.lock().entries.truncate(max);
    }
}

/// What Redis keeps of a command's arguments: the first 31 and a note of
/// how many more when there are over 32, each cut to 128 bytes with a
/// note of how many more.
fn kept_args<'a>(args: impl ExactSizeIterator<Item = &'a [u8]>) -> Vec<Bytes> {
    let total = args.len();
    let shown = if total > MAX_ARGS { MAX_ARGS - 1 } else { total };
    let mut kept: Vec<Bytes> = args
        .take(shown)
        .map(|arg| {
            if arg.len() > MAX_ARG_BYTES {
                let mut cut = arg[..MAX_ARG_BYTES].to_vec();
                let more = format!("... ({} more bytes)", arg.len() - MAX_ARG_BYTES);
                cut.extend_from_slice(more.as_bytes());
                Bytes::from(cut)
            } else {
                Bytes::copy_from_slice(arg)
            }
        })
        .collect();
    if total > shown {
        kept.push(Bytes::from(format!("... ({} more arguments)", total - shown)));
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_newest_first_bounded_and_cut_as_redis_cuts_them() {
        let log = SlowLog::default();
        let long = vec![b'x'; 200];
        let many: Vec<&[u8]> = (0..40).map(|_| &b"a"[..]).collect();
        log.push([&b"set"[..], &long].into_iter(), 5, "1.2.3.4:5".into(), Bytes::new(), 10);
        log.push(many.into_iter(), 6, "1.2.3.4:5".into(), Bytes::new(), 10);
        let entries = log.latest(None);
        assert_eq!(entries.iter().map(|e| e.id).collect::<Vec<_>>(), [1, 0]);
        assert_eq!(entries[0].args.len(), 32);
        assert_eq!(entries[0].args[31], "... (9 more arguments)");
        assert!(entries[1].args[1].ends_with(b"... (72 more bytes)"));
        log.trim(1);
        assert_eq!(log.len(), 1);
        log.reset();
        assert_eq!(log.latest(Some(5)).len(), 0);
    }
}
