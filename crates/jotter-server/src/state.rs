//! What every connection shares: the settings, the cache, the client
//! registry and the server's counters. One `Arc<Shared>` per process; it
//! holds no lock of its own, so sharing it costs nothing per command.

use std::sync::atomic::AtomicU64;
use std::time::Instant;

use jotter::Cache;

use crate::backend::Backend;
use tokio_util::sync::CancellationToken;

use crate::auth_throttle::AuthThrottle;
use crate::clients::Clients;
use crate::command::Users;
use crate::command_stats::CommandStats;
use crate::config::Config;
use crate::latency::Latency;
use crate::live::Live;
use crate::saves::Saves;
use crate::slowlog::SlowLog;
use crate::telemetry::ServerMetrics;

/// The engine the server drives, over whichever store is configured.
pub(crate) type Engine = Cache<Backend>;

pub(crate) struct Shared {
    pub config: Config,
    pub cache: Engine,
    pub clients: Clients,
    /// Clients' pending replies, counted against `maxmemory`.
    pub client_memory: crate::client_memory::ClientMemory,
    pub metrics: ServerMetrics,
    /// Server-wide stop: the accept loop and every connection watch it.
    pub shutdown: CancellationToken,
    pub started: Instant,
    /// For INFO; the Prometheus counters cannot be read back.
    pub commands_processed: AtomicU64,
    pub connections_received: AtomicU64,
    pub rejected_connections: AtomicU64,
    /// Failed AUTH attempts, per address, and the waits they cost.
    pub auth_throttle: AuthThrottle,
    /// What each user may run.
    pub users: Users,
    /// `CLIENT PAUSE`.
    pub pause: crate::pause::Pause,
    /// The settings `CONFIG SET` changes.
    pub live: Live,
    /// The config file the server was started with (`CONFIG REWRITE`).
    pub config_file: Option<std::path::PathBuf>,
    /// Per command calls, time and errors (INFO commandstats, errorstats).
    pub command_stats: CommandStats,
    pub slowlog: SlowLog,
    pub latency: Latency,
    /// SAVE, BGSAVE, LASTSAVE and how SHUTDOWN stops.
    pub saves: std::sync::Arc<Saves>,
    /// Subscriptions, keyspace notifications, client-side caching.
    pub pubsub: crate::command::PubSub,
    /// EVAL and FUNCTION: the interpreter, the script cache, the running script.
    pub scripts: crate::command::Scripts,
}

impl Shared {
    pub(crate) fn new(
        config: Config,
        users: Users,
        cache: Engine,
        shutdown: CancellationToken,
    ) -> Self {
        let live = Live::new(&config);
        Shared {
            pubsub: crate::command::PubSub::new(&config.notify_keyspace_events),
            scripts: crate::command::Scripts::from_config(&config),
            config,
            cache,
            clients: Clients::default(),
            client_memory: Default::default(),
            metrics: ServerMetrics::register(),
            shutdown,
            started: Instant::now(),
            commands_processed: AtomicU64::new(0),
            connections_received: AtomicU64::new(0),
            rejected_connections: AtomicU64::new(0),
            auth_throttle: AuthThrottle::default(),
            users,
            pause: Default::default(),
            live,
            config_file: None,
            command_stats: CommandStats::default(),
            slowlog: SlowLog::default(),
            latency: Latency::default(),
            saves: std::sync::Arc::default(),
        }
    }
}
