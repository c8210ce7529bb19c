//! Write-through on a front end: `JOTTER.THROUGH <command ...>` (one
//! command) and `JOTTER.WRITETHROUGH ON|OFF` (every later write of the
//! client), parsed by the single node's code (`command/writebehind.rs`).
//!
//! A write under write-through is applied as every write is (`write.rs`:
//! the command and its change records in one MULTI/EXEC, then the replica
//! under `fsync = always`); its reply is then held until every key it
//! named has that write's version, or a newer one, in the store, as the
//! workers acknowledge in `{jotter}:stored` (a worker stores the value
//! Redis holds, so a later write of the key carries this one with it).
//! The front end polls Redis for it (`jotter_scaleout::write_state`), with
//! a back-off from 1 ms to 50 ms.
//!
//! What the client gets instead of the reply:
//!
//! - the store refused the write for good (a dead letter holds its
//!   version or a newer one): the single node's error for a dead-lettered
//!   write, with the letter's error;
//! - `cluster-through-timeout` passed first (no worker running, the store
//!   down): an error saying the write is applied and queued, not yet
//!   stored; it is kept and still flushed, as the single node's
//!   `JOTTER.FLUSH` timeout says of its writes.
//!
//! A read under write-through is relayed as it is; a write refused or
//! failed in Redis gets Redis's error at once.

use std::time::{Duration, Instant};

use bytes::Bytes;
use jotter_scaleout::{WriteState, connect, write_state};

use super::replies::error;
use super::settings::Front;
use crate::engine_error::reply_text;

/// The first pause between two looks, doubled after each up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(1);
const MAX_PAUSE: Duration = Duration::from_millis(50);

/// `reply`, the reply of a write of `keys` at `version`, once the store
/// has it; or the error that says why not.
pub(crate) async fn stored(
    front: &Front,
    keys: &[Bytes],
    version: Option<u64>,
    reply: Bytes,
) -> Bytes {
    let Some(version) = version else {
        return error(
            "ERR the write is applied but its version could not be read, so it cannot be waited \
             for; send JOTTER.FLUSH to wait until it is stored",
        );
    };
    match wait(front, keys, version).await {
        Ok(()) => reply,
        Err(text) => error(&text),
    }
}

/// Waits until every key in `keys` has `version` or a newer one stored.
async fn wait(front: &Front, keys: &[Bytes], version: u64) -> Result<(), String> {
    let deadline = Instant::now() + front.through_timeout;
    let mut connection = connect(&front.url).await.map_err(|e| {
        format!(
            "TRYAGAIN the write is applied but whether it is stored cannot be known: {e}; \
             JOTTER.KEY tells where it stands"
        )
    })?;
    let mut pause = FIRST_PAUSE;
    let mut left: Vec<&Bytes> = keys.iter().collect();
    left.sort();
    left.dedup();
    while let Some(key) = left.last() {
        let state = write_state(&mut connection, key, version).await.map_err(|e| {
            format!(
                "TRYAGAIN the write is applied but the cluster's Redis did not say whether it is \
                 stored ({e}); JOTTER.KEY tells where it stands"
            )
        })?;
        match state {
            WriteState::Stored => {
                left.pop();
                continue;
            }
            WriteState::DeadLettered(why) => {
                return Err(reply_text(&jotter::Error::DeadLettered(why)).into_owned());
            }
            WriteState::Pending => {}
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(timed_out(front.through_timeout, key));
        }
        tokio::time::sleep(pause.min(deadline - now)).await;
        pause = (pause * 2).min(MAX_PAUSE);
    }
    Ok(())
}

fn timed_out(timeout: Duration, key: &[u8]) -> String {
    format!(
        "ERR write-through timed out after {} ms with key '{}' not yet in the store: the write \
         is applied and kept, and still being flushed (are the flush workers running? JOTTER.KEY \
         tells where it stands; cluster-through-timeout sets the wait)",
        timeout.as_millis(),
        String::from_utf8_lossy(key)
    )
}
