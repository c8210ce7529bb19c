//! A PostgreSQL schema of its own for one test (dropped when it ends), and
//! plain SQL through `psql`. Without a reachable PostgreSQL a test skips
//! loudly, or fails with `JOTTER_REQUIRE_SERVICES=1`.

use std::process::Command;

pub const BASE: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A schema of its own for one test, dropped when it ends.
pub struct Schema(pub String);

impl Schema {
    pub fn create(test: &str) -> Option<Schema> {
        let name = format!("jotter_srv_{test}_{}", std::process::id());
        match psql(&format!("CREATE SCHEMA {name}")) {
            Ok(_) => Some(Schema(name)),
            Err(e) if std::env::var("JOTTER_REQUIRE_SERVICES").as_deref() == Ok("1") => {
                panic!("PostgreSQL at {BASE} is required (JOTTER_REQUIRE_SERVICES=1): {e}")
            }
            Err(e) => {
                eprintln!("\n!!!!! SKIPPED: PostgreSQL at {BASE} is unreachable ({e}) !!!!!\n");
                None
            }
        }
    }

    /// The store URL with this schema first on the search path.
    pub fn url(&self) -> String {
        format!("{BASE}?options=-csearch_path%3D{}", self.0)
    }

    /// [`url`](Schema::url), reaching the database through `port` on
    /// 127.0.0.1 (a proxy).
    pub fn url_via(&self, port: u16) -> String {
        self.url().replace(":5432/", &format!(":{port}/"))
    }

    pub fn query(&self, sql: &str) -> String {
        psql(&format!("SET search_path TO {}; {sql}", self.0)).expect("query")
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let _ = psql(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.0));
    }
}

/// Runs SQL with psql; stdout, unaligned and without headers.
pub fn psql(sql: &str) -> Result<String, String> {
    let out = Command::new("psql")
        .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", BASE, "-c", sql])
        .output()
        .map_err(|e| format!("cannot run psql: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}
