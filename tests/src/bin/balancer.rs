//! `workvoice-test-balancer`: the TCP balancer of the relay's tests
//! ([`workvoice_relay::testing::balancer`]) as a process, standing in for HAProxy where a test
//! runs an operator's commands (`tests/tests/operating_guide.rs`, section 12 of
//! `docs/OPERATING.md`).
//!
//! ```text
//! workvoice-test-balancer --listen 127.0.0.1:PORT [--pem FILE] BACKEND...
//! ```
//!
//! `--pem`: terminate TLS with the certificate chain and key in FILE (HAProxy's `crt` file:
//! the chain, leaf first, then the key). Each BACKEND is `127.0.0.1:PORT`. It prints
//! `listening` once it accepts connections, and runs until killed.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

fn tls_config(pem: &str) -> Result<Arc<rustls::ServerConfig>, String> {
    let bytes = std::fs::read(pem).map_err(|e| format!("cannot read {pem}: {e}"))?;
    let chain = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{pem}: {e}"))?;
    let key = PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| format!("{pem}: {e}"))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .map_err(|e| format!("{pem}: {e}"))?;
    Ok(Arc::new(config))
}

fn run() -> Result<(), String> {
    let mut listen = None;
    let mut pem = None;
    let mut backends = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--listen" => listen = args.next(),
            "--pem" => pem = args.next(),
            backend => backends.push(
                backend
                    .parse::<SocketAddr>()
                    .map_err(|e| format!("backend {backend:?}: {e}"))?,
            ),
        }
    }
    let listen = listen.ok_or("--listen ADDRESS is required")?;
    if backends.is_empty() {
        return Err("no backend".into());
    }
    let tls = pem.as_deref().map(tls_config).transpose()?;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
        println!("listening");
        let task = workvoice_relay::testing::balancer::spawn_balancer(listener, backends, tls);
        task.await.map_err(|e| e.to_string())
    })
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("workvoice-test-balancer: {e}");
            ExitCode::from(2)
        }
    }
}
