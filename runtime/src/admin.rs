//! The operator's listener (`chat serve --admin`): `/metrics` in the Prometheus text format
//! and `/healthz`, served by the runtime like any other endpoint.

use std::sync::Arc;

use chat_transport::meter::meter;
use chat_transport::{Endpoint, WebConfig};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// The label of every metric: which transport (`tcp`, `tls`, `ws`, `wss`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Labels {
    transport: &'static str,
}

/// The endpoint of the operator's listener: `/metrics` ([`metrics`]) and `/healthz`.
pub fn admin_endpoint() -> Endpoint {
    Endpoint::Web(Arc::new(WebConfig::admin(Arc::new(metrics))), None)
}

/// The `/metrics` page: what the transports of this process have seen, by transport.
pub fn metrics() -> String {
    let mut registry = Registry::with_prefix("chat");
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
    let mut page = String::new();
    if let Err(error) = encode(&mut page, &registry) {
        return format!("# cannot encode the metrics: {error}\n");
    }
    page
}
