//! Logging a client in, as Redis 7.0 does, for every server that
//! authenticates its clients: a single node's AUTH and HELLO
//! (`command/connection.rs`) and a cluster front end's (`cluster/login.rs`).
//! It owns AUTH's and HELLO's arguments, their errors in Redis's words,
//! and the check of a password against the users under the auth-failure
//! throttle (`auth_throttle.rs`); the caller keeps the connection's state
//! and logs a failure (ACL LOG) with its own client line. [`admit`] is
//! the dispatcher's checks for a server that keeps no session of a client
//! but its log-in (a cluster front end).

use std::net::IpAddr;
use std::sync::Arc;

use bytes::Bytes;
use jotter_resp::{Protocol, Request};

use super::super::args::parse_i64;
use super::super::permissions::Permissions;
use super::super::spec::{Table, flag};
use super::enforce::{denied, refusal_text};
use super::log::{Reason, Refusal};
use super::registry::Users;
use crate::auth_throttle::AuthThrottle;

/// Redis's refusal of a command before AUTH.
pub(crate) const NOAUTH: &str = "NOAUTH Authentication required.";

/// Redis's refusal of a wrong password, an unknown or a disabled user.
pub(crate) const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

/// Redis's refusal of HELLO without AUTH before authentication.
const HELLO_NOAUTH: &str = "NOAUTH HELLO must be called with the client already authenticated, \
    otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client \
    and select the RESP protocol version at the same time";

/// Redis's refusal of `AUTH password` when `default` needs none.
const AUTH_WITHOUT_PASSWORD: &str = "ERR AUTH <password> called without any password configured \
    for the default user. Are you sure your configuration is correct?";

/// A user name (`None`: `default`) and a password.
pub(crate) type Credentials<'r> = (Option<&'r [u8]>, &'r [u8]);

/// AUTH's credentials (`AUTH password`, `AUTH user password`), or the
/// error Redis replies.
pub(crate) fn auth_credentials<'r>(
    req: &'r Request,
    users: &Users,
) -> Result<Credentials<'r>, &'static str> {
    let (name, password) = match req.len() {
        2 => (None, req.arg(1).unwrap_or_default()),
        3 => (req.arg(1), req.arg(2).unwrap_or_default()),
        _ => return Err("ERR syntax error"),
    };
    if name.is_none() && users.default_nopass() {
        return Err(AUTH_WITHOUT_PASSWORD);
    }
    Ok((name, password))
}

/// HELLO's arguments: `HELLO [protover [AUTH user pass] [SETNAME name]]`.
#[derive(Debug)]
pub(crate) struct Hello<'r> {
    /// The protocol asked for; `None`: the connection's stays.
    pub protocol: Option<Protocol>,
    pub credentials: Option<Credentials<'r>>,
    pub name: Option<Bytes>,
}

impl<'r> Hello<'r> {
    /// HELLO's arguments, or the error Redis replies; an `authenticated`
    /// connection may leave AUTH out.
    pub(crate) fn parse(req: &'r Request, authenticated: bool) -> Result<Hello<'r>, String> {
        let mut hello = Hello { protocol: None, credentials: None, name: None };
        if let Some(version) = req.arg(1) {
            hello.protocol = match parse_i64(version) {
                None => return Err("ERR Protocol version is not an integer or out of range".into()),
                Some(2) => Some(Protocol::Resp2),
                Some(3) => Some(Protocol::Resp3),
                Some(_) => return Err("NOPROTO unsupported protocol version".into()),
            };
        }
        let mut j = 2;
        while j < req.len() {
            let option = req.arg(j).unwrap_or_default();
            let more = req.len() - j - 1;
            if option.eq_ignore_ascii_case(b"AUTH") && more >= 2 {
                let user = req.arg(j + 1).unwrap_or_default();
                hello.credentials = Some((Some(user), req.arg(j + 2).unwrap_or_default()));
                j += 3;
            } else if option.eq_ignore_ascii_case(b"SETNAME") && more >= 1 {
                hello.name = req.arg_bytes(j + 1);
                j += 2;
            } else {
                let option = String::from_utf8_lossy(option);
                return Err(format!("ERR Syntax error in HELLO option '{option}'"));
            }
        }
        if !authenticated && hello.credentials.is_none() {
            return Err(HELLO_NOAUTH.to_owned());
        }
        Ok(hello)
    }
}

/// A client logged in.
pub(crate) struct LoggedIn {
    pub user: Arc<str>,
    pub permissions: Arc<Permissions>,
    /// The users' generation the permissions were taken at.
    pub generation: u64,
}

/// A failed log-in: the user it tried, as ACL LOG names it.
pub(crate) struct Refused {
    pub user: String,
}

impl Refused {
    /// The failure as ACL LOG keeps it.
    pub(crate) fn refusal(&self) -> Refusal {
        Refusal {
            reason: Reason::Auth,
            context: "toplevel",
            object: "AUTH".to_owned(),
            username: self.user.clone(),
        }
    }
}

/// Checks `credentials` against `users`. An address (`from`) that failed
/// too often waits first, and a failure counts against it.
pub(crate) async fn log_in(
    users: &Users,
    throttle: &AuthThrottle,
    from: IpAddr,
    (name, password): Credentials<'_>,
) -> Result<LoggedIn, Refused> {
    let attempt = throttle.attempt(from).await;
    let user = String::from_utf8_lossy(name.unwrap_or(b"default")).into_owned();
    // Taken first: a change made while this runs is seen at the next
    // command.
    let generation = users.generation();
    match users.authenticate(&user, password) {
        Some(permissions) => Ok(LoggedIn { user: Arc::from(user), permissions, generation }),
        None => {
            attempt.failed();
            Err(Refused { user })
        }
    }
}

/// Why a request is not admitted: the error's text, and the refusal ACL
/// LOG keeps (`None` for NOAUTH and arity errors, which it does not).
pub(crate) type NotAdmitted = (String, Option<Refusal>);

/// A single node's checks of `req` (looked up in `commands`) before it
/// runs, in Redis's order, for a client `authenticated` or not, running
/// under `permissions` as `user` (`in_multi`: inside MULTI, ACL LOG's
/// context): a wrong arity before authentication, then NOAUTH, then the
/// user's command, keys and channels. The dispatcher makes the same
/// checks with a session's side effects (`dispatch.rs`). A command the table does not know is admitted: the caller
/// answers it. An authenticated client's wrong arity is admitted too,
/// for the caller to answer (a front end lets Redis answer it).
pub(crate) fn admit(
    commands: &Table,
    authenticated: bool,
    permissions: &Permissions,
    user: &str,
    in_multi: bool,
    req: &Request,
) -> Result<(), NotAdmitted> {
    let Some((index, spec)) = commands.lookup(req.name()) else { return Ok(()) };
    if !authenticated {
        if !spec.arity_ok(req.len()) {
            let text = format!("ERR wrong number of arguments for '{}' command", spec.name);
            return Err((text, None));
        }
        if !spec.has(flag::NOAUTH) {
            return Err((NOAUTH.to_owned(), None));
        }
    }
    if spec.has(flag::NOAUTH) || !spec.arity_ok(req.len()) {
        return Ok(());
    }
    let Some((reason, object)) = denied(permissions, index, spec, req) else { return Ok(()) };
    let text = refusal_text(reason, &object);
    let context = if in_multi { "multi" } else { "toplevel" };
    Err((text, Some(Refusal { reason, context, object, username: user.to_owned() })))
}
