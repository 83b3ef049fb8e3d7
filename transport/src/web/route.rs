//! What each request gets: the page, `/healthz`, `/metrics`, the WebSocket upgrade, or an error.

use std::net::SocketAddr;

use super::{WebConfig, forwarded, handshake, origin};
use crate::assets;
use crate::http::Status;
use crate::http::request::Request;
use crate::http::response::Response;

/// The answer to one request.
pub(crate) enum Answer {
    /// Write this; the connection goes on unless it says to close.
    Respond(Response),
    /// Write this `101` and speak WebSocket from now on, for a client at this address.
    Upgrade(Response, SocketAddr),
}

/// Chooses the answer to `request`, which came over a connection from `peer`.
pub(crate) fn answer(config: &WebConfig, request: &Request<'_>, peer: SocketAddr) -> Answer {
    let mut response = respond(config, request, peer);
    if let Answer::Respond(response) = &mut response {
        response.head_only = request.method == "HEAD";
        response.close |= request.wants_close();
    }
    response
}

fn respond(config: &WebConfig, request: &Request<'_>, peer: SocketAddr) -> Answer {
    if !matches!(request.method, "GET" | "HEAD") {
        return Answer::Respond(Response::error(Status::METHOD_NOT_ALLOWED).header("Allow", "GET, HEAD"));
    }
    if request.has_body() {
        return Answer::Respond(Response::error(Status::CONTENT_TOO_LARGE));
    }
    let response = match request.path {
        "/healthz" => ok("text/plain; charset=utf-8", &b"ok\n"[..]).header("Cache-Control", "no-store"),
        "/metrics" => match &config.metrics {
            Some(metrics) => {
                ok("text/plain; version=0.0.4; charset=utf-8", metrics(&config.stats.read()).into_bytes())
                    .header("Cache-Control", "no-store")
            }
            None => Response::error(Status::NOT_FOUND),
        },
        "/" if config.chat => ok("text/html; charset=utf-8", assets::INDEX_HTML.as_bytes())
            .header("Content-Security-Policy", assets::CONTENT_SECURITY_POLICY)
            .header("Referrer-Policy", "no-referrer")
            .header("Cache-Control", "no-cache"),
        "/app.js" if config.chat => ok("text/javascript; charset=utf-8", assets::APP_JS.as_bytes())
            .header("Cache-Control", "no-cache"),
        "/app.css" if config.chat => {
            ok("text/css; charset=utf-8", assets::APP_CSS.as_bytes()).header("Cache-Control", "no-cache")
        }
        "/ws" if config.chat => return upgrade(config, request, peer),
        _ => Response::error(Status::NOT_FOUND),
    };
    Answer::Respond(response)
}

/// A `200 OK` with this body.
fn ok(content_type: &'static str, body: impl Into<std::borrow::Cow<'static, [u8]>>) -> Response {
    Response::new(Status::OK, content_type, body)
}

fn upgrade(config: &WebConfig, request: &Request<'_>, peer: SocketAddr) -> Answer {
    if !origin::allowed(&config.origins, request.header("origin"), request.header("host")) {
        return Answer::Respond(Response::error(Status::FORBIDDEN));
    }
    match handshake::accept(request) {
        Ok(response) => Answer::Upgrade(
            response,
            forwarded::real_peer(peer, request.all("x-forwarded-for"), &config.trusted_proxies),
        ),
        Err(response) => Answer::Respond(response),
    }
}
