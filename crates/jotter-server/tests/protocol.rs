//! The RESP server's protocol behaviour, byte for byte where Redis defines
//! the bytes: replies in RESP2 and RESP3, pipelining, inline commands, the
//! error texts, authentication and protocol errors.

mod common;

use common::{Server, resp};

#[test]
fn ping_and_echo() {
    let (_server, mut c) = Server::start_raw();
    c.roundtrip(&resp(&["PING"]), b"+PONG\r\n");
    c.roundtrip(&resp(&["ping", "hello"]), b"$5\r\nhello\r\n");
    c.roundtrip(&resp(&["ECHO", "a b"]), b"$3\r\na b\r\n");
    c.roundtrip(
        &resp(&["PING", "a", "b"]),
        b"-ERR wrong number of arguments for 'ping' command\r\n",
    );
}

#[test]
fn inline_commands() {
    let (_server, mut c) = Server::start_raw();
    c.roundtrip(b"PING\r\n", b"+PONG\r\n");
    c.roundtrip(b"ECHO \"two words\"\r\n", b"$9\r\ntwo words\r\n");
    c.roundtrip(b"SET k v\r\nGET k\r\n", b"+OK\r\n$1\r\nv\r\n");
}

#[test]
fn hello_switches_between_resp2_and_resp3() {
    let (_server, mut c) = Server::start_raw();
    c.send(&resp(&["CLIENT", "ID"]));
    let id = c.read_line();
    let id = id.trim_start_matches(':').trim_end();
    let hello = |proto: char, map: &str| {
        format!(
            "{map}$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$5\r\n7.0.0\r\n$5\r\nproto\r\n:{proto}\r\n\
             $2\r\nid\r\n:{id}\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n\
             $7\r\nmodules\r\n*0\r\n"
        )
    };
    c.roundtrip(&resp(&["HELLO", "3"]), hello('3', "%7\r\n").as_bytes());
    c.roundtrip(&resp(&["GET", "missing"]), b"_\r\n");
    c.roundtrip(&resp(&["HELLO", "2"]), hello('2', "*14\r\n").as_bytes());
    c.roundtrip(&resp(&["GET", "missing"]), b"$-1\r\n");
    c.roundtrip(&resp(&["HELLO", "4"]), b"-NOPROTO unsupported protocol version\r\n");
    c.roundtrip(
        &resp(&["HELLO", "x"]),
        b"-ERR Protocol version is not an integer or out of range\r\n",
    );
    c.roundtrip(
        &resp(&["HELLO", "3", "SETNAME"]),
        b"-ERR Syntax error in HELLO option 'SETNAME'\r\n",
    );
    c.send(&resp(&["HELLO", "3", "SETNAME", "worker-1"]));
    assert_eq!(c.read_line(), "%7\r\n");
    while c.read_line() != "*0\r\n" {} // the rest of the map, as above
    c.roundtrip(&resp(&["CLIENT", "GETNAME"]), b"$8\r\nworker-1\r\n");
    c.roundtrip(&resp(&["RESET"]), b"+RESET\r\n");
    c.roundtrip(&resp(&["CLIENT", "GETNAME"]), b"$-1\r\n");
    c.roundtrip(&resp(&["GET", "missing"]), b"$-1\r\n");
}

#[test]
fn a_pipeline_of_a_thousand_commands() {
    let (_server, mut c) = Server::start_raw();
    let mut request = Vec::new();
    let mut expected = Vec::new();
    for i in 0..1000 {
        request.extend(resp(&["INCR", "pipelined"]));
        expected.extend(format!(":{}\r\n", i + 1).into_bytes());
    }
    c.roundtrip(&request, &expected);
}

#[test]
fn unknown_commands_and_arity_errors_in_redis_words() {
    let (_server, mut c) = Server::start_raw();
    c.roundtrip(
        &resp(&["FOO", "a", "b"]),
        b"-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n",
    );
    c.roundtrip(&resp(&["nope"]), b"-ERR unknown command 'nope', with args beginning with: \r\n");
    c.roundtrip(&resp(&["GET"]), b"-ERR wrong number of arguments for 'get' command\r\n");
    c.roundtrip(&resp(&["get", "a", "b"]), b"-ERR wrong number of arguments for 'get' command\r\n");
    c.roundtrip(&resp(&["SELECT", "0"]), b"+OK\r\n");
    c.roundtrip(&resp(&["SELECT", "1"]), b"-ERR DB index is out of range\r\n");
    c.roundtrip(&resp(&["CLIENT", "FOO"]), b"-ERR unknown subcommand 'FOO'. Try CLIENT HELP.\r\n");
}

#[test]
fn a_protocol_error_closes_only_that_connection() {
    let server = Server::start(&[]);
    let mut good = server.raw();
    good.roundtrip(&resp(&["SET", "k", "v"]), b"+OK\r\n");
    let mut bad = server.raw();
    bad.send(b"*1\r\n$4\r\nPING\r\n*2\r\n$x\r\n");
    let rest = bad.read_to_close();
    assert_eq!(
        String::from_utf8_lossy(&rest),
        "+PONG\r\n-ERR Protocol error: invalid bulk length\r\n"
    );
    good.roundtrip(&resp(&["GET", "k"]), b"$1\r\nv\r\n");
}

