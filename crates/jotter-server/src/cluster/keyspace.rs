//! The commands over the whole keyspace, showing and touching only user
//! keys: KEYS and SCAN leave Jotter's keys out of what Redis answers,
//! DBSIZE and RANDOMKEY run the front end's library functions, which count
//! and draw user keys only (atomically), and FLUSHDB/FLUSHALL delete user
//! keys a page at a time, each page one MULTI/EXEC with the keys' change
//! records, so that workers delete their rows. Such a flush is atomic per
//! page, not as a whole: a key written while it runs may survive it.

use bytes::Bytes;
use jotter_resp::Request;
use jotter_scaleout::{DBSIZE, RANDOMKEY, is_reserved, own_keys, record_call, version_floor};

use super::replies::{array, bulk, elements, is_error, without_own_keys};
use super::settings::Front;
use super::upstream::{Upstream, UpstreamError};
use super::write::wait_replica;

/// How many keys a flush asks SCAN for at a time.
const FLUSH_PAGE: &str = "1000";

/// KEYS, relayed, Jotter's keys left out.
pub(crate) async fn keys(up: &mut Upstream, req: &Request) -> Result<Bytes, UpstreamError> {
    let reply = up.relay(req).await?;
    Ok(without_own_keys(&reply).unwrap_or(reply))
}

/// SCAN, relayed, Jotter's keys left out of the page (which may then hold
/// fewer keys than COUNT, as SCAN allows).
pub(crate) async fn scan(up: &mut Upstream, req: &Request) -> Result<Bytes, UpstreamError> {
    let reply = up.relay(req).await?;
    Ok(match elements(&reply).as_deref() {
        Some([cursor, page]) => match without_own_keys(page) {
            Some(page) => array(&[cursor.clone(), page]),
            None => reply,
        },
        _ => reply,
    })
}

/// DBSIZE of user keys.
pub(crate) async fn dbsize(front: &Front, up: &mut Upstream) -> Result<Bytes, UpstreamError> {
    let mut args = vec!["FCALL_RO".to_owned(), DBSIZE.to_owned(), "0".to_owned()];
    args.extend(own_keys(front.shards));
    up.call(&args).await
}

/// RANDOMKEY among user keys.
pub(crate) async fn randomkey(up: &mut Upstream) -> Result<Bytes, UpstreamError> {
    up.call(&["FCALL_RO", RANDOMKEY, "0"]).await
}

/// FLUSHDB / FLUSHALL: every user key deleted with its change record.
pub(crate) async fn flush(front: &Front, up: &mut Upstream) -> Result<Bytes, UpstreamError> {
    let mut cursor = Bytes::from_static(b"0");
    loop {
        let page = up.call(&[&b"SCAN"[..], &cursor, b"COUNT", FLUSH_PAGE.as_bytes()]).await?;
        let items = elements(&page).unwrap_or_default();
        let [next, keys] = items.as_slice() else { return Ok(page) };
        let keys: Vec<Bytes> = elements(keys)
            .unwrap_or_default()
            .iter()
            .filter_map(|k| bulk(k).map(Bytes::copy_from_slice))
            .filter(|k| !is_reserved(k))
            .collect();
        if !keys.is_empty() {
            let mut del: Vec<&[u8]> = vec![b"DEL"];
            del.extend(keys.iter().map(|k| &k[..]));
            up.queue(&["MULTI"]);
            up.queue(&del);
            up.queue(&record_call(&keys, front.shards, version_floor()));
            up.queue(&["EXEC"]);
            up.flush().await?;
            let mut failed = None;
            for _ in 0..4 {
                let reply = up.reply().await?;
                if is_error(&reply) && failed.is_none() {
                    failed = Some(reply);
                }
            }
            if let Some(failed) = failed {
                return Ok(failed);
            }
        }
        cursor = Bytes::copy_from_slice(bulk(next).unwrap_or(b"0"));
        if &cursor[..] == b"0" {
            break;
        }
    }
    wait_replica(front, up, Bytes::from_static(b"+OK\r\n")).await
}
