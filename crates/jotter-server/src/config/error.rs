//! Why a configuration cannot be used, naming the key at fault.

use std::path::PathBuf;

/// Why the settings cannot be used. Each message names the key at fault and
/// what it accepts.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigError {
    #[error("cannot read the config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    /// toml's message quotes the offending line, so the key is named, and
    /// serde's enum errors list the allowed values.
    #[error("invalid config file {path}: {source}")]
    Parse { path: PathBuf, source: toml::de::Error },
    #[error("invalid setting {key}: {message}")]
    Invalid { key: &'static str, message: String },
}

impl ConfigError {
    pub(crate) fn invalid(key: &'static str, message: impl Into<String>) -> Self {
        ConfigError::Invalid { key, message: message.into() }
    }
}
