//! Measures a chat server on this machine (Linux): `cargo run --release -p chat-runtime-std
//! --example load -- ADDR CONNECTIONS LINES [SERVER_PID]`.
//!
//! Opens CONNECTIONS clients from one thread (non-blocking sockets, polled in turn), waits
//! until each has its welcome, reports the server's memory and threads (from /proc, with
//! SERVER_PID), then has the first client send LINES lines and times until every other client
//! has received all of them. Run the server with flood control off.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// Gives up waiting for the server after this long.
const PATIENCE: Duration = Duration::from_secs(120);

struct Client {
    stream: TcpStream,
    /// Lines starting with `<` (messages) received so far.
    messages: u64,
    /// Lines received so far.
    lines: u64,
    at_line_start: bool,
}

impl Client {
    /// Reads what is available; false if the connection ended.
    fn poll(&mut self, buffer: &mut [u8]) -> bool {
        loop {
            match self.stream.read(buffer) {
                Ok(0) => return false,
                Ok(n) => {
                    for &byte in &buffer[..n] {
                        if self.at_line_start && byte == b'<' {
                            self.messages += 1;
                        }
                        self.at_line_start = byte == b'\n';
                        self.lines += u64::from(byte == b'\n');
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
    }
}

/// Polls every client until `done` holds for all of them.
fn poll_until(clients: &mut [Client], what: &str, done: impl Fn(&Client) -> bool) {
    let deadline = Instant::now() + PATIENCE;
    let mut buffer = vec![0; 64 * 1024];
    let mut pending: Vec<usize> = (0..clients.len()).collect();
    while !pending.is_empty() {
        pending.retain(|&i| {
            let alive = clients[i].poll(&mut buffer);
            assert!(alive || done(&clients[i]), "client {i} was disconnected while waiting for {what}");
            !done(&clients[i])
        });
        assert!(Instant::now() < deadline, "{} clients still waiting for {what}", pending.len());
    }
}

/// Waits for every client's first line; drops those closed without one and counts them.
fn welcome(clients: &mut Vec<Client>) -> usize {
    let deadline = Instant::now() + PATIENCE;
    let mut buffer = vec![0; 64 * 1024];
    let (mut pending, mut refused): (Vec<usize>, Vec<usize>) = ((0..clients.len()).collect(), Vec::new());
    while !pending.is_empty() {
        pending.retain(|&i| {
            if !clients[i].poll(&mut buffer) && clients[i].lines == 0 {
                refused.push(i);
                return false;
            }
            clients[i].lines == 0
        });
        assert!(Instant::now() < deadline, "{} clients still waiting for a welcome", pending.len());
    }
    refused.sort_unstable();
    for &i in refused.iter().rev() {
        clients.swap_remove(i);
    }
    refused.len()
}

/// `(KernelStack, MemTotal - MemAvailable)` of the whole machine, in KiB.
fn machine() -> Option<(u64, u64)> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = info.lines().find(|l| l.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    Some((field("KernelStack:")?, field("MemTotal:")? - field("MemAvailable:")?))
}

/// `(VmRSS in KiB, threads)` of a process.
fn usage(pid: Option<u32>) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    Some((field("VmRSS:")?, field("Threads:")?))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let addr: SocketAddr = args[0].parse().expect("ADDR");
    let count: usize = args[1].parse().expect("CONNECTIONS");
    let lines: u64 = args[2].parse().expect("LINES");
    let pid: Option<u32> = args.get(3).map(|p| p.parse().expect("SERVER_PID"));

    let before = usage(pid);
    let machine_before = machine();
    let started = Instant::now();
    let mut clients = Vec::with_capacity(count);
    for i in 0..count {
        let stream = match TcpStream::connect(addr) {
            Ok(stream) => stream,
            Err(e) => {
                println!("connection {i} failed: {e}");
                break;
            }
        };
        stream.set_nonblocking(true).unwrap();
        clients.push(Client { stream, messages: 0, lines: 0, at_line_start: true });
    }
    println!("{} connections opened in {:.2} s", clients.len(), started.elapsed().as_secs_f64());
    let refused = welcome(&mut clients);
    if refused > 0 {
        println!("{refused} connections were closed without a welcome");
    }
    let connected = started.elapsed();
    println!("{} connections welcomed in {:.2} s", clients.len(), connected.as_secs_f64());
    if let (Some((rss0, threads0)), Some((rss1, threads1))) = (before, usage(pid)) {
        let n = clients.len().max(1) as u64;
        println!(
            "server: RSS {rss0} -> {rss1} KiB ({:.1} KiB per connection), threads {threads0} -> {threads1}",
            (rss1 - rss0) as f64 / n as f64
        );
    }

    if let (Some((stack0, used0)), Some((stack1, used1))) = (machine_before, machine()) {
        let n = clients.len().max(1) as f64;
        println!(
            "machine: kernel stacks +{:.1} KiB per connection, memory in use +{:.1} KiB per connection \
             (both ends, all processes)",
            (stack1 as f64 - stack0 as f64) / n,
            (used1 as f64 - used0 as f64) / n
        );
    }

    let started = Instant::now();
    let (first, others) = clients.split_first_mut().expect("at least one client");
    first.stream.set_nonblocking(false).unwrap();
    let text = format!("{}\n", "x".repeat(60));
    let batch: String = std::iter::repeat_n(text.as_str(), lines as usize).collect();
    first.stream.write_all(batch.as_bytes()).unwrap();
    poll_until(others, "the messages", |c| c.messages >= lines);
    let elapsed = started.elapsed().as_secs_f64();
    let deliveries = lines * others.len() as u64;
    println!(
        "{lines} lines to {} clients in {elapsed:.2} s: {:.0} lines/s in, {:.0} deliveries/s out",
        others.len(),
        lines as f64 / elapsed,
        deliveries as f64 / elapsed
    );
    if let Some((rss, threads)) = usage(pid) {
        println!("server after: RSS {rss} KiB, threads {threads}");
    }
}
