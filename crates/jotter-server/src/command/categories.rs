//! Redis's ACL categories of every command and subcommand: what
//! `COMMAND INFO` reports and what the command permissions of users
//! (`permissions.rs`) match `+@category` against — one source, so the two
//! cannot disagree. They follow Redis 7.0's for the commands Redis has.
//!
//! A command's categories are derived from its flags and group, with the
//! few exceptions Redis makes listed by name. Subcommands (`client|kill`,
//! `config|set`, `jotter.deadletters|purge`) have their own categories, in
//! [`SUBCOMMANDS`], as Redis gives each subcommand its own: a rule can then
//! refuse `CLIENT KILL` and allow `CLIENT SETNAME`.

use super::spec::{Spec, flag};

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

/// The subcommands that have categories of their own: (command,
/// subcommand, categories), grouped by command. A command listed here is
/// what Redis calls a container: `+cmd` and `-cmd` change it with all its
/// subcommands, `+cmd|sub` and `-cmd|sub` one subcommand. A subcommand
/// not listed runs under its command's permission. Rows of a command the
/// table does not have are unused.
pub(crate) const SUBCOMMANDS: &[(&str, &str, &[&str])] = &[
    ("acl", "cat", &["@slow"]),
    ("acl", "deluser", ADMIN),
    ("acl", "dryrun", ADMIN),
    ("acl", "genpass", &["@slow"]),
    ("acl", "getuser", ADMIN),
    ("acl", "help", &["@slow"]),
    ("acl", "list", ADMIN),
    ("acl", "load", ADMIN),
    ("acl", "log", ADMIN),
    ("acl", "save", ADMIN),
    ("acl", "setuser", ADMIN),
    ("acl", "users", ADMIN),
    ("acl", "whoami", &["@slow"]),
    ("client", "caching", CONNECTION),
    ("client", "getname", CONNECTION),
    ("client", "getredir", CONNECTION),
    ("client", "help", CONNECTION),
    ("client", "id", CONNECTION),
    ("client", "info", CONNECTION),
    ("client", "kill", ADMIN_CONNECTION),
    ("client", "list", ADMIN_CONNECTION),
    ("client", "no-evict", ADMIN_CONNECTION),
    ("client", "pause", ADMIN_CONNECTION),
    ("client", "reply", CONNECTION),
    ("client", "setname", CONNECTION),
    ("client", "tracking", CONNECTION),
    ("client", "trackinginfo", CONNECTION),
    ("client", "unblock", ADMIN_CONNECTION),
    ("client", "unpause", ADMIN_CONNECTION),
    ("command", "count", CONNECTION),
    ("command", "docs", CONNECTION),
    ("command", "getkeys", CONNECTION),
    ("command", "getkeysandflags", CONNECTION),
    ("command", "help", CONNECTION),
    ("command", "info", CONNECTION),
    ("command", "list", CONNECTION),
    ("config", "get", ADMIN),
    ("config", "help", &["@slow"]),
    ("config", "resetstat", ADMIN),
    ("config", "rewrite", ADMIN),
    ("config", "set", ADMIN),
    ("jotter.deadletters", "count", &["@read", "@slow"]),
    ("jotter.deadletters", "help", &["@slow"]),
    ("jotter.deadletters", "list", &["@read", "@slow"]),
    ("jotter.deadletters", "purge", &["@write", "@admin", "@slow", "@dangerous"]),
    ("jotter.deadletters", "replay", &["@write", "@slow"]),
    ("latency", "doctor", ADMIN),
    ("latency", "help", &["@slow"]),
    ("latency", "history", ADMIN),
    ("latency", "latest", ADMIN),
    ("latency", "reset", ADMIN),
    ("memory", "doctor", &["@slow"]),
    ("memory", "help", &["@slow"]),
    ("memory", "malloc-stats", &["@slow"]),
    ("memory", "purge", &["@slow"]),
    ("memory", "stats", &["@slow"]),
    ("memory", "usage", &["@read", "@slow"]),
    ("xgroup", "create", STREAM_WRITE),
    ("xgroup", "createconsumer", STREAM_WRITE),
    ("xgroup", "delconsumer", STREAM_WRITE),
    ("xgroup", "destroy", STREAM_WRITE),
    ("xgroup", "help", &["@stream", "@slow"]),
    ("xgroup", "setid", STREAM_WRITE),
    ("xinfo", "consumers", STREAM_READ),
    ("xinfo", "groups", STREAM_READ),
    ("xinfo", "help", &["@stream", "@slow"]),
    ("xinfo", "stream", STREAM_READ),
    ("object", "encoding", KEYSPACE_READ),
    ("object", "freq", KEYSPACE_READ),
    ("object", "help", &["@keyspace", "@slow"]),
    ("object", "idletime", KEYSPACE_READ),
    ("object", "refcount", KEYSPACE_READ),
    ("pubsub", "channels", PUBSUB_SLOW),
    ("pubsub", "help", &["@slow"]),
    ("pubsub", "numpat", PUBSUB_SLOW),
    ("pubsub", "numsub", PUBSUB_SLOW),
    ("pubsub", "shardchannels", PUBSUB_SLOW),
    ("pubsub", "shardnumsub", PUBSUB_SLOW),
    ("slowlog", "get", ADMIN),
    ("slowlog", "help", &["@slow"]),
    ("slowlog", "len", ADMIN),
    ("slowlog", "reset", ADMIN),
    ("script", "exists", SCRIPTING),
    ("script", "flush", SCRIPTING),
    ("script", "help", SCRIPTING),
    ("script", "kill", SCRIPTING),
    ("script", "load", SCRIPTING),
    ("function", "delete", SCRIPTING_WRITE),
    ("function", "dump", SCRIPTING),
    ("function", "flush", SCRIPTING_WRITE),
    ("function", "help", SCRIPTING),
    ("function", "kill", SCRIPTING),
    ("function", "list", SCRIPTING),
    ("function", "load", SCRIPTING_WRITE),
    ("function", "restore", SCRIPTING_WRITE),
    ("function", "stats", SCRIPTING),
];

