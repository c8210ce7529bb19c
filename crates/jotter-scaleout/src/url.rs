//! [`ClusterUrl`]: where the cluster's Redis is. Either one Redis server
//! (`redis://[user:password@]host:port[/db]`) or a primary watched by
//! Sentinels, found by its name
//! (`redis-sentinel://[user:password@]MASTER@host:port,host:port,...`,
//! where the user and password are the data nodes'; the Sentinels' own,
//! when they have a `requirepass`, follow as
//! `?sentinel-password=PASSWORD[&sentinel-user=USER]`).

use std::fmt;

/// A `--cluster` address.
#[derive(Clone, PartialEq, Eq)]
pub enum ClusterUrl {
    /// One Redis server, no failover.
    Direct {
        /// The URL as given, for the `redis` crate.
        url: String,
    },
    /// A primary found through Sentinels.
    Sentinel {
        /// The name the Sentinels monitor the primary under.
        master: String,
        /// The Sentinels, as `host:port`.
        sentinels: Vec<String>,
        /// The data nodes' user and password, if any.
        auth: Option<(Option<String>, String)>,
        /// The Sentinels' own user and password, if any.
        sentinel_auth: Option<(Option<String>, String)>,
    },
}

/// A `--cluster` address that does not parse.
#[derive(Debug, thiserror::Error)]
#[error(
    "bad cluster address {given:?}: {reason}; expected redis://host:port or \
     redis-sentinel://MASTER@host:port,host:port,..."
)]
pub struct UrlError {
    given: String,
    reason: &'static str,
}

impl ClusterUrl {
    /// Parses a `--cluster` address.
    ///
    /// # Errors
    ///
    /// [`UrlError`] naming what is wrong.
    pub fn parse(given: &str) -> Result<Self, UrlError> {
        let fail = |reason| UrlError { given: given.to_owned(), reason };
        if given.starts_with("redis://") || given.starts_with("rediss://") {
            return Ok(ClusterUrl::Direct { url: given.to_owned() });
        }
        let rest = given.strip_prefix("redis-sentinel://").ok_or_else(|| fail("unknown scheme"))?;
        let (rest, sentinel_auth) = match rest.split_once('?') {
            Some((rest, query)) => (rest, sentinel_credentials(query).map_err(fail)?),
            None => (rest, None),
        };
        // The last '@' separates the master's name from the Sentinels; an
        // optional `user:password@` comes before the name.
        let (before, hosts) =
            rest.rsplit_once('@').ok_or_else(|| fail("no MASTER@ before the Sentinels"))?;
        let (auth, master) = match before.rsplit_once('@') {
            Some((credentials, master)) => {
                let (user, password) = match credentials.split_once(':') {
                    Some((user, password)) => {
                        ((!user.is_empty()).then(|| user.to_owned()), password.to_owned())
                    }
                    None => (None, credentials.to_owned()),
                };
                (Some((user, password)), master)
            }
            None => (None, before),
        };
        if master.is_empty() {
            return Err(fail("the master's name is empty"));
        }
        let sentinels: Vec<String> =
            hosts.split(',').filter(|h| !h.is_empty()).map(str::to_owned).collect();
        if sentinels.is_empty() {
            return Err(fail("no Sentinel address"));
        }
        if sentinels
            .iter()
            .any(|h| h.rsplit_once(':').is_none_or(|(_, p)| p.parse::<u16>().is_err()))
        {
            return Err(fail("a Sentinel address is not host:port"));
        }
        Ok(ClusterUrl::Sentinel { master: master.to_owned(), sentinels, auth, sentinel_auth })
    }
}

/// The Sentinels' credentials from the URL's query
/// (`sentinel-password=...&sentinel-user=...`, taken as written).
fn sentinel_credentials(query: &str) -> Result<Option<(Option<String>, String)>, &'static str> {
    let (mut user, mut password) = (None, None);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("sentinel-password", value)) => password = Some(value.to_owned()),
            Some(("sentinel-user", value)) => user = Some(value.to_owned()),
            _ => return Err("the query takes only sentinel-password and sentinel-user"),
        }
    }
    match (user, password) {
        (user, Some(password)) => Ok(Some((user, password))),
        (Some(_), None) => Err("sentinel-user needs a sentinel-password"),
        (None, None) => Ok(None),
    }
}

// Never prints a password.
impl fmt::Debug for ClusterUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for ClusterUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClusterUrl::Direct { url } => match url.split_once('@') {
                Some((scheme_and_auth, host)) => {
                    let scheme = scheme_and_auth.split("://").next().unwrap_or("redis");
                    write!(f, "{scheme}://***@{host}")
                }
                None => f.write_str(url),
            },
            ClusterUrl::Sentinel { master, sentinels, auth, sentinel_auth } => {
                let auth = if auth.is_some() { "***@" } else { "" };
                write!(f, "redis-sentinel://{auth}{master}@{}", sentinels.join(","))?;
                if sentinel_auth.is_some() {
                    f.write_str("?sentinel-password=***")?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_forms() {
        assert_eq!(
            ClusterUrl::parse("redis://127.0.0.1:7000").unwrap(),
            ClusterUrl::Direct { url: "redis://127.0.0.1:7000".into() }
        );
        assert_eq!(
            ClusterUrl::parse("redis-sentinel://mymaster@h1:26379,h2:26380").unwrap(),
            ClusterUrl::Sentinel {
                master: "mymaster".into(),
                sentinels: vec!["h1:26379".into(), "h2:26380".into()],
                auth: None,
                sentinel_auth: None,
            }
        );
        let with_auth = ClusterUrl::parse("redis-sentinel://u:secret@m@h:1").unwrap();
        assert_eq!(with_auth.to_string(), "redis-sentinel://***@m@h:1");
        let both = ClusterUrl::parse(
            "redis-sentinel://:secret@m@h:1,h:2?sentinel-password=s3&sentinel-user=watch",
        )
        .unwrap();
        assert_eq!(both.to_string(), "redis-sentinel://***@m@h:1,h:2?sentinel-password=***");
        let ClusterUrl::Sentinel { sentinels, sentinel_auth, .. } = both else { panic!() };
        assert_eq!(sentinels, ["h:1", "h:2"]);
        assert_eq!(sentinel_auth, Some((Some("watch".into()), "s3".into())));
    }

    #[test]
    fn refuses_what_does_not_parse() {
        for bad in [
            "http://x",
            "redis-sentinel://h:1",
            "redis-sentinel://@h:1",
            "redis-sentinel://m@h",
            "redis-sentinel://m@",
            "redis-sentinel://m@h:1?password=x",
            "redis-sentinel://m@h:1?sentinel-user=u",
        ] {
            assert!(ClusterUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
