//! SHUTDOWN stops as SIGTERM does (the pending writes drained to the store,
//! exit 0), SHUTDOWN NOSAVE stops without waiting for the drain (what is
//! left stays in the log for the next start), and
//! CONFIG REWRITE writes run-time settings into the file the server was
//! started with, which the next start reads back; CONFIG SET timeout
//! reaches a client already waiting.

mod common;

use std::time::Duration;

use common::reply::{q, rt};
use common::sqlite::stored_string;
use common::{Server, resp};

/// Writes stay pending: no batch goes before the stop.
const SLOW_FLUSH: [&str; 2] = ["--flush-interval", "1h"];

#[test]
fn shutdown_drains_pending_writes_into_the_store() {
    let mut server = Server::start(&SLOW_FLUSH);
    let mut c = server.raw();
    for i in 0..20 {
        rt(&mut c, &["SET", &format!("k{i}"), "v"], b"+OK\r\n");
    }
    assert_eq!(stored_string(&server, "k0"), None, "the write is still pending");
    c.send(&resp(&["SHUTDOWN"]));
    assert_eq!(c.read_to_close(), b"", "a successful SHUTDOWN sends no reply");
    let status = server.wait(Duration::from_secs(20));
    assert_eq!(status.code(), Some(0), "log:\n{}", server.log());
    for i in 0..20 {
        assert_eq!(stored_string(&server, &format!("k{i}")).map(|s| s.0), Some(b"v".to_vec()));
    }
}

#[test]
fn shutdown_nosave_leaves_pending_writes_in_the_log_for_the_next_start() {
    let mut server = Server::start(&SLOW_FLUSH);
    let mut c = server.raw();
    rt(&mut c, &["SET", "kept", "in-log"], b"+OK\r\n");
    c.send(&resp(&["SHUTDOWN", "NOSAVE", "NOW"]));
    assert_eq!(c.read_to_close(), b"");
    let status = server.wait(Duration::from_secs(20));
    // The stop does not wait for the drain; a batch the workers had begun
    // may still land (exit 0), else the write stays in the log (exit 3).
    assert!(matches!(status.code(), Some(0 | 3)), "{status:?}; log:\n{}", server.log());
    let server = server.restart(&[]);
    let mut c = server.raw();
    rt(&mut c, &["GET", "kept"], b"$6\r\nin-log\r\n");
}

#[test]
fn config_rewrite_keeps_the_file_and_the_next_start_reads_it_back() {
    let file = "# A comment the rewrite keeps.\nmaxclients = 50\n\n[[user]]\nname = \"ops\"\npassword = \"pw\"\n";
    let server = Server::start_with_config(file, &[]);
    let path = server.dir.path().join("jotter.toml");
    // It holds a password: only its owner may read it, before and after.
    let owner_only = std::os::unix::fs::PermissionsExt::from_mode(0o600);
    std::fs::set_permissions(&path, owner_only).expect("chmod");
    let mut c = server.raw();
    rt(&mut c, &["AUTH", "ops", "pw"], b"+OK\r\n");
    rt(&mut c, &["CONFIG", "SET", "maxclients", "60", "slowlog-max-len", "7"], b"+OK\r\n");
    rt(&mut c, &["CONFIG", "REWRITE"], b"+OK\r\n");
    let text = std::fs::read_to_string(&path).expect("the rewritten file");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&path).expect("metadata").permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    assert!(text.starts_with("# A comment the rewrite keeps.\nmaxclients = 60\n"), "{text}");
    assert!(text.contains("\nslowlog-max-len = 7\n"), "{text}");
    assert!(text.contains("[[user]]\nname = \"ops\""), "{text}");
    // The server reads the file back: the settings hold after a restart.
    let server = server.restart(&["--config", path.to_str().expect("utf-8 path")]);
    let mut c = server.raw();
    rt(&mut c, &["AUTH", "ops", "pw"], b"+OK\r\n");
    assert_eq!(
        q(&mut c, &["CONFIG", "GET", "maxclients", "slowlog-max-len"]),
        r#"["maxclients", "60", "slowlog-max-len", "7"]"#
    );
}

#[test]
fn config_set_timeout_closes_a_client_already_waiting() {
    let server = Server::start(&[]);
    let mut idle = server.raw();
    rt(&mut idle, &["PING"], b"+PONG\r\n");
    let mut c = server.raw();
    rt(&mut c, &["CONFIG", "SET", "timeout", "1"], b"+OK\r\n");
    // Closed by the server (a read of 0 bytes); the 10 s read timeout
    // would be an error.
    let mut buf = [0u8; 16];
    let read = std::io::Read::read(&mut idle.stream, &mut buf);
    assert!(matches!(read, Ok(0)), "{read:?}");
}
