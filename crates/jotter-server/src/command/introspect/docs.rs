//! `COMMAND DOCS`: each command's summary, since and group, and its
//! subcommands' (a map of maps, by name). Redis also gives complexity,
//! history and arguments, which the server's rows do not hold.

use jotter_resp::{ReplyWriter, Request};

use crate::command::spec::{Ctx, Flow, Spec};

pub(super) fn docs(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let commands = ctx.commands;
    let wanted: Vec<&Spec> = if req.len() == 2 {
        commands.specs().to_vec()
    } else {
        req.args().skip(2).filter_map(|name| commands.lookup(name).map(|(_, s)| s)).collect()
    };
    let mut reply = ctx.reply();
    reply.map(wanted.len());
    for spec in wanted {
        reply.bulk(spec.name.as_bytes());
        reply.map(3 + usize::from(!spec.subs.is_empty()));
        fields(&mut reply, spec.summary, spec.since, spec.group);
        if !spec.subs.is_empty() {
            reply.bulk(b"subcommands");
            reply.map(spec.subs.len());
            for sub in spec.subs {
                reply.bulk(format!("{}|{}", spec.name, sub.name).as_bytes());
                reply.map(3);
                fields(&mut reply, sub.summary, sub.since, spec.group);
            }
        }
    }
    Flow::Continue
}

fn fields(reply: &mut ReplyWriter<'_>, summary: &str, since: &str, group: &str) {
    reply.bulk(b"summary");
    reply.bulk(summary.as_bytes());
    reply.bulk(b"since");
    reply.bulk(since.as_bytes());
    reply.bulk(b"group");
    reply.bulk(group.as_bytes());
}
