//! The administrative commands against a private redis-server: CONFIG's
//! replies and error texts, INFO's sections and field names (the values
//! differ), the shapes of SLOWLOG, LATENCY and MEMORY, ROLE, SHUTDOWN's
//! refusals, saving, and the transaction details Redis defines (a nested
//! MULTI or a WATCH inside MULTI does not fail the transaction, an error at
//! EXEC does not stop the other commands, SAVE and SHUTDOWN are refused
//! inside MULTI), and the one database (SELECT, MOVE, SWAPDB as Redis
//! answers with `databases 1`).

mod common;

use std::collections::BTreeSet;

use common::differential::Pair;
use common::reply::Reply;

#[test]
fn config_get_set_and_their_errors_are_redis_s() {
    let Some(mut p) = Pair::start(&[]) else { return };
    p.same_unordered(&["CONFIG", "GET", "maxclients", "timeout", "slowlog-*"]);
    p.same_unordered(&["CONFIG", "GET", "latency-monitor-threshold", "TIMEOUT", "timeout"]);
    p.same(&["CONFIG", "GET", "no-such-parameter*"]);
    p.same(&["CONFIG", "GET", "save"]);
    p.same(&["CONFIG", "SET", "no-such-parameter", "1"]);
    p.same(&["CONFIG", "SET", "timeout", "5", "no-such-parameter", "1"]);
    p.same(&["CONFIG", "SET", "timeout", "5", "TIMEOUT", "6"]);
    // The first pair that cannot be set names the error.
    p.same(&["CONFIG", "SET", "no-such-parameter", "1", "databases", "2"]);
    p.same(&["CONFIG", "SET", "databases", "2", "no-such-parameter", "1"]);
    p.same(&["CONFIG", "SET", "timeout", "5", "timeout", "6", "no-such-parameter", "1"]);
    p.same(&["CONFIG", "SET", "timeout", "1.5"]);
    p.same(&["CONFIG", "SET", "slowlog-max-len", "-1"]);
    p.same(&["CONFIG", "SET", "slowlog-log-slower-than", "-2"]);
    p.same(&["CONFIG", "SET", "timeout"]);
    p.same(&["CONFIG", "GET"]);
    p.same(&["CONFIG", "NOPE"]);
    p.same(&["CONFIG", "HELP"]);
    // All or none: the refused second pair leaves the first unset.
    p.same(&["CONFIG", "SET", "timeout", "7", "slowlog-max-len", "x"]);
    p.same(&["CONFIG", "GET", "timeout"]);
    p.same(&["CONFIG", "SET", "timeout", "7", "slowlog-max-len", "64"]);
    p.same_unordered(&["CONFIG", "GET", "timeout", "slowlog-max-len"]);
    p.same(&["CONFIG", "SET", "timeout", "0"]);
    p.same(&["CONFIG", "RESETSTAT"]);
    p.same(&["CONFIG", "RESETSTAT", "x"]);
    // Neither was started with a config file.
    p.same(&["CONFIG", "REWRITE"]);
    p.resp3();
    p.same_unordered(&["CONFIG", "GET", "maxclients", "timeout", "slowlog-*"]);
}

/// The section headers of an INFO reply, and each section's field names.
fn sections(reply: &Reply) -> Vec<(String, BTreeSet<String>)> {
    let Reply::Scalar(text) = reply else { panic!("INFO replied {}", reply.render()) };
    let text = text.trim_matches('"').replace("\\r\\n", "\n");
    let mut out: Vec<(String, BTreeSet<String>)> = Vec::new();
    for line in text.lines() {
        if let Some(header) = line.strip_prefix("# ") {
            out.push((header.to_owned(), BTreeSet::new()));
        } else if let Some((field, _)) = line.split_once(':')
            && let Some((_, fields)) = out.last_mut()
        {
            fields.insert(field.to_owned());
        }
    }
    out
}

/// Fields of Jotter's own in Redis's sections: Redis has no such field.
const JOTTER_FIELDS: &[&str] = &[
    "jotter_version",
    "used_memory_dataset_bytes",
    "cache_bytes",
    "pending_bytes",
    "max_pending_bytes",
    "wal_enabled",
    "wal_fsync",
    "store",
    "auth_failures",
    "auth_throttled",
];

