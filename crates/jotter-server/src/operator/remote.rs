//! A small RESP client for the operator's commands: connects to a running
//! server, logs in as redis-cli does (`HELLO 3 AUTH user password`), then
//! sends one request at a time and reads its one reply (`jotter bench`
//! sends its JOTTER.FLUSH and JOTTER.STATUS so; its load goes through a
//! leaner connection of its own). Replies are read with
//! `jotter-resp`'s frame parser; a server's error reply becomes
//! [`RemoteError::Refused`], with a hint for the refusals an operator meets
//! (no password, wrong password, no permission, a server that does not know
//! the command).

use std::time::Duration;

use bytes::BytesMut;
use jotter_resp::{Frame, FrameError, encode_request};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long connecting may take: a host that does not answer is reported,
/// not waited on forever. Replies have no limit, as in redis-cli: a replay
/// may wait on a slow store.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the server is and who logs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Address {
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    pub password: Option<String>,
}

impl Address {
    /// Reads `redis://[user[:password]@]host[:port][/db]` as redis-cli does;
    /// what the URI leaves out keeps the value of `self`.
    pub(crate) fn with_uri(mut self, uri: &str) -> Result<Address, RemoteError> {
        let bad = |why: &str| RemoteError::Uri { uri: uri.to_owned(), why: why.to_owned() };
        let rest = uri
            .strip_prefix("redis://")
            .ok_or_else(|| bad("it must start with redis:// (rediss:// is not supported)"))?;
        let rest = rest.split(['/', '?']).next().unwrap_or_default();
        let (credentials, host_port) = match rest.rsplit_once('@') {
            Some((credentials, host_port)) => (Some(credentials), host_port),
            None => (None, rest),
        };
        if let Some(credentials) = credentials {
            let (user, password) = match credentials.split_once(':') {
                Some((user, password)) => (user, Some(password)),
                None => (credentials, None),
            };
            if !user.is_empty() {
                self.user = Some(percent_decode(user).map_err(|()| bad("bad %-escape"))?);
            }
            if let Some(password) = password {
                self.password = Some(percent_decode(password).map_err(|()| bad("bad %-escape"))?);
            }
        }
        let (host, port) = match host_port.strip_prefix('[') {
            // [::1]:6380
            Some(v6) => {
                let (host, after) = v6.split_once(']').ok_or_else(|| bad("unclosed ["))?;
                (host, after.strip_prefix(':'))
            }
            None => match host_port.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (host_port, None),
            },
        };
        if !host.is_empty() {
            self.host = host.to_owned();
        }
        if let Some(port) = port {
            self.port = port.parse().map_err(|_| bad("the port is not a number"))?;
        }
        Ok(self)
    }
}

/// `%XX` escapes in a URI's user or password.
fn percent_decode(text: &str) -> Result<String, ()> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3).ok_or(())?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| ())?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| ())
}

/// Why talking to the server failed; each says what to do.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RemoteError {
    #[error("cannot use the URI {uri}: {why}")]
    Uri { uri: String, why: String },
    #[error(
        "cannot connect to {addr}: {source}; is a server running there? (give its address with \
         -h HOST -p PORT, or reach a stopped server's data directory with --data-dir DIR)"
    )]
    Connect { addr: String, source: std::io::Error },
    #[error("lost the connection to {addr}: {source}")]
    Io { addr: String, source: std::io::Error },
    #[error("the server at {addr} closed the connection before it replied")]
    Closed { addr: String },
    #[error("the server at {addr} did not answer in RESP: {source}")]
    Protocol { addr: String, source: FrameError },
    #[error("the server at {addr} refused {command}: {message}{}", hint(.message))]
    Refused { addr: String, command: String, message: String },
    #[error("the server at {addr} replied to {command} with {reply}, not what this jotter expects")]
    Unexpected { addr: String, command: String, reply: String },
}

impl RemoteError {
    /// A reply of the wrong shape to `command`.
    pub(crate) fn unexpected(remote: &Remote, command: &str, reply: &Frame) -> RemoteError {
        RemoteError::Unexpected {
            addr: remote.addr.clone(),
            command: command.to_owned(),
            reply: format!("{reply:?}"),
        }
    }
}

/// What to do about a refusal, from its error code.
fn hint(message: &str) -> &'static str {
    let code = message.split(' ').next().unwrap_or_default();
    match code {
        "NOAUTH" => " (the server needs a password: give it with -a PASSWORD or REDISCLI_AUTH)",
        "WRONGPASS" => " (check -a/REDISCLI_AUTH and --user)",
        "NOPERM" => {
            " (log in as a user whose `commands` in the server's [[user]] section allow it, with \
             --user NAME -a PASSWORD)"
        }
        "ERR" if message.starts_with("ERR unknown command") => {
            " (the server is older than this jotter: upgrade it, or run the command with that \
             version's jotter)"
        }
        _ => "",
    }
}

/// One logged-in connection.
#[derive(Debug)]
pub(crate) struct Remote {
    stream: TcpStream,
    input: BytesMut,
    output: BytesMut,
    addr: String,
}

