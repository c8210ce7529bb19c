//! TLS to the database (cargo feature `tls`: rustls with the ring
//! provider).
//!
//! `sslmode=require` means what it means to libpq: the connection is
//! encrypted, and the server's certificate is not checked. That protects
//! against a passive listener, not against a man in the middle; the
//! handshake's signatures are still verified, so the session keys are the
//! server's.
//!
//! `verify-ca` and `verify-full` (read from the URL by `ssl.rs`) check the
//! certificate against trusted roots: a CA file, or the system's bundle
//! (found as OpenSSL finds it: `SSL_CERT_FILE`, else the usual bundle
//! paths of Linux distributions). `verify-full` also checks that it names
//! the host; `verify-ca` accepts any name.

use std::sync::Arc;

use std::path::{Path, PathBuf};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::error::PgError;
use crate::ssl::{Check, Roots, Verify};

/// The system's CA bundle, where OpenSSL builds of the common Linux
/// distributions keep it (Debian/Ubuntu, Fedora/RHEL, openSUSE, Alpine).
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// The connector for `sslmode=require`.
pub(crate) fn require() -> MakeRustlsConnect {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    connector(provider.clone(), Arc::new(Relaxed { chain: None, provider }))
}

/// The connector for `verify-ca` / `verify-full`.
pub(crate) fn verifying(verify: &Verify) -> Result<MakeRustlsConnect, PgError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = Arc::new(roots(&verify.roots)?);
    let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
        .build()
        .map_err(|e| PgError::Config(format!("cannot verify with these roots: {e}")))?;
    let verifier: Arc<dyn ServerCertVerifier> = match verify.check {
        Check::Full => webpki,
        Check::Ca => Arc::new(Relaxed { chain: Some(webpki), provider: provider.clone() }),
    };
    Ok(connector(provider, verifier))
}

fn connector(
    provider: Arc<CryptoProvider>,
    verifier: Arc<dyn ServerCertVerifier>,
) -> MakeRustlsConnect {
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    MakeRustlsConnect::new(config)
}

/// The trusted roots: every certificate of the PEM file named, or of the
/// system's bundle.
fn roots(roots: &Roots) -> Result<RootCertStore, PgError> {
    let path = match roots {
        Roots::File(path) => path.clone(),
        Roots::System => system_bundle().ok_or_else(|| {
            PgError::Config(format!(
                "sslmode=verify-ca/verify-full: no system CA bundle found (SSL_CERT_FILE is \
                 unset and none of {} exists): give one with sslrootcert=PATH",
                SYSTEM_BUNDLES.join(", ")
            ))
        })?,
    };
    let bad = |e: &dyn std::fmt::Display| {
        PgError::Config(format!("cannot read the CA certificates in {}: {e}", path.display()))
    };
    let mut store = RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(&path).map_err(|e| bad(&e))?;
    for cert in certs {
        store.add(cert.map_err(|e| bad(&e))?).map_err(|e| bad(&e))?;
    }
    if store.is_empty() {
        return Err(bad(&"the file holds no PEM certificate"));
    }
    Ok(store)
}

fn system_bundle() -> Option<PathBuf> {
    if let Some(file) = std::env::var_os("SSL_CERT_FILE") {
        return Some(PathBuf::from(file));
    }
    SYSTEM_BUNDLES.iter().map(Path::new).find(|p| p.is_file()).map(Path::to_owned)
}

/// The checks rustls's own verifier does not offer: `require` accepts
/// any certificate (no `chain`), `verify-ca` one that chains to a trusted
/// root whatever host it names. Either way the handshake's signatures made
/// with the certificate are verified.
#[derive(Debug)]
struct Relaxed {
    chain: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Relaxed {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else { return Ok(ServerCertVerified::assertion()) };
        // The name is checked last, once the chain is verified: a name
        // error means the chain was good.
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}
