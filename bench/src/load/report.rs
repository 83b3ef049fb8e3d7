//! The result of a run: a table for people, one JSON line for scripts.

use std::fmt::Write;

use serde::Serialize;

use super::engine::Measured;

/// Latency percentiles in milliseconds.
#[derive(Debug, Serialize)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Slowest line.
    pub max: f64,
}

/// Everything a run reports. Optional fields belong to one mode.
#[derive(Debug, Serialize)]
pub struct Report {
    /// `fanout`, `connections` or `soak`.
    pub mode: &'static str,
    /// The server's address.
    pub server: String,
    /// Connections.
    pub clients: usize,
    /// Connections that sent.
    pub senders: usize,
    /// Lines per sender.
    pub messages: u32,
    /// Bytes per line.
    pub size: usize,
    /// Lines per second per sender, if paced.
    pub rate: Option<f64>,
    /// Measured lines sent.
    pub sent: u64,
    /// Deliveries a perfect server makes.
    pub expected: u64,
    /// Lines delivered (first copies).
    pub delivered: u64,
    /// Lines never delivered.
    pub lost: u64,
    /// Extra copies delivered.
    pub duplicated: u64,
    /// Lines delivered after a later line from the same sender.
    pub out_of_order: u64,
    /// Mangled lines of this run (split, merged, truncated).
    pub corrupted: u64,
    /// Bench connections the server closed.
    pub disconnected: usize,
    /// `! ` lines from the server.
    pub server_errors: u64,
    /// Seconds it took to open the connections.
    pub connect_seconds: f64,
    /// Seconds until the server had everyone in the room (warm-up lines delivered).
    pub warmup_seconds: f64,
    /// Seconds from the first line sent to the last delivered.
    pub seconds: f64,
    /// Deliveries per second.
    pub deliveries_per_sec: f64,
    /// Lines per second sent by all senders together.
    pub lines_per_sec: f64,
    /// End-to-end latency.
    pub latency_ms: Latency,
    /// CPU time the server spent from the first measured line to the last delivery (fan-out
    /// mode, with the server's process id).
    pub server_cpu_seconds: Option<f64>,
    /// Server memory: resident bytes per connection (connections mode).
    pub rss_per_connection: Option<f64>,
    /// Server memory in KiB: before and after connecting (connections mode), or at the start
    /// and at the peak (soak).
    pub rss_kib: Option<(u64, u64)>,
    /// Control bytes that reached well-behaved clients (soak mode).
    pub control_bytes: Option<u64>,
    /// Misbehaving connections made (soak mode).
    pub misbehaved: Option<u64>,
    /// Why the run failed, if it did.
    pub failures: Vec<String>,
    /// True when every check passed.
    pub pass: bool,
}

impl Report {
    /// The common part of every mode's report, from a finished run.
    pub fn new(mode: &'static str, plan: &super::shared::Plan, m: &Measured) -> Self {
        let ms = |q: f64| m.latency_us.value_at_quantile(q) as f64 / 1000.0;
        let seconds = m.elapsed.as_secs_f64();
        let mut report = Self {
            mode,
            server: plan.addrs.iter().map(ToString::to_string).collect::<Vec<_>>().join(","),
            clients: plan.clients,
            senders: plan.senders,
            messages: plan.messages,
            size: plan.size,
            rate: plan.rate,
            sent: m.sent,
            expected: m.expected,
            delivered: m.counts.delivered,
            lost: m.lost,
            duplicated: m.counts.duplicated,
            out_of_order: m.counts.out_of_order,
            corrupted: m.counts.corrupted,
            disconnected: m.gone,
            server_errors: m.server_errors.0,
            connect_seconds: m.connect_time.as_secs_f64(),
            warmup_seconds: m.sync_time.as_secs_f64(),
            seconds,
            deliveries_per_sec: m.rate(),
            lines_per_sec: m.sent as f64 / seconds.max(1e-9),
            latency_ms: Latency {
                p50: ms(0.5),
                p99: ms(0.99),
                p999: ms(0.999),
                max: m.latency_us.max() as f64 / 1000.0,
            },
            server_cpu_seconds: None,
            rss_per_connection: None,
            rss_kib: None,
            control_bytes: None,
            misbehaved: None,
            failures: Vec::new(),
            pass: false,
        };
        let checks = [
            (report.lost, "lost"),
            (report.duplicated, "duplicated"),
            (report.out_of_order, "out of order"),
            (report.corrupted, "corrupted"),
        ];
        for (count, what) in checks {
            if count > 0 {
                report.failures.push(format!("{count} lines {what}"));
            }
        }
        if m.gone > 0 {
            report.failures.push(format!("the server closed {} bench connections", m.gone));
        }
        if let (n, Some(first)) = &m.server_errors {
            report.failures.push(format!("the server sent {n} error lines, the first: {first}"));
        }
        report
    }

