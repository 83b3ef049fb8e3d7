//! What `chat serve` listens on: plain TCP, TLS and the web page, each a listener tagged with
//! its endpoint, and the TLS certificate they share.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use chat_runtime::{Endpoint, Listener, OriginPolicy, TlsConfig, WebConfig};
use chat_store::DataDir;
use chat_transport::self_signed;

use super::args::Transports;
use super::bind;

/// The listeners to serve, and the TLS certificate (to reload on SIGHUP).
pub struct Plan {
    /// Every listener, plain TCP first.
    pub listeners: Vec<Listener>,
    /// The certificate TLS and HTTPS use, if any.
    pub tls: Option<TlsConfig>,
}

impl Plan {
    /// The addresses served with `kind`'s transport (the admin listener is `Kind::Admin`).
    pub fn addrs(&self, kind: chat_runtime::Kind) -> Vec<SocketAddr> {
        self.listeners
            .iter()
            .filter(|listener| listener.endpoint.kind() == kind)
            .filter_map(|listener| listener.socket.local_addr().ok())
            .collect()
    }
}

/// Binds what the options ask for: plain TCP on `port` unless `--no-plain`, TLS on
/// `--tls-port` with a certificate (a self-signed one kept in `data_dir`), the web page on
/// `--web`.
pub fn plan(
    host: Option<&str>,
    port: u16,
    options: &Transports,
    data_dir: &DataDir,
    max_line: usize,
) -> anyhow::Result<Plan> {
    let tls = tls_config(host, options, data_dir)?;
    let mut listeners = Vec::new();
    if !options.no_plain {
        listeners.extend(bind::listeners(host, port)?.into_iter().map(Listener::plain));
    }
    if let Some(tls) = &tls {
        let sockets = bind::listeners(host, options.tls_port).with_context(|| {
            format!("cannot serve TLS on port {}: pick another with --tls-port", options.tls_port)
        })?;
        listeners.extend(sockets.into_iter().map(|socket| Listener::new(socket, Endpoint::Tls(tls.clone()))));
    }
    if let Some(addr) = options.web {
        let socket = bind::address(addr).context("cannot serve the web page: give --web another address")?;
        let mut web = WebConfig::chat(max_line);
        if !options.web_origin.is_empty() {
            web.origins = OriginPolicy::List(options.web_origin.clone());
        }
        web.trusted_proxies.clone_from(&options.trusted_proxy);
        listeners.push(Listener::new(socket, Endpoint::Web(Arc::new(web), tls.clone())));
    }
    if let Some(addr) = options.admin {
        let socket =
            bind::address(addr).context("cannot serve the admin pages: give --admin another address")?;
        listeners.push(Listener::new(socket, chat_runtime::admin_endpoint()));
    }
    if listeners.is_empty() {
        bail!(
            "nothing to serve: --no-plain needs TLS (--tls-cert and --tls-key, or --tls-self-signed) or --web"
        );
    }
    Ok(Plan { listeners, tls })
}

/// The certificate from `--tls-cert`/`--tls-key`, or the self-signed one (made if needed).
fn tls_config(
    host: Option<&str>,
    options: &Transports,
    data_dir: &DataDir,
) -> anyhow::Result<Option<TlsConfig>> {
    if let (Some(cert), Some(key)) = (&options.tls_cert, &options.tls_key) {
        let tls = TlsConfig::from_pem_files(cert, key).with_context(|| {
            format!(
                "cannot use the TLS certificate {} and key {}: check that both are PEM files that match",
                cert.display(),
                key.display()
            )
        })?;
        return Ok(Some(tls));
    }
    if !options.tls_self_signed {
        return Ok(None);
    }
    let dir = certificate_dir(data_dir)?;
    let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
    names.extend(host.map(str::to_owned));
    let made = self_signed::load_or_generate(&dir, &names).with_context(|| {
        format!("cannot make a self-signed certificate in {}: give a writable --data-dir", dir.display())
    })?;
    super::say(format_args!(
        "Self-signed TLS certificate {} (fingerprint {})",
        made.cert_path.display(),
        made.fingerprint
    ));
    let tls = TlsConfig::from_pem_files(&made.cert_path, &made.key_path).with_context(|| {
        format!("cannot load the self-signed certificate: delete {} to make a new one", dir.display())
    })?;
    Ok(Some(tls))
}

/// `--data-dir`, resolved: the self-signed certificate needs a directory to be kept in.
fn certificate_dir(data_dir: &DataDir) -> anyhow::Result<PathBuf> {
    match data_dir.resolve() {
        Ok(Some(dir)) => Ok(dir),
        Ok(None) => {
            bail!("--tls-self-signed keeps its certificate in --data-dir: give a directory, not none")
        }
        Err(error) => Err(anyhow::anyhow!("{error}")),
    }
}
