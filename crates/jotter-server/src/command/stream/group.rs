//! XGROUP (`xgroupCommand`): CREATE (MKSTREAM, ENTRIESREAD), SETID,
//! DESTROY, CREATECONSUMER, DELCONSUMER and HELP, with Redis's checks in
//! its order: the subcommand and its arity, the options, the key's type,
//! the key and the group existing.

use jotter::{GroupHeader, StreamId, StreamMeta, StreamWrite, Txn};
use jotter_resp::{ReplyWriter, Request};

use super::groups::{find, set, touch_consumer};
use super::id::{parse_loose, parse_strict};
use super::reply::stream;
use crate::command::args::parse_i64;
use crate::command::fail::{self, Outcome};
use crate::command::spec::{Sub, flag};
use crate::command::subcommand;

/// XGROUP's subcommands, in `XGROUP HELP`'s order; every one but HELP
/// runs [`change`].
pub(super) const SUBS: &[Sub] = &[
    Sub::data(
        "create",
        -5,
        flag::WRITE | flag::DENYOOM,
        "Create a consumer group.",
        "5.0.0",
        &[
            b"CREATE <key> <groupname> <id|$> [option]",
            b"    Create a new consumer group. Options are:",
            b"    * MKSTREAM",
            b"      Create the empty stream if it does not exist.",
            b"    * ENTRIESREAD entries_read",
            b"      Set the group's entries_read counter (internal use).",
        ],
        change,
    )
    .key(2),
    Sub::data(
        "createconsumer",
        5,
        flag::WRITE | flag::DENYOOM,
        "Create a consumer in a consumer group.",
        "6.2.0",
        &[
            b"CREATECONSUMER <key> <groupname> <consumer>",
            b"    Create a new consumer in the specified group.",
        ],
        change,
    )
    .key(2),
    Sub::data(
        "delconsumer",
        5,
        flag::WRITE,
        "Delete a consumer from a consumer group.",
        "5.0.0",
        &[b"DELCONSUMER <key> <groupname> <consumer>", b"    Remove the specified consumer."],
        change,
    )
    .key(2),
    Sub::data(
        "destroy",
        4,
        flag::WRITE,
        "Destroy a consumer group.",
        "5.0.0",
        &[b"DESTROY <key> <groupname>", b"    Remove the specified group."],
        change,
    )
    .key(2),
    Sub::data(
        "setid",
        -5,
        flag::WRITE,
        "Set a consumer group to an arbitrary last delivered ID value.",
        "5.0.0",
        &[
            b"SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            b"    Set the current group ID and entries_read counter.",
        ],
        change,
    )
    .key(2),
    subcommand::help_row("5.0.0"),
];

fn subcommand_syntax(sub: &[u8]) -> fail::Fail {
    fail::error(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try XGROUP HELP.",
        String::from_utf8_lossy(&sub[..sub.len().min(128)])
    ))
}

pub(super) fn xgroup(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    subcommand::apply(SUBS, "XGROUP", req, txn, w)
}

/// Every subcommand but HELP, with Redis's checks in its order once the
/// subcommand and its arity are known.
fn change(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let sub_arg = req.arg(1).unwrap_or_default();
    let sub = String::from_utf8_lossy(sub_arg).to_ascii_lowercase();
    let (mut mkstream, mut entries_read) = (false, None);
    if sub == "create" || sub == "setid" {
        let mut i = 5;
        while i < req.len() {
            let opt = req.arg(i).unwrap_or_default();
            if sub == "create" && opt.eq_ignore_ascii_case(b"mkstream") {
                mkstream = true;
                i += 1;
            } else if opt.eq_ignore_ascii_case(b"entriesread") && i + 1 < req.len() {
                let n =
                    parse_i64(req.arg(i + 1).unwrap_or_default()).ok_or_else(fail::not_integer)?;
                if n < -1 {
                    return Err(fail::error("ERR value for ENTRIESREAD must be positive or -1"));
                }
                entries_read = u64::try_from(n).ok();
                i += 2;
            } else {
                return Err(subcommand_syntax(sub_arg));
            }
        }
    }
    let key = req.arg_bytes(2).unwrap_or_default();
    let name = req.arg_bytes(3).unwrap_or_default();
    let s = stream(txn, &key)?.cloned();
    let group = s.as_ref().and_then(|s| find(s, &name).cloned());
    if !mkstream {
        if s.is_none() {
            return Err(fail::error(
                "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
            ));
        }
        if group.is_none() && matches!(sub.as_str(), "setid" | "createconsumer" | "delconsumer") {
            return Err(fail::error(format!(
                "NOGROUP No such consumer group '{}' for key name '{}'",
                String::from_utf8_lossy(&name),
                String::from_utf8_lossy(&key)
            )));
        }
    }
    let last_id = s.as_ref().map_or(StreamId::MIN, |s| s.meta().last_id);
    let id_arg = req.arg(4).unwrap_or_default();
    match sub.as_str() {
        "create" => {
            if req.len() > 8 {
                return Err(subcommand_syntax(sub_arg));
            }
            let id = if id_arg == b"$" { last_id } else { parse_strict(id_arg, 0)? };
            if group.is_some() {
                return Err(fail::error("BUSYGROUP Consumer Group name already exists"));
            }
            let mut changes =
                vec![StreamWrite::group(&name, &GroupHeader { last_id: id, entries_read })];
            if s.is_none() {
                changes.push(StreamWrite::meta(&StreamMeta::default()));
            }
            set(txn, &key, changes)?;
            w.ok();
        }
        "setid" => {
            if req.len() != 5 && req.len() != 7 {
                return Err(subcommand_syntax(sub_arg));
            }
            let id = if id_arg == b"$" { last_id } else { parse_loose(id_arg, 0)? };
            set(
                txn,
                &key,
                [StreamWrite::group(&name, &GroupHeader { last_id: id, entries_read })],
            )?;
            w.ok();
        }
        "destroy" => match group {
            Some(g) => {
                let mut changes = vec![StreamWrite::remove_group(&name)];
                changes
                    .extend(g.consumers().keys().map(|c| StreamWrite::remove_consumer(&name, c)));
                changes
                    .extend(g.pending().keys().map(|id| StreamWrite::remove_pending(&name, *id)));
                set(txn, &key, changes)?;
                w.integer(1);
            }
            None => w.integer(0),
        },
        "createconsumer" => {
            let consumer = req.arg_bytes(4).unwrap_or_default();
            let exists = group.is_some_and(|g| g.consumers().contains_key(&consumer));
            if !exists {
                let now = txn.now();
                touch_consumer(txn, &key, &name, &consumer, now)?;
            }
            w.integer(i64::from(!exists));
        }
        _ => {
            let consumer = req.arg_bytes(4).unwrap_or_default();
            let g = group.unwrap_or_default();
            let mut pending = 0;
            if g.consumers().contains_key(&consumer) {
                let mine: Vec<StreamId> = g
                    .pending()
                    .iter()
                    .filter(|(_, p)| p.consumer == consumer)
                    .map(|(id, _)| *id)
                    .collect();
                pending = mine.len();
                let changes = mine
                    .into_iter()
                    .map(|id| StreamWrite::remove_pending(&name, id))
                    .chain([StreamWrite::remove_consumer(&name, &consumer)]);
                set(txn, &key, changes)?;
            }
            w.integer(i64::try_from(pending).unwrap_or(i64::MAX));
        }
    }
    Ok(())
}
