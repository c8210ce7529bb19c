//! Starting and stopping: settings that stop the start with a message
//! naming the key, the example config, and the HTTP admin port.

mod common;

use std::process::Stdio;

use common::Server;
use tempfile::TempDir;

/// Runs `jotter serve` expecting it to refuse to start; returns stderr.
fn refused(extra: &[&str], config: Option<&str>) -> String {
    let dir = TempDir::new().unwrap();
    let mut args: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
    if let Some(config) = config {
        let path = dir.path().join("jotter.toml");
        std::fs::write(&path, config).unwrap();
        args.extend(["--config".to_owned(), path.display().to_string()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output =
        common::command(dir.path(), &args).stdin(Stdio::null()).output().expect("run jotter");
    assert!(!output.status.success(), "jotter started with {extra:?} {config:?}");
    assert!(output.stdout.is_empty(), "it printed a listening line");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Each refusal names what is wrong: (flags, config file, what stderr says).
#[test]
fn bad_settings_stop_the_start_and_name_the_flag_or_key_and_the_values() {
    let cases: [(&[&str], Option<&str>, &[&str]); 4] = [
        (&["--fsync", "sometimes"], None, &["--fsync", "always, everysec, no"]),
        (&[], Some("fsync = \"sometimes\"\n"), &["fsync", "`always`, `everysec`, `no`"]),
        // An unknown key is refused.
        (&[], Some("fsycn = \"always\"\n"), &["fsycn"]),
        // Protected mode refuses an open bind without a password.
        (&["--bind", "0.0.0.0"], None, &["bind", "protected mode"]),
    ];
    for (flags, config, words) in cases {
        let err = refused(flags, config);
        for word in words {
            assert!(err.contains(word), "{flags:?} {config:?}: no {word:?} in {err}");
        }
    }
}

#[test]
fn an_unreachable_postgres_does_not_stop_the_start_and_its_password_is_never_shown() {
    let (server, mut c) =
        Server::start_raw_with(&["--store", "postgres://app:secret-pw@127.0.0.1:1/app"]);
    // Writes are taken; a read of a key not in memory is refused, retryably.
    c.roundtrip(b"SET k v\r\n", b"+OK\r\n");
    c.roundtrip(b"GET k\r\n", b"$1\r\nv\r\n");
    c.send(b"GET never-written\r\n");
    let line = c.read_line();
    assert!(line.starts_with("-TRYAGAIN store unavailable: "), "{line}");
    for needs_the_store in ["SET cold v NX", "INCR cold", "DEL cold"] {
        c.send(format!("{needs_the_store}\r\n").as_bytes());
        let reply = c.read_line();
        assert!(reply.starts_with("-TRYAGAIN store unavailable: "), "{needs_the_store}: {reply}");
    }
    // A key whose write is pending needs no store.
    c.roundtrip(b"DEL k\r\n", b":1\r\n");
    c.send(b"INFO writebehind\r\n");
    let info = c.read_bulk();
    assert!(info.contains("store_up:0"), "{info}");
    // Ready (it takes writes); the store's state is reported apart.
    let (status, body) = server.http_get("/ready");
    assert_eq!(status, 200, "{body}");
    let (status, body) = server.http_get("/health/store");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("state: unavailable"), "{body}");
    let metrics = server.http_get("/metrics").1;
    assert!(metrics.contains("jotter_store_up 0"), "{metrics}");
    for text in [line, info, body, server.log()] {
        assert!(!text.contains("secret-pw"), "the password leaked: {text}");
    }
}

#[test]
fn the_example_config_starts_the_server() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../jotter.example.toml");
    // The harness's flags override the file's ports and data dir.
    let (_server, mut c) = Server::start_raw_with(&["--config", example]);
    c.roundtrip(b"PING\r\n", b"+PONG\r\n");
}

#[test]
fn admin_port_answers_health_ready_and_metrics() {
    let (server, mut c) = Server::start_raw();
    c.roundtrip(b"SET k v\r\n", b"+OK\r\n");
    assert_eq!(server.http_get("/health"), (200, "ok".to_owned()));
    let (status, body) = server.http_get("/ready");
    assert_eq!(status, 200, "{body}");
    // The engine publishes its gauges on its housekeeping tick: wait for one.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let metrics = loop {
        let (status, metrics) = server.http_get("/metrics");
        assert_eq!(status, 200);
        if metrics.contains("jotter_writes_accepted_total") || std::time::Instant::now() > deadline
        {
            break metrics;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    for name in [
        "jotter_connections_total",
        "jotter_connected_clients",
        "jotter_commands_total{command=\"set\"} 1",
        "jotter_writes_accepted_total",
    ] {
        assert!(metrics.contains(name), "{name} missing from:\n{metrics}");
    }
}

#[cfg(not(feature = "tls"))]
#[test]
fn a_tls_section_without_the_tls_feature_is_refused() {
    let err = refused(&[], Some("[tls]\nport = 0\ncert = \"c.pem\"\nkey = \"k.pem\"\n"));
    assert!(err.contains("tls") && err.contains("--features tls"), "{err}");
}

#[test]
fn the_admin_port_outside_loopback_needs_a_token() {
    // Even with a RESP password and protected mode off.
    let err = refused(
        &["--admin-bind", "0.0.0.0", "--requirepass", "pw", "--protected-mode", "no"],
        None,
    );
    assert!(err.contains("admin-bind") && err.contains("admin-token"), "{err}");
    let server = Server::start(&["--admin-bind", "0.0.0.0", "--admin-token", "s3cret"]);
    let (status, _) = server.http_get("/metrics");
    assert_eq!(status, 401);
}

#[test]
fn with_a_token_every_admin_path_but_health_asks_for_it() {
    let server = Server::start(&["--admin-token", "s3cret"]);
    let right = "Authorization: Bearer s3cret\r\n";
    let wrong = "Authorization: Bearer s3cre7\r\n";
    assert_eq!(server.http_get("/health"), (200, "ok".to_owned()));
    // A path that does not exist is refused too, not reported missing.
    for path in ["/metrics", "/ready", "/health/store", "/nothing-here"] {
        assert_eq!(server.http_get(path).0, 401, "{path} without the token");
        assert_eq!(server.http_get_with(path, wrong).0, 401, "{path} with a wrong token");
    }
    assert_eq!(server.http_get_with("/metrics", right).0, 200);
    assert_eq!(server.http_get_with("/ready", right).0, 200);
    assert_eq!(server.http_get_with("/nothing-here", right).0, 404);
}

/// The listen queue `ss` reports for the listening socket on `port`
/// (Send-Q of a listening socket is its backlog), or `None` without `ss`.
fn listen_backlog(port: u16) -> Option<u32> {
    let out = std::process::Command::new("ss")
        .args(["-ltnH", &format!("sport = :{port}")])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().next()?;
    line.split_whitespace().nth(2)?.parse().ok()
}

#[test]
fn tcp_backlog_is_511_by_default_and_a_setting() {
    let server = Server::start(&[]);
    let Some(backlog) = listen_backlog(server.resp.port()) else {
        eprintln!("SKIPPED: `ss` is not available to read the listen queue");
        return;
    };
    assert_eq!(backlog, 511);
    let server = Server::start(&["--tcp-backlog", "77"]);
    assert_eq!(listen_backlog(server.resp.port()), Some(77));
    let server = Server::start_with_config("tcp-backlog = 1000\n", &[]);
    assert_eq!(listen_backlog(server.resp.port()), Some(1000));
}
