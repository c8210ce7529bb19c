//! Raw-RESP exchanges for the command tests: send one command, then either
//! compare the exact reply bytes or read the reply rendered as one compact
//! line that an assertion can spell out.

use std::io::Read;

use super::{Raw, Server, resp};

/// One reply, parsed: a scalar already rendered (`+OK`, `-ERR ...`, `:5`,
/// `"bulk"`, `nil`, `nilarr`, `_`, `,2.5`, `#t`), an array or set of
/// replies (`prefix` `""`, `"~"` for a RESP3 set, `">"` for a RESP3
/// push), or a RESP3 map.
#[derive(Clone, Debug)]
pub enum Reply {
    Scalar(String),
    List { prefix: &'static str, items: Vec<Reply> },
    Map(Vec<(Reply, Reply)>),
}

impl Reply {
    /// The compact one-line form [`read_reply`] returns.
    pub fn render(&self) -> String {
        match self {
            Reply::Scalar(s) => s.clone(),
            Reply::List { prefix, items } => {
                let items: Vec<String> = items.iter().map(Reply::render).collect();
                format!("{prefix}[{}]", items.join(", "))
            }
            Reply::Map(pairs) => {
                let pairs: Vec<String> =
                    pairs.iter().map(|(k, v)| format!("{}: {}", k.render(), v.render())).collect();
                format!("{{{}}}", pairs.join(", "))
            }
        }
    }

