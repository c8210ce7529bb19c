//! The layout every process of a cluster checks or creates when it
//! connects, front end and worker alike: the meta hash (the first process
//! writes the format and its number of shards; every process then uses the
//! number stored), the consumer group on every shard stream, and the
//! process's own function library, with the functions every
//! library shares (`versions.lua`) put in it. Idempotent, so it runs on every
//! (re)connection: a primary that lost Jotter's keys gets them again.

use redis::aio::MultiplexedConnection;

use crate::layout::{CONSUMER_GROUP, FORMAT, META, shard_stream};

/// The layout could not be checked or created.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    /// Redis refused a command.
    #[error("Redis refused the cluster's layout setup ({what}): {source}")]
    Redis {
        /// What was being done.
        what: &'static str,
        /// Redis's error.
        source: redis::RedisError,
    },
    /// The meta hash is of another format.
    #[error(
        "the cluster's Redis holds Jotter layout format {found:?}, this Jotter speaks {FORMAT}; \
         run the Jotter version that created it, or start from an empty Redis"
    )]
    Format {
        /// The format found.
        found: Option<String>,
    },
}

/// Checks or creates the layout (the meta hash, the consumer group on each
/// shard stream) and loads `library` (`FUNCTION LOAD REPLACE`); returns the
/// number of shards, the one stored in Redis (which wins over `wanted`).
///
/// # Errors
///
/// [`LayoutError`] when Redis refuses, or holds another format.
pub(crate) async fn prepare_layout(
    connection: &mut MultiplexedConnection,
    wanted: u32,
    library: &str,
) -> Result<u32, LayoutError> {
    let redis = |what| move |source| LayoutError::Redis { what, source };
    let (format, shards): (Option<String>, Option<u32>) = redis::pipe()
        .cmd("HSETNX")
        .arg(META)
        .arg("format")
        .arg(FORMAT)
        .ignore()
        .cmd("HSETNX")
        .arg(META)
        .arg("shards")
        .arg(wanted)
        .ignore()
        .cmd("HGET")
        .arg(META)
        .arg("format")
        .cmd("HGET")
        .arg(META)
        .arg("shards")
        .query_async(connection)
        .await
        .map_err(redis("the meta hash"))?;
    if format.as_deref() != Some(&FORMAT.to_string()) {
        return Err(LayoutError::Format { found: format });
    }
    let shards = shards.filter(|&n| n > 0).ok_or(LayoutError::Format { found: format })?;
    if shards != wanted {
        tracing::info!(
            stored = shards,
            configured = wanted,
            "the cluster's shard count was set by the process that created it; using it"
        );
    }
    for shard in 0..shards {
        let created: redis::RedisResult<()> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(shard_stream(shard))
            .arg(CONSUMER_GROUP)
            .arg("0")
            .arg("MKSTREAM")
            .query_async(connection)
            .await;
        match created {
            Err(e) if e.code() != Some("BUSYGROUP") => {
                return Err(LayoutError::Redis { what: "a consumer group", source: e });
            }
            _ => {}
        }
    }
    let _: String = redis::cmd("FUNCTION")
        .arg("LOAD")
        .arg("REPLACE")
        .arg(with_versions(library))
        .query_async(connection)
        .await
        .map_err(redis("loading a function library"))?;
    Ok(shards)
}

/// The functions every library shares (`below`, `raise_clock`,
/// `fields_of`).
const VERSIONS: &str = include_str!("versions.lua");

/// `library` with [`VERSIONS`] after its `#!lua name=...` line, which must
/// stay first.
fn with_versions(library: &str) -> String {
    let (shebang, body) = library.split_once('\n').unwrap_or((library, ""));
    format!("{shebang}\n{VERSIONS}\n{body}")
}
