//! What the server's SQLite file holds, read directly: the tests check
//! where writes land, not only what the server answers.

use std::collections::BTreeMap;

use super::Server;

/// The server's SQLite file, opened beside the running server.
pub fn db(server: &Server) -> rusqlite::Connection {
    rusqlite::Connection::open(server.db_path()).expect("open the SQLite file")
}

/// Holds the server's SQLite file under an exclusive lock: every flush
/// fails as busy (transient) until the returned connection is dropped.
pub fn lock_store(server: &Server) -> rusqlite::Connection {
    let db = db(server);
    db.execute_batch("BEGIN EXCLUSIVE").expect("lock the database");
    db
}

/// (value, expires_at) of a string key in `jotter_strings`.
pub fn stored_string(server: &Server, key: &str) -> Option<(Vec<u8>, Option<i64>)> {
    db(server)
        .query_row(
            "SELECT value, expires_at FROM jotter_strings WHERE key = ?1",
            [key.as_bytes()],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .ok()
}

/// A hash's (field, value) rows in field order; every row must carry a
/// version.
pub fn stored_hash(server: &Server, key: &str) -> Vec<(String, String)> {
    let db = db(server);
    let mut query = db
        .prepare("SELECT field, value, version FROM jotter_hashes WHERE key = ?1 ORDER BY field")
        .expect("prepare");
    query
        .query_map([key.as_bytes()], |row| {
            let field: Vec<u8> = row.get(0)?;
            let value: Vec<u8> = row.get(1)?;
            let version: i64 = row.get(2)?;
            assert!(version > 0);
            Ok((String::from_utf8(field).unwrap(), String::from_utf8(value).unwrap()))
        })
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

/// A sorted set's members and scores.
pub fn stored_zset(server: &Server, key: &str) -> BTreeMap<String, f64> {
    let db = db(server);
    let mut stmt =
        db.prepare("SELECT member, score FROM jotter_zsets WHERE key = ?1").expect("prepare");
    stmt.query_map([key.as_bytes()], |row| {
        let member: Vec<u8> = row.get(0)?;
        Ok((String::from_utf8(member).unwrap(), row.get::<_, f64>(1)?))
    })
    .expect("query")
    .map(|r| r.expect("row"))
    .collect()
}
