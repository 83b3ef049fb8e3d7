//! The operator's listener (`chat serve --admin`): `/metrics` in the Prometheus text format
//! and `/healthz`, served by the runtime like any other endpoint.
//!
//! The page joins two sources: the core's [`Stats`] (lines, deliveries, queued bytes, rooms,
//! drops by reason, the event loop's lateness), which the runtime publishes for the admin
//! connection just before it reads the request, and the transports' [`meter`] (connections
//! and bytes by transport).

use std::sync::Arc;

use chat_core::Stats;
use chat_transport::meter::meter;
use chat_transport::{Endpoint, WebConfig};
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::{EncodeLabelSet, EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::registry::{Registry, Unit};

/// The label of the transports' metrics: which transport (`tcp`, `tls`, `ws`, `wss`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Labels {
    transport: &'static str,
}

/// The label of the drops: why (`slow`, `flood`, `full`, `per_ip` ...).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: &'static str,
}

/// The endpoint of the operator's listener: `/metrics` ([`metrics`]) and `/healthz`.
pub fn admin_endpoint() -> Endpoint {
    Endpoint::Web(Arc::new(WebConfig::admin(Arc::new(metrics))), None)
}

/// The `/metrics` page: the server's `stats` and what the transports of this process have
/// seen, by transport.
pub fn metrics(stats: &Stats) -> String {
    let mut registry = Registry::with_prefix("chat");
    register_core(&mut registry, stats);
    register_transports(&mut registry);
    let mut page = String::new();
    if let Err(error) = encode(&mut page, &registry) {
        return format!("# cannot encode the metrics: {error}\n");
    }
    page
}

/// The core's numbers.
fn register_core(registry: &mut Registry, stats: &Stats) {
    let gauge = |value: usize| ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX));
    registry.register(
        "lines_received",
        "Lines received from clients",
        ConstCounter::new(stats.lines_received),
    );
    registry.register(
        "deliveries",
        "Frames queued for clients (one per recipient of a line, notice or reply; the lines one client said in a row, read together, share one)",
        ConstCounter::new(stats.deliveries),
    );
    registry.register_with_unit(
        "delivered",
        "Bytes of the frames queued for clients",
        Unit::Bytes,
        ConstCounter::new(stats.delivered_bytes),
    );
    registry.register("clients", "Chat clients connected now", gauge(stats.clients));
    registry.register("rooms", "Rooms that exist now", gauge(stats.rooms));
    registry.register_with_unit(
        "queued",
        "Memory the output queued for clients and the transports' buffers cost now (bounded by --max-memory)",
        Unit::Bytes,
        gauge(stats.queued_bytes),
    );
    let drops = Family::<ReasonLabel, Counter>::default();
    registry.register("dropped_connections", "Connections dropped or turned away, by reason", drops.clone());
    for (reason, count) in stats.drops.iter() {
        drops.get_or_create(&ReasonLabel { reason: reason.as_str() }).inc_by(count);
    }
    registry.register_with_unit(
        "event_loop_lateness",
        "How late the event loop served the core's timers",
        Unit::Seconds,
        LatenessHistogram(stats.lateness),
    );
}

/// The transports' numbers, by transport.
fn register_transports(registry: &mut Registry) {
    let accepted = Family::<Labels, Counter>::default();
    let open = Family::<Labels, Gauge>::default();
    let clients = Family::<Labels, Counter>::default();
    let bytes_in = Family::<Labels, Counter>::default();
    let bytes_out = Family::<Labels, Counter>::default();
    registry.register("connections_accepted", "Connections accepted", accepted.clone());
    registry.register("connections_open", "Connections open now", open.clone());
    registry.register("clients_opened", "Connections that became chat clients", clients.clone());
    registry.register("received_bytes", "Bytes read from clients' sockets", bytes_in.clone());
    registry.register("sent_bytes", "Bytes written to clients' sockets", bytes_out.clone());
    for (kind, reading) in meter().read() {
        let labels = Labels { transport: kind.as_str() };
        accepted.get_or_create(&labels).inc_by(reading.accepted);
        open.get_or_create(&labels).set(i64::try_from(reading.open).unwrap_or(i64::MAX));
        clients.get_or_create(&labels).inc_by(reading.clients);
        bytes_in.get_or_create(&labels).inc_by(reading.bytes_in);
        bytes_out.get_or_create(&labels).inc_by(reading.bytes_out);
    }
}

/// The core's [`Lateness`](chat_core::Lateness) as a Prometheus histogram (in seconds).
#[derive(Debug)]
struct LatenessHistogram(chat_core::Lateness);

impl EncodeMetric for LatenessHistogram {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let buckets: Vec<(f64, u64)> = self
            .0
            .buckets()
            .map(|(bound, count)| (bound.map_or(f64::MAX, |bound| bound.as_secs_f64()), count))
            .collect();
        encoder.encode_histogram::<NoLabelSet>(self.0.sum().as_secs_f64(), self.0.count(), &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}
