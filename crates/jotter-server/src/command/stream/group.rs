//! XGROUP (`xgroupCommand`): CREATE (MKSTREAM, ENTRIESREAD), SETID,
//! DESTROY, CREATECONSUMER, DELCONSUMER and HELP, with Redis's checks in
//! its order: the subcommand and its arity, the options, the key's type,
//! the key and the group existing.

use bytes::Bytes;
use jotter::{GroupHeader, StreamId, StreamMeta, StreamWrite, Txn};
use jotter_resp::{ReplyWriter, Request};

use super::groups::{find, set, touch_consumer};
use super::id::{parse_loose, parse_strict};
use super::reply::stream;
use crate::command::args::parse_i64;
use crate::command::fail::{self, Outcome};
use crate::command::spec::Spec;

/// Each subcommand and its arity (Redis's, the subcommand counted).
const SUBCOMMANDS: &[(&str, i64)] = &[
    ("create", -5),
    ("setid", -5),
    ("destroy", 4),
    ("createconsumer", 5),
    ("delconsumer", 5),
    ("help", 2),
];

const HELP: &[&str] = &[
    "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
    "HELP",
    "    Prints this help.",
];

/// XGROUP's key: argument 2, for every subcommand but HELP.
pub(super) fn xgroup_keys(_spec: &Spec, req: &Request) -> Vec<Bytes> {
    if req.len() >= 4 { req.arg_bytes(2).into_iter().collect() } else { Vec::new() }
}

fn subcommand_syntax(sub: &[u8]) -> fail::Fail {
    fail::error(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try XGROUP HELP.",
        String::from_utf8_lossy(&sub[..sub.len().min(128)])
    ))
}

pub(super) fn xgroup(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let sub_arg = req.arg(1).unwrap_or_default();
    let sub = String::from_utf8_lossy(sub_arg).to_ascii_lowercase();
    let argc = req.len() as i64;
    match SUBCOMMANDS.iter().find(|(name, _)| *name == sub) {
        None => {
            return Err(fail::error(format!(
                "ERR unknown subcommand '{}'. Try XGROUP HELP.",
                String::from_utf8_lossy(&sub_arg[..sub_arg.len().min(128)])
            )));
        }
        Some((_, arity)) if (*arity > 0 && argc != *arity) || argc < -*arity => {
            return Err(fail::error(format!(
                "ERR wrong number of arguments for 'xgroup|{sub}' command"
            )));
        }
        Some(_) => {}
    }
    if sub == "help" {
        w.array(HELP.len());
        for line in HELP {
            w.simple(line.as_bytes());
        }
        return Ok(());
    }
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
