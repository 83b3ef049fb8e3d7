//! A tiny chat server driving `chat-transport` from one thread with non-blocking std sockets:
//! the web client over HTTP (and HTTPS with `--tls`) beside plain TCP. It exists to try the
//! web page in a browser and to show a runtime's loop; `chat serve` is the real server.
//!
//! ```text
//! cargo run -p chat-transport --example web_demo -- [--web 127.0.0.1:8080] [--tcp 127.0.0.1:5000] [--tls]
//! ```

use std::collections::HashMap;
use std::io::{self, IoSlice, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_core::kit::Outbox;
use chat_core::{ClientId, Config, Input, Output, PeerGone, Server};
use chat_transport::{Endpoint, Incoming, TlsConfig, Transport, WebConfig, self_signed};

struct Conn {
    stream: TcpStream,
    transport: Transport,
    /// The core knows this connection (and has not forgotten it).
    announced: bool,
    /// The socket failed: drop the connection.
    dead: bool,
    /// The client's side reached end of file: read no more.
    eof: bool,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (mut web, mut tcp, mut tls) = ("127.0.0.1:8080".to_owned(), "127.0.0.1:5000".to_owned(), false);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--web" => web = args.next().ok_or("--web needs an address")?,
            "--tcp" => tcp = args.next().ok_or("--tcp needs an address")?,
            "--tls" => tls = true,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let config = Config::default();
    let tls = if tls {
        let made = self_signed::generate(
            &std::env::temp_dir().join("chat-web-demo"),
            &["localhost".into(), "127.0.0.1".into()],
        )?;
        println!("self-signed certificate {}", made.fingerprint);
        Some(TlsConfig::from_pem_files(made.cert_path, made.key_path)?)
    } else {
        None
    };
    let listeners = [
        (TcpListener::bind(&web)?, Endpoint::Web(Arc::new(WebConfig::chat(config.max_line)), tls)),
        (TcpListener::bind(&tcp)?, Endpoint::Plain),
    ];
    for (listener, endpoint) in &listeners {
        listener.set_nonblocking(true)?;
        println!("{} on {}", endpoint.kind(), listener.local_addr()?);
    }
    let mut server = Server::new(config, Instant::now(), std::time::SystemTime::now())?;
    let mut conns: HashMap<ClientId, Conn> = HashMap::new();
    let mut next_id = 0;
    let mut buf = vec![0; 64 * 1024];
    loop {
        let mut busy = false;
        for (listener, endpoint) in &listeners {
            while let Ok((stream, peer)) = listener.accept() {
                busy = true;
                stream.set_nonblocking(true)?;
                next_id += 1;
                let id = ClientId(next_id);
                let mut conn = Conn {
                    stream,
                    transport: endpoint.accept(peer)?,
                    announced: false,
                    dead: false,
                    eof: false,
                };
                if conn.transport.start(peer) {
                    feed(
                        &mut server,
                        id,
                        &mut conn.announced,
                        Incoming { opened: Some(peer), ..Incoming::default() },
                    );
                }
                conns.insert(id, conn);
            }
        }
        for (&id, conn) in conns.iter_mut().filter(|(_, conn)| !conn.dead && !conn.eof) {
            let incoming = match conn.stream.read(&mut buf) {
                Ok(0) => {
                    conn.eof = true;
                    conn.transport.receive_eof()
                }
                Ok(n) => conn.transport.receive(&buf[..n]),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => continue,
                Err(_) => {
                    lost(&mut server, id, conn);
                    continue;
                }
            };
            busy = true;
            feed(&mut server, id, &mut conn.announced, incoming);
        }
        while let Some(output) = server.poll_output() {
            match output {
                Output::Transmit { to, frame } => {
                    if let Some(conn) = conns.get_mut(&to) {
                        let taken = conn.transport.send(frame);
                        feed(
                            &mut server,
                            to,
                            &mut conn.announced,
                            Incoming { flushed: taken, ..Incoming::default() },
                        );
                    }
                }
                Output::Close { to } => {
                    if let Some(conn) = conns.get_mut(&to) {
                        conn.announced = false;
                        conn.transport.close();
                    }
                }
                // This demo closes a socket once its transport is finished, and always reads.
                Output::Release { .. }
                | Output::PauseReading
                | Output::ResumeReading
                | Output::Service(_) => {}
            }
        }
        for (&id, conn) in conns.iter_mut() {
            while !conn.dead && conn.transport.wants_write() {
                let mut slices = [IoSlice::new(&[]); Outbox::MAX_SLICES];
                let count = conn.transport.io_slices(&mut slices);
                match conn.stream.write_vectored(&slices[..count]) {
                    Ok(written) if written > 0 => {
                        busy = true;
                        let incoming = conn.transport.advance(written);
                        feed(&mut server, id, &mut conn.announced, incoming);
                    }
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                    _ => {
                        lost(&mut server, id, conn);
                        break;
                    }
                }
            }
        }
        conns.retain(|_, conn| {
            let done = conn.dead || (conn.transport.is_finished() && !conn.transport.wants_write());
            if done {
                let _ = conn.stream.shutdown(Shutdown::Both);
            }
            !done
        });
        if server.poll_timeout().is_some_and(|at| at <= Instant::now()) {
            server.handle_input(Instant::now(), Input::Timeout)?;
        }
        if !busy {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// Tells the core what an `Incoming` says, in order.
fn feed(server: &mut Server, id: ClientId, announced: &mut bool, incoming: Incoming<'_>) {
    let now = Instant::now();
    let mut input = |input| {
        if let Err(error) = server.handle_input(now, input) {
            eprintln!("core refused input for {id}: {error}");
        }
    };
    if let Some(peer) = incoming.opened {
        *announced = true;
        input(Input::Connected { id, peer });
    }
    if *announced && !incoming.data.is_empty() {
        input(Input::Received { id, bytes: incoming.data });
    }
    if *announced && incoming.flushed > 0 {
        input(Input::Flushed { id, bytes: incoming.flushed, frames: incoming.flushed_frames });
    }
    if let Some(cause) = incoming.ended.filter(|_| *announced) {
        if cause == PeerGone::Lost {
            *announced = false;
        }
        input(Input::Disconnected { id, cause });
    }
}

/// The socket failed: the core forgets the client, and the connection is dropped.
fn lost(server: &mut Server, id: ClientId, conn: &mut Conn) {
    if std::mem::take(&mut conn.announced) {
        let _ = server.handle_input(Instant::now(), Input::Disconnected { id, cause: PeerGone::Lost });
    }
    conn.dead = true;
}
