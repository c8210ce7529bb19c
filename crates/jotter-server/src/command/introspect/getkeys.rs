//! `COMMAND GETKEYS` and `COMMAND GETKEYSANDFLAGS`: the keys of a full
//! command, found by its key specs, or by the command's own key finder
//! where a spec cannot be followed (SORT's BY and STORE), with Redis's
//! errors.

use bytes::Bytes;
use jotter_resp::Request;

use super::key_specs::{self, key_specs};
use crate::command::spec::{Ctx, Flow, Spec};

pub(super) fn getkeys(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    reply_keys(req, ctx, false);
    Flow::Continue
}

pub(super) fn getkeysandflags(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    reply_keys(req, ctx, true);
    Flow::Continue
}

fn reply_keys(req: &Request, ctx: &mut Ctx<'_>, with_flags: bool) {
    let args: Vec<Bytes> = req.args().skip(2).map(Bytes::copy_from_slice).collect();
    let Some(inner) = Request::from_args(&args) else {
        return ctx.reply().error(b"ERR Invalid command specified");
    };
    let Some((_, spec)) = ctx.commands.lookup(inner.name()) else {
        return ctx.reply().error(b"ERR Invalid command specified");
    };
    let specs = key_specs(spec);
    if specs.is_empty() {
        return ctx.reply().error(b"ERR The command has no key arguments");
    }
    if !spec.arity_ok(inner.len()) {
        return ctx.reply().error(b"ERR Invalid number of arguments specified for command");
    }
    let keys = found_keys(spec, &specs, &inner);
    if keys.is_empty() {
        return ctx.reply().error(b"ERR Invalid arguments specified for command");
    }
    let mut reply = ctx.reply();
    reply.array(keys.len());
    for (key, flags) in keys {
        if with_flags {
            reply.array(2);
            reply.bulk(&key);
            reply.set(flags.len());
            flags.iter().for_each(|f| reply.simple(f.as_bytes()));
        } else {
            reply.bulk(&key);
        }
    }
}

/// The keys of `req` (a command `spec` runs) and each one's flags, by the
/// key specs `specs`, or by the command's own key finder where a spec
/// cannot be followed.
fn found_keys(
    spec: &Spec,
    specs: &[key_specs::KeySpec],
    req: &Request,
) -> Vec<(Bytes, &'static [&'static str])> {
    match key_specs::keys_of(specs, req) {
        Some(found) => {
            found.into_iter().filter_map(|(at, flags)| Some((req.arg_bytes(at)?, flags))).collect()
        }
        None => {
            let flags = specs.first().map_or(&[][..], |s| s.flags);
            let found = spec.data_keys(req).unwrap_or_else(|| spec.key_args(req));
            found.into_iter().map(|key| (key, flags)).collect()
        }
    }
}

/// Every key `req` names, as COMMAND GETKEYS finds them, and a container's
/// (OBJECT, XINFO, MEMORY ...) subcommand's one key: what a front end
/// relaying the request checks and records.
pub(crate) fn request_keys(spec: &Spec, req: &Request) -> Vec<Bytes> {
    if !spec.subs.is_empty() {
        let name = req.arg(1).unwrap_or_default();
        let sub = spec.subs.iter().find(|s| name.eq_ignore_ascii_case(s.name.as_bytes()));
        return sub
            .and_then(|s| usize::try_from(s.key).ok().filter(|&at| at > 0))
            .and_then(|at| req.arg_bytes(at))
            .into_iter()
            .collect();
    }
    found_keys(spec, &key_specs(spec), req).into_iter().map(|(key, _)| key).collect()
}
