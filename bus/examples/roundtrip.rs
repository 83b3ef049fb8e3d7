//! What the bus adds to a line: two bridges on one Redis, node `a` appends and node `b` reads.
//!
//! `cargo run --release -p chat-bus --example roundtrip -- redis://127.0.0.1:6379/15` prints the
//! latency from `Bridge::send` on `a` to the entry's event on `b` (2,000 lines, one per
//! millisecond) and the throughput of a burst of 8,000 lines (below the stream's 10,000, so a
//! reader that lags is not trimmed past). It writes to room `#roundtrip` of the database given:
//! use a scratch one. Bounded: it gives up after 60 s. `RUST_LOG=chat_bus=debug` shows the
//! bridge's logs.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chat_bus::{Bridge, BusConfig, RedisUrl};
use chat_core::{BusCommand, BusEvent, BusPayload, SubscribeFrom};
use crossbeam_channel::Receiver;

const ROOM: &str = "#roundtrip";
const PACED: usize = 2_000;
const BURST: usize = 8_000;

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).init();
    let url: RedisUrl =
        std::env::args().nth(1).unwrap_or_else(|| "redis://127.0.0.1:6379/15".into()).parse()?;
    let deadline = Instant::now() + Duration::from_secs(60);
    let (a, a_events) = Bridge::start(BusConfig::new(url.clone(), "roundtrip-a"), || {})?;
    let (b, b_events) = Bridge::start(BusConfig::new(url, "roundtrip-b"), || {})?;
    for events in [&a_events, &b_events] {
        wait(events, deadline, |event| *event == BusEvent::Up)
            .context("is Redis running at that address?")?;
    }
    b.send(BusCommand::Subscribe { room: ROOM.into(), from: SubscribeFrom::Latest })?;
    // The subscription is in place once a line sent after it arrives.
    loop {
        send(&a, "warm-up")?;
        let arrived = wait(&b_events, Instant::now() + Duration::from_millis(500), |event| {
            matches!(event, BusEvent::Entry { .. })
        });
        if arrived.is_ok() {
            break;
        }
        if Instant::now() > deadline {
            bail!("no line came back");
        }
    }
    let mut latencies = Vec::with_capacity(PACED);
    for i in 0..PACED {
        let sent = Instant::now();
        send(&a, &i.to_string())?;
        wait(&b_events, deadline, |event| matches!(event, BusEvent::Entry { .. }))?;
        latencies.push(sent.elapsed());
        std::thread::sleep(Duration::from_millis(1));
    }
    latencies.sort();
    let at =
        |fraction: f64| latencies[((latencies.len() as f64 * fraction) as usize).min(latencies.len() - 1)];
    println!(
        "latency send -> other node's event, {PACED} paced lines: p50 {:?}  p99 {:?}  max {:?}",
        at(0.5),
        at(0.99),
        at(1.0)
    );
    let started = Instant::now();
    let appended = std::thread::scope(|scope| {
        let appended = scope.spawn(|| {
            while a.stats().appended < (PACED + BURST) as u64 + 1 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_micros(200));
            }
            started.elapsed()
        });
        for i in 0..BURST {
            send(&a, &i.to_string())?;
        }
        for _ in 0..BURST {
            wait(&b_events, deadline, |event| matches!(event, BusEvent::Entry { .. }))?;
        }
        anyhow::Ok(appended.join().expect("the counting thread"))
    })?;
    let took = started.elapsed();
    println!(
        "burst of {BURST} lines: all appended in {appended:?}, all delivered on the other node in {took:?} ({:.0} lines/s)",
        BURST as f64 / took.as_secs_f64()
    );
    println!("a: {:?}\nb: {:?}", a.close(), b.close());
    Ok(())
}

fn send(bridge: &Bridge, text: &str) -> anyhow::Result<()> {
    let payload = BusPayload::Line { from: "bench".into(), text: text.into() };
    bridge.send(BusCommand::Append { room: ROOM.into(), payload })?;
    Ok(())
}

/// Takes events until one satisfies `wanted`.
fn wait(
    events: &Receiver<BusEvent>,
    deadline: Instant,
    wanted: impl Fn(&BusEvent) -> bool,
) -> anyhow::Result<()> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match events.recv_timeout(left) {
            Ok(event) if wanted(&event) => return Ok(()),
            Ok(BusEvent::Entry { .. }) => {}
            Ok(other) => eprintln!("{other:?}"),
            Err(_) => bail!("timed out waiting for the bus"),
        }
    }
}
