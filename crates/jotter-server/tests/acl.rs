//! The ACL command family and what it enforces, compared reply for reply
//! with a private redis-server 7.0 wherever Redis defines the reply:
//! SETUSER's rules and refusals, GETUSER's and LIST's shapes, DELUSER,
//! USERS, WHOAMI, CAT, DRYRUN, GENPASS, LOG; key patterns and their
//! NOPERM texts; a change reaching connections already logged in. Then
//! what is Jotter's own: the ACL file (SAVE, LOAD, a restart) and
//! `[[user]]` rules in the settings.

mod common;

use common::differential::{Command, Pair};
use common::reply::{Reply, read_tree};
use common::{Raw, Server, resp};

/// Sends `args` on one connection and renders the reply.
fn ask(c: &mut Raw, args: &[&str]) -> String {
    c.send(&resp(args));
    read_tree(c).render()
}

/// Both connections of the pair, logged in as `user`.
fn login_both(p: &mut Pair, user: &str, password: &str) {
    assert_eq!(p.same(&["AUTH", user, password]), "+OK");
}

#[test]
fn setuser_getuser_list_and_their_refusals_match_redis() {
    let Some(mut p) = Pair::start(&[]) else { return };
    for protocol in [2, 3] {
        if protocol == 3 {
            p.resp3();
        }
        for rules in [
            &["on", ">pw", "~app:*", "%R~r:*", "%W~w:*", "&ch:*", "+@all"][..],
            &["on", "nopass", "allkeys", "allchannels", "-@all", "+get"],
            &["off", "#5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"],
            &[">a", ">b", "<a", "+@all", "-flushall", "~x", "%RW~y", "%R~x"],
            &["reset"],
            &["nopass", "resetpass", "resetkeys", "resetchannels", "nocommands"],
        ] {
            let mut args = vec!["ACL", "SETUSER", "u"];
            args.extend_from_slice(rules);
            p.same(&args);
            p.same(&["ACL", "GETUSER", "u"]);
            p.same(&["ACL", "LIST"]);
        }
        for bad in [
            &["bogus"][..],
            &["+nosuch"],
            &["+@nosuch"],
            &["#abc"],
            &["<nope"],
            &["allkeys", "~a"],
            &["allchannels", "&a"],
            &["%X~a"],
            &["-client|nosuch"],
            &["on", "+get", "bogus"],
        ] {
            let mut args = vec!["ACL", "SETUSER", "v"];
            args.extend_from_slice(bad);
            p.same(&args);
        }
        // A refused rule leaves the user as it was, or uncreated.
        p.same(&["ACL", "GETUSER", "v"]);
        p.same(&["ACL", "SETUSER", "a b"]);
        p.same(&["ACL", "USERS"]);
        p.same(&["ACL", "DELUSER", "default"]);
        p.same(&["ACL", "DELUSER", "u", "nope"]);
        p.same(&["ACL", "GETUSER", "u"]);
        p.same(&["ACL", "USERS"]);
        p.same(&["ACL", "WHOAMI"]);
        p.same(&["ACL", "WHOAMI", "extra"]);
        p.same(&["ACL", "cat", "a", "b"]);
        p.same(&["ACL", "LOG", "RESET", "x"]);
        p.same(&["ACL", "GENPASS", "1", "2"]);
        p.same(&["ACL", "SETUSER", "nr", "%R", "~", "&"]);
        p.same(&["ACL", "GETUSER", "nr"]);
        p.same(&["ACL", "HELP"]);
        p.same(&["ACL", "NOSUCH"]);
        p.same(&["ACL"]);
    }
}

