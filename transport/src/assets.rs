//! The web client: one static page, its script and its style sheet, embedded in the binary.

/// The page served at `/`.
pub(crate) const INDEX_HTML: &str = include_str!("../web/index.html");
/// The script served at `/app.js`.
pub(crate) const APP_JS: &str = include_str!("../web/app.js");
/// The style sheet served at `/app.css`.
pub(crate) const APP_CSS: &str = include_str!("../web/app.css");
/// What the page may load and connect to: only this server.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self' ws: wss:; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
