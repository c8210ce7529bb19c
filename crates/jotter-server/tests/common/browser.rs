//! A real headless Chromium driven over the DevTools protocol on a pipe
//! (`--remote-debugging-pipe`: JSON messages ended by a NUL byte on file
//! descriptors 3 and 4, mapped here to the child's stdin and stdout), so a
//! test can load a page, let it run in real time and read its DOM, with no
//! websocket client. Without Chromium a test skips loudly, or fails with
//! `JOTTER_REQUIRE_SERVICES=1`.

use std::io::{Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use tempfile::TempDir;

/// How long one protocol call may take before the test gives up on it.
const CALL_LIMIT: Duration = Duration::from_secs(60);

pub struct Browser {
    child: Child,
    to: ChildStdin,
    from: Receiver<String>,
    next_id: u64,
    _profile: TempDir,
}

/// One open tab.
pub struct Page {
    session: String,
}

impl Browser {
    /// Starts Chromium (`$JOTTER_CHROMIUM`, else `chromium` on the PATH),
    /// or returns `None` after saying loudly why the test is skipped.
    pub fn launch() -> Option<Browser> {
        let program = std::env::var("JOTTER_CHROMIUM").unwrap_or_else(|_| "chromium".to_owned());
        let found = Command::new(&program)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            if std::env::var("JOTTER_REQUIRE_SERVICES").as_deref() == Ok("1") {
                panic!(
                    "Chromium ({program}) is required (JOTTER_REQUIRE_SERVICES=1): apt-get install chromium"
                );
            }
            eprintln!(
                "\n!!!!! SKIPPED: Chromium ({program}) is not installed (apt-get install chromium) !!!!!\n"
            );
            return None;
        }
        let profile = TempDir::new().expect("a profile directory");
        // The shell only maps the pipes to 3 and 4 and then becomes Chromium.
        let mut child = Command::new("bash")
            .arg("-c")
            .arg(
                r#"exec "$0" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
                   --disable-background-networking --disable-component-update --disable-sync \
                   --remote-debugging-pipe --user-data-dir="$1" --window-size=1280,900 \
                   about:blank 3<&0 4>&1 0</dev/null 1>/dev/null"#,
            )
            .arg(&program)
            .arg(profile.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromium");
        let to = child.stdin.take().expect("stdin");
        let mut out = child.stdout.take().expect("stdout");
        let (send, from) = channel();
        std::thread::spawn(move || {
            let mut pending = Vec::new();
            let mut buf = [0u8; 65536];
            while let Ok(n @ 1..) = out.read(&mut buf) {
                pending.extend_from_slice(&buf[..n]);
                while let Some(end) = pending.iter().position(|&b| b == 0) {
                    let message: Vec<u8> = pending.drain(..=end).collect();
                    let text = String::from_utf8_lossy(&message[..end]).into_owned();
                    if send.send(text).is_err() {
                        return;
                    }
                }
            }
        });
        Some(Browser { child, to, from, next_id: 0, _profile: profile })
    }

    /// Sends one command (`params` is a JSON object) and returns its reply.
    fn call(&mut self, session: Option<&str>, method: &str, params: &str) -> String {
        self.next_id += 1;
        let id = self.next_id;
        let session = session.map(|s| format!(",\"sessionId\":\"{s}\"")).unwrap_or_default();
        let message =
            format!("{{\"id\":{id},\"method\":\"{method}\",\"params\":{params}{session}}}\0");
        self.to.write_all(message.as_bytes()).expect("write to chromium");
        let prefix = format!("{{\"id\":{id},");
        loop {
            let reply = self
                .from
                .recv_timeout(CALL_LIMIT)
                .unwrap_or_else(|e| panic!("chromium did not answer {method}: {e}"));
            if reply.starts_with(&prefix) {
                assert!(!reply.contains("\"error\":{"), "{method} failed: {reply}");
                return reply;
            }
        }
    }

    /// Opens `url` in a new tab.
    pub fn open(&mut self, url: &str) -> Page {
        let reply = self.call(None, "Target.createTarget", &format!("{{\"url\":{}}}", quote(url)));
        let target = string_field(&reply, "targetId");
        let params = format!("{{\"targetId\":\"{target}\",\"flatten\":true}}");
        let reply = self.call(None, "Target.attachToTarget", &params);
        Page { session: string_field(&reply, "sessionId") }
    }

    /// The value of `expression` (which must evaluate to a string) in `page`.
    pub fn eval(&mut self, page: &Page, expression: &str) -> String {
        let params = format!("{{\"expression\":{},\"returnByValue\":true}}", quote(expression));
        let reply = self.call(Some(&page.session), "Runtime.evaluate", &params);
        assert!(reply.contains("\"type\":\"string\""), "not a string: {reply}");
        string_field(&reply, "value")
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Closing the browser lets it end its own helper processes.
        let _ = self.to.write_all(b"{\"id\":0,\"method\":\"Browser.close\",\"params\":{}}\0");
        for _ in 0..50 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `text` as a JSON string literal.
fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The first JSON string value named `name` in `json`, unescaped.
fn string_field(json: &str, name: &str) -> String {
    let key = format!("\"{name}\":\"");
    let start = json.find(&key).unwrap_or_else(|| panic!("no {name} in {json}")) + key.len();
    let mut out = String::new();
    let mut chars = json[start..].chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return out,
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('u') => {
                    let hex: String = chars.by_ref().take(4).collect();
                    let code = u32::from_str_radix(&hex, 16).expect("a \\u escape");
                    out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                }
                Some(other) => out.push(other),
                None => break,
            },
            c => out.push(c),
        }
    }
    panic!("unterminated {name} in {json}")
}
