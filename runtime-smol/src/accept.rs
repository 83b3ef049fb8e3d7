//! The accept task of one listening socket.

use std::net::SocketAddr;

use chat_core::kit::AcceptBackoff;
use chat_transport::Endpoint;
use smol::Timer;
use smol::future;
use smol::net::{TcpListener, TcpStream};
use tracing::Instrument;

/// Accepts connections and hands them, with the `endpoint` that makes their transport, to
/// `hand` (the pump, or the hub for the I/O threads) until the task is dropped (at shutdown).
/// An error never ends it: [`AcceptBackoff`] (the policy both runtimes share) says whether to
/// skip it (the client gave up before we accepted) or to pause first (EMFILE, ENFILE,
/// ENOBUFS...), and logs it.
pub(crate) async fn run(
    listener: TcpListener,
    endpoint: Endpoint,
    hand: impl Fn(TcpStream, SocketAddr, &Endpoint),
) {
    let local = listener.local_addr().ok();
    let kind = endpoint.kind();
    accept_loop(listener, endpoint, hand).instrument(tracing::info_span!("accept", ?local, %kind)).await;
}

async fn accept_loop(
    listener: TcpListener,
    endpoint: Endpoint,
    hand: impl Fn(TcpStream, SocketAddr, &Endpoint),
) {
    let mut backoff = AcceptBackoff::new();
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                backoff.on_success();
                hand(stream, peer, &endpoint);
                // Let the new connection's tasks and everyone else run between accepts.
                future::yield_now().await;
            }
            Err(error) => {
                if let Some(pause) = backoff.on_error(&error) {
                    Timer::after(pause).await;
                }
            }
        }
    }
}
