//! INFO's counting sections: `commandstats` (per command: calls, time,
//! refused and failed calls), `errorstats` (per error prefix) and Jotter's
//! `writebehind` (the engine's counters, as `JOTTER.STATUS` gives them).
//!
//! A command's stats are those of its whole name (`config`, not Redis's
//! `config|get`): Jotter counts per command-table row.

use super::super::spec::Ctx;
use super::super::writebehind::{Stat, stat_fields};
use super::text::line;

/// Writes the section `name`, if it is one of these.
pub(super) fn write(out: &mut String, name: &str, ctx: &Ctx<'_>) {
    let shared = ctx.shared;
    match name {
        "commandstats" => {
            line!(out, "# Commandstats");
            for (index, spec) in ctx.commands.specs().iter().enumerate() {
                let c = shared.command_stats.get(index);
                if c.calls == 0 && c.rejected == 0 && c.failed == 0 {
                    continue;
                }
                let per_call = if c.calls == 0 { 0.0 } else { c.usec as f64 / c.calls as f64 };
                line!(
                    out,
                    "cmdstat_{}:calls={},usec={},usec_per_call={per_call:.2},rejected_calls={},failed_calls={}",
                    spec.name,
                    c.calls,
                    c.usec,
                    c.rejected,
                    c.failed
                );
            }
        }
        "errorstats" => {
            line!(out, "# Errorstats");
            for (prefix, count) in shared.command_stats.errors() {
                line!(out, "errorstat_{prefix}:count={count}");
            }
        }
        "writebehind" => {
            line!(out, "# Writebehind");
            for (name, value) in stat_fields(&shared.cache.stats()) {
                match value {
                    Stat::Int(n) => line!(out, "{name}:{n}"),
                    Stat::Float(x) => line!(out, "{name}:{x:.2}"),
                }
            }
        }
        _ => {}
    }
}
