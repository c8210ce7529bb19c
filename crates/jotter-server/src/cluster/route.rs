//! Where a front end sends each request, decided from the command table
//! (`command::facts`): straight to Redis (reads and connection commands),
//! to Redis with its change records (writes), to the front end's own
//! handling (the keyspace-wide commands, transactions, JOTTER.FLUSH,
//! JOTTER.DEADLETTERS, JOTTER.KEY, JOTTER.STATUS, JOTTER.THROUGH,
//! JOTTER.WRITETHROUGH, subscriptions, CLIENT TRACKING, AUTH and ACL), or
//! refused with an error that says why and what to do instead.
//!
//! Guarantees: no request naming a `{jotter}:` key reaches Redis; every
//! write the table knows goes with the records of all the keys it names
//! (a blocking write too: the front end waits itself, `blocking.rs`);
//! what cannot keep the contract (a second database, commands that would
//! touch Redis's own administration or Jotter's functions) is refused,
//! never relayed.

use bytes::Bytes;
use jotter_resp::Request;
use jotter_scaleout::{FUNCTION_PREFIX, is_reserved};

use crate::command::{self, Facts, Wait};

/// What the front end does with a request.
#[derive(Debug)]
pub(crate) enum Route {
    /// Relayed as it is.
    Pass,
    /// Relayed in one MULTI/EXEC with the change records of these keys.
    Write(Vec<Bytes>),
    /// A blocking write of these keys (BLPOP, XREADGROUP ... BLOCK): tried
    /// as a write, and tried again after a change of a key it waits on,
    /// until its timeout (`blocking.rs`); or Redis's error for its
    /// arguments. Inside MULTI, a write that does not block, as in Redis.
    Block(Vec<Bytes>, Result<Wait, String>),
    /// Answered with this error (without the leading `-`).
    Refuse(String),
    /// KEYS: relayed, Jotter's keys left out of the reply.
    Keys,
    /// SCAN: relayed, Jotter's keys left out of the page.
    Scan,
    /// DBSIZE of user keys.
    DbSize,
    /// RANDOMKEY among user keys.
    RandomKey,
    /// FLUSHDB / FLUSHALL: user keys deleted, each with its record.
    Flush,
    /// JOTTER.FLUSH: the cluster-wide barrier.
    Barrier,
    /// JOTTER.DEADLETTERS over the cluster's dead-letter stream (its
    /// arguments checked by the front end, as a single node does).
    DeadLetters,
    /// JOTTER.KEY: a key's state from the cluster's Redis.
    KeyStatus,
    /// JOTTER.STATUS: the shard streams' and dead letters' counts.
    Status,
    /// JOTTER.THROUGH: its command (routed in turn) run write-through
    /// (`through.rs`).
    Through,
    /// JOTTER.WRITETHROUGH ON (`true`) or OFF.
    WriteThrough(bool),
    /// MULTI, EXEC, DISCARD: the front end tracks the transaction.
    Multi,
    Exec,
    Discard,
    /// HELLO: its AUTH checked by the front end, the rest relayed; the
    /// protocol it selects is remembered.
    Hello,
    /// AUTH: checked against the front end's own users, never relayed.
    Auth,
    /// ACL: answered from the front end's own users.
    Acl,
    /// RESET: the front end's state of the client is reset, and its
    /// connection to Redis closed.
    Reset,
    /// QUIT: `+OK`, then the connection closes.
    Quit,
    /// SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE: the client enters subscribed
    /// mode (`subscribed.rs`).
    Subscribe,
    /// CLIENT TRACKING: relayed, and remembered to be replayed on a new
    /// connection (`tracking.rs`).
    Tracking,
}

/// Commands that would change Redis's own administration, replication or
/// persistence, or move keys past the change records.
const ADMIN: &[&str] = &[
    "shutdown",
    "replicaof",
    "slaveof",
    "failover",
    "debug",
    "sync",
    "psync",
    "migrate",
    "config",
    "monitor",
    "save",
    "bgsave",
    "bgrewriteaof",
    "swapdb",
    "move",
    "select",
];

