//! The accept task of one listening socket.

use std::io::ErrorKind;
use std::rc::Rc;
use std::time::Duration;

use smol::Timer;
use smol::future;
use smol::net::TcpListener;

use crate::pump::Pump;

/// How long to pause accepting after an error such as running out of file descriptors, so the
/// loop does not spin while the condition lasts.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Accepts connections and hands them to the pump until the task is dropped (at shutdown).
/// An error never ends it: a transient one (the client gave up before we accepted) is
/// skipped, any other (EMFILE, ENFILE, ENOBUFS...) is logged and followed by a short pause.
pub(crate) async fn run(pump: Rc<Pump>, listener: TcpListener) {
    let local = listener.local_addr().ok();
    // While accepting keeps failing, only the first error is a warning.
    let mut failing = false;
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                if std::mem::take(&mut failing) {
                    tracing::info!(?local, "accepting connections again");
                }
                pump.connect(stream, peer);
                // Let the new connection's tasks and everyone else run between accepts.
                future::yield_now().await;
            }
            Err(error) if matches!(error.kind(), ErrorKind::ConnectionAborted | ErrorKind::Interrupted) => {
                tracing::debug!(?local, %error, "accept: connection gone before it was accepted");
            }
            Err(error) => {
                if failing {
                    tracing::debug!(?local, %error, "cannot accept connections");
                } else {
                    tracing::warn!(
                        ?local,
                        %error,
                        "cannot accept connections; retrying every {ACCEPT_BACKOFF:?} (more such errors are logged at debug level)"
                    );
                    failing = true;
                }
                Timer::after(ACCEPT_BACKOFF).await;
            }
        }
    }
}
