//! `COMMAND`, `COMMAND INFO`: one entry per command in Redis 7.0's ten
//! fields (name, arity, flags, first key, last key, step, ACL categories,
//! tips, key specs, subcommands as `container|sub` entries).

use jotter_resp::ReplyWriter;

use super::annotations::{self, EXTRA_FLAGS, TIPS};
use super::key_specs::{self, key_specs};
use crate::command::categories::{CATEGORIES, categories, sub_categories};
use crate::command::spec::{Spec, Sub, flag};

/// One command's entry.
pub(super) fn write(reply: &mut ReplyWriter<'_>, spec: &Spec) {
    let specs = key_specs(spec);
    let mut flags = names(spec.flags);
    flags.extend_from_slice(annotations::of(EXTRA_FLAGS, spec.name));
    if key_specs::movable(&specs) {
        flags.push("movablekeys");
    }
    in_flag_order(&mut flags);
    reply.array(10);
    reply.bulk(spec.name.as_bytes());
    reply.integer(spec.arity.into());
    strings(reply, &flags);
    reply.integer(spec.first_key.into());
    reply.integer(spec.last_key.into());
    reply.integer(spec.step.into());
    strings(reply, &in_redis_order(categories(spec)));
    tips(reply, annotations::of(TIPS, spec.name));
    key_specs::write(reply, &specs);
    // Redis replies an empty set where there are none, else an array.
    if spec.subs.is_empty() {
        reply.set(0);
    } else {
        reply.array(spec.subs.len());
    }
    for sub in spec.subs {
        write_sub(reply, spec, sub);
    }
}

/// A subcommand's entry.
fn write_sub(reply: &mut ReplyWriter<'_>, container: &Spec, sub: &Sub) {
    let full = format!("{}|{}", container.name, sub.name);
    reply.array(10);
    reply.bulk(full.as_bytes());
    reply.integer(sub.arity.into());
    let mut flags = names(sub.flags);
    flags.extend_from_slice(annotations::of(EXTRA_FLAGS, &full));
    in_flag_order(&mut flags);
    strings(reply, &flags);
    reply.integer(sub.key.into());
    reply.integer(sub.key.into());
    reply.integer(i64::from(sub.key > 0));
    strings(reply, &in_redis_order(sub_categories(container, sub)));
    tips(reply, annotations::of(TIPS, &full));
    key_specs::write(reply, &key_specs::sub_key_specs(&full, sub.key));
    reply.set(0);
}

/// The names of flag bits, in Redis's order.
fn names(bits: u16) -> Vec<&'static str> {
    flag::NAMES.iter().filter(|(bit, _)| bits & bit != 0).map(|(_, name)| *name).collect()
}

/// Every flag name in the order Redis 7.0 lists flags.
const FLAG_ORDER: &[&str] = &[
    "write",
    "readonly",
    "denyoom",
    "module",
    "admin",
    "pubsub",
    "noscript",
    "blocking",
    "loading",
    "stale",
    "skip_monitor",
    "skip_slowlog",
    "asking",
    "fast",
    "no_auth",
    "may_replicate",
    "no_mandatory_keys",
    "no_async_loading",
    "no_multi",
    "movablekeys",
    "allow_busy",
];

/// Flags (ours and the annotations') in Redis's order.
fn in_flag_order(flags: &mut [&str]) {
    flags.sort_by_key(|f| FLAG_ORDER.iter().position(|k| k == f));
}

/// Categories in the order Redis lists them (its categories' own order).
fn in_redis_order(mut categories: Vec<&'static str>) -> Vec<&'static str> {
    let rank = |c: &&str| CATEGORIES.iter().position(|k| c.strip_prefix('@') == Some(*k));
    categories.sort_by_key(rank);
    categories
}

/// Tips: a set of bulk strings, as Redis replies them.
fn tips(reply: &mut ReplyWriter<'_>, tips: &[&str]) {
    reply.set(tips.len());
    tips.iter().for_each(|t| reply.bulk(t.as_bytes()));
}

/// A set of simple strings, as Redis replies flags, categories and tips.
fn strings(reply: &mut ReplyWriter<'_>, items: &[&str]) {
    reply.set(items.len());
    items.iter().for_each(|s| reply.simple(s.as_bytes()));
}