/// The route of `req`.
pub(crate) fn route(req: &Request) -> Route {
    let Some(facts) = command::facts(req) else {
        return Route::Refuse(unknown(req));
    };
    if let Some(key) = facts.keys.iter().find(|k| is_reserved(k)) {
        return Route::Refuse(format!(
            "ERR key '{}' is reserved: keys starting with {{jotter}}: hold Jotter's own data in \
             a cluster; choose another name",
            String::from_utf8_lossy(key)
        ));
    }
    // Jotter's own commands reply their own arity errors (Redis does not
    // know them).
    let own = match facts.name {
        "jotter.deadletters" => Some(Route::DeadLetters),
        "jotter.key" => Some(Route::KeyStatus),
        "jotter.status" => Some(Route::Status),
        "jotter.through" => Some(Route::Through),
        "jotter.writethrough" => Some(match command::write_through_mode(req) {
            Some(on) => Route::WriteThrough(on),
            None => Route::Refuse("ERR syntax error".to_owned()),
        }),
        _ => None,
    };
    if let Some(own) = own {
        if !facts.arity_ok {
            return Route::Refuse(format!(
                "ERR wrong number of arguments for '{}' command",
                facts.name
            ));
        }
        return own;
    }
    if !facts.arity_ok {
        // Redis replies its own arity error, and writes nothing.
        return Route::Pass;
    }
    if let Some(refused) = refused(req, &facts) {
        return Route::Refuse(refused);
    }
    match facts.name {
        "keys" => Route::Keys,
        "scan" => Route::Scan,
        "dbsize" => Route::DbSize,
        "randomkey" => Route::RandomKey,
        "flushdb" | "flushall" => Route::Flush,
        "jotter.flush" => Route::Barrier,
        "multi" => Route::Multi,
        "exec" => Route::Exec,
        "discard" => Route::Discard,
        "hello" => Route::Hello,
        "auth" => Route::Auth,
        "acl" => Route::Acl,
        "reset" => Route::Reset,
        "quit" => Route::Quit,
        "subscribe" | "psubscribe" | "ssubscribe" => Route::Subscribe,
        "client" if req.arg(1).is_some_and(|a| a.eq_ignore_ascii_case(b"tracking")) => {
            Route::Tracking
        }
        // A script's or function's declared keys are recorded: what it
        // writes is not known, so the worst is assumed.
        "eval" | "evalsha" | "fcall" if !facts.keys.is_empty() => Route::Write(facts.keys),
        _ if facts.write && facts.blocking => match command::wait(req, &facts) {
            // XREADGROUP without BLOCK.
            Ok(wait) if !wait.blocks => Route::Write(facts.keys),
            wait => Route::Block(facts.keys, wait),
        },
        _ if facts.write && !facts.keys.is_empty() => Route::Write(facts.keys),
        _ if facts.write && facts.name != "function" => Route::Refuse(format!(
            "ERR {} is not served by a cluster front end: it writes no key whose change can be \
             recorded",
            facts.name.to_uppercase()
        )),
        _ => Route::Pass,
    }
}

/// Why `req` is refused, if it is.
fn refused(req: &Request, facts: &Facts) -> Option<String> {
    let name = facts.name;
    let arg = |i: usize| req.arg(i).map(|a| String::from_utf8_lossy(a).to_lowercase());
    let upper = name.to_uppercase();
    if ADMIN.contains(&name) {
        return Some(format!(
            "ERR {upper} is not served by a cluster front end: Redis's administration, \
             replication and databases are run on Redis itself (redis-cli)"
        ));
    }
    if name == "copy" && has_word(req, b"db") {
        return Some(
            "ERR COPY ... DB is not served by a cluster front end: it serves one database"
                .to_owned(),
        );
    }
    // SORT's BY and GET patterns name keys the key specs do not list.
    if matches!(name, "sort" | "sort_ro") && req.args().skip(2).any(is_reserved) {
        return Some(
            "ERR SORT patterns may not name Jotter's own {jotter}: keys in a cluster".to_owned(),
        );
    }
    if facts.pubsub
        && !matches!(
            name,
            "publish"
                | "spublish"
                | "pubsub"
                | "subscribe"
                | "psubscribe"
                | "ssubscribe"
                | "unsubscribe"
                | "punsubscribe"
                | "sunsubscribe"
        )
    {
        return Some(format!("ERR {upper} is not served by a cluster front end yet"));
    }
    if name == "client" && matches!(arg(1).as_deref(), Some("reply" | "kill")) {
        return Some(format!(
            "ERR CLIENT {} is not served by a cluster front end",
            arg(1).unwrap_or_default().to_uppercase()
        ));
    }
    if matches!(name, "fcall" | "fcall_ro")
        && arg(1).is_some_and(|f| f.starts_with(FUNCTION_PREFIX))
    {
        return Some(format!(
            "ERR functions named {FUNCTION_PREFIX}* are Jotter's own and cannot be called by \
             clients"
        ));
    }
    if name == "function" {
        let sub = arg(1).unwrap_or_default();
        let touches_own = match sub.as_str() {
            "flush" | "restore" => true,
            "delete" => arg(2).is_some_and(|l| l.starts_with(FUNCTION_PREFIX)),
            "load" => req.args().skip(2).any(names_own_library),
            _ => false,
        };
        if touches_own {
            return Some(format!(
                "ERR FUNCTION {} is refused by a cluster front end: it would replace or delete \
                 Jotter's own libraries (jotter_*)",
                sub.to_uppercase()
            ));
        }
    }
    None
}

