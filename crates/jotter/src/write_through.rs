//! Write-through on a full buffer (the [`FullPolicy::WriteThrough`]
//! policy): the writer sends its own write to the store and waits for it,
//! then finishes it in the buffer as a flush worker would, so the key's
//! later writes queue behind it and barriers see it.
//!
//! [`FullPolicy::WriteThrough`]: crate::FullPolicy::WriteThrough

use std::sync::Arc;

use tokio::time::Instant;

use crate::engine::Inner;
use crate::error::{Error, Result};
use crate::flusher::{self, Outcome};
use crate::log;
use crate::store::{Store, StoreError, Write};
use crate::ticket::Ticket;

/// Writes a direct (write-through policy) write to the store, then finishes
/// it in the buffer like a flushed one.
pub(crate) async fn write_direct<S: Store>(
    inner: Arc<Inner<S>>,
    write: Write,
    s: usize,
    durable: Option<jotter_wal::Pending>,
) -> Result<Ticket> {
    let logged = match durable {
        Some(durable) => log::durable(durable).await,
        None => Ok(()),
    };
    let result = match logged {
        // Not in the log: not acknowledged, so not sent either.
        Err(e) => Err(e),
        Ok(()) => {
            let mut outcomes = [Outcome::Stored];
            let deadline = Instant::now() + inner.config().block_timeout;
            let mut rng = fastrand::Rng::new();
            let sent = flusher::write_isolating(
                &inner,
                std::slice::from_ref(&write),
                &mut outcomes,
                &mut rng,
                Some(deadline),
            )
            .await;
            match (sent, &outcomes[0]) {
                (Err(e), _) => Err(Error::Store(e)),
                (Ok(()), Outcome::Dead { error, .. }) => {
                    Err(Error::Store(StoreError::permanent(error.clone())))
                }
                (Ok(()), Outcome::Stored) => Ok(()),
            }
        }
    };
    {
        let mut shard = inner.buffer().lock(s);
        shard.direct_done(write.version);
        inner.complete_one(&mut shard, s, &write.key, write.version, result.is_ok());
    }
    // The worker may be waiting to publish a watermark past this write (a
    // barrier), and writes of this key queued behind it may now go direct.
    inner.wake_worker(inner.buffer().worker_of(s));
    inner.room_freed();
    result?;
    let deletes = matches!(write.change, crate::store::Change::Delete);
    Ok(Ticket::done(write.version, write.key, deletes))
}