#[test]
fn cat_dryrun_and_genpass_match_redis() {
    let Some(mut p) = Pair::start(&[]) else { return };
    p.same(&["ACL", "CAT"]);
    p.same(&["ACL", "CAT", "nosuch"]);
    // Jotter has fewer commands than Redis: each it lists is in Redis's
    // list for the category.
    let (Reply::List { items: every, .. }, _) = p.both_trees(&["ACL", "CAT"]) else { panic!() };
    for category in every.iter().map(|c| c.render().trim_matches('"').to_owned()) {
        let category = category.as_str();
        let (j, r) = p.both_trees(&["ACL", "CAT", category]);
        let (Reply::List { items: j, .. }, Reply::List { items: r, .. }) = (j, r) else {
            panic!("ACL CAT {category}: not arrays")
        };
        let redis: Vec<String> = r.iter().map(Reply::render).collect();
        // Only the families Jotter may not serve can be empty.
        assert!(!j.is_empty() || ["pubsub", "scripting"].contains(&category), "{category}");
        for name in j.iter().map(Reply::render) {
            assert!(
                // CLIENT SETINFO is Redis 7.2's, which clients send on connect.
                name.starts_with("\"jotter.")
                    || name == "\"client|setinfo\""
                    || redis.contains(&name),
                "ACL CAT {category}: {name} is not in Redis's {redis:?}"
            );
        }
    }
    p.same(&["ACL", "SETUSER", "u", "on", "nopass", "~app:*", "%R~r:*", "+@all", "-@dangerous"]);
    for args in [
        &["get", "app:1"][..],
        &["get", "x"],
        &["set", "r:1", "v"],
        &["get", "r:1"],
        &["mset", "app:1", "v", "b", "v"],
        &["flushall"],
        &["client", "kill", "id", "1"],
        &["get"],
        &["nosuch"],
        // A container's subcommand writes or reads its key by its own flags.
        &["xgroup", "create", "r:1", "g", "$"],
        &["xinfo", "stream", "r:1"],
        &["object", "encoding", "r:1"],
        &["object", "encoding", "x"],
    ] {
        let mut dryrun = vec!["ACL", "DRYRUN", "u"];
        dryrun.extend_from_slice(args);
        p.same(&dryrun);
    }
    p.same(&["ACL", "DRYRUN", "nope", "get", "x"]);
    // A write's sources need only read access, its destination write.
    for rules in [&["%R~s*", "%W~d*"][..], &["%W~s*", "%R~d*"]] {
        let mut setuser = vec!["ACL", "SETUSER", "st", "reset", "on", "+@all"];
        setuser.extend_from_slice(rules);
        p.same(&setuser);
        for args in [
            &["zunionstore", "d", "2", "s1", "s2"][..],
            &["zrangestore", "d", "s", "0", "1"],
            &["sunionstore", "d", "s1", "s2"],
            &["bitop", "and", "d", "s1", "s2"],
            &["geosearchstore", "d", "s", "frommember", "m", "byradius", "1", "km"],
            &["copy", "s", "d"],
            &["georadius", "s", "0", "0", "1", "km", "store", "d"],
            &["sort", "s", "store", "d"],
            &["set", "d", "v"],
            &["get", "s"],
        ] {
            let mut dryrun = vec!["ACL", "DRYRUN", "st"];
            dryrun.extend_from_slice(args);
            p.same(&dryrun);
        }
    }
    for bits in ["0", "-1", "abc", "4097"] {
        p.same(&["ACL", "GENPASS", bits]);
    }
    for (bits, len) in [(None, 64), (Some("5"), 2), (Some("4096"), 1024)] {
        let mut args = vec!["ACL", "GENPASS"];
        args.extend(bits);
        let (j, r) = p.both(&args);
        assert_eq!(j.len(), r.len(), "{j} {r}");
        assert_eq!(j.len(), len + 2, "{j}");
        assert!(j.trim_matches('"').bytes().all(|b| b.is_ascii_hexdigit()), "{j}");
        assert_ne!(j, p.both(&args).0, "two passwords are the same");
    }
}

#[test]
fn key_patterns_are_enforced_with_redis_s_refusals() {
    let Some(mut p) = Pair::start(&[]) else { return };
    p.same(&["ACL", "SETUSER", "k", "on", ">pw", "~a:*", "%R~r:*", "%W~w:*", "+@all"]);
    login_both(&mut p, "k", "pw");
    for args in [
        &["SET", "a:1", "v"][..],
        &["GET", "a:1"],
        &["GET", "b"],
        &["SET", "r:1", "v"],
        &["GET", "r:1"],
        &["LPUSH", "w:1", "x"],
        &["GET", "w:1"],
        &["MSET", "a:2", "v", "b", "v"],
        &["MGET", "a:1", "r:1"],
        &["DEL", "a:1", "a:2"],
        &["MULTI"],
        &["GET", "b"],
        &["EXEC"],
        &["ACL", "WHOAMI"],
    ] {
        p.same(args);
    }
    // ACL LOG: the same refusals, newest first (their age and the client's
    // line differ between servers).
    let (j, r) = p.both_trees(&["ACL", "LOG"]);
    assert_eq!(log_fields(&j), log_fields(&r));
    assert_eq!(log_fields(&j).len(), 4, "{}", j.render());
    p.same(&["ACL", "LOG", "RESET"]);
    p.same(&["ACL", "LOG"]);
    p.same(&["ACL", "LOG", "-1"]);
    p.same(&["ACL", "LOG", "0"]);

    // Another connection changes the user: the logged-in ones follow at
    // their next command.
    let (mut jo, mut ro) = p.connect_both();
    assert_eq!(ask(&mut jo, &["ACL", "SETUSER", "k", "-get", "~b"]), "+OK");
    assert_eq!(ask(&mut ro, &["ACL", "SETUSER", "k", "-get", "~b"]), "+OK");
    p.same(&["GET", "b"]);
    p.same(&["SET", "b", "v"]);
    // `off` keeps them (Redis 7.0 closes no connection for it) ...
    assert_eq!(ask(&mut jo, &["ACL", "SETUSER", "k", "off"]), "+OK");
    assert_eq!(ask(&mut ro, &["ACL", "SETUSER", "k", "off"]), "+OK");
    p.same(&["SET", "b", "w"]);
    p.same(&["AUTH", "k", "pw"]);
    // ... DELUSER closes them.
    assert_eq!(ask(&mut jo, &["ACL", "DELUSER", "k"]), ":1");
    assert_eq!(ask(&mut ro, &["ACL", "DELUSER", "k"]), ":1");
    assert!(p.j.read_to_close().is_empty());
    assert!(p.r.read_to_close().is_empty());
}

