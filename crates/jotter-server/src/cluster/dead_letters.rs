//! `JOTTER.DEADLETTERS` on a front end: the single node's command
//! (`command/deadletters.rs`: its subcommands, arguments, errors and
//! replies, RESP2 and RESP3) over the cluster's dead-letter stream, which
//! the workers append to (`jotter_scaleout`'s `dead_letters.rs` says how
//! its letters are named by ids).
//!
//! - `COUNT` is `XLEN` of the stream: exact, letters leave it when
//!   replayed or purged.
//! - `REPLAY` queues each letter's key for the store again, in one atomic
//!   step per call: a change record with the key's current version goes to
//!   its shard stream and the letter is removed; a key written since the
//!   letter only loses the letter (its newer write is queued already). The
//!   reply counts the letters that left the queue; whether the store then
//!   takes the write, the worker decides (a refusal dead-letters it again).
//! - `PURGE` removes the letters and logs each one's key.

use bytes::{Bytes, BytesMut};
use jotter::Selection;
use jotter_resp::{Protocol, ReplyWriter, Request};
use jotter_scaleout::{
    dead_letter_count, dead_letters_page, purge_dead_letters, replay_dead_letters,
};

use super::settings::{Front, refused};
use crate::command::deadletters::{list_args, selection_of, subcommand_of, write_help, write_page};
use crate::dead_letter_fields::LetterFields;

/// The reply to `req` (`JOTTER.DEADLETTERS ...`) in `protocol`.
pub(crate) async fn deadletters(front: &Front, req: &Request, protocol: Protocol) -> Bytes {
    let mut out = BytesMut::new();
    let mut reply = ReplyWriter::new(&mut out, protocol);
    if let Err(text) = run(front, req, &mut reply).await {
        reply.error(text.as_bytes());
    }
    out.freeze()
}

/// A subcommand, its arguments checked.
enum Sub {
    Count,
    List { after: u64, count: usize },
    Replay(Selection),
    Purge(Selection),
}

/// Runs the subcommand, replying on success; else the error to reply.
async fn run(front: &Front, req: &Request, reply: &mut ReplyWriter<'_>) -> Result<(), String> {
    // Arguments are checked before Redis is asked, as a single node does.
    let sub = match subcommand_of(req)? {
        "help" => {
            write_help(reply);
            return Ok(());
        }
        "count" => Sub::Count,
        "list" => {
            let (after, count) = list_args(req)?;
            Sub::List { after, count }
        }
        "replay" => Sub::Replay(selection_of(req)?),
        _ => Sub::Purge(selection_of(req)?),
    };
    let mut connection = front.command_connection().await?;
    let refused = |e| refused("JOTTER.DEADLETTERS", e);
    let int = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    match sub {
        Sub::Count => {
            let count = dead_letter_count(&mut connection).await.map_err(refused)?;
            reply.integer(int(count));
        }
        Sub::List { after, count } => {
            let (letters, next) =
                dead_letters_page(&mut connection, after, count).await.map_err(refused)?;
            let letters: Vec<LetterFields> = letters.iter().map(LetterFields::from).collect();
            write_page(reply, &letters, next);
        }
        Sub::Replay(selection) => {
            let removed =
                replay_dead_letters(&mut connection, &selection).await.map_err(refused)?;
            reply.integer(int(removed));
        }
        Sub::Purge(selection) => {
            let keys = purge_dead_letters(&mut connection, &selection).await.map_err(refused)?;
            for key in &keys {
                tracing::warn!(
                    key = %jotter::LogKey(key),
                    "dead letter purged: this write will not reach the store"
                );
            }
            reply.integer(int(keys.len() as u64));
        }
    }
    Ok(())
}
