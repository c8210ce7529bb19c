//! `JOTTER.KEY key` on a front end: the single node's reply (its fields,
//! in order, RESP2 and RESP3: `command/key_status.rs`) filled from what
//! the cluster's Redis knows (`jotter_scaleout::key_status`): the state
//! (absent, clean, pending or dead-lettered), the newest and the stored
//! versions, the newest letter's error and the key's dead-letter ids.
//! `pending-since` is null, and `pending-writes` null while pending: a
//! front end does not track a key's queued writes.
//!
//! `FROM-STORE` is refused: a front end has no store connection (its
//! `stored-version` is what the workers acknowledged having committed).

use bytes::{Bytes, BytesMut};
use jotter::KeyState;
use jotter_resp::{Protocol, ReplyWriter, Request};
use jotter_scaleout::{ClusterKeyStatus, connect, key_status};

use super::settings::Front;
use crate::command::{KeyReport, key_args, write_key_reply};

/// The reply to `req` (`JOTTER.KEY ...`) in `protocol`.
pub(crate) async fn key(front: &Front, req: &Request, protocol: Protocol) -> Bytes {
    let mut out = BytesMut::new();
    let mut reply = ReplyWriter::new(&mut out, protocol);
    match status(front, req).await {
        Ok(status) => write_key_reply(&mut reply, &report(&status)),
        Err(text) => reply.error(text.as_bytes()),
    }
    out.freeze()
}

async fn status(front: &Front, req: &Request) -> Result<ClusterKeyStatus, String> {
    let (key, from_store) = key_args(req)?;
    if from_store {
        return Err("ERR JOTTER.KEY FROM-STORE is not served by a cluster front end: it has no \
                    store; its stored-version is the newest version the workers committed \
                    (ask the store itself for what it holds now)"
            .to_owned());
    }
    let mut connection = connect(&front.url).await.map_err(|e| format!("TRYAGAIN {e}"))?;
    key_status(&mut connection, key)
        .await
        .map_err(|e| format!("ERR the cluster's Redis refused JOTTER.KEY: {e}; retry it"))
}

fn report(s: &ClusterKeyStatus) -> KeyReport {
    KeyReport {
        state: s.state.name(),
        cache_version: s.cache_version,
        stored_version: s.stored_version,
        pending_since: None,
        // Queued records are not counted; in every other state none is.
        pending_writes: (s.state != KeyState::Pending).then_some(0),
        last_error: s.last_error.clone(),
        dead_letter_ids: s.dead_letter_ids.clone(),
        store_version: None,
    }
}
