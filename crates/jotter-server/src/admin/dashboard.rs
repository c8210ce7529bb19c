//! `GET /`: the live dashboard, one self-contained HTML page (inline CSS,
//! script and SVG) compiled into the binary, so it works offline and needs
//! no build step of its own.
//!
//! The page holds no figures: it reads `/metrics` every second from the
//! browser, so the server does nothing for it but hand out the file. With
//! `admin-token`, the page is opened as `/?token=TOKEN` (`auth.rs` accepts
//! the token there for this path only) and sends it on as a header.

use axum::http::header;
use axum::response::{Html, IntoResponse};

/// The page; see the comment at its top for what each figure is.
const PAGE: &str = include_str!("dashboard.html");

pub(crate) async fn page() -> impl IntoResponse {
    // Never cached: a browser must not keep a page older than the binary.
    ([(header::CACHE_CONTROL, "no-store")], Html(PAGE))
}
