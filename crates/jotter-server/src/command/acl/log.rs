//! ACL LOG: the most recent refusals (failed AUTH, commands, keys and
//! channels a user may not use), newest first, as Redis 7.0 keeps them:
//! a refusal like one logged in the last minute (same reason, context,
//! object and user) counts on that entry instead of adding one, and the
//! log keeps 128 entries, Redis's `acllog-max-len` default.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use jotter_resp::ReplyWriter;
use parking_lot::Mutex;

/// Entries kept.
const MAX_LEN: usize = 128;

/// Refusals within this long of a like entry count on it.
const GROUPING: Duration = Duration::from_secs(60);

/// What was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    Auth,
    Command,
    Key,
    Channel,
}

impl Reason {
    fn word(self) -> &'static str {
        match self {
            Reason::Auth => "auth",
            Reason::Command => "command",
            Reason::Key => "key",
            Reason::Channel => "channel",
        }
    }
}

/// One refusal, as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub reason: Reason,
    /// `toplevel`, or `multi` for a command refused when EXEC ran it.
    pub context: &'static str,
    /// The command (`get`, `client|kill`), key, channel, or `AUTH`.
    pub object: String,
    pub username: String,
}

struct Entry {
    refusal: Refusal,
    count: u64,
    /// When it was last counted.
    at: Instant,
    /// The client's CLIENT INFO line when it was last counted.
    client_info: String,
}

/// The log.
#[derive(Default)]
pub(crate) struct AclLog {
    entries: Mutex<VecDeque<Entry>>,
}

impl AclLog {
    /// Logs `refusal` by the client described by `client_info`.
    pub(crate) fn add(&self, refusal: Refusal, client_info: String) {
        let now = Instant::now();
        let mut entries = self.entries.lock();
        if let Some(at) =
            entries.iter().position(|e| e.refusal == refusal && now.duration_since(e.at) < GROUPING)
        {
            let mut entry = entries.remove(at).expect("a position found");
            entry.count += 1;
            entry.at = now;
            entry.client_info = client_info;
            entries.push_front(entry);
            return;
        }
        entries.push_front(Entry { refusal, count: 1, at: now, client_info });
        entries.truncate(MAX_LEN);
    }

    /// Empties the log (ACL LOG RESET).
    pub(crate) fn reset(&self) {
        self.entries.lock().clear();
    }

    /// Writes ACL LOG's reply: the `count` newest entries, each a map of
    /// Redis 7.0's seven fields.
    pub(crate) fn reply(&self, count: usize, reply: &mut ReplyWriter<'_>) {
        let entries = self.entries.lock();
        let shown = entries.len().min(count);
        reply.array(shown);
        for entry in entries.iter().take(shown) {
            reply.map(7);
            reply.bulk(b"count");
            reply.integer(i64::try_from(entry.count).unwrap_or(i64::MAX));
            reply.bulk(b"reason");
            reply.bulk(entry.refusal.reason.word().as_bytes());
            reply.bulk(b"context");
            reply.bulk(entry.refusal.context.as_bytes());
            reply.bulk(b"object");
            reply.bulk(entry.refusal.object.as_bytes());
            reply.bulk(b"username");
            reply.bulk(entry.refusal.username.as_bytes());
            reply.bulk(b"age-seconds");
            reply.double(entry.at.elapsed().as_secs_f64());
            reply.bulk(b"client-info");
            reply.bulk(entry.client_info.trim_end().as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(object: &str) -> Refusal {
        Refusal {
            reason: Reason::Command,
            context: "toplevel",
            object: object.to_owned(),
            username: "app".to_owned(),
        }
    }

    #[test]
    fn like_refusals_count_on_one_entry_newest_first() {
        let log = AclLog::default();
        log.add(refusal("get"), String::new());
        log.add(refusal("set"), String::new());
        log.add(refusal("get"), String::new());
        let entries = log.entries.lock();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].refusal.object, "get");
        assert_eq!(entries[0].count, 2);
        drop(entries);
        for i in 0..200 {
            log.add(refusal(&i.to_string()), String::new());
        }
        assert_eq!(log.entries.lock().len(), MAX_LEN);
    }
}
