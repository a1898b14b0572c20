//! A small TCP balancer for tests, standing in for HAProxy in front of several relay
//! processes: each new connection goes to the next backend in turn; a backend that refuses the
//! connection is skipped (as HAProxy's health checks with `option redispatch` would), and
//! bytes are copied both ways until either side closes. With a TLS configuration it
//! terminates TLS first and forwards the plain bytes, as HAProxy's `bind … ssl crt …` does.
//! It reads nothing of the requests, so it logs no path.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

/// Accept on `listener` and spread the connections over `backends` until the task is aborted.
pub fn spawn_balancer(
    listener: TcpListener,
    backends: Vec<SocketAddr>,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> JoinHandle<()> {
    let acceptor = tls.map(TlsAcceptor::from);
    let turn = Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            let (backends, turn, acceptor) = (backends.clone(), turn.clone(), acceptor.clone());
            tokio::spawn(async move {
                let first = turn.fetch_add(1, Ordering::SeqCst);
                match acceptor {
                    None => forward(client, &backends, first).await,
                    Some(acceptor) => {
                        if let Ok(client) = acceptor.accept(client).await {
                            forward(client, &backends, first).await;
                        }
                    }
                }
            });
        }
    })
}

async fn forward<S>(mut client: S, backends: &[SocketAddr], first: usize)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    for k in 0..backends.len() {
        let backend = backends[(first + k) % backends.len()];
        if let Ok(mut server) = TcpStream::connect(backend).await {
            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            return;
        }
    }
}
