//! What every example does first: connect to the server named by
//! `JOTTER_URL` (default `redis://127.0.0.1:6380`) with a plain Redis client.

use redis::RedisResult;
use redis::aio::MultiplexedConnection;

/// One multiplexed connection to the server.
pub async fn connect() -> RedisResult<MultiplexedConnection> {
    let url = std::env::var("JOTTER_URL").unwrap_or_else(|_| "redis://127.0.0.1:6380".into());
    redis::Client::open(url.as_str())?.get_multiplexed_async_connection().await
}
