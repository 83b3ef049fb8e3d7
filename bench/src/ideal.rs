//! `chat-bench ideal`: the ideal broadcaster, a fixture server that shows what the machine can do
//! under a load, so every benchmark can report the ratio of a real server to it.
//!
//! It has no chat logic at all: no names, no commands, no limits, no notices. Every complete line
//! a connection sends goes, as it was sent, to every other connection, in order. Each worker
//! thread (one per core by default) owns a share of the connections and drives them from one
//! level-triggered `epoll` loop (the `polling` crate). A read's complete lines become one shared
//! chunk that is handed to every thread; each thread appends the chunks that arrived to each of
//! its connections' pending output and writes it with one `write` of up to 256 KiB per
//! connection and turn. That is the least work a broadcast can cost: one read per sender's
//! batch, one write per receiver's batch, and a `memcpy` per delivery.
//!
//! It speaks just enough of the protocol for the load tool: the tool reads its payload from the
//! end of each line and needs no welcome, so lines are passed on verbatim. It is not a chat
//! server: it forwards control bytes and never drops a client except one whose pending output
//! passes [`worker::MAX_PENDING`] or whose line passes [`peer::MAX_LINE`], so the soak is not
//! run against it.

mod broadcaster;
mod mailbox;
mod peer;
mod worker;

use std::net::{SocketAddr, TcpListener, ToSocketAddrs};

use anyhow::{Context, Result};

pub use self::broadcaster::Broadcaster;
use crate::open_files;

/// Pending connections the kernel may hold before they are accepted (capped by
/// `net.core.somaxconn`): as large as `chat serve`'s, so a crowd of bench clients connecting at
/// once is not made to retry a second later, which would count against the fixture.
const BACKLOG: i32 = 4096;

/// Options of `chat-bench ideal`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on; 0 picks a free one (the first line says which).
    #[arg(long, short, default_value_t = 5000)]
    port: u16,
    /// Worker threads (default: the number of cores).
    #[arg(long)]
    threads: Option<usize>,
}

/// Runs the ideal broadcaster until the process is stopped.
pub fn run(args: &Args) -> Result<()> {
    let addr = (args.host.as_str(), args.port)
        .to_socket_addrs()
        .with_context(|| format!("could not resolve {}", args.host))?
        .next()
        .with_context(|| format!("{} has no address", args.host))?;
    let listener = listen(addr)
        .with_context(|| format!("could not listen on {addr}; is the port in use? (try --port 0)"))?;
    let files = open_files::raise_all()?;
    let threads =
        args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())).max(1);
    let broadcaster = Broadcaster::start(listener, threads)?;
    let local = broadcaster.local_addr();
    // The first line has the form scripts parse for `chat serve` too.
    println!("Ideal broadcaster started on port {}", local.port());
    println!(
        "Listening on {local} ({threads} threads, open-files limit {files}): every line goes to every \
         other connection; stop with Ctrl+C."
    );
    broadcaster.wait()
}

/// A listening socket on `addr` with a deep accept queue.
fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}

#[cfg(test)]
mod tests;