    /// The reply with the items of its outer aggregate in sorted order (a
    /// map's pairs by key), for replies whose order is unspecified.
    pub fn sorted(self) -> Reply {
        match self {
            Reply::List { prefix, mut items } => {
                items.sort_by_cached_key(Reply::render);
                Reply::List { prefix, items }
            }
            Reply::Map(mut pairs) => {
                pairs.sort_by_cached_key(|(k, _)| k.render());
                Reply::Map(pairs)
            }
            scalar => scalar,
        }
    }
}

/// Reads one reply and parses it.
pub fn read_tree(c: &mut Raw) -> Reply {
    let line = c.read_line();
    let (kind, rest) = line.split_at(1);
    let rest = rest.trim_end_matches("\r\n");
    match kind {
        "+" | "-" | ":" | "," | "#" => Reply::Scalar(format!("{kind}{rest}")),
        "_" => Reply::Scalar("_".to_owned()),
        // A RESP3 verbatim string reads as its text, without the format.
        "=" => {
            let len: usize = rest.parse().expect("verbatim length");
            let mut data = vec![0; len + 2];
            c.stream.read_exact(&mut data).expect("verbatim data");
            data.truncate(len);
            Reply::Scalar(format!("{:?}", String::from_utf8_lossy(data.get(4..).unwrap_or(&[]))))
        }
        "$" => {
            let len: i64 = rest.parse().expect("bulk length");
            if len < 0 {
                return Reply::Scalar("nil".to_owned());
            }
            let mut data = vec![0; usize::try_from(len).unwrap() + 2];
            c.stream.read_exact(&mut data).expect("bulk data");
            data.truncate(data.len() - 2);
            Reply::Scalar(format!("{:?}", String::from_utf8_lossy(&data)))
        }
        "*" | "~" | "%" | ">" => {
            let len: i64 = rest.parse().expect("aggregate length");
            if len < 0 {
                return Reply::Scalar("nilarr".to_owned());
            }
            let n = usize::try_from(len).unwrap();
            if kind == "%" {
                return Reply::Map((0..n).map(|_| (read_tree(c), read_tree(c))).collect());
            }
            let items = (0..n).map(|_| read_tree(c)).collect();
            let prefix = match kind {
                "~" => "~",
                ">" => ">",
                _ => "",
            };
            Reply::List { prefix, items }
        }
        other => panic!("unexpected reply type {other:?} in {line:?}"),
    }
}

/// Reads one reply and renders it compactly: `+OK`, `-ERR ...`, `:5`,
/// `"bulk"`, `nil` (`$-1`), `nilarr` (`*-1`), `_` (RESP3 null), `,2.5`
/// (RESP3 double), `#t` (RESP3 boolean), `[a, b]` (array), `~[...]` (set),
/// `{k: v}` (map).
pub fn read_reply(c: &mut Raw) -> String {
    read_tree(c).render()
}

/// Sends one command and returns its rendered reply.
pub fn q(c: &mut Raw, args: &[&str]) -> String {
    c.send(&resp(args));
    read_reply(c)
}

/// Sends a command and asserts its rendered reply.
#[track_caller]
pub fn check(c: &mut Raw, args: &[&str], expected: &str) {
    let got = q(c, args);
    assert_eq!(got, expected, "{args:?}");
}

/// [`check`] for each (command, rendered reply) in turn.
#[track_caller]
pub fn check_all(c: &mut Raw, cases: &[(&[&str], &str)]) {
    for (args, expected) in cases {
        check(c, args, expected);
    }
}

/// [`rt`] for each (command, reply bytes) in turn.
pub fn rt_all(c: &mut Raw, cases: &[(&[&str], &str)]) {
    for (args, reply) in cases {
        rt(c, args, reply);
    }
}

/// Sends a command and expects exactly the bytes `reply`.
pub fn rt(c: &mut Raw, args: &[&str], reply: &(impl AsRef<[u8]> + ?Sized)) {
    c.roundtrip(&resp(args), reply.as_ref());
}

/// Switches a connection to RESP3; HELLO must answer with a map.
#[track_caller]
pub fn hello3(c: &mut Raw) {
    let hello = q(c, &["HELLO", "3"]);
    assert!(hello.starts_with('{'), "{hello}");
}

/// A new raw connection, switched to RESP3.
#[track_caller]
pub fn resp3(server: &Server) -> Raw {
    let mut c = server.raw();
    hello3(&mut c);
    c
}

/// `JOTTER.FLUSH`: returns once every write so far is in the store.
pub fn flush(c: &mut Raw) {
    rt(c, &["JOTTER.FLUSH", "5000"], b"+OK\r\n");
}

/// One numeric field of an INFO section.
pub fn info(c: &mut Raw, section: &str, field: &str) -> u64 {
    c.send(&resp(&["INFO", section]));
    let body = c.read_bulk();
    body.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in {body}"))
}

/// A bulk string's bytes.
pub fn bulk(s: &str) -> String {
    format!("${}\r\n{s}\r\n", s.len())
}

/// Sends `commands` in one pipeline and returns their rendered replies.
pub fn pipeline(c: &mut Raw, commands: &[Vec<String>]) -> Vec<String> {
    let mut out = Vec::new();
    for args in commands {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        out.extend_from_slice(&resp(&args));
    }
    c.send(&out);
    commands.iter().map(|_| read_reply(c)).collect()
}

pub const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value";
pub const SYNTAX: &str = "-ERR syntax error";
pub const NOT_INT: &str = "-ERR value is not an integer or out of range";
pub const NOT_FLOAT: &str = "-ERR value is not a valid float";
pub const SCORE_RANGE: &str = "-ERR min or max is not a float";
pub const LEX_RANGE: &str = "-ERR min or max not valid string range item";
pub const LIMIT_NEEDS_BY: &str =
    "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
pub const GT_LT_NX: &str = "-ERR GT, LT, and/or NX options at the same time are not compatible";

/// Asserts `key` holds nothing: neither a string (GET) nor a sorted set
/// (ZCARD).
#[track_caller]
pub fn absent(c: &mut Raw, key: &str) {
    check(c, &["GET", key], "nil");
    check(c, &["ZCARD", key], ":0");
}

/// The fields of a `JOTTER.KEY` reply, in order, each value rendered as
/// `read_reply` renders it: a RESP3 map or a RESP2 array of pairs.
pub fn jotter_key(c: &mut Raw, args: &[&str]) -> Vec<(String, String)> {
    let mut request = vec!["JOTTER.KEY"];
    request.extend_from_slice(args);
    c.send(&resp(&request));
    let header = c.read_line();
    let header = header.trim_end();
    let pairs = match header.split_at(1) {
        ("%", n) => n.parse::<usize>().unwrap(),
        ("*", n) => n.parse::<usize>().unwrap() / 2,
        _ => panic!("JOTTER.KEY {args:?} replied {header} {}", read_reply(c)),
    };
    (0..pairs).map(|_| (read_reply(c).trim_matches('"').to_owned(), read_reply(c))).collect()
}

/// One field of a `JOTTER.KEY` reply.
#[track_caller]
pub fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    let found = fields.iter().find(|(n, _)| n == name);
    &found.unwrap_or_else(|| panic!("no {name} in {fields:?}")).1
}

