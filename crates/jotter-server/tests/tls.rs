//! The TLS listener (feature `tls`): a client that trusts the server's
//! certificate speaks RESP over it. Certificates come from the `openssl`
//! command line tool.

#![cfg(feature = "tls")]

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use common::Server;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn self_signed(dir: &Path) {
    let status = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"])
        .args(["-nodes", "-days", "1", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        // A leaf, not a CA: rustls refuses a CA certificate as the server's own.
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .args(["-keyout", "key.pem", "-out", "cert.pem"])
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
}

#[tokio::test]
async fn resp_over_tls() {
    let certs = tempfile::TempDir::new().unwrap();
    self_signed(certs.path());
    let config = format!(
        "[tls]\nport = 0\ncert = \"{0}/cert.pem\"\nkey = \"{0}/key.pem\"\n",
        certs.path().display()
    );
    let server = Server::start_with_config(&config, &[]);
    let addr = server.tls.expect("a tls= address in the listening line");

    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(certs.path().join("cert.pem")).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let mut stream = connector.connect(name, tcp).await.expect("TLS handshake");
    stream.write_all(b"*1\r\n$4\r\nPING\r\nSET k v\r\nGET k\r\n").await.unwrap();
    let expected = b"+PONG\r\n+OK\r\n$1\r\nv\r\n";
    let mut got = vec![0; expected.len()];
    stream.read_exact(&mut got).await.unwrap();
    assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(expected));

    // The plain port still works beside it.
    let mut plain = server.raw();
    plain.roundtrip(b"GET k\r\n", b"$1\r\nv\r\n");
}
