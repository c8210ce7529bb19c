//! The store-side figures of a Jotter target over one run: its counters
//! (JOTTER.STATUS) read before the run and after draining it with
//! JOTTER.FLUSH, so that every write of the run has reached the store.

use std::time::Duration;

use jotter_resp::Frame;
use tokio::time::Instant;

use crate::operator::remote::{Remote, RemoteError};

/// The counters this bench reads, at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Counters {
    pub writes_accepted: u64,
    pub store_writes: u64,
    pub batches: u64,
}

impl Counters {
    /// Asks the server.
    pub(crate) async fn read(remote: &mut Remote) -> Result<Counters, RemoteError> {
        let reply = remote.call(&["JOTTER.STATUS"]).await?;
        let Frame::Map(pairs) = &reply else {
            return Err(RemoteError::unexpected(remote, "JOTTER.STATUS", &reply));
        };
        let mut counters = Counters::default();
        for (name, value) in pairs {
            let (Frame::Bulk(name) | Frame::Simple(name), Frame::Integer(value)) = (name, value)
            else {
                continue;
            };
            let value = u64::try_from(*value).unwrap_or(0);
            match name.as_ref() {
                b"writes_accepted" => counters.writes_accepted = value,
                b"store_writes" => counters.store_writes = value,
                b"batches" => counters.batches = value,
                _ => {}
            }
        }
        Ok(counters)
    }
}

/// What the store did for one run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct StoreFigures {
    pub writes_accepted: u64,
    pub store_writes: u64,
    pub batches: u64,
    /// How long JOTTER.FLUSH waited after the run for the store to catch up.
    pub drain: Duration,
}

impl StoreFigures {
    /// Drains the server, then reads what changed since `before`.
    pub(crate) async fn after(
        remote: &mut Remote,
        before: Counters,
    ) -> Result<StoreFigures, RemoteError> {
        let start = Instant::now();
        remote.call(&["JOTTER.FLUSH"]).await?;
        let drain = start.elapsed();
        let now = Counters::read(remote).await?;
        Ok(StoreFigures {
            writes_accepted: now.writes_accepted.saturating_sub(before.writes_accepted),
            store_writes: now.store_writes.saturating_sub(before.store_writes),
            batches: now.batches.saturating_sub(before.batches),
            drain,
        })
    }

    /// Writes accepted per store write: what coalescing saved.
    pub(crate) fn coalescing(&self) -> f64 {
        self.writes_accepted as f64 / (self.store_writes as f64).max(1.0)
    }
}
