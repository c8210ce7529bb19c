//! `COMMAND`, `COMMAND INFO`: one entry per command in Redis 7.0's ten
//! fields (name, arity, flags, first key, last key, step, ACL categories,
//! tips, key specs, subcommands as `container|sub` entries).

use jotter_resp::ReplyWriter;

use super::annotations::{self, EXTRA_FLAGS, TIPS};
use super::key_specs::{self, key_specs};
use crate::command::categories::{CATEGORIES, SUBCOMMANDS, categories, subcommands_of};
use crate::command::spec::{Spec, Sub, flag};

/// One command's entry.
pub(super) fn write(reply: &mut ReplyWriter<'_>, spec: &Spec) {
    let specs = key_specs(spec);
    let mut flags = names(spec.flags);
    flags.extend_from_slice(annotations::of(EXTRA_FLAGS, spec.name));
    if key_specs::movable(&specs) {
        flags.push("movablekeys");
    }
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

/// A subcommand's entry: keyless, its categories from `categories.rs`.
fn write_sub(reply: &mut ReplyWriter<'_>, container: &Spec, sub: &Sub) {
    let full = format!("{}|{}", container.name, sub.name);
    reply.array(10);
    reply.bulk(full.as_bytes());
    reply.integer(sub.arity.into());
    strings(reply, &names(sub.flags));
    reply.integer(0);
    reply.integer(0);
    reply.integer(0);
    let row = SUBCOMMANDS[subcommands_of(container.name)].iter().find(|(_, s, _)| *s == sub.name);
    strings(reply, &in_redis_order(row.map_or(Vec::new(), |(_, _, c)| c.to_vec())));
    tips(reply, annotations::of(TIPS, &full));
    reply.set(0);
    reply.set(0);
}

/// The names of flag bits, in Redis's order.
fn names(bits: u16) -> Vec<&'static str> {
    flag::NAMES.iter().filter(|(bit, _)| bits & bit != 0).map(|(_, name)| *name).collect()
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