const SCRIPTING: &[&str] = &["@slow", "@scripting"];
const SCRIPTING_WRITE: &[&str] = &["@write", "@slow", "@scripting"];

const KEYSPACE_READ: &[&str] = &["@keyspace", "@read", "@slow"];
const PUBSUB_SLOW: &[&str] = &["@pubsub", "@slow"];
const STREAM_READ: &[&str] = &["@read", "@stream", "@slow"];
const STREAM_WRITE: &[&str] = &["@write", "@stream", "@slow"];

const CONNECTION: &[&str] = &["@slow", "@connection"];
const ADMIN_CONNECTION: &[&str] = &["@admin", "@slow", "@dangerous", "@connection"];
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

/// The rows of [`SUBCOMMANDS`] that belong to `command` (an empty range
/// when it has none).
pub(crate) fn subcommands_of(command: &str) -> std::ops::Range<usize> {
    let start = SUBCOMMANDS.iter().position(|(c, _, _)| *c == command).unwrap_or(0);
    let len = SUBCOMMANDS[start..].iter().take_while(|(c, _, _)| *c == command).count();
    start..start + len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subcommands_are_grouped_by_command_and_name_known_categories() {
        for (i, (command, sub, categories)) in SUBCOMMANDS.iter().enumerate() {
            let rows = subcommands_of(command);
            assert!(rows.contains(&i), "{command}|{sub} is not next to its command's rows");
            assert_eq!(*sub, sub.to_ascii_lowercase());
            for c in *categories {
                assert!(CATEGORIES.contains(&&c[1..]), "{command}|{sub}: {c}");
            }
        }
        assert!(subcommands_of("get").is_empty());
    }
}
