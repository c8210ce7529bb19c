//! SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and their UNSUBSCRIBEs: each channel
//! (pattern, shard channel) named is confirmed by its own push message
//! (`>3` in RESP3, an array in RESP2) with the client's count of
//! subscriptions after it, as Redis confirms them. An UNSUBSCRIBE naming
//! nothing leaves every subscription of its kind, and confirms once with
//! a null channel when there was none.

use bytes::Bytes;
use jotter_resp::Request;

use super::super::spec::{Ctx, Flow};
use super::registry::Kind;
use super::tracking::show_state;

pub(super) fn subscribe(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    join(Kind::Channel, req, ctx)
}

pub(super) fn psubscribe(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    join(Kind::Pattern, req, ctx)
}

pub(super) fn ssubscribe(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    join(Kind::Shard, req, ctx)
}

pub(super) fn unsubscribe(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    part(Kind::Channel, req, ctx)
}

pub(super) fn punsubscribe(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    part(Kind::Pattern, req, ctx)
}

pub(super) fn sunsubscribe(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    part(Kind::Shard, req, ctx)
}

fn join(kind: Kind, req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    for name in req.args().skip(1) {
        let name = Bytes::copy_from_slice(name);
        let session = &mut *ctx.session;
        ctx.shared.pubsub.registry.subscribe(
            &mut session.subscriptions,
            &session.entry,
            kind,
            &name,
        );
        confirm(ctx, kind.subscribe_name(), Some(&name), kind);
    }
    show_state(ctx.session);
    Flow::Continue
}

fn part(kind: Kind, req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let names: Vec<Bytes> = if req.len() > 1 {
        req.args().skip(1).map(Bytes::copy_from_slice).collect()
    } else {
        ctx.session.subscriptions.of(kind)
    };
    if names.is_empty() {
        confirm(ctx, kind.unsubscribe_name(), None, kind);
    }
    for name in names {
        let id = ctx.session.entry.id;
        ctx.shared.pubsub.registry.unsubscribe(&mut ctx.session.subscriptions, id, kind, &name);
        confirm(ctx, kind.unsubscribe_name(), Some(&name), kind);
    }
    show_state(ctx.session);
    Flow::Continue
}

/// One confirmation: `[what, channel, count]`.
fn confirm(ctx: &mut Ctx<'_>, what: &[u8], name: Option<&[u8]>, kind: Kind) {
    let count = i64::try_from(ctx.session.subscriptions.count(kind)).unwrap_or(i64::MAX);
    let mut reply = ctx.reply();
    reply.push(3);
    reply.bulk(what);
    reply.bulk_or_null(name);
    reply.integer(count);
}