impl Remote {
    /// Connects and logs in; RESP3, so that entries arrive as maps. `name`
    /// is what CLIENT LIST shows for the connection.
    pub(crate) async fn connect(address: &Address, name: &str) -> Result<Remote, RemoteError> {
        let addr = match address.host.contains(':') {
            true => format!("[{}]:{}", address.host, address.port),
            false => format!("{}:{}", address.host, address.port),
        };
        let connecting = TcpStream::connect((address.host.as_str(), address.port));
        let stream = match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(source)) => return Err(RemoteError::Connect { addr, source }),
            Err(_) => {
                let source = std::io::Error::new(std::io::ErrorKind::TimedOut, "timed out");
                return Err(RemoteError::Connect { addr, source });
            }
        };
        let mut remote = Remote {
            stream,
            input: BytesMut::with_capacity(16 * 1024),
            output: BytesMut::new(),
            addr,
        };
        let mut hello: Vec<&[u8]> = vec![b"HELLO", b"3"];
        if let Some(password) = &address.password {
            let user = address.user.as_deref().unwrap_or("default");
            hello.extend([b"AUTH".as_slice(), user.as_bytes(), password.as_bytes()]);
        }
        hello.extend([b"SETNAME".as_slice(), name.as_bytes()]);
        remote.call(&hello).await?;
        Ok(remote)
    }

    /// Where the connection goes, as `host:port`.
    pub(crate) fn addr(&self) -> &str {
        &self.addr
    }

    /// Sends one request and reads its reply; an error reply is
    /// [`RemoteError::Refused`].
    pub(crate) async fn call<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Result<Frame, RemoteError> {
        self.queue(args);
        self.send().await?;
        match self.reply().await? {
            Frame::Error(message) | Frame::BlobError(message) => Err(RemoteError::Refused {
                addr: self.addr.clone(),
                command: command_name(args),
                message: String::from_utf8_lossy(&message).into_owned(),
            }),
            reply => Ok(reply),
        }
    }

    /// Adds one request to those [`Remote::send`] writes next: a pipeline is
    /// several `queue`s, one `send`, then as many [`Remote::reply`]s.
    pub(crate) fn queue<A: AsRef<[u8]>>(&mut self, args: &[A]) {
        encode_request(args, &mut self.output);
    }

    /// Writes the queued requests in one write.
    pub(crate) async fn send(&mut self) -> Result<(), RemoteError> {
        let written = self.stream.write_all(&self.output).await;
        self.output.clear();
        written.map_err(|source| RemoteError::Io { addr: self.addr.clone(), source })
    }

    /// Reads the next reply, error replies included (push messages are
    /// skipped: they answer no request).
    pub(crate) async fn reply(&mut self) -> Result<Frame, RemoteError> {
        loop {
            match Frame::parse(&mut self.input) {
                Ok(Some(Frame::Push(_))) => continue,
                Ok(Some(frame)) => return Ok(frame),
                Ok(None) => {}
                Err(source) => {
                    return Err(RemoteError::Protocol { addr: self.addr.clone(), source });
                }
            }
            let read = self.stream.read_buf(&mut self.input).await;
            match read {
                Ok(0) => return Err(RemoteError::Closed { addr: self.addr.clone() }),
                Ok(_) => {}
                Err(source) => return Err(RemoteError::Io { addr: self.addr.clone(), source }),
            }
        }
    }
}

/// The command's name as an operator reads it: `JOTTER.DEADLETTERS LIST`.
fn command_name<A: AsRef<[u8]>>(args: &[A]) -> String {
    let words: Vec<_> =
        args.iter().take(2).map(|a| String::from_utf8_lossy(a.as_ref()).into_owned()).collect();
    match words.first().map(String::as_str) {
        Some(name) if name.eq_ignore_ascii_case("JOTTER.DEADLETTERS") => words.join(" "),
        Some(name) => name.to_owned(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Address {
        Address { host: "127.0.0.1".into(), port: 6380, user: None, password: None }
    }

    #[test]
    fn a_uri_sets_what_it_names() {
        let a = base().with_uri("redis://ops:s%40cret@db.example:7000/0").unwrap();
        assert_eq!(a.host, "db.example");
        assert_eq!(a.port, 7000);
        assert_eq!(a.user.as_deref(), Some("ops"));
        assert_eq!(a.password.as_deref(), Some("s@cret"));
        // redis-cli's form for the default user: an empty user name.
        let a = base().with_uri("redis://:pw@[::1]").unwrap();
        assert_eq!(
            (a.host.as_str(), a.port, a.user, a.password.as_deref()),
            ("::1", 6380, None, Some("pw"))
        );
        assert!(base().with_uri("http://x").is_err());
        assert!(base().with_uri("redis://h:port").is_err());
    }

    #[test]
    fn refusals_say_what_to_do() {
        assert!(hint("NOAUTH Authentication required.").contains("-a PASSWORD"));
        assert!(hint("NOPERM this user has no permissions").contains("[[user]]"));
        assert!(hint("ERR unknown command 'JOTTER.KEY'").contains("older"));
        assert_eq!(hint("ERR value is out of range"), "");
    }
}
