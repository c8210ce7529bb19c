//! A write on its way to Redis: the client's command, the change records
//! of its keys (`FCALL jotter_record`) and, for `fsync = always`, the wait
//! for a replica; under write-through, the wait for the store
//! (`through.rs`). The command and its records are one MULTI/EXEC, so they
//! are applied together or not at all; a command that fails when it runs
//! (WRONGTYPE) still leaves a record, which a worker reads as a write of
//! the value Redis holds (unchanged): harmless.

use bytes::Bytes;
use jotter_resp::Request;
use jotter_scaleout::{record_call, version_floor};

use super::replies::{bulk, elements, error, integer, is_error};
use super::settings::Front;
use super::through;
use super::upstream::{Upstream, UpstreamError, printable};

/// Runs `req`, a write of `keys`, with its records; the reply for the
/// client (after the store has it, with `through`).
pub(crate) async fn write(
    front: &Front,
    up: &mut Upstream,
    req: &Request,
    keys: &[Bytes],
    through: bool,
) -> Result<Bytes, UpstreamError> {
    match apply(front, up, req, keys).await? {
        Applied::Ran(reply, version) => acknowledge(front, up, reply, keys, version, through).await,
        Applied::Final(reply) => Ok(reply),
    }
}

/// The reply of a write of `keys` that ran at `version`: once a replica
/// has it ([`wait_replica`]) and, with `through`, once the store has it.
pub(crate) async fn acknowledge(
    front: &Front,
    up: &mut Upstream,
    reply: Bytes,
    keys: &[Bytes],
    version: Option<u64>,
    through: bool,
) -> Result<Bytes, UpstreamError> {
    let reply = wait_replica(front, up, reply).await?;
    if !through || is_error(&reply) {
        return Ok(reply);
    }
    Ok(through::stored(front, keys, version, reply).await)
}

/// The version `jotter_record`'s reply gives the write.
pub(crate) fn version_of(record: &[u8]) -> Option<u64> {
    std::str::from_utf8(bulk(record)?).ok()?.parse().ok()
}

/// What became of a write in its MULTI/EXEC.
pub(crate) enum Applied {
    /// It ran with its records: its reply, which under `fsync = always`
    /// waits for a replica ([`acknowledge`]), and its version.
    Ran(Bytes, Option<u64>),
    /// The client's answer as it is: refused before it ran, failed, or
    /// ran without its record.
    Final(Bytes),
}

/// Runs `req`, a write of `keys`, with its records, without waiting for a
/// replica.
pub(crate) async fn apply(
    front: &Front,
    up: &mut Upstream,
    req: &Request,
    keys: &[Bytes],
) -> Result<Applied, UpstreamError> {
    up.queue(&["MULTI"]);
    up.queue_request(req);
    up.queue(&record_call(keys, front.shards, version_floor()));
    up.queue(&["EXEC"]);
    up.flush().await?;
    let multi = up.reply().await?;
    let queued = up.reply().await?;
    let recorded = up.reply().await?;
    let exec = up.reply().await?;
    // Refused before it ran (MULTI refused, wrong arguments): EXEC aborted,
    // the first error is the client's answer.
    if let Some(refused) = [multi, queued, recorded].into_iter().find(|r| is_error(r)) {
        return Ok(Applied::Final(refused));
    }
    Ok(match elements(&exec).as_deref() {
        Some([reply, record]) if is_error(record) => Applied::Final(unrecorded(reply, record)),
        Some([reply, _]) if is_error(reply) => Applied::Final(reply.clone()),
        Some([reply, record]) => Applied::Ran(reply.clone(), version_of(record)),
        _ => Applied::Final(exec),
    })
}

/// The error a client gets when its command ran but its change record
/// failed (Jotter's library deleted under the front end): the write is in
/// Redis but no worker will store it until the key is written again.
pub(crate) fn unrecorded(reply: &[u8], record: &[u8]) -> Bytes {
    tracing::error!(record = %printable(record), "a write ran without its change record");
    if is_error(reply) {
        return Bytes::copy_from_slice(reply);
    }
    error(&format!(
        "ERR the command ran but its change record failed ({}): the write is in Redis, not \
         queued for the store; restart the front end (it loads Jotter's library again), then \
         write the key again",
        printable(record)
    ))
}

/// With `fsync = always`, `reply` once a replica has the write, or an
/// error saying it is applied but not known to be on two nodes.
pub(crate) async fn wait_replica(
    front: &Front,
    up: &mut Upstream,
    reply: Bytes,
) -> Result<Bytes, UpstreamError> {
    let Some(timeout) = front.wait else { return Ok(reply) };
    let ms = timeout.as_millis().max(1).to_string();
    let acked = up.call(&["WAIT", "1", ms.as_str()]).await?;
    match integer(&acked) {
        Some(n) if n >= 1 => Ok(reply),
        _ => Ok(error(&format!(
            "NOREPLICAS the write is applied on the cluster's primary but no replica \
             acknowledged it within {ms} ms (fsync = always): it is not known to be on two \
             nodes and a failover may lose it; check the replicas, then read the key back"
        ))),
    }
}
