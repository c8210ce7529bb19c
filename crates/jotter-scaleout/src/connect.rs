//! Connecting to the cluster's current primary. With Sentinels, each is
//! asked in turn which node is the primary (`SENTINEL
//! get-master-addr-by-name`), and the node named must say it is one
//! (`ROLE`): right after a failover a Sentinel may still name the old
//! primary, now a replica. A caller whose connection breaks connects again
//! the same way, which is how it follows a failover. The Sentinels are
//! asked with their own credentials (the URL's `sentinel-password`), the
//! data nodes with theirs.

use redis::aio::MultiplexedConnection;

use crate::url::ClusterUrl;

/// No primary could be reached.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot reach the cluster's primary at {url}: {reason}; check that Redis (and its Sentinels) run and the address, and the USER:PASSWORD in it if Redis asks for one, are right"
)]
pub struct ConnectError {
    url: String,
    reason: String,
}

/// A connection to the primary `url` names.
///
/// # Errors
///
/// [`ConnectError`] when no Sentinel answers, none knows the primary, or the
/// node named is not (or no longer) a primary.
pub async fn connect(url: &ClusterUrl) -> Result<MultiplexedConnection, ConnectError> {
    primary(url).await.map(|(connection, _)| connection)
}

/// [`connect`], and where the primary is (address, database, credentials),
/// for a caller that opens plain connections of its own to it (a front
/// end relays its clients' bytes on one connection per client).
///
/// # Errors
///
/// As [`connect`].
pub async fn primary(
    url: &ClusterUrl,
) -> Result<(MultiplexedConnection, redis::ConnectionInfo), ConnectError> {
    let fail = |reason: String| ConnectError { url: url.to_string(), reason };
    match url {
        ClusterUrl::Direct { url: address } => {
            let client = redis::Client::open(address.as_str()).map_err(|e| fail(e.to_string()))?;
            let connection =
                client.get_multiplexed_async_connection().await.map_err(|e| fail(e.to_string()))?;
            Ok((connection, client.get_connection_info().clone()))
        }
        ClusterUrl::Sentinel { master, sentinels, auth, sentinel_auth } => {
            let mut last = String::from("no Sentinel given");
            for sentinel in sentinels {
                let credentials =
                    Credentials { node: auth.as_ref(), sentinel: sentinel_auth.as_ref() };
                match primary_from(sentinel, master, credentials).await {
                    Ok(found) => return Ok(found),
                    Err(reason) => last = format!("{sentinel}: {reason}"),
                }
            }
            Err(fail(last))
        }
    }
}

/// A user (`None`: `default`) and a password.
type UserPassword = (Option<String>, String);

/// The data nodes' and the Sentinels' credentials, when they have any.
#[derive(Clone, Copy)]
struct Credentials<'a> {
    node: Option<&'a UserPassword>,
    sentinel: Option<&'a UserPassword>,
}

/// Redis's connection settings logging in with `auth`.
fn settings(auth: Option<&UserPassword>) -> redis::RedisConnectionInfo {
    let mut settings = redis::RedisConnectionInfo::default();
    if let Some((user, password)) = auth {
        if let Some(user) = user {
            settings = settings.set_username(user);
        }
        settings = settings.set_password(password);
    }
    settings
}

/// Where `host:port` is, logged in with `auth`.
fn address(
    host: String,
    port: u16,
    auth: Option<&UserPassword>,
) -> Result<redis::ConnectionInfo, String> {
    let info =
        redis::IntoConnectionInfo::into_connection_info(redis::ConnectionAddr::Tcp(host, port))
            .map_err(|e| e.to_string())?;
    Ok(info.set_redis_settings(settings(auth)))
}

/// Asks one Sentinel for the primary `master` and connects to it.
async fn primary_from(
    sentinel: &str,
    master: &str,
    credentials: Credentials<'_>,
) -> Result<(MultiplexedConnection, redis::ConnectionInfo), String> {
    let (host, port) = sentinel.rsplit_once(':').ok_or("not host:port")?;
    let port = port.parse().map_err(|_| "not host:port")?;
    // An IPv6 address is written in brackets in the URL.
    let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
    let asked_at = address(host, port, credentials.sentinel)?;
    let client = redis::Client::open(asked_at).map_err(|e| e.to_string())?;
    let mut asked = client.get_multiplexed_async_connection().await.map_err(|e| e.to_string())?;
    let named: Option<(String, u16)> = redis::cmd("SENTINEL")
        .arg("get-master-addr-by-name")
        .arg(master)
        .query_async(&mut asked)
        .await
        .map_err(|e| e.to_string())?;
    let (host, port) =
        named.ok_or_else(|| format!("does not monitor a primary named {master:?}"))?;
    let node = address(host.clone(), port, credentials.node)?;
    let client = redis::Client::open(node.clone()).map_err(|e| e.to_string())?;
    let mut connection =
        client.get_multiplexed_async_connection().await.map_err(|e| e.to_string())?;
    let role: Vec<redis::Value> =
        redis::cmd("ROLE").query_async(&mut connection).await.map_err(|e| e.to_string())?;
    match role.first() {
        Some(redis::Value::BulkString(b)) if b.as_slice() == b"master" => Ok((connection, node)),
        _ => {
            Err(format!("{host}:{port}, which it names, is not a primary (a failover under way?)"))
        }
    }
}

/// The host and port of a primary [`primary`] found, when it is reached
/// over plain TCP (not TLS, not a Unix socket).
#[must_use]
pub fn tcp_address(info: &redis::ConnectionInfo) -> Option<(String, u16)> {
    match info.addr() {
        redis::ConnectionAddr::Tcp(host, port) => Some((host.clone(), *port)),
        _ => None,
    }
}