/// Whether a FUNCTION LOAD argument's first line names a `jotter_` library.
fn names_own_library(code: &[u8]) -> bool {
    let first = code.split(|&b| b == b'\n').next().unwrap_or_default();
    let first = String::from_utf8_lossy(first).to_lowercase();
    first.starts_with("#!") && first.contains(&format!("name={FUNCTION_PREFIX}"))
}

fn has_word(req: &Request, word: &[u8]) -> bool {
    req.args().skip(1).any(|a| a.eq_ignore_ascii_case(word))
}

/// Redis's unknown-command error.
fn unknown(req: &Request) -> String {
    let mut text = format!(
        "ERR unknown command '{}', with args beginning with: ",
        String::from_utf8_lossy(req.name())
    );
    for arg in req.args().skip(1).take(20) {
        text.push_str(&format!("'{}' ", String::from_utf8_lossy(arg)));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route_of(args: &[&str]) -> Route {
        route(&Request::from_args(args).expect("a request"))
    }

    fn written(args: &[&str]) -> Vec<String> {
        match route_of(args) {
            Route::Write(keys) => {
                keys.iter().map(|k| String::from_utf8_lossy(k).into_owned()).collect()
            }
            other => panic!("{args:?} is not a write: {other:?}"),
        }
    }

    fn refused(args: &[&str]) -> String {
        match route_of(args) {
            Route::Refuse(text) => text,
            other => panic!("{args:?} is not refused: {other:?}"),
        }
    }

    #[test]
    fn writes_name_every_key_they_write() {
        assert_eq!(written(&["SET", "k", "v"]), ["k"]);
        assert_eq!(written(&["MSET", "a", "1", "b", "2"]), ["a", "b"]);
        assert_eq!(written(&["ZUNIONSTORE", "d", "2", "a", "b"]), ["d", "a", "b"]);
        assert_eq!(written(&["EVAL", "return 1", "1", "k", "x"]), ["k"]);
        assert_eq!(written(&["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"]), ["s"]);
        assert!(matches!(route_of(&["GET", "k"]), Route::Pass));
        assert!(matches!(route_of(&["EVAL", "return 1", "0"]), Route::Pass));
        assert!(matches!(route_of(&["flushall", "ASYNC"]), Route::Flush));
    }

    /// The keys a blocking write records, and the keys it waits on with
    /// its timeout in milliseconds, or its error.
    type Blocks = (Vec<String>, Result<(Vec<String>, Option<u64>), String>);

    fn blocks(args: &[&str]) -> Blocks {
        let text = |keys: &[Bytes]| -> Vec<String> {
            keys.iter().map(|k| String::from_utf8_lossy(k).into_owned()).collect()
        };
        match route_of(args) {
            Route::Block(keys, wait) => (
                text(&keys),
                wait.map(|w| {
                    let ms = w.timeout.map(|t| u64::try_from(t.as_millis()).unwrap());
                    (text(&w.waits_on), ms)
                }),
            ),
            other => panic!("{args:?} does not block: {other:?}"),
        }
    }

    #[test]
    fn blocking_writes_wait_on_the_keys_they_take_from() {
        let both = |keys: &[&str]| keys.iter().map(|k| (*k).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            blocks(&["BLPOP", "a", "b", "1.5"]),
            (both(&["a", "b"]), Ok((both(&["a", "b"]), Some(1500))))
        );
        assert_eq!(blocks(&["BRPOP", "a", "0"]), (both(&["a"]), Ok((both(&["a"]), None))));
        // A move records its destination too, and waits on its source only.
        assert_eq!(
            blocks(&["BLMOVE", "s", "d", "LEFT", "RIGHT", "2"]),
            (both(&["s", "d"]), Ok((both(&["s"]), Some(2000))))
        );
        assert_eq!(blocks(&["BRPOPLPUSH", "s", "d", "0"]).1, Ok((both(&["s"]), None)));
        assert_eq!(
            blocks(&["BLMPOP", "0.5", "2", "a", "b", "LEFT"]).1,
            Ok((both(&["a", "b"]), Some(500)))
        );
        assert_eq!(blocks(&["BZPOPMIN", "z", "1"]).1, Ok((both(&["z"]), Some(1000))));
        assert_eq!(
            blocks(&["BZMPOP", "0", "1", "z", "MAX", "COUNT", "2"]).1,
            Ok((both(&["z"]), None))
        );
        // XREADGROUP's BLOCK is milliseconds.
        assert_eq!(
            blocks(&["XREADGROUP", "GROUP", "g", "c", "BLOCK", "250", "STREAMS", "s", ">"]),
            (both(&["s"]), Ok((both(&["s"]), Some(250))))
        );
        // Redis's own errors for the arguments, before anything is sent.
        assert_eq!(blocks(&["BLPOP", "l", "-1"]).1, Err("ERR timeout is negative".to_owned()));
        assert_eq!(
            blocks(&["BLPOP", "l", "x"]).1,
            Err("ERR timeout is not a float or out of range".to_owned())
        );
        assert_eq!(
            blocks(&["XREADGROUP", "GROUP", "g", "c", "BLOCK", "x", "STREAMS", "s", ">"]).1,
            Err("ERR timeout is not an integer or out of range".to_owned())
        );
        // A group named "block" is no BLOCK option.
        assert_eq!(written(&["XREADGROUP", "GROUP", "block", "c", "STREAMS", "s", ">"]), ["s"]);
        // A blocking read is relayed: it takes nothing, Redis may block it.
        assert!(matches!(route_of(&["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]), Route::Pass));
    }

    #[test]
    fn what_cannot_keep_the_contract_is_refused() {
        assert!(refused(&["GET", "{jotter}:clock"]).contains("reserved"));
        assert!(refused(&["SORT", "l", "BY", "{jotter}:ver"]).contains("SORT"));
        assert!(refused(&["COPY", "a", "b", "DB", "1"]).contains("one database"));
        assert!(refused(&["SELECT", "1"]).contains("SELECT"));
        assert!(refused(&["FUNCTION", "LOAD", "#!lua name=jotter_front\nx"]).contains("jotter_"));
        assert!(refused(&["FCALL", "jotter_record", "0"]).contains("Jotter's own"));
        assert!(matches!(route_of(&["SUBSCRIBE", "c"]), Route::Subscribe));
        assert!(matches!(route_of(&["client", "TRACKING", "on", "BCAST"]), Route::Tracking));
        assert!(matches!(route_of(&["CLIENT", "CACHING", "yes"]), Route::Pass));
        assert!(refused(&["CLIENT", "KILL", "ID", "1"]).contains("CLIENT KILL"));
        assert!(refused(&["NOSUCHCOMMAND"]).starts_with("ERR unknown command"));
        assert!(matches!(route_of(&["JOTTER.STATUS"]), Route::Status));
        assert!(refused(&["JOTTER.STATUS", "x"]).contains("wrong number of arguments"));
        assert!(matches!(route_of(&["JOTTER.THROUGH", "SET", "k", "v"]), Route::Through));
        assert!(refused(&["JOTTER.THROUGH"]).contains("wrong number of arguments"));
        assert!(matches!(route_of(&["jotter.writethrough", "On"]), Route::WriteThrough(true)));
        assert!(matches!(route_of(&["JOTTER.WRITETHROUGH", "OFF"]), Route::WriteThrough(false)));
        assert_eq!(refused(&["JOTTER.WRITETHROUGH", "maybe"]), "ERR syntax error");
        assert!(refused(&["JOTTER.WRITETHROUGH"]).contains("wrong number of arguments"));
        assert!(refused(&["JOTTER.KEY", "{jotter}:ver"]).contains("reserved"));
        assert!(refused(&["JOTTER.KEY"]).contains("wrong number of arguments"));
        assert!(matches!(route_of(&["JOTTER.KEY", "k"]), Route::KeyStatus));
        assert!(matches!(route_of(&["jotter.deadletters", "count"]), Route::DeadLetters));
    }
}