/// The fields of a `JOTTER.KEY` reply without `FROM-STORE`, in order.
pub const KEY_FIELDS: [&str; 7] = [
    "state",
    "cache-version",
    "stored-version",
    "pending-since",
    "pending-writes",
    "last-error",
    "dead-letter-ids",
];

/// The ids in a rendered `JOTTER.DEADLETTERS LIST` reply, in order (RESP2
/// pairs or RESP3 maps).
pub fn dead_letter_ids(list: &str) -> Vec<u64> {
    list.split("\"id\", :")
        .chain(list.split("\"id\": :"))
        .skip(1)
        .filter_map(|rest| rest.split(|ch: char| !ch.is_ascii_digit()).next()?.parse().ok())
        .collect()
}

/// `JOTTER.DEADLETTERS LIST` on `server` (`c` a RESP2 client of it) with
/// the three letters `all`, the first for `first_key`: two at a time, the
/// first page's cursor its last id and the second page ending with 0; and
/// in RESP3 a map per letter.
#[track_caller]
pub fn check_dead_letter_pages(server: &Server, c: &mut Raw, all: &[u64], first_key: &str) {
    let page = q(c, &["JOTTER.DEADLETTERS", "LIST", "0", "COUNT", "2"]);
    assert_eq!(dead_letter_ids(&page), all[..2]);
    assert!(page.starts_with(&format!("[\"{}\", ", all[1])), "{page}");
    let page = q(c, &["JOTTER.DEADLETTERS", "LIST", &all[1].to_string(), "COUNT", "2"]);
    assert_eq!(dead_letter_ids(&page), all[2..]);
    assert!(page.starts_with("[\"0\", "), "{page}");

    let list3 = q(&mut resp3(server), &["JOTTER.DEADLETTERS", "LIST", "COUNT", "1"]);
    assert!(list3.contains("[{\"id\": :"), "{list3}");
    assert!(list3.contains(&format!("\"key\": \"{first_key}\"")), "{list3}");
    assert!(list3.contains("\"error-kind\": +permanent"), "{list3}");
    assert_eq!(dead_letter_ids(&list3), all[..1]);
}

/// `JOTTER.DEADLETTERS`'s subcommands checking their arguments, on a
/// server (`c` a RESP2 client of it) with no dead letter.
#[track_caller]
pub fn check_dead_letter_arguments(c: &mut Raw) {
    check(c, &["JOTTER.DEADLETTERS", "COUNT"], ":0");
    check(c, &["JOTTER.DEADLETTERS", "LIST"], "[\"0\", []]");
    check(
        c,
        &["JOTTER.DEADLETTERS", "LIST", "0", "COUNT", "0"],
        "-ERR value is out of range, must be positive",
    );
    check(
        c,
        &["JOTTER.DEADLETTERS", "LIST", "COUNT", "x"],
        "-ERR value is not an integer or out of range",
    );
    check(c, &["JOTTER.DEADLETTERS", "LIST", "nope"], "-ERR invalid cursor");
    check(c, &["JOTTER.DEADLETTERS", "LIST", "0", "LIMIT", "1"], "-ERR syntax error");
    check(
        c,
        &["JOTTER.DEADLETTERS", "REPLAY"],
        "-ERR wrong number of arguments for 'jotter.deadletters|replay' command",
    );
    check(c, &["JOTTER.DEADLETTERS", "REPLAY", "7", "x"], "-ERR invalid dead letter id 'x'");
    check(c, &["JOTTER.DEADLETTERS", "REPLAY", "ALL"], ":0");
    check(c, &["JOTTER.DEADLETTERS", "PURGE", "12"], ":0");
    check(
        c,
        &["JOTTER.DEADLETTERS", "NOPE"],
        "-ERR unknown subcommand 'NOPE'. Try JOTTER.DEADLETTERS HELP.",
    );
    let help = q(c, &["JOTTER.DEADLETTERS", "HELP"]);
    for word in ["COUNT", "LIST", "REPLAY", "PURGE"] {
        assert!(help.contains(&format!("+{word}")), "{help}");
    }
}
