//! PUBLISH, SPUBLISH and PUBSUB's introspection (CHANNELS, NUMSUB, NUMPAT,
//! SHARDCHANNELS, SHARDNUMSUB, HELP), with Redis 7.0's replies.

use bytes::Bytes;
use jotter_resp::Request;

use super::super::spec::{Ctx, Flow};
use super::hooks::drain_outbox;
use super::registry::Kind;

pub(super) fn publish(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    send(false, req, ctx)
}

pub(super) fn spublish(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    send(true, req, ctx)
}

fn send(shard: bool, req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let channel = req.arg_bytes(1).unwrap_or_default();
    let payload = req.arg_bytes(2).unwrap_or_default();
    let received = ctx.shared.pubsub.registry.publish(shard, &channel, &payload);
    // A client publishing to itself gets the message before the count,
    // as Redis writes it.
    let mut out = std::mem::take(ctx.out());
    drain_outbox(ctx.session, &mut out);
    *ctx.out() = out;
    ctx.reply().integer(i64::try_from(received).unwrap_or(i64::MAX));
    Flow::Continue
}

const HELP: &[&[u8]] = &[
    b"PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    b"CHANNELS [<pattern>]",
    b"    Return the currently active channels matching a <pattern> (default: '*').",
    b"NUMPAT",
    b"    Return number of subscriptions to patterns.",
    b"NUMSUB [<channel> ...]",
    b"    Return the number of subscribers for the specified channels, excluding",
    b"    pattern subscriptions(default: no channels).",
    b"SHARDCHANNELS [<pattern>]",
    b"    Return the currently active shard level channels matching a <pattern> (default: '*').",
    b"SHARDNUMSUB [<shardchannel> ...]",
    b"    Return the number of subscribers for the specified shard level channel(s)",
    b"HELP",
    b"    Prints this help.",
];

pub(super) fn pubsub(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let sub = req.arg(1).unwrap_or_default();
    let n = req.len();
    let is = |name: &str| sub.eq_ignore_ascii_case(name.as_bytes());
    if is("channels") || is("shardchannels") {
        let kind = if is("channels") { Kind::Channel } else { Kind::Shard };
        if n > 3 {
            let text = format!(
                "ERR unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
                String::from_utf8_lossy(sub)
            );
            ctx.reply().error(text.as_bytes());
        } else {
            let channels = ctx.shared.pubsub.registry.active_channels(kind, req.arg(2));
            let mut reply = ctx.reply();
            reply.array(channels.len());
            for channel in &channels {
                reply.bulk(channel);
            }
        }
    } else if is("numsub") || is("shardnumsub") {
        let kind = if is("numsub") { Kind::Channel } else { Kind::Shard };
        let counts: Vec<(Bytes, usize)> = req
            .args()
            .skip(2)
            .map(|c| (Bytes::copy_from_slice(c), ctx.shared.pubsub.registry.subscribers(kind, c)))
            .collect();
        let mut reply = ctx.reply();
        reply.array(counts.len() * 2);
        for (channel, count) in &counts {
            reply.bulk(channel);
            reply.integer(i64::try_from(*count).unwrap_or(i64::MAX));
        }
    } else if is("numpat") {
        if n != 2 {
            ctx.arity_error("pubsub|numpat");
        } else {
            let count = ctx.shared.pubsub.registry.pattern_count();
            ctx.reply().integer(i64::try_from(count).unwrap_or(i64::MAX));
        }
    } else if is("help") {
        if n != 2 {
            ctx.arity_error("pubsub|help");
        } else {
            ctx.help(HELP);
        }
    } else {
        ctx.unknown_subcommand(sub, "PUBSUB");
    }
    Flow::Continue
}
