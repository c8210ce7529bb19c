//! The admin port's token: with `admin-token` set, every request but
//! `GET /health` must carry `Authorization: Bearer TOKEN`, or gets 401.
//!
//! The check is one layer around the whole router, so a route added to the
//! admin port is covered without a word here, and so is a path that does
//! not exist (a 401, not a 404 that would tell an unknown caller what is
//! there). `/health` stays open: it says only that the process runs, and
//! orchestrators probe it without credentials.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};

/// The one path served without the token.
const OPEN_PATH: &str = "/health";

/// `router` asking for `token` on every path but [`OPEN_PATH`]; unchanged
/// without a token (the settings allow that only on loopback).
pub(crate) fn protect(router: Router, token: Option<&str>) -> Router {
    match token {
        None => router,
        Some(token) => {
            let expected: Arc<[u8]> = format!("Bearer {token}").into_bytes().into();
            router.layer(middleware::from_fn_with_state(expected, check))
        }
    }
}

async fn check(State(expected): State<Arc<[u8]>>, request: Request, next: Next) -> Response {
    let given = request.headers().get(header::AUTHORIZATION).map(HeaderValue::as_bytes);
    if request.uri().path() == OPEN_PATH || given.is_some_and(|g| same(g, &expected)) {
        return next.run(request).await;
    }
    let mut refused = (StatusCode::UNAUTHORIZED, "admin-token required\n").into_response();
    refused.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    refused
}

/// Equality whose time does not depend on where the bytes first differ, so
/// that timing the answers does not reveal the token byte by byte.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::same;

    #[test]
    fn same_compares_whole_byte_strings() {
        assert!(same(b"Bearer abc", b"Bearer abc"));
        assert!(!same(b"Bearer abd", b"Bearer abc"));
        assert!(!same(b"Bearer ab", b"Bearer abc"));
        assert!(!same(b"", b"Bearer abc"));
    }
}
