//! A connection to the server, plain TCP or TLS, split into a reading half (the receiver
//! thread's) and a writing half (the sending thread's).
//!
//! TLS state is one `rustls::ClientConnection` shared by both halves: the reader reads the
//! socket with no lock held, then feeds what it read to the TLS state; whoever has TLS records
//! to send (the writer's lines, or the reader's answers to the server) takes the write lock,
//! so records reach the socket in the order they were made. The reader never waits for that
//! lock: while the writer is stuck on a server that does not read, the reader must go on
//! reading (the server may be stuck sending to us), so it leaves its records to the writer.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError};
use std::time::Duration;

use rustls::ClientConnection;

/// A connection whose TLS handshake, if any, is done.
pub struct Conn {
    socket: TcpStream,
    tls: Option<ClientConnection>,
}

impl Conn {
    /// A plain TCP connection.
    pub fn plain(socket: TcpStream) -> Self {
        Self { socket, tls: None }
    }

    /// A TLS connection whose handshake is done.
    pub fn tls(socket: TcpStream, tls: ClientConnection) -> Self {
        Self { socket, tls: Some(tls) }
    }

    /// The server's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.socket.peer_addr()
    }

    /// Whether the connection is encrypted.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// The reading and the writing half.
    pub fn split(self) -> io::Result<(Reader, Writer)> {
        let tls = self.tls.map(|tls| {
            Arc::new(Tls { state: Mutex::new(tls), writing: Mutex::new(()), unsent: AtomicBool::new(false) })
        });
        let reader = Reader { socket: self.socket.try_clone()?, tls: tls.clone(), raw: Vec::new(), fed: 0 };
        Ok((reader, Writer { socket: self.socket, tls }))
    }
}

/// The TLS state both halves share.
struct Tls {
    state: Mutex<ClientConnection>,
    /// Held while TLS records are taken from the state and written, to keep them in order.
    writing: Mutex<()>,
    /// The reader left records to send while `writing` was held: its holder sends them once
    /// it lets go.
    unsent: AtomicBool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Tls {
    /// Writes the records waiting to be sent unless another thread holds `writing`: that one
    /// then sends them once it lets go (see [`Tls::unsent`]).
    fn send_unsent(&self, socket: &mut TcpStream) -> io::Result<()> {
        loop {
            self.unsent.store(true, Ordering::SeqCst);
            let writing = match self.writing.try_lock() {
                Ok(writing) => writing,
                Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
                Err(TryLockError::WouldBlock) => return Ok(()),
            };
            self.unsent.store(false, Ordering::SeqCst);
            self.flush(socket)?;
            drop(writing);
            if !self.unsent.load(Ordering::SeqCst) {
                return Ok(());
            }
        }
    }

    /// Takes `writing`, runs `write`, lets go, then sends what the reader left meanwhile.
    fn writing<T>(
        &self,
        socket: &mut TcpStream,
        write: impl FnOnce(&mut TcpStream) -> io::Result<T>,
    ) -> io::Result<T> {
        let done = {
            let _writing = lock(&self.writing);
            write(socket)?
        };
        if self.unsent.load(Ordering::SeqCst) {
            self.send_unsent(socket)?;
        }
        Ok(done)
    }

    /// Writes every TLS record waiting to be sent; the caller holds `writing`.
    fn flush(&self, socket: &mut TcpStream) -> io::Result<()> {
        loop {
            let mut records = Vec::new();
            {
                let mut state = lock(&self.state);
                while state.wants_write() {
                    state.write_tls(&mut records)?;
                }
            }
            if records.is_empty() {
                return Ok(());
            }
            socket.write_all(&records)?;
        }
    }
}

/// The reading half.
pub struct Reader {
    socket: TcpStream,
    tls: Option<Arc<Tls>>,
    /// What was last read from the socket, for the TLS state: `raw[fed..]` is still to be fed
    /// to it (it takes no more while the plaintext it made waits to be read).
    raw: Vec<u8>,
    fed: usize,
}

impl Reader {
    /// How long a read may wait (`None`: for ever); a read that waits longer fails with
    /// `WouldBlock` or `TimedOut`, and the next read goes on where it left off.
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.socket.set_read_timeout(timeout)
    }

    /// One read of plaintext through TLS.
    fn read_tls(&mut self, tls: &Tls, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match lock(&tls.state).reader().read(buf) {
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                done => return done,
            }
            if self.fed == self.raw.len() {
                self.raw.resize(16 * 1024, 0);
                let n = self.socket.read(&mut self.raw)?;
                self.raw.truncate(n);
                self.fed = 0;
            }
            let answer = {
                let mut state = lock(&tls.state);
                let mut records = &self.raw[self.fed..];
                // With no bytes (the end of the stream) this records the end; `reader()` then
                // reports it.
                self.fed += state.read_tls(&mut records)?;
                if let Err(err) = state.process_new_packets() {
                    // Our alert, if any, goes out before we stop.
                    drop(state);
                    let _ = tls.send_unsent(&mut self.socket);
                    return Err(io::Error::new(io::ErrorKind::InvalidData, err));
                }
                state.wants_write()
            };
            if answer {
                tls.send_unsent(&mut self.socket)?;
            }
        }
    }
}

impl Read for Reader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.tls.clone() {
            None => self.socket.read(buf),
            Some(tls) => self.read_tls(&tls, buf),
        }
    }
}

/// The writing half.
pub struct Writer {
    socket: TcpStream,
    tls: Option<Arc<Tls>>,
}

impl Writer {
    /// How long a write may block before it fails.
    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.socket.set_write_timeout(timeout)
    }

    /// Ends our side of the connection (TLS: after telling the server so); the server's
    /// lines still arrive. A connection already gone is not an error.
    pub fn shutdown_write(&mut self) -> io::Result<()> {
        if let Some(tls) = &self.tls {
            tls.writing(&mut self.socket, |socket| {
                lock(&tls.state).send_close_notify();
                tls.flush(socket)
            })?;
        }
        match self.socket.shutdown(Shutdown::Write) {
            Err(err) if err.kind() != io::ErrorKind::NotConnected => Err(err),
            _ => Ok(()),
        }
    }
}

impl Write for Writer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let Some(tls) = &self.tls else { return self.socket.write(buf) };
        tls.writing(&mut self.socket, |socket| {
            let taken = lock(&tls.state).writer().write(buf)?;
            tls.flush(socket)?;
            Ok(taken)
        })
    }

    fn flush(&mut self) -> io::Result<()> {
        match &self.tls {
            None => self.socket.flush(),
            Some(tls) => tls.writing(&mut self.socket, |socket| tls.flush(socket)),
        }
    }
}
