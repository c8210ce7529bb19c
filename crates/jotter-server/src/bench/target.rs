//! A server `jotter bench` loads: its kind (Jotter or redis-server), its
//! address, and whether its writes go write-through. A Jotter target is
//! drained (JOTTER.FLUSH) after each run and its store counters read
//! (JOTTER.STATUS); a redis-server has neither. A server the bench started
//! (`servers.rs`) is named by its kind alone: its port means nothing.

use std::fmt;

/// Which server answers at the address (also what `--start` takes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Kind {
    Jotter,
    Redis,
}

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Jotter => "jotter",
            Kind::Redis => "redis",
        }
    }
}

/// One server under load, as `--target KIND=HOST:PORT` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub kind: Kind,
    pub host: String,
    pub port: u16,
    /// Every write sent as `JOTTER.THROUGH ...` (Jotter only).
    pub through: bool,
    /// Started by the bench (`--start`), not given with `--target`.
    pub started: bool,
}

impl Target {
    /// Reads `jotter=HOST:PORT` or `redis=HOST:PORT` (clap's value parser).
    pub(crate) fn parse(text: &str) -> Result<Target, String> {
        let usage = || format!("{text:?}: give KIND=HOST:PORT, e.g. jotter=127.0.0.1:6380");
        let (kind, addr) = text.split_once('=').ok_or_else(usage)?;
        let kind = match kind {
            "jotter" => Kind::Jotter,
            "redis" => Kind::Redis,
            _ => return Err(format!("{text:?}: the kind is jotter or redis, not {kind:?}")),
        };
        let (host, port) = addr.rsplit_once(':').ok_or_else(usage)?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port = port.parse().map_err(|_| usage())?;
        Ok(Target { kind, host: host.to_owned(), port, through: false, started: false })
    }

    /// `host:port`, as a connection error names it.
    pub(crate) fn address(&self) -> String {
        match self.host.contains(':') {
            true => format!("[{}]:{}", self.host, self.port),
            false => format!("{}:{}", self.host, self.port),
        }
    }

    /// What the tables call it: `jotter`, `jotter-through` or `redis`.
    pub(crate) fn name(&self) -> &'static str {
        match self.through {
            true => "jotter-through",
            false => self.kind.name(),
        }
    }

    /// The same server, written through.
    pub(crate) fn written_through(&self) -> Target {
        Target { through: true, ..self.clone() }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.started {
            true => f.write_str(self.name()),
            false => write!(f, "{} {}", self.name(), self.address()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_name_a_kind_and_an_address() {
        let t = Target::parse("jotter=127.0.0.1:6380").unwrap();
        assert_eq!((t.kind, t.host.as_str(), t.port), (Kind::Jotter, "127.0.0.1", 6380));
        assert_eq!(Target::parse("redis=[::1]:7000").unwrap().host, "::1");
        assert_eq!(t.written_through().to_string(), "jotter-through 127.0.0.1:6380");
        assert_eq!(Target { started: true, ..t }.to_string(), "jotter");
        assert!(Target::parse("memcached=h:1").is_err());
        assert!(Target::parse("jotter=h").is_err());
    }
}
