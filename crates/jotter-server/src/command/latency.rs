//! `LATENCY LATEST`, `HISTORY event`, `RESET [event ...]`, `DOCTOR` and
//! `HELP` over the latency monitor (`latency.rs`), in Redis's shapes. The
//! events are `command` and `fast-command` (commands flagged fast): Jotter
//! samples a command's whole run, as Redis does for those two events.
//! `GRAPH` and `HISTOGRAM` are not provided.

use std::fmt::Write as _;

use jotter_resp::Request;

use super::spec::{Ctx, Flow, Spec, Sub, flag, now};
use super::subcommand;

pub(super) const SPECS: &[Spec] = &[Spec::new(
    "latency",
    -2,
    0,
    "server",
    "A container for latency diagnostics commands.",
    "2.8.13",
    now(latency),
)
.subs(SUBS)];

const ADMIN: u16 = flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE;

/// LATENCY's subcommands that Jotter provides, in `LATENCY HELP`'s order.
const SUBS: &[Sub] = &[
    Sub::now(
        "doctor",
        2,
        ADMIN,
        "Return a human readable latency analysis report.",
        "2.8.13",
        &[b"DOCTOR", b"    Return a human readable latency analysis report."],
        doctor,
    ),
    Sub::now(
        "history",
        3,
        ADMIN,
        "Return timestamp-latency samples for the event.",
        "2.8.13",
        &[b"HISTORY <event>", b"    Return time-latency samples for the <event> class."],
        history,
    ),
    Sub::now(
        "latest",
        2,
        ADMIN,
        "Return the latest latency samples for all events.",
        "2.8.13",
        &[b"LATEST", b"    Return the latest latency samples for all events."],
        latest,
    ),
    Sub::now(
        "reset",
        -2,
        ADMIN,
        "Reset latency data for one or more events.",
        "2.8.13",
        &[
            b"RESET [<event> ...]",
            b"    Reset latency data of one or more <event> classes.",
            b"    (default: reset all data for all event classes)",
        ],
        reset,
    ),
    Sub {
        summary: "Show helpful text about the different subcommands.",
        ..subcommand::help_row("2.8.13")
    },
];

fn latency(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    subcommand::run(SUBS, "LATENCY", req, ctx)
}

fn latest(_req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let events = ctx.shared.latency.events();
    let mut reply = ctx.reply();
    reply.array(events.len());
    for (name, event) in &events {
        let (at, latest) = event.latest();
        reply.array(4);
        reply.bulk(name.as_bytes());
        reply.integer(i64::try_from(at).unwrap_or(i64::MAX));
        reply.integer(i64::try_from(latest).unwrap_or(i64::MAX));
        reply.integer(i64::try_from(event.max).unwrap_or(i64::MAX));
    }
    Flow::Continue
}

fn history(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let event = ctx.shared.latency.event(req.arg(2).unwrap_or_default()).unwrap_or_default();
    let mut reply = ctx.reply();
    reply.array(event.samples.len());
    for (at, millis) in &event.samples {
        reply.array(2);
        reply.integer(i64::try_from(*at).unwrap_or(i64::MAX));
        reply.integer(i64::try_from(*millis).unwrap_or(i64::MAX));
    }
    Flow::Continue
}

fn reset(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let names: Vec<&[u8]> = req.args().skip(2).collect();
    let reset = ctx.shared.latency.reset(&names);
    ctx.reply().integer(i64::try_from(reset).unwrap_or(i64::MAX));
    Flow::Continue
}

fn doctor(_req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let text = report(ctx);
    ctx.reply().verbatim(*b"txt", text.as_bytes());
    Flow::Continue
}

/// `LATENCY DOCTOR`: Redis's words when the monitor is off or saw nothing,
/// else each event's spikes.
fn report(ctx: &Ctx<'_>) -> String {
    if ctx.shared.live.latency_monitor_threshold() == 0 {
        return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis \
                instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" \
                in order to enable it. If we weren't in a deep space mission I'd suggest to take \
                a look at https://redis.io/topics/latency-monitor.\n"
            .to_owned();
    }
    let events = ctx.shared.latency.events();
    if events.is_empty() {
        return "Dave, no latency spike was observed during the lifetime of this Redis instance, \
                not in the slightest bit. I honestly think you ought to sleep tonight.\n"
            .to_owned();
    }
    let mut text = String::from("Dave, I have observed latency spikes in this Redis instance.\n\n");
    for (i, (name, event)) in events.iter().enumerate() {
        let total: u64 = event.samples.iter().map(|(_, ms)| ms).sum();
        let count = event.samples.len().max(1) as u64;
        let _ = writeln!(
            text,
            "{}. {name}: {} latency spikes (average {}ms, worst {}ms).",
            i + 1,
            event.samples.len(),
            total / count,
            event.max
        );
    }
    text.push_str(
        "\nCommands that take long hold their keys' locks: see SLOWLOG GET for which ones.\n",
    );
    text
}