#[test]
fn quit_replies_then_closes() {
    let (_server, mut c) = Server::start_raw();
    c.send(&resp(&["QUIT"]));
    assert_eq!(c.read_to_close(), b"+OK\r\n");
}

#[test]
fn requirepass_gates_commands_until_auth() {
    let (server, mut c) = Server::start_raw_with(&["--requirepass", "s3cret"]);
    c.roundtrip(&resp(&["GET", "k"]), b"-NOAUTH Authentication required.\r\n");
    // Unknown commands and arity come first, as in Redis.
    c.roundtrip(&resp(&["GET"]), b"-ERR wrong number of arguments for 'get' command\r\n");
    c.roundtrip(
        &resp(&["AUTH", "wrong"]),
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n",
    );
    c.roundtrip(&resp(&["AUTH", "s3cret"]), b"+OK\r\n");
    c.roundtrip(&resp(&["PING"]), b"+PONG\r\n");
    c.roundtrip(&resp(&["RESET"]), b"+RESET\r\n");
    c.roundtrip(&resp(&["PING"]), b"-NOAUTH Authentication required.\r\n");
    c.roundtrip(&resp(&["AUTH", "default", "s3cret"]), b"+OK\r\n");
    c.roundtrip(&resp(&["PING"]), b"+PONG\r\n");

    let mut h = server.raw();
    h.send(&resp(&["HELLO", "3"]));
    assert!(
        h.read_line()
            .starts_with("-NOAUTH HELLO must be called with the client already authenticated")
    );
    h.send(&resp(&["HELLO", "3", "AUTH", "default", "s3cret"]));
    assert_eq!(h.read_line(), "%7\r\n");
}

#[test]
fn named_users_authenticate_with_auth_user_pass() {
    let server =
        Server::start_with_config("[[user]]\nname = \"app\"\npassword = \"pw-app\"\n", &[]);
    let mut c = server.raw();
    c.roundtrip(&resp(&["PING"]), b"-NOAUTH Authentication required.\r\n");
    c.roundtrip(
        &resp(&["AUTH", "app", "nope"]),
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n",
    );
    c.roundtrip(&resp(&["AUTH", "app", "pw-app"]), b"+OK\r\n");
    c.roundtrip(&resp(&["PING"]), b"+PONG\r\n");
    c.send(&resp(&["CLIENT", "INFO"]));
    let body = c.read_bulk();
    assert!(body.contains(" user=app "), "{body}");
}

#[test]
fn maxclients_refuses_the_client_over_the_limit() {
    let server = Server::start_with_config("maxclients = 1\n", &[]);
    let mut first = server.raw();
    first.roundtrip(&resp(&["PING"]), b"+PONG\r\n");
    let mut second = server.raw();
    assert_eq!(second.read_to_close(), b"-ERR max number of clients reached\r\n");
    first.roundtrip(&resp(&["PING"]), b"+PONG\r\n");
}

#[test]
fn client_kill_by_id_closes_the_other_client() {
    let server = Server::start(&[]);
    let mut victim = server.raw();
    victim.send(&resp(&["CLIENT", "ID"]));
    let id = victim.read_line().trim_start_matches(':').trim_end().to_owned();
    let mut killer = server.raw();
    killer.roundtrip(&resp(&["CLIENT", "KILL", "ID", &id]), b":1\r\n");
    assert_eq!(victim.read_to_close(), b"");
    killer.roundtrip(&resp(&["CLIENT", "KILL", "ID", &id]), b":0\r\n");
}

#[tokio::test]
async fn the_redis_crate_works_in_resp2_and_resp3() {
    let server = Server::start(&[]);
    for url in [server.url(), format!("{}?protocol=resp3", server.url())] {
        let client = redis::Client::open(url.as_str()).unwrap();
        let mut con = client.get_multiplexed_async_connection().await.unwrap();
        let pong: String = redis::cmd("PING").query_async(&mut con).await.unwrap();
        assert_eq!(pong, "PONG");
        let echoed: String = redis::cmd("ECHO").arg("hi").query_async(&mut con).await.unwrap();
        assert_eq!(echoed, "hi");
        let info: String = redis::cmd("INFO").query_async(&mut con).await.unwrap();
        assert!(info.contains("# Writebehind") && info.contains("pending_entries:"), "{info}");
        let count: i64 = redis::cmd("COMMAND").arg("COUNT").query_async(&mut con).await.unwrap();
        assert!(count >= 15);
        let time: Vec<String> = redis::cmd("TIME").query_async(&mut con).await.unwrap();
        assert_eq!(time.len(), 2);
    }
}

#[test]
fn an_idle_client_is_closed_after_timeout_seconds() {
    let server = Server::start_with_config("timeout = 1\n", &[]);
    let mut idle = server.raw();
    idle.roundtrip(b"PING\r\n", b"+PONG\r\n");
    let start = std::time::Instant::now();
    assert_eq!(idle.read_to_close(), b"");
    assert!(start.elapsed() >= std::time::Duration::from_millis(900));
}
