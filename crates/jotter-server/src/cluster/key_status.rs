//! `JOTTER.KEY key` on a front end, and `GET /keys/{key}` on its admin
//! port: the single node's replies (their fields, in order; RESP2, RESP3
//! and JSON: `command/key_status.rs`, `admin/keys.rs`) filled from what
//! the cluster's Redis knows (`jotter_scaleout::key_status`): the state
//! (absent, clean, pending or dead-lettered), the newest and the stored
//! versions, the newest letter's error and the key's dead-letter ids.
//! `pending-since` is null, and `pending-writes` null while pending: a
//! front end does not track a key's queued writes.
//!
//! `FROM-STORE` (`?from-store=1`) is refused: a front end has no store
//! connection (its `stored-version` is what the workers acknowledged
//! having committed).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use bytes::{Bytes, BytesMut};
use jotter::KeyState;
use jotter_resp::{Protocol, ReplyWriter, Request};
use jotter_scaleout::{ClusterKeyStatus, key_status};
use serde_json::Value;

use super::settings::{Front, refused};
use crate::admin::{failed, key_body, key_request};
use crate::command::{KeyReport, key_args, write_key_reply};

/// Why `FROM-STORE` is refused.
const NO_STORE: &str = "JOTTER.KEY FROM-STORE is not served by a cluster front end: it has no \
                        store; its stored-version is the newest version the workers committed \
                        (ask the store itself for what it holds now)";

/// The reply to `req` (`JOTTER.KEY ...`) in `protocol`.
pub(crate) async fn key(front: &Front, req: &Request, protocol: Protocol) -> Bytes {
    let mut out = BytesMut::new();
    let mut reply = ReplyWriter::new(&mut out, protocol);
    let report = match key_args(req) {
        Ok((_, true)) => Err(format!("ERR {NO_STORE}")),
        Ok((key, false)) => report(front, key).await,
        Err(text) => Err(text),
    };
    match report {
        Ok(report) => write_key_reply(&mut reply, &report),
        Err(text) => reply.error(text.as_bytes()),
    }
    out.freeze()
}

/// `GET /keys/{key}`.
pub(crate) async fn http(State(front): State<Arc<Front>>, uri: Uri) -> (StatusCode, Json<Value>) {
    match key_request(&uri) {
        Ok((_, true)) => failed(StatusCode::BAD_REQUEST, NO_STORE.to_owned()),
        Ok((key, false)) => match report(&front, &key).await {
            Ok(report) => key_body(&report),
            Err(error) => failed(StatusCode::SERVICE_UNAVAILABLE, error),
        },
        Err(refused) => refused,
    }
}

/// The report of `key`, or the error to reply (Redis unreachable, or
/// refusing).
async fn report(front: &Front, key: &[u8]) -> Result<KeyReport, String> {
    let mut connection = front.command_connection().await?;
    let status = key_status(&mut connection, key).await.map_err(|e| refused("JOTTER.KEY", e))?;
    Ok(report_of(&status))
}

fn report_of(s: &ClusterKeyStatus) -> KeyReport {
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
