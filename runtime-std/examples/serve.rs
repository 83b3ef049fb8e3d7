//! A bare server on the std runtime, for measuring it: `cargo run --release -p chat-runtime-std
//! --example serve -- [PORT] [MAX_CLIENTS]`. Flood control is off; the server stops gracefully
//! when its standard input closes. `RUST_LOG=info` shows what happens.

use std::io::Read;
use std::net::TcpListener;

use chat_core::Config;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().map_or(Ok(0), |p| p.parse())?;
    let max_clients: usize = args.next().map_or(Ok(20_000), |n| n.parse())?;
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    let config = Config { max_clients, flood_rate: 0.0, ..Config::default() };
    println!("listening on {} pid {}", listener.local_addr()?, std::process::id());
    let running = chat_runtime_std::spawn(vec![listener], config)?;
    // Until standard input closes.
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    running.stopper().stop();
    running.wait()?;
    Ok(())
}
