//! `sslmode=verify-ca` and `sslmode=verify-full` against the local
//! PostgreSQL, which serves (with `ssl = on`) a self-signed certificate for
//! `localhost`: trusting that certificate as the root, `verify-full`
//! connects to `localhost` and refuses `127.0.0.1` (not the certificate's
//! name), `verify-ca` connects to both; a root that did not sign it, or the
//! system's roots, are refused with an error that says why.
#![cfg(feature = "tls")]

mod common;

use jotter_postgres::{PostgresOptions, PostgresStore};

/// A CA certificate that signed nothing the server holds.
const OTHER_CA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/other-ca.pem");

/// The server's certificate file if it serves TLS and the file is readable
/// here (the database runs on this machine), else `None` after a loud
/// message.
async fn server_certificate() -> Option<String> {
    let c = match common::raw_client(None).await {
        Ok(c) => c,
        Err(e) => {
            assert!(
                std::env::var("JOTTER_REQUIRE_SERVICES").as_deref() != Ok("1"),
                "PostgreSQL is required (JOTTER_REQUIRE_SERVICES=1): {e}"
            );
            eprintln!(
                "\n!!!!! SKIPPED: PostgreSQL at {} is unreachable ({e}) !!!!!\n",
                common::url()
            );
            return None;
        }
    };
    let ssl: String = c.query_one("SHOW ssl", &[]).await.ok()?.get(0);
    let file: String = c.query_one("SHOW ssl_cert_file", &[]).await.ok()?.get(0);
    if ssl != "on" || std::fs::metadata(&file).is_err() {
        eprintln!(
            "\n!!!!! SKIPPED: PostgreSQL has no TLS, or its certificate {file} is not readable here !!!!!\n"
        );
        return None;
    }
    Some(file)
}

/// The test database's URL with `host` and the TLS parameters.
fn url(host: &str, params: &str) -> Option<String> {
    let base = common::url();
    base.contains("127.0.0.1").then(|| format!("{}?{params}", base.replace("127.0.0.1", host)))
}

async fn connect(url: &str, schema: &common::Schema) -> Result<PostgresStore, jotter::StoreError> {
    let options = PostgresOptions::default().with_pool_size(1).with_schema(schema.name.clone());
    PostgresStore::connect_with(url, options).await
}

async fn connects(url: &str, schema: &common::Schema) {
    let store = connect(url, schema).await.unwrap_or_else(|e| panic!("{url}: {e}"));
    assert!(common::is_encrypted(&store).await, "{url}: the connection is not encrypted");
}

async fn refused(url: &str, schema: &common::Schema) -> String {
    match connect(url, schema).await {
        Ok(_) => panic!("{url} connected"),
        Err(e) => e.message().to_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_full_checks_the_chain_and_the_name() {
    let Some(cert) = server_certificate().await else { return };
    let Some((_plain, schema)) = common::store("verify_full").await else { return };
    let Some(by_name) = url("localhost", &format!("sslmode=verify-full&sslrootcert={cert}")) else {
        eprintln!("\n!!!!! SKIPPED: JOTTER_PG_URL is not on 127.0.0.1 !!!!!\n");
        return;
    };
    connects(&by_name, &schema).await;
    let by_ip = url("127.0.0.1", &format!("sslmode=verify-full&sslrootcert={cert}")).unwrap();
    let err = refused(&by_ip, &schema).await;
    assert!(err.contains("certificate") && err.contains("not valid for"), "{err}");
    // verify-ca does not look at the name.
    connects(&url("127.0.0.1", &format!("sslmode=verify-ca&sslrootcert={cert}")).unwrap(), &schema)
        .await;
    // As libpq: require with a root file verifies the chain.
    connects(&url("127.0.0.1", &format!("sslmode=require&sslrootcert={cert}")).unwrap(), &schema)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_root_that_did_not_sign_the_certificate_is_refused() {
    let Some(_) = server_certificate().await else { return };
    let Some((_plain, schema)) = common::store("wrong_root").await else { return };
    for mode in ["verify-full", "verify-ca"] {
        let err = refused(
            &url("localhost", &format!("sslmode={mode}&sslrootcert={OTHER_CA}")).unwrap(),
            &schema,
        )
        .await;
        assert!(err.contains("invalid peer certificate") && err.contains("UnknownIssuer"), "{err}");
    }
    // The system's roots did not sign a self-signed certificate either.
    let err = refused(&url("localhost", "sslmode=verify-full").unwrap(), &schema).await;
    assert!(err.contains("certificate"), "{err}");
    let err = refused(
        &url("localhost", "sslmode=verify-full&sslrootcert=/nonexistent/ca.pem").unwrap(),
        &schema,
    )
    .await;
    assert!(err.contains("/nonexistent/ca.pem"), "{err}");
}