/// The fields of ACL LOG's entries both servers agree on.
fn log_fields(reply: &Reply) -> Vec<Vec<String>> {
    let Reply::List { items, .. } = reply else { panic!("not an array: {}", reply.render()) };
    items
        .iter()
        .map(|entry| {
            let Reply::List { items, .. } = entry else { panic!("{}", entry.render()) };
            let fields: Vec<String> = items.iter().map(Reply::render).collect();
            assert_eq!(fields.len(), 14, "{fields:?}");
            fields
                .chunks(2)
                .filter(|f| !f[0].contains("age") && !f[0].contains("client"))
                .flatten()
                .cloned()
                .collect()
        })
        .collect()
}

#[test]
fn failed_auth_and_client_kill_user_match_redis() {
    let Some(mut p) = Pair::start(&[]) else { return };
    p.same(&["ACL", "SETUSER", "u", "on", ">pw", "+@all", "~*"]);
    p.same(&["AUTH", "u", "wrong"]);
    p.same(&["AUTH", "nope", "wrong"]);
    let (j, r) = p.both_trees(&["ACL", "LOG"]);
    assert_eq!(log_fields(&j), log_fields(&r));
    p.same(&["CLIENT", "KILL", "USER", "nope"]);
    let (mut jo, mut ro) = p.connect_both();
    assert_eq!(ask(&mut jo, &["AUTH", "u", "pw"]), "+OK");
    assert_eq!(ask(&mut ro, &["AUTH", "u", "pw"]), "+OK");
    p.same(&["CLIENT", "KILL", "USER", "u"]);
    assert!(jo.read_to_close().is_empty());
    assert!(ro.read_to_close().is_empty());
}

#[test]
fn subscribers_whose_channels_are_revoked_are_closed_like_redis() {
    let Some(mut p) = Pair::start(&[]) else { return };
    p.same(&["ACL", "SETUSER", "s", "on", ">pw", "+@all", "~*", "resetchannels", "&news*"]);
    // One listens to a channel, one to a pattern its rules name as they
    // are; a third stays allowed and keeps its connection.
    let listeners = [("SUBSCRIBE", "news1"), ("PSUBSCRIBE", "news*"), ("SUBSCRIBE", "other")];
    let mut open = Vec::new();
    for (command, name) in listeners {
        let (mut jo, mut ro) = p.connect_both();
        assert_eq!(ask(&mut jo, &["AUTH", "s", "pw"]), "+OK");
        assert_eq!(ask(&mut ro, &["AUTH", "s", "pw"]), "+OK");
        if name == "other" {
            // Allowed before the change by a rule of its own.
            p.same(&["ACL", "SETUSER", "s", "&other"]);
        }
        assert_eq!(ask(&mut jo, &[command, name]), ask(&mut ro, &[command, name]));
        open.push((jo, ro));
    }
    p.same(&["ACL", "SETUSER", "s", "resetchannels", "&other"]);
    let (mut jo, mut ro) = open.pop().expect("three");
    for (mut j, mut r) in open {
        assert!(j.read_to_close().is_empty());
        assert!(r.read_to_close().is_empty());
    }
    assert_eq!(ask(&mut jo, &["PING"]), ask(&mut ro, &["PING"]));
}

