//! The dead-letter queue on the admin port, JSON in and out, with the
//! semantics of `JOTTER.DEADLETTERS` (`command/deadletters.rs`):
//!
//! - `GET /dead-letters?cursor=0&count=100`: `{"cursor": "<next, \"0\" when
//!   done>", "count": <letters in the queue>, "letters": [...]}`, each
//!   letter with `id`, `key`, `op`, `value_size`, `value_prefix`,
//!   `error_kind`, `error`, `attempts`, `first_failure_ms`,
//!   `last_failure_ms`. Byte strings are JSON strings: valid UTF-8 as it
//!   is, other bytes as `\xNN` (`dead_letter_fields::printable`).
//! - `POST /dead-letters/replay` with `{"ids": [1, 2]}` or `{"all": true}`:
//!   `{"replayed": n}`, the letters that left the queue (stored, or
//!   superseded by a newer write of their key).
//! - `POST /dead-letters/purge`, the same body: `{"purged": n}`.
//!
//! A bad request is a 400 with `{"error": "..."}`. The admin token, when
//! set, protects these paths as every other (`auth.rs`).

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Json, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Router, response::IntoResponse, response::Response};
use jotter::Selection;
use serde::{Deserialize, Serialize};

use crate::dead_letter_fields::LetterFields;
use crate::state::Shared;

/// Letters listed when `count` is not given.
const DEFAULT_COUNT: usize = 100;

/// The routes, with their state.
pub(super) fn routes(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/dead-letters", get(list))
        .route("/dead-letters/replay", post(replay))
        .route("/dead-letters/purge", post(purge))
        .with_state(shared)
}

#[derive(Serialize)]
struct Page {
    cursor: String,
    count: u64,
    letters: Vec<LetterFields>,
}

/// The body of a replay or a purge.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Pick {
    #[serde(default)]
    ids: Option<Vec<u64>>,
    #[serde(default)]
    all: bool,
}

fn bad_request(error: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(serde_json::json!({ "error": error }))).into_response()
}

async fn list(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let (mut cursor, mut count) = (0u64, DEFAULT_COUNT);
    for pair in query.as_deref().unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        match name {
            "cursor" => match value.parse() {
                Ok(c) => cursor = c,
                Err(_) => return bad_request(format!("invalid cursor '{value}'")),
            },
            "count" => match value.parse::<usize>() {
                Ok(c) if c >= 1 => count = c,
                _ => {
                    return bad_request(format!("count must be a positive integer, not '{value}'"));
                }
            },
            _ => return bad_request(format!("unknown parameter '{name}' (cursor, count)")),
        }
    }
    let (letters, next) = shared.cache.dead_letters_page(cursor, count);
    Json(Page {
        cursor: next.unwrap_or(0).to_string(),
        count: shared.cache.dead_letter_count(),
        letters: letters.iter().map(LetterFields::from).collect(),
    })
    .into_response()
}

/// A body as the engine's selection; what is wrong with it, if anything.
type Body = Result<Json<Pick>, JsonRejection>;

/// The selection a body names: ids, or every letter.
fn selection(body: Body) -> Result<Selection, String> {
    let Json(pick) = body.map_err(|e| e.body_text())?;
    match (pick.ids, pick.all) {
        (None, true) => Ok(Selection::All),
        (Some(ids), false) if !ids.is_empty() => Ok(Selection::Ids(ids)),
        _ => Err("give {\"ids\": [id, ...]} with at least one id, or {\"all\": true}".to_owned()),
    }
}

async fn replay(State(shared): State<Arc<Shared>>, body: Body) -> Response {
    match selection(body) {
        Ok(selection) => {
            let report = shared.cache.replay_dead_letters_of(&selection).await;
            Json(serde_json::json!({ "replayed": report.removed() })).into_response()
        }
        Err(error) => bad_request(error),
    }
}

async fn purge(State(shared): State<Arc<Shared>>, body: Body) -> Response {
    match selection(body) {
        Ok(selection) => {
            let purged = shared.cache.purge_dead_letters_of_ids(&selection);
            Json(serde_json::json!({ "purged": purged })).into_response()
        }
        Err(error) => bad_request(error),
    }
}
