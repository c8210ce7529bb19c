//! The admin port's token: with `admin-token` set, every request but
//! `GET /health` must carry `Authorization: Bearer TOKEN`, or gets 401.
//! The dashboard's page (`/`) also takes it as `/?token=TOKEN`, since a
//! browser opening a link cannot add a header; the page then sends the
//! header itself. Only there: a token in a URL can end up in a browser's
//! history, so no route that returns data accepts it that way.
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

/// The one path that also takes the token in its query (`?token=`).
const PAGE_PATH: &str = "/";

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
    // Decided before the await: a borrow of the request (its body is not
    // `Sync`) must not live across it.
    let allowed = is_allowed(&request, &expected);
    if allowed {
        return next.run(request).await;
    }
    let mut refused = (StatusCode::UNAUTHORIZED, "admin-token required\n").into_response();
    refused.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    refused
}

fn is_allowed(request: &Request, expected: &[u8]) -> bool {
    let uri = request.uri();
    let given = request.headers().get(header::AUTHORIZATION).map(HeaderValue::as_bytes);
    let in_query = || {
        let token = uri.query().and_then(query_token);
        token.is_some_and(|t| same(&[b"Bearer ".as_slice(), &t].concat(), expected))
    };
    uri.path() == OPEN_PATH
        || given.is_some_and(|g| same(g, expected))
        || (uri.path() == PAGE_PATH && in_query())
}

/// The percent-decoded value of `token=` in a URL's query, if there.
fn query_token(query: &str) -> Option<Vec<u8>> {
    let raw = query.split('&').find_map(|pair| pair.strip_prefix("token="))?;
    let mut out = Vec::with_capacity(raw.len());
    let mut bytes = raw.bytes();
    while let Some(b) = bytes.next() {
        out.push(match b {
            b'+' => b' ',
            b'%' => {
                let digit = |b: Option<u8>| char::from(b?).to_digit(16);
                let (high, low) = (digit(bytes.next())?, digit(bytes.next())?);
                u8::try_from(high * 16 + low).ok()?
            }
            b => b,
        });
    }
    Some(out)
}

/// Equality whose time does not depend on where the bytes first differ, so
/// that timing the answers does not reveal the token byte by byte.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::{query_token, same};

    #[test]
    fn same_compares_whole_byte_strings() {
        assert!(same(b"Bearer abc", b"Bearer abc"));
        assert!(!same(b"Bearer abd", b"Bearer abc"));
        assert!(!same(b"Bearer ab", b"Bearer abc"));
        assert!(!same(b"", b"Bearer abc"));
    }

    #[test]
    fn query_token_finds_and_decodes_the_token() {
        assert_eq!(query_token("token=abc").as_deref(), Some(b"abc".as_slice()));
        assert_eq!(query_token("x=1&token=a%2Fb+c").as_deref(), Some(b"a/b c".as_slice()));
        assert_eq!(query_token("mytoken=abc"), None);
        assert_eq!(query_token("token=%4"), None);
        assert_eq!(query_token("token=%zz"), None);
        assert_eq!(query_token("token=%+4"), None);
    }
}