#[test]
fn save_and_load_round_trip_through_the_acl_file() {
    let server = Server::start_with_config("aclfile = \"users.acl\"\n", &[]);
    let mut c = server.raw();
    let file = server.dir.path().join("users.acl");
    assert_eq!(
        ask(&mut c, &["ACL", "SETUSER", "app", "on", ">pw", "~app:*", "+@all", "-@dangerous"]),
        "+OK"
    );
    assert_eq!(ask(&mut c, &["ACL", "SAVE"]), "+OK");
    let text = std::fs::read_to_string(&file).expect("the ACL file");
    let list = ask(&mut c, &["ACL", "LIST"]);
    for line in text.lines() {
        assert!(list.contains(line), "{line:?} is not in {list}");
    }
    assert!(text.starts_with("user app on #30c952fa"), "{text}");
    assert!(text.contains("\nuser default on nopass ~* &* +@all\n"), "{text}");

    // LOAD replaces every user with the file's; a logged-in user that is
    // gone is disconnected.
    let mut app = server.raw();
    assert_eq!(ask(&mut app, &["AUTH", "app", "pw"]), "+OK");
    std::fs::write(&file, "user default on nopass ~* &* +@all\nuser ops on >x ~* +@all\n").unwrap();
    assert_eq!(ask(&mut c, &["ACL", "LOAD"]), "+OK");
    assert_eq!(ask(&mut c, &["ACL", "USERS"]), r#"["default", "ops"]"#);
    assert!(app.read_to_close().is_empty());

    // A bad file changes nothing and names the line.
    std::fs::write(&file, "user default on nopass ~* &* +@all\nuser bad on +nosuch\n").unwrap();
    let refused = ask(&mut c, &["ACL", "LOAD"]);
    assert!(refused.starts_with("-ERR ") && refused.contains("users.acl:2:"), "{refused}");
    assert_eq!(ask(&mut c, &["ACL", "USERS"]), r#"["default", "ops"]"#);

    // The file is read at start.
    std::fs::write(&file, "user default off\nuser ops on >x ~* +@all\n").unwrap();
    let server = server.restart(&["--config", "jotter.toml"]);
    let mut c = server.raw();
    assert!(ask(&mut c, &["GET", "k"]).starts_with("-NOAUTH"));
    assert_eq!(ask(&mut c, &["AUTH", "ops", "x"]), "+OK");
    assert_eq!(ask(&mut c, &["ACL", "WHOAMI"]), "\"ops\"");
}

#[test]
fn protected_mode_refuses_an_acl_file_whose_default_user_is_open() {
    let err = common::refused_settings("aclfile = \"users.acl\"\nbind = \"0.0.0.0\"\n");
    assert!(err.contains("protected mode") && err.contains("aclfile"), "{err}");
}

#[test]
fn without_an_acl_file_save_and_load_are_refused() {
    let (_server, mut c) = Server::start_raw();
    for sub in ["SAVE", "LOAD"] {
        let reply = ask(&mut c, &["ACL", sub]);
        assert!(
            reply.starts_with("-ERR This Redis instance is not configured to use an ACL file."),
            "{reply}"
        );
    }
}

const RULES: &str = r#"
[[user]]
name = "app"
rules = "on >app-pw ~app:* +@all -@dangerous"

[[user]]
name = "old"
password = "old-pw"
commands = "-@all +get"
"#;

#[test]
fn user_rules_in_the_settings_limit_keys_and_commands() {
    let server = Server::start_with_config(RULES, &[]);
    let mut app = server.raw();
    assert_eq!(ask(&mut app, &["AUTH", "app", "app-pw"]), "+OK");
    assert_eq!(ask(&mut app, &["SET", "app:1", "v"]), "+OK");
    assert_eq!(
        ask(&mut app, &["GET", "other"]),
        "-NOPERM this user has no permissions to access one of the keys used as arguments"
    );
    assert_eq!(
        ask(&mut app, &["FLUSHALL"]),
        "-NOPERM this user has no permissions to run the 'flushall' command"
    );
    assert_eq!(
        ask(&mut app, &["ACL", "LIST"]),
        "-NOPERM this user has no permissions to run the 'acl|list' command"
    );
    assert_eq!(ask(&mut app, &["ACL", "WHOAMI"]), "\"app\"");
    let mut old = server.raw();
    assert_eq!(ask(&mut old, &["AUTH", "old", "old-pw"]), "+OK");
    assert_eq!(ask(&mut old, &["GET", "anything"]), "nil");
    // The default user is off when users are configured without
    // requirepass.
    let mut anyone = server.raw();
    assert!(ask(&mut anyone, &["GET", "k"]).starts_with("-NOAUTH"));
    assert!(ask(&mut anyone, &["AUTH", "default", "x"]).starts_with("-WRONGPASS"));

    let bad = RULES.replace("-@dangerous", "-@dangerus");
    let err = common::refused_settings(&bad);
    for words in ["user.rules", "user \"app\"", "rule '-@dangerus'"] {
        assert!(err.contains(words), "{words:?} is not in {err}");
    }
}

#[test]
fn exec_checks_queued_commands_again_like_redis() {
    let Some(mut p) = Pair::start(&[]) else { return };
    p.same(&["ACL", "SETUSER", "m", "on", "nopass", "~*", "+@all"]);
    login_both(&mut p, "m", "x");
    for args in [&["MULTI"][..], &["SET", "a", "1"], &["GET", "a"], &["SET", "b", "2"]] {
        p.same(args);
    }
    let (mut jo, mut ro) = p.connect_both();
    for rules in [&["-get"][..], &["resetkeys", "~a"]] {
        let mut args = vec!["ACL", "SETUSER", "m"];
        args.extend_from_slice(rules);
        assert_eq!(ask(&mut jo, &args), "+OK");
        assert_eq!(ask(&mut ro, &args), "+OK");
    }
    p.same(&["EXEC"]);
    p.same(&["GET", "b"]);
    let (j, r) = p.both_trees(&["ACL", "LOG"]);
    assert_eq!(log_fields(&j), log_fields(&r));
}

/// Random ACL SETUSER histories: every reply, GETUSER and LIST after each
/// change, and DRYRUN of key commands, as Redis gives them. The command
/// rules are those whose description cannot depend on which commands the
/// two servers have.
#[test]
fn random_setuser_histories_match_redis() {
    let Some(mut p) = Pair::start(&[]) else { return };
    const RULES: &[&str] = &[
        "on",
        "off",
        ">a",
        ">b",
        "<a",
        "<b",
        "nopass",
        "resetpass",
        "~k:*",
        "%R~r:*",
        "%W~w:*",
        "%RW~k:*",
        "~*",
        "allkeys",
        "resetkeys",
        "&c:*",
        "&*",
        "allchannels",
        "resetchannels",
        "+@all",
        "-@all",
        "allcommands",
        "nocommands",
        "+get",
        "-get",
        "reset",
        "bogus",
        "#abc",
        "!5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
        "#5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
    ];
    const KEYS: &[&str] = &["k:1", "r:1", "w:1", "x"];
    p.fuzz_both_protocols(7, 300, |rng| {
        let user = rng.pick(&["u1", "u2"]);
        match rng.below(5) {
            0 | 1 => {
                let mut args = vec!["ACL".to_owned(), "SETUSER".to_owned(), user.to_owned()];
                for _ in 0..rng.between(1, 4) {
                    args.push(rng.pick(RULES).to_owned());
                }
                args.into()
            }
            2 => Command::new(&["ACL", "GETUSER", user]),
            3 => Command::new(&["ACL", "LIST"]),
            _ => {
                let key = rng.pick(KEYS);
                let command = rng.pick(&["get", "set", "lpush"]);
                let mut args = vec!["ACL", "DRYRUN", user, command, key];
                if command != "get" {
                    args.push("v");
                }
                Command::new(&args)
            }
        }
    });
}

#[test]
fn a_password_on_the_default_user_asks_new_connections_to_authenticate() {
    let Some(mut p) = Pair::start(&[]) else { return };
    p.same(&["AUTH", "pw"]);
    p.same(&["ACL", "SETUSER", "default", ">pw"]);
    p.same(&["ACL", "GETUSER", "default"]);
    // The connection already in stays in, as in Redis.
    p.same(&["SET", "k", "v"]);
    let (mut j, mut r) = p.connect_both();
    for (args, reply) in [
        (&["GET", "k"][..], "-NOAUTH Authentication required."),
        (&["AUTH", "nope"], "-WRONGPASS invalid username-password pair or user is disabled."),
        (&["AUTH", "pw"], "+OK"),
        (&["ACL", "WHOAMI"], "\"default\""),
    ] {
        assert_eq!(ask(&mut j, args), reply, "{args:?}");
        assert_eq!(ask(&mut r, args), reply, "{args:?}");
    }
    p.same(&["ACL", "SETUSER", "default", "nopass"]);
    p.same(&["AUTH", "pw"]);
}