    /// Adds a failure.
    pub fn fail(&mut self, why: String) {
        self.failures.push(why);
    }

    /// Settles `pass` from the failures recorded.
    pub fn settle(&mut self) {
        self.pass = self.failures.is_empty();
    }

    /// One line of JSON.
    pub fn json(&self) -> String {
        serde_json::to_string(self).expect("a report always serialises")
    }

    /// A table for people.
    pub fn table(&self) -> String {
        let mut rows: Vec<(&str, String)> = vec![
            ("server", self.server.clone()),
            ("mode", self.mode.to_owned()),
            ("clients / senders", format!("{} / {}", self.clients, self.senders)),
            ("connect / warm-up", format!("{:.2} s / {:.2} s", self.connect_seconds, self.warmup_seconds)),
            (
                "lines",
                format!(
                    "{} per sender, {} bytes, {}",
                    self.messages,
                    self.size,
                    match self.rate {
                        Some(rate) => format!("{rate} lines/s per sender"),
                        None => "unpaced".to_owned(),
                    }
                ),
            ),
            ("sent", format!("{} lines ({:.0} lines/s)", self.sent, self.lines_per_sec)),
            ("delivered", format!("{} of {} in {:.3} s", self.delivered, self.expected, self.seconds)),
            ("deliveries/s", format!("{:.0}", self.deliveries_per_sec)),
            (
                "latency p50 / p99 / p99.9 / max",
                format!(
                    "{:.2} / {:.2} / {:.2} / {:.2} ms",
                    self.latency_ms.p50, self.latency_ms.p99, self.latency_ms.p999, self.latency_ms.max
                ),
            ),
            (
                "lost / dup / reordered / corrupted",
                format!("{} / {} / {} / {}", self.lost, self.duplicated, self.out_of_order, self.corrupted),
            ),
            ("disconnected by server", self.disconnected.to_string()),
        ];
        if let Some(cpu) = self.server_cpu_seconds {
            rows.push(("server CPU time", format!("{cpu:.2} s (user and system, every thread)")));
        }
        if let Some(per) = self.rss_per_connection {
            rows.push((
                "server memory per connection",
                format!("{:.0} bytes ({:.2} KiB)", per, per / 1024.0),
            ));
        }
        if let Some((first, second)) = self.rss_kib {
            let text = match self.mode {
                "connections" => {
                    format!("{first} KiB before connecting, {second} KiB with everyone connected")
                }
                _ => format!("{first} KiB at the start, {second} KiB at the peak"),
            };
            rows.push(("server resident memory", text));
        }
        if let Some(n) = self.misbehaved {
            rows.push(("misbehaving connections", n.to_string()));
        }
        if let Some(n) = self.control_bytes {
            rows.push(("control bytes received", n.to_string()));
        }
        rows.push(("result", if self.pass { "PASS".to_owned() } else { "FAIL".to_owned() }));
        let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        let mut out = String::new();
        for (key, value) in rows {
            let _ = writeln!(out, "{key:<width$}  {value}");
        }
        for why in &self.failures {
            let _ = writeln!(out, "  - {why}");
        }
        out
    }
}
