//! Misbehaving clients for the soak test: each thread cycles through the ways a client can be
//! rude to a server, one connection at a time, until told to stop.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use socket2::SockRef;

/// The rude things a client does.
#[derive(Clone, Copy, Debug)]
enum Act {
    /// Connects, sends half a line and resets the connection (RST, no FIN).
    Reset,
    /// Connects and closes at once, like a port scanner.
    Probe,
    /// Sends one line, then never reads while the room talks, for a while.
    StopReading,
    /// Sends lines as fast as it can.
    Flood,
    /// Sends a line far over the limit, then a normal one.
    OverLong,
    /// Sends bytes that are not UTF-8.
    InvalidUtf8,
    /// Sends terminal escape sequences, control characters and bidi overrides.
    Escapes,
    /// Dribbles a line one byte at a time.
    Dribble,
}

const ACTS: [Act; 8] = [
    Act::Reset,
    Act::Probe,
    Act::StopReading,
    Act::Flood,
    Act::OverLong,
    Act::InvalidUtf8,
    Act::Escapes,
    Act::Dribble,
];

/// Pause after an act failed (the server refused or dropped the connection).
const BACKOFF: Duration = Duration::from_millis(100);

/// How long a client that stopped reading holds its connection.
const HOLD: Duration = Duration::from_secs(10);

/// Misbehaving clients running in the background.
pub struct Mischief {
    stop: Arc<AtomicBool>,
    made: Arc<AtomicU64>,
    threads: Vec<JoinHandle<()>>,
}

impl Mischief {
    /// Starts `threads` threads of misbehaving clients against `addr`.
    pub fn start(addr: SocketAddr, threads: usize) -> Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let made = Arc::new(AtomicU64::new(0));
        let mut handles = Vec::with_capacity(threads);
        for t in 0..threads {
            let (stop, made) = (Arc::clone(&stop), Arc::clone(&made));
            let handle = thread::Builder::new()
                .name(format!("bench-mischief-{t}"))
                .spawn(move || {
                    for act in ACTS.iter().cycle().skip(t) {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        made.fetch_add(1, Ordering::Relaxed);
                        // A refused or reset connection is part of the game, not a bench failure;
                        // but a server that is gone must not turn this loop into a busy spin.
                        if perform(addr, *act, &stop).is_err() {
                            thread::sleep(BACKOFF);
                        }
                    }
                })
                .context("could not start a misbehaving client thread")?;
            handles.push(handle);
        }
        Ok(Self { stop, made, threads: handles })
    }

    /// Stops every thread; returns how many misbehaving connections were made.
    pub fn finish(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        for thread in self.threads {
            let _ = thread.join();
        }
        self.made.load(Ordering::Relaxed)
    }
}

fn perform(addr: SocketAddr, act: Act, stop: &AtomicBool) -> io::Result<()> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_write_timeout(Some(Duration::from_secs(2)))?;
    stream.set_read_timeout(Some(Duration::from_millis(100)))?;
    match act {
        Act::Reset => {
            stream.write_all(b"half a li")?;
            SockRef::from(&stream).set_linger(Some(Duration::ZERO))?;
            return Ok(());
        }
        Act::Probe => return Ok(()),
        Act::StopReading => {
            stream.write_all(b"I will not read anything from now on\n")?;
            let until = Instant::now() + HOLD;
            while Instant::now() < until && !stop.load(Ordering::Relaxed) {
                thread::sleep(Duration::from_millis(50));
            }
        }
        Act::Flood => {
            let line = b"flood flood flood flood flood flood flood flood flood flood\n";
            for _ in 0..2000 {
                stream.write_all(line)?;
            }
        }
        Act::OverLong => {
            stream.write_all(&vec![b'x'; 100 * 1024])?;
            stream.write_all(b"\nand now a normal line\n")?;
        }
        Act::InvalidUtf8 => stream.write_all(b"bad \xff\xfe\xc3\x28 bytes \xed\xa0\x80 surrogate\n")?,
        Act::Escapes => stream.write_all(
            "\x1b[2J\x1b[H\x1b]0;pwned\x07 clear screen \r\x08\x08 bell\x07 \u{202e}reversed\u{202c} \u{2028}sep\x7f\n"
                .as_bytes(),
        )?,
        Act::Dribble => {
            for &b in b"slowly, one byte at a time\n" {
                stream.write_all(&[b])?;
                thread::sleep(Duration::from_millis(20));
            }
        }
    }
    drain_briefly(&mut stream);
    stream.shutdown(Shutdown::Write)?;
    drain_briefly(&mut stream);
    Ok(())
}

/// Reads what the server sent for a moment, so the close is clean.
fn drain_briefly(stream: &mut TcpStream) {
    let mut buf = [0u8; 16 * 1024];
    let until = Instant::now() + Duration::from_millis(300);
    while Instant::now() < until {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
}
