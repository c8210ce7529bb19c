//! Who a front end's client is: logged in or not, as which of the front
//! end's own users (from its settings: `requirepass`, `[[user]]`,
//! `aclfile`), and what that user may run. A single node's checks and
//! words (`command::acl::login`) decide AUTH, HELLO's AUTH, NOAUTH,
//! WRONGPASS and the user's command, key and channel rules, under the same
//! auth-failure throttle; refusals go to the front end's own ACL LOG.
//!
//! Guarantees: nothing a client sends reaches Redis before it is logged
//! in (HELLO … AUTH reaches it without the AUTH, once that passed); a
//! request a user may not run, or that names a key or channel outside its patterns, is
//! refused before it is relayed; the client's credentials never reach
//! Redis (the front end is logged in to Redis as the cluster URL says).

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use jotter_resp::{Protocol, ReplyWriter, Request};

use super::replies::error;
use super::settings::Front;
use crate::command::acl::{self, login};
use crate::command::{Permissions, Users, table};

/// A client's log-in.
pub(crate) struct Login {
    authenticated: bool,
    /// `None`: `default`.
    user: Option<Arc<str>>,
    permissions: Arc<Permissions>,
}

impl Login {
    /// A new client's: logged in as `default` at once only when it needs
    /// no password, as in Redis.
    pub(crate) fn new(users: &Users) -> Login {
        Login { authenticated: users.default_open(), user: None, permissions: users.default_user() }
    }

    pub(crate) fn authenticated(&self) -> bool {
        self.authenticated
    }

    fn user(&self) -> &str {
        self.user.as_deref().unwrap_or("default")
    }

    /// Whether `req` may go on (to the route), or the error to answer:
    /// the single node's checks, a refusal logged in ACL LOG with the
    /// client's address (`peer`).
    pub(crate) fn admit(
        &self,
        front: &Front,
        peer: SocketAddr,
        in_multi: bool,
        req: &Request,
    ) -> Result<(), Bytes> {
        let (authenticated, permissions) = (self.authenticated, &self.permissions);
        let admitted =
            login::admit(table(), authenticated, permissions, self.user(), in_multi, req);
        admitted.map_err(|(text, refusal)| {
            if let Some(refusal) = refusal {
                front.users.log().add(refusal, self.client_info(peer));
            }
            error(&text)
        })
    }

    /// AUTH: `+OK` once logged in, or the single node's error.
    pub(crate) async fn auth(&mut self, front: &Front, peer: SocketAddr, req: &Request) -> Bytes {
        let credentials = match login::auth_credentials(req, &front.users) {
            Ok(credentials) => credentials,
            Err(text) => return error(text),
        };
        match self.log_in(front, peer, credentials).await {
            Ok(()) => Bytes::from_static(b"+OK\r\n"),
            Err(reply) => reply,
        }
    }

    /// HELLO's checks and AUTH: the protocol asked for and what is left to
    /// relay to Redis (HELLO with the protocol and the name), or the error
    /// to answer.
    pub(crate) async fn hello(
        &mut self,
        front: &Front,
        peer: SocketAddr,
        req: &Request,
    ) -> Result<(Option<Protocol>, Vec<Bytes>), Bytes> {
        let hello = login::Hello::parse(req, self.authenticated).map_err(|text| error(&text))?;
        if let Some(credentials) = hello.credentials {
            self.log_in(front, peer, credentials).await?;
        }
        let mut relayed = vec![Bytes::from_static(b"HELLO")];
        relayed.extend(req.arg_bytes(1));
        if let Some(name) = hello.name {
            relayed.extend([Bytes::from_static(b"SETNAME"), name]);
        }
        Ok((hello.protocol, relayed))
    }

    async fn log_in(
        &mut self,
        front: &Front,
        peer: SocketAddr,
        credentials: login::Credentials<'_>,
    ) -> Result<(), Bytes> {
        match login::log_in(&front.users, &front.throttle, peer.ip(), credentials).await {
            Ok(logged_in) => {
                self.authenticated = true;
                self.user = Some(logged_in.user);
                self.permissions = logged_in.permissions;
                Ok(())
            }
            Err(refused) => {
                front.users.log().add(refused.refusal(), self.client_info(peer));
                Err(error(login::WRONGPASS))
            }
        }
    }

    /// ACL: the subcommands that read the users, as a single node answers.
    pub(crate) fn acl(&self, front: &Front, protocol: Protocol, req: &Request) -> Bytes {
        let mut out = BytesMut::new();
        let mut reply = ReplyWriter::new(&mut out, protocol);
        acl::read_only(req, &front.users, table(), self.user(), &mut reply);
        out.freeze()
    }

    /// RESET: back to a new client's log-in.
    pub(crate) fn reset(&mut self, users: &Users) {
        *self = Login::new(users);
    }

    /// The client as ACL LOG's `client-info` shows it: a front end keeps
    /// no CLIENT LIST of its own, so its address and user.
    fn client_info(&self, peer: SocketAddr) -> String {
        format!("addr={peer} user={}", self.user())
    }
}
