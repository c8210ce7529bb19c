//! `LATENCY LATEST`, `HISTORY event`, `RESET [event ...]`, `DOCTOR` and
//! `HELP` over the latency monitor (`latency.rs`), in Redis's shapes. The
//! events are `command` and `fast-command` (commands flagged fast): Jotter
//! samples a command's whole run, as Redis does for those two events.
//! `GRAPH` and `HISTOGRAM` are not provided.

use std::fmt::Write as _;

use jotter_resp::Request;

use super::spec::{Ctx, Flow, Spec, flag, now};

pub(super) const SPECS: &[Spec] = &[Spec::new(
    "latency",
    -2,
    flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE,
    "server",
    "A container for latency diagnostics commands.",
    "2.8.13",
    now(latency),
)];

/// LATENCY's subcommands that Jotter provides and their arities, as
/// Redis 7.0 gives them.
const SUBCOMMANDS: &[(&str, i16)] =
    &[("latest", 2), ("history", 3), ("reset", -2), ("doctor", 2), ("help", 2)];

fn latency(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let monitor = &ctx.shared.latency;
    match ctx.subcommand(req, "latency", SUBCOMMANDS) {
        Some("latest") => {
            let events = monitor.events();
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
        }
        Some("history") => {
            let event = monitor.event(req.arg(2).unwrap_or_default()).unwrap_or_default();
            let mut reply = ctx.reply();
            reply.array(event.samples.len());
            for (at, millis) in &event.samples {
                reply.array(2);
                reply.integer(i64::try_from(*at).unwrap_or(i64::MAX));
                reply.integer(i64::try_from(*millis).unwrap_or(i64::MAX));
            }
        }
        Some("reset") => {
            let names: Vec<&[u8]> = req.args().skip(2).collect();
            let reset = monitor.reset(&names);
            ctx.reply().integer(i64::try_from(reset).unwrap_or(i64::MAX));
        }
        Some("doctor") => {
            let text = doctor(ctx);
            ctx.reply().verbatim(*b"txt", text.as_bytes());
        }
        Some(_) => ctx.help(HELP),
        None => {}
    }
    Flow::Continue
}

/// `LATENCY DOCTOR`: Redis's words when the monitor is off or saw nothing,
/// else each event's spikes.
fn doctor(ctx: &Ctx<'_>) -> String {
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

/// `LATENCY HELP`, Redis's lines for what Jotter provides.
const HELP: &[&[u8]] = &[
    b"LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    b"DOCTOR",
    b"    Return a human readable latency analysis report.",
    b"HISTORY <event>",
    b"    Return time-latency samples for the <event> class.",
    b"LATEST",
    b"    Return the latest latency samples for all events.",
    b"RESET [<event> ...]",
    b"    Reset latency data of one or more <event> classes.",
    b"    (default: reset all data for all event classes)",
    b"HELP",
    b"    Prints this help.",
];
