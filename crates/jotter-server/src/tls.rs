//! TLS for the RESP port (feature `tls`): loads the certificate chain and
//! key named in `[tls]` and builds the acceptor, with rustls and the ring
//! provider (quick to build; no C toolchain beyond ring's own).

use std::sync::Arc;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

use crate::config::Tls;

/// Why TLS cannot start; each names the file or the setting.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TlsError {
    #[error("tls.cert: cannot read certificates from {path}: {source}")]
    Cert { path: String, source: rustls::pki_types::pem::Error },
    #[error("tls.cert: {path} holds no certificate")]
    NoCert { path: String },
    #[error("tls.key: cannot read a private key from {path}: {source}")]
    Key { path: String, source: rustls::pki_types::pem::Error },
    #[error("tls: the certificate and key do not make a server configuration: {0}")]
    Config(#[from] rustls::Error),
}

pub(crate) fn acceptor(tls: &Tls) -> Result<TlsAcceptor, TlsError> {
    let cert_path = tls.cert.display().to_string();
    let certs = CertificateDer::pem_file_iter(&tls.cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|source| TlsError::Cert { path: cert_path.clone(), source })?;
    if certs.is_empty() {
        return Err(TlsError::NoCert { path: cert_path });
    }
    let key = PrivateKeyDer::from_pem_file(&tls.key)
        .map_err(|source| TlsError::Key { path: tls.key.display().to_string(), source })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}
