//! Server commands: ROLE and TIME. They describe the server; they read no
//! data. COMMAND is its own family (`introspect/`), INFO too (`info/`).

use std::time::{SystemTime, UNIX_EPOCH};

use jotter_resp::Request;

use super::spec::{Ctx, Flow, Spec, flag, now};

/// The Redis version whose protocol and replies Jotter follows, reported
/// where clients look for it (HELLO, INFO's `redis_version`).
pub(crate) const REDIS_VERSION: &str = "7.0.0";

pub(super) const SPECS: &[Spec] = &[
    Spec::new(
        "role",
        1,
        flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::FAST,
        "server",
        "Returns the replication role.",
        "2.8.12",
        now(role),
    ),
    Spec::new(
        "time",
        1,
        flag::LOADING | flag::STALE | flag::FAST,
        "server",
        "Returns the server time.",
        "2.6.0",
        now(time),
    ),
];

fn time(_req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let mut reply = ctx.reply();
    reply.array(2);
    reply.bulk(itoa::Buffer::new().format(now.as_secs()).as_bytes());
    reply.bulk(itoa::Buffer::new().format(now.subsec_micros()).as_bytes());
    Flow::Continue
}

/// A master with no replicas, at offset 0: Jotter does not replicate.
fn role(_req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let mut reply = ctx.reply();
    reply.array(3);
    reply.bulk(b"master");
    reply.integer(0);
    reply.array(0);
    Flow::Continue
}
