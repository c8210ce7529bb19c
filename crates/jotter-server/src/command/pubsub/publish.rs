//! PUBLISH, SPUBLISH and PUBSUB's introspection (CHANNELS, NUMSUB, NUMPAT,
//! SHARDCHANNELS, SHARDNUMSUB, HELP), with Redis 7.0's replies.

use bytes::Bytes;
use jotter_resp::Request;

use super::super::spec::{Ctx, Flow, Sub, flag};
use super::super::subcommand;
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

const SUBS_FLAGS: u16 = flag::PUBSUB | flag::LOADING | flag::STALE;

/// PUBSUB's subcommands, in `PUBSUB HELP`'s order.
pub(super) const SUBS: &[Sub] = &[
    Sub::now(
        "channels",
        -2,
        SUBS_FLAGS,
        "List active channels",
        "2.8.0",
        &[
            b"CHANNELS [<pattern>]",
            b"    Return the currently active channels matching a <pattern> (default: '*').",
        ],
        channels,
    ),
    Sub::now(
        "numpat",
        2,
        SUBS_FLAGS,
        "Get the count of unique patterns pattern subscriptions",
        "2.8.0",
        &[b"NUMPAT", b"    Return number of subscriptions to patterns."],
        numpat,
    ),
    Sub::now(
        "numsub",
        -2,
        SUBS_FLAGS,
        "Get the count of subscribers for channels",
        "2.8.0",
        &[
            b"NUMSUB [<channel> ...]",
            b"    Return the number of subscribers for the specified channels, excluding",
            b"    pattern subscriptions(default: no channels).",
        ],
        numsub,
    ),
    Sub::now(
        "shardchannels",
        -2,
        SUBS_FLAGS,
        "List active shard channels",
        "7.0.0",
        &[
            b"SHARDCHANNELS [<pattern>]",
            b"    Return the currently active shard level channels matching a <pattern> (default: '*').",
        ],
        channels,
    ),
    Sub::now(
        "shardnumsub",
        -2,
        SUBS_FLAGS,
        "Get the count of subscribers for shard channels",
        "7.0.0",
        &[
            b"SHARDNUMSUB [<shardchannel> ...]",
            b"    Return the number of subscribers for the specified shard level channel(s)",
        ],
        numsub,
    ),
    subcommand::help_row("6.2.0"),
];

pub(super) fn pubsub(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    subcommand::run(SUBS, "PUBSUB", req, ctx)
}

/// Whether the subcommand is a shard one (SHARDCHANNELS, SHARDNUMSUB).
fn kind_of(req: &Request) -> Kind {
    let shard = req.arg(1).is_some_and(|s| s.len() > 5 && s[..5].eq_ignore_ascii_case(b"shard"));
    if shard { Kind::Shard } else { Kind::Channel }
}

/// CHANNELS and SHARDCHANNELS `[pattern]`.
fn channels(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    if req.len() > 3 {
        subcommand::wrong_form(ctx, req.arg(1).unwrap_or_default(), "PUBSUB");
        return Flow::Continue;
    }
    let channels = ctx.shared.pubsub.registry.active_channels(kind_of(req), req.arg(2));
    let mut reply = ctx.reply();
    reply.array(channels.len());
    for channel in &channels {
        reply.bulk(channel);
    }
    Flow::Continue
}

/// NUMSUB and SHARDNUMSUB `[channel ...]`: each channel and its count, as
/// one flat array (Redis 7.0's reply in both protocols).
fn numsub(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let kind = kind_of(req);
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
    Flow::Continue
}

fn numpat(_req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let count = ctx.shared.pubsub.registry.pattern_count();
    ctx.reply().integer(i64::try_from(count).unwrap_or(i64::MAX));
    Flow::Continue
}
