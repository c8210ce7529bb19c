//! `GET /keys/{key}` (`?from-store=1`): where the key's newest write
//! stands, as JSON with `JOTTER.KEY`'s fields under snake_case names
//! (`command::KeyReport` lists them, so the two never differ). A cluster
//! front end's admin port serves the same route with these functions
//! (`cluster/metrics.rs`), its report filled from Redis.
//!
//! The key is the rest of the path, percent-decoded into bytes, so any key
//! can be asked for (`/keys/a%2Fb` is `a/b`, `/keys/a/b` too).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use serde_json::{Map, Value, json};

use crate::command::{Field, KeyReport};
use crate::state::Shared;

/// The route's prefix, before the key.
const PREFIX: &str = "/keys/";

pub(super) async fn key(State(shared): State<Arc<Shared>>, uri: Uri) -> (StatusCode, Json<Value>) {
    let (key, from_store) = match key_request(&uri) {
        Ok(request) => request,
        Err(refused) => return refused,
    };
    let cache = &shared.cache;
    let status = if from_store {
        match cache.key_status_from_store(&key).await {
            Ok(status) => status,
            Err(e) => {
                let error = format!("could not read the key's version from the store: {e}");
                return failed(StatusCode::SERVICE_UNAVAILABLE, error);
            }
        }
    } else {
        cache.key_status(&key)
    };
    key_body(&KeyReport::of(&status, from_store))
}

/// The key a request names (the rest of its path, percent-decoded) and
/// whether it asks for the store's version; else the reply refusing it.
pub(crate) fn key_request(uri: &Uri) -> Result<(Vec<u8>, bool), (StatusCode, Json<Value>)> {
    let key = percent_decode(uri.path().strip_prefix(PREFIX).unwrap_or_default());
    let from_store = match uri.query() {
        None => false,
        Some(q) => from_store(q).ok_or_else(|| {
            let error = format!(
                "unknown query '{q}': the only one is from-store=1 (read the store's version too)"
            );
            failed(StatusCode::BAD_REQUEST, error)
        })?,
    };
    Ok((key, from_store))
}

/// The reply with `report`'s fields under snake_case names.
pub(crate) fn key_body(report: &KeyReport) -> (StatusCode, Json<Value>) {
    let mut body = Map::new();
    for (name, field) in report.fields() {
        let value = match field {
            Field::Word(w) => json!(w),
            Field::Int(n) => json!(n),
            Field::Text(t) => json!(t),
            Field::Ints(ids) => json!(ids),
        };
        body.insert(name.replace('-', "_"), value);
    }
    (StatusCode::OK, Json(Value::Object(body)))
}

/// A reply of `status` with `{"error": error}`.
pub(crate) fn failed(status: StatusCode, error: String) -> (StatusCode, Json<Value>) {
    (status, Json(json!({ "error": error })))
}

/// Whether the query asks for the store's version; `None` for a query this
/// route does not know.
fn from_store(query: &str) -> Option<bool> {
    match query {
        "" | "from-store=0" | "from-store=false" => Some(false),
        "from-store" | "from-store=1" | "from-store=true" => Some(true),
        _ => None,
    }
}

/// `%XX` sequences as the bytes they stand for; anything else as it is.
fn percent_decode(path: &str) -> Vec<u8> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
            Some(b) if bytes[i] == b'%' => {
                out.push(b);
                i += 3;
            }
            _ => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_percent_decoded_into_bytes() {
        assert_eq!(percent_decode("a%2Fb%00%ff"), b"a/b\0\xff");
        assert_eq!(percent_decode("100%"), b"100%", "a lone % stays");
        assert_eq!(percent_decode("%zz"), b"%zz");
    }

    #[test]
    fn only_from_store_is_a_known_query() {
        assert_eq!(from_store("from-store=1"), Some(true));
        assert_eq!(from_store("from-store=0"), Some(false));
        assert_eq!(from_store("x=1"), None);
    }
}