#[test]
fn info_has_redis_s_sections_and_field_names() {
    let Some(mut p) = Pair::start(&[]) else { return };
    p.same(&["SET", "k", "v"]);
    let headers = |s: &[(String, BTreeSet<String>)]| -> Vec<String> {
        s.iter().map(|(h, _)| h.clone()).collect()
    };
    for (args, jotter_only, redis_only) in [
        (&["INFO"][..], &["Writebehind"][..], &[][..]),
        (&["INFO", "default"][..], &["Writebehind"][..], &[][..]),
        (&["INFO", "all"][..], &["Writebehind"][..], &["Latencystats"][..]),
        (&["INFO", "everything"][..], &["Writebehind"][..], &["Latencystats"][..]),
        (&["INFO", "server", "CLIENTS", "server"][..], &[][..], &[][..]),
        (&["INFO", "commandstats", "cluster"][..], &[][..], &[][..]),
        (&["INFO", "no-such-section"][..], &[][..], &[][..]),
    ] {
        let (j, r) = p.both_trees(args);
        let (j, r) = (sections(&j), sections(&r));
        let mut want: Vec<String> =
            headers(&r).into_iter().filter(|h| !redis_only.contains(&h.as_str())).collect();
        want.extend(jotter_only.iter().map(|h| (*h).to_owned()));
        assert_eq!(headers(&j), want, "{args:?}");
        for (header, fields) in &j {
            let Some((_, redis_fields)) = r.iter().find(|(h, _)| h == header) else { continue };
            if header == "Commandstats" || header == "Errorstats" {
                continue;
            }
            for field in fields {
                assert!(
                    redis_fields.contains(field) || JOTTER_FIELDS.contains(&field.as_str()),
                    "{header}: Redis has no field {field}"
                );
            }
        }
    }
    // Fields clients read are there.
    let (j, _) = p.both_trees(&["INFO", "everything"]);
    let j = sections(&j);
    let has = |section: &str, field: &str| j.iter().any(|(h, f)| h == section && f.contains(field));
    for (section, field) in [
        ("Server", "redis_version"),
        ("Server", "run_id"),
        ("Server", "tcp_port"),
        ("Clients", "connected_clients"),
        ("Memory", "used_memory"),
        ("Memory", "maxmemory_policy"),
        ("Persistence", "rdb_last_save_time"),
        ("Stats", "total_commands_processed"),
        ("Stats", "total_error_replies"),
        ("Replication", "role"),
        ("Replication", "connected_slaves"),
        ("Replication", "master_repl_offset"),
        ("CPU", "used_cpu_sys"),
        ("Cluster", "cluster_enabled"),
        ("Commandstats", "cmdstat_set"),
    ] {
        assert!(has(section, field), "no {field} in {section}");
    }
}

#[test]
fn errorstats_and_commandstats_count_as_redis_does() {
    let Some(mut p) = Pair::start(&[]) else { return };
    p.same(&["SET", "s", "x"]);
    p.same(&["INCR", "s"]);
    p.same(&["HSET", "s", "f", "v"]);
    p.same(&["GET"]);
    p.same(&["NOSUCHCOMMAND"]);
    p.same(&["GET", "s"]);
    p.same(&["GET", "s"]);
    // Inside EXEC: each command counts, an error in EXEC's reply too.
    for command in [&["MULTI"][..], &["INCR", "s"], &["GET", "s"], &["EXEC"]] {
        p.same(command);
    }
    for command in [&["MULTI"][..], &["NOSUCHCOMMAND"], &["EXEC"]] {
        p.same(command);
    }
    p.same(&["INFO", "errorstats"]);
    let (j, r) = p.both(&["INFO", "commandstats"]);
    for name in ["get", "set", "incr", "hset"] {
        let counts = |text: &str| -> String {
            let line = text
                .split("\\r\\n")
                .find(|l| l.starts_with(&format!("cmdstat_{name}:")))
                .unwrap_or_else(|| panic!("no cmdstat_{name} in {text}"));
            let fields: Vec<&str> =
                line.split([':', ',']).filter(|f| !f.starts_with("usec")).collect();
            fields.join(",")
        };
        assert_eq!(counts(&j), counts(&r), "{name}");
    }
}

