//! `[worker]`: the settings only `jotter worker` reads (a flush worker of
//! the scale-out mode). A worker also reads `cluster`, `cluster-shards`,
//! `store`, `[[mapping]]`, `batch-size` and `flush-interval` (how long one
//! read of the shard streams waits for new records) from the top level, as
//! a single node reads them.

use std::time::Duration;

use serde::Deserialize;

use super::{ConfigError, Setting};

/// `[worker]`. Field docs end with the default.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub(crate) struct WorkerSetting {
    /// This worker's consumer name in the shard streams' group; every
    /// worker of the pool needs its own. Default: `HOST:PID`.
    pub consumer: Option<String>,
    /// Records pending longer than this with a worker are claimed by
    /// another (a worker that died, or is stuck). Default: 5s.
    pub claim_idle: Setting<Duration>,
    /// Deliveries after which a record the store refuses is moved to the
    /// dead-letter stream. Default: 5.
    pub max_deliveries: u64,
    /// Before flushing, write every key of the store that Redis does not
    /// hold into Redis (a cluster started on an existing database).
    /// Default: false.
    pub load_store: bool,
}

impl Default for WorkerSetting {
    fn default() -> Self {
        WorkerSetting {
            consumer: None,
            claim_idle: Setting(Duration::from_secs(5)),
            max_deliveries: 5,
            load_store: false,
        }
    }
}

impl WorkerSetting {
    /// Checks the section on its own.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.consumer.as_deref().is_some_and(|c| c.is_empty() || c.contains(char::is_whitespace))
        {
            return Err(ConfigError::invalid(
                "worker.consumer",
                "must be a non-empty word (leave it out for HOST:PID)",
            ));
        }
        if self.claim_idle.0 < Duration::from_millis(100) {
            return Err(ConfigError::invalid("worker.claim-idle", "must be at least 100ms"));
        }
        if self.max_deliveries == 0 {
            return Err(ConfigError::invalid("worker.max-deliveries", "must be at least 1"));
        }
        Ok(())
    }

    /// The consumer name: the one set, or `HOST:PID`.
    pub(crate) fn consumer_name(&self) -> String {
        self.consumer.clone().unwrap_or_else(|| {
            let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| "worker".to_owned());
            format!("{host}:{}", std::process::id())
        })
    }
}
