//! Redis's ACL categories of every command and subcommand: what
//! `COMMAND INFO` reports and what the command permissions of users
//! (`permissions.rs`) match `+@category` against — one source, so the two
//! cannot disagree. They follow Redis 7.0's for the commands Redis has.
//!
//! A command's categories are derived from its flags and group, with the
//! few exceptions Redis makes listed by name. A subcommand's
//! (`client|kill`, `config|set`, `jotter.deadletters|purge`) are derived
//! from its own row's flags and its container's family
//! ([`sub_categories`]), as Redis gives each subcommand its own: a rule can
//! then refuse `CLIENT KILL` and allow `CLIENT SETNAME`. A command with
//! subcommand rows is what Redis calls a container: `+cmd` and `-cmd`
//! change it with all its subcommands, `+cmd|sub` and `-cmd|sub` one
//! subcommand.

use super::spec::{Spec, Sub, flag};

/// Redis 7.0's category names, without the `@`; a rule may name any of
/// them, whether or not a command of ours is in it.
pub(crate) const CATEGORIES: &[&str] = &[
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

const ADMIN: &[&str] = &["@admin", "@slow", "@dangerous"];

/// Commands whose Redis 7.0 categories the derivation below does not give.
const EXCEPTIONS: &[(&str, &[&str])] = &[
    ("acl", &["@slow"]),
    ("object", &["@slow"]),
    ("xgroup", &["@slow"]),
    ("xinfo", &["@slow"]),
    ("client", &["@slow"]),
    ("config", &["@slow"]),
    ("slowlog", &["@slow"]),
    ("latency", &["@slow"]),
    ("memory", &["@slow"]),
    ("pubsub", &["@slow"]),
    ("script", &["@slow"]),
    ("function", &["@slow"]),
    ("shutdown", ADMIN),
    ("save", ADMIN),
    ("bgsave", ADMIN),
    ("lastsave", &["@admin", "@fast", "@dangerous"]),
    ("role", &["@admin", "@fast", "@dangerous"]),
    ("swapdb", &["@keyspace", "@write", "@fast", "@dangerous"]),
    ("command", &["@connection", "@slow"]),
    ("info", &["@slow", "@dangerous"]),
    ("time", &["@fast"]),
    ("flushall", &["@keyspace", "@write", "@slow", "@dangerous"]),
    ("flushdb", &["@keyspace", "@write", "@slow", "@dangerous"]),
    ("keys", &["@keyspace", "@read", "@slow", "@dangerous"]),
    ("restore", &["@keyspace", "@write", "@slow", "@dangerous"]),
    ("sort", &["@write", "@set", "@sortedset", "@list", "@slow", "@dangerous"]),
    ("sort_ro", &["@read", "@set", "@sortedset", "@list", "@slow", "@dangerous"]),
];

/// A command's categories, each with its `@`.
pub(crate) fn categories(spec: &Spec) -> Vec<&'static str> {
    if let Some((_, exact)) = EXCEPTIONS.iter().find(|(name, _)| *name == spec.name) {
        return exact.to_vec();
    }
    let mut categories = Vec::with_capacity(4);
    if spec.has(flag::WRITE) {
        categories.push("@write");
    }
    // Redis gives a read-only script (EVAL_RO, FCALL_RO) no @read: what
    // it reads is up to the script.
    if spec.has(flag::READONLY) && spec.group != "scripting" {
        categories.push("@read");
    }
    categories.push(match (spec.group, spec.name) {
        ("string", _) => "@string",
        ("keyspace" | "generic", _) | (_, "dbsize") => "@keyspace",
        ("hash", _) => "@hash",
        ("sorted-set", _) => "@sortedset",
        ("set", _) => "@set",
        ("list", _) => "@list",
        ("bitmap", _) => "@bitmap",
        ("hyperloglog", _) => "@hyperloglog",
        ("geo", _) => "@geo",
        ("stream", _) => "@stream",
        ("transactions", _) => "@transaction",
        ("connection", _) => "@connection",
        ("scripting", _) => "@scripting",
        ("pubsub", _) => "@pubsub",
        _ => "@admin",
    });
    if spec.has(flag::BLOCKING) {
        categories.push("@blocking");
    }
    categories.push(if spec.has(flag::FAST) { "@fast" } else { "@slow" });
    categories
}

/// A subcommand's categories, each with its `@`, from its flags and its
/// container's family, as Redis 7.0 gives them: `@admin @dangerous` for an
/// admin one, `@write`/`@read`, its family's (`@connection` for CLIENT and
/// COMMAND, `@scripting`, `@stream`, `@keyspace`; none for the server's
/// other containers), `@pubsub` for one flagged pubsub, and `@fast` or
/// `@slow`.
pub(crate) fn sub_categories(container: &Spec, sub: &Sub) -> Vec<&'static str> {
    let has = |bit: u16| sub.flags & bit != 0;
    let mut categories = Vec::with_capacity(5);
    if has(flag::WRITE) {
        categories.push("@write");
    }
    if has(flag::READONLY) {
        categories.push("@read");
    }
    if has(flag::ADMIN) {
        categories.push("@admin");
    }
    let family = match (container.group, container.name) {
        ("connection", _) | (_, "command") => Some("@connection"),
        ("scripting", _) => Some("@scripting"),
        ("stream", _) => Some("@stream"),
        ("generic" | "keyspace", _) => Some("@keyspace"),
        _ => None,
    };
    categories.extend(family);
    if has(flag::PUBSUB) {
        categories.push("@pubsub");
    }
    categories.push(if has(flag::FAST) { "@fast" } else { "@slow" });
    if has(flag::ADMIN) {
        categories.push("@dangerous");
    }
    categories
}