#[test]
fn slowlog_latency_memory_role_and_shutdown_answer_in_redis_s_shapes() {
    let Some(mut p) = Pair::start(&[]) else { return };
    p.same(&["SLOWLOG", "RESET"]);
    p.same(&["SLOWLOG", "LEN"]);
    p.same(&["SLOWLOG", "GET"]);
    p.same(&["SLOWLOG", "GET", "-2"]);
    p.same(&["SLOWLOG", "HELP"]);
    p.same(&["SLOWLOG", "NOPE"]);
    p.same(&["SLOWLOG", "GET", "1", "2"]);
    p.same(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
    p.same(&["SET", "slow", "1"]);
    let (j, r) = p.both_trees(&["SLOWLOG", "GET", "1"]);
    let entry = |reply: &Reply| -> (usize, String) {
        let Reply::List { items, .. } = reply else { panic!("{}", reply.render()) };
        let Reply::List { items: entry, .. } = &items[0] else { panic!("{}", reply.render()) };
        (entry.len(), entry[3].render())
    };
    assert_eq!(entry(&j), entry(&r));
    assert_eq!(entry(&j), (6, r#"["SET", "slow", "1"]"#.to_owned()));
    p.same(&["CONFIG", "SET", "slowlog-log-slower-than", "10000"]);
    p.same(&["SLOWLOG", "RESET"]);

    p.same(&["LATENCY", "LATEST"]);
    p.same(&["LATENCY", "HISTORY", "command"]);
    p.same(&["LATENCY", "RESET"]);
    p.same(&["LATENCY", "DOCTOR"]);
    p.same(&["LATENCY", "NOPE"]);

    p.same(&["MEMORY", "USAGE", "no-such-key"]);
    p.same(&["MEMORY", "USAGE"]);
    p.same(&["MEMORY", "HELP"]);
    p.same(&["MEMORY", "NOPE"]);
    let (j, r) = p.both(&["MEMORY", "USAGE", "slow"]);
    assert!(j.starts_with(':') && r.starts_with(':'), "{j} {r}");

    p.same(&["ROLE"]);
    p.same(&["SHUTDOWN", "ABORT"]);
    p.same(&["SHUTDOWN", "NOPE"]);
    p.same(&["SHUTDOWN", "SAVE", "NOSAVE"]);
    p.same(&["SHUTDOWN", "ABORT", "NOW"]);
    p.same(&["SAVE"]);
    p.same(&["BGSAVE", "NOPE"]);
    let (j, r) = p.both(&["LASTSAVE"]);
    assert!(j.starts_with(':') && r.starts_with(':'), "{j} {r}");
    p.resp3();
    p.same(&["ROLE"]);
}

#[test]
fn transactions_keep_going_where_redis_does() {
    let Some(mut p) = Pair::start(&[]) else { return };
    for script in [
        &[&["MULTI"][..], &["MULTI"], &["SET", "k", "1"], &["EXEC"]][..],
        &[&["MULTI"], &["WATCH", "k"], &["SET", "k", "2"], &["EXEC"]],
        &[&["MULTI"], &["SET", "k", "x"], &["INCR", "k"], &["SET", "k2", "1"], &["EXEC"]],
        &[&["MULTI"], &["SAVE"], &["SET", "k", "3"], &["EXEC"]],
        &[&["MULTI"], &["SHUTDOWN", "ABORT"], &["EXEC"]],
        &[&["MULTI"], &["BGSAVE"], &["SET", "k", "4"], &["EXEC"]],
        &[
            &["MULTI"],
            &["CONFIG", "SET", "timeout", "0"],
            &["CONFIG", "GET", "timeout"],
            &["ROLE"],
            &["EXEC"],
        ],
        &[&["MULTI"], &["GET", "k"], &["HSET", "k", "f", "v"], &["GET", "k"], &["EXEC"]],
    ] {
        for command in script {
            p.same(command);
        }
    }
    p.same(&["GET", "k"]);
    p.same(&["GET", "k2"]);
}

#[test]
fn one_database_answers_as_redis_with_databases_1() {
    let Some(mut p) = Pair::start_with_redis(&[], &["--databases", "1"]) else { return };
    p.same(&["SET", "k", "v"]);
    for command in [
        &["SELECT", "0"][..],
        &["SELECT", "1"],
        &["SELECT", "x"],
        &["MOVE", "k", "0"],
        &["MOVE", "k", "1"],
        &["MOVE", "k", "x"],
        &["MOVE", "k", "99999999999"],
        &["SWAPDB", "0", "0"],
        &["SWAPDB", "0", "1"],
        &["SWAPDB", "x", "0"],
        &["SWAPDB", "0", "x"],
        &["CONFIG", "GET", "databases"],
        &["GET", "k"],
    ] {
        p.same(command);
    }
}

#[test]
fn the_admin_commands_have_redis_s_acl_categories() {
    let Some(mut p) = Pair::start(&[]) else { return };
    for name in [
        "config", "info", "slowlog", "latency", "memory", "save", "bgsave", "lastsave", "shutdown",
        "role", "swapdb", "move",
    ] {
        let (j, r) = p.both_trees(&["COMMAND", "INFO", name]);
        let categories = |reply: &Reply| -> String {
            let Reply::List { items, .. } = reply else { panic!("{}", reply.render()) };
            let Reply::List { items: info, .. } = &items[0] else { panic!("{}", reply.render()) };
            info[6].clone().sorted().render()
        };
        assert_eq!(categories(&j), categories(&r), "{name}");
    }
}
