//! A real browser for the end-to-end tests: Debian's `chromium`, headless, driven over the
//! Chrome DevTools Protocol (its WebSocket, spoken with `chat-transport`'s client frames).
//!
//! [`Browser::launch`] returns `None` (and says so on stderr) when chromium is not installed,
//! so a developer without it can still run the suite; with `CHAT_REQUIRE_CHROMIUM=1` (set by
//! `.ci/run`, which installs it) a missing browser fails the test instead.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use chat_transport::ws::client::frame;
use serde_json::{Value, json};

use crate::WAIT;

/// Where Debian installs chromium.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// A headless chromium with one page, killed (and its profile removed) when dropped.
pub struct Browser {
    child: Child,
    profile: PathBuf,
    /// The page's DevTools WebSocket.
    page: TcpStream,
    buf: Vec<u8>,
    next_id: u64,
}

impl Browser {
    /// Starts chromium on a fresh profile, or returns `None` if it is not installed (unless
    /// `CHAT_REQUIRE_CHROMIUM=1`, when that fails the test).
    pub fn launch(test: &str) -> Option<Self> {
        if !Path::new(CHROMIUM).exists() {
            assert!(
                std::env::var("CHAT_REQUIRE_CHROMIUM").as_deref() != Ok("1"),
                "{test}: {CHROMIUM} is missing and CHAT_REQUIRE_CHROMIUM=1 (apt-get install chromium)"
            );
            eprintln!("SKIPPED {test}: {CHROMIUM} is not installed (apt-get install chromium to run it)");
            return None;
        }
        let profile = std::env::temp_dir().join(format!("chat-tests-chromium-{}-{test}", std::process::id()));
        let mut child = Command::new(CHROMIUM)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-port=0",
                "--window-size=800,600",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{test}: cannot start {CHROMIUM}: {e}"));
        let stderr = child.stderr.take().expect("chromium's stderr");
        // Ends at chromium's first line naming its DevTools address (or its exit).
        let port = BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .take(1_000)
            .find_map(|line| devtools_port(&line));
        let Some(port) = port else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{test}: chromium did not say where DevTools listens");
        };
        let devtools = SocketAddr::from(([127, 0, 0, 1], port));
        let targets: Value =
            serde_json::from_str(&http_get(devtools, "/json/list")).expect("DevTools' target list");
        let url = targets
            .as_array()
            .and_then(|targets| targets.iter().find(|target| target["type"] == "page"))
            .and_then(|page| page["webSocketDebuggerUrl"].as_str())
            .expect("a page target")
            .to_owned();
        let path =
            url.split_once(&format!("127.0.0.1:{port}")).map(|(_, path)| path.to_owned()).expect("a ws URL");
        let page = websocket(devtools, &path);
        Some(Self { child, profile, page, buf: Vec::new(), next_id: 1 })
    }

    /// Calls a DevTools method and returns its result.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let message = json!({ "id": id, "method": method, "params": params }).to_string();
        self.page
            .write_all(&frame(true, 0x1, message.as_bytes(), Some([1, 2, 3, 4])))
            .expect("send to DevTools");
        loop {
            if let Some((_, payload)) = crate::websocket::take_frame(&mut self.buf) {
                let reply: Value = serde_json::from_slice(&payload).expect("DevTools speaks JSON");
                if reply["id"] == id {
                    assert!(reply.get("error").is_none(), "DevTools {method} failed: {reply}");
                    return reply["result"].clone();
                }
                continue;
            }
            let mut chunk = [0; 64 * 1024];
            match self.page.read(&mut chunk) {
                Ok(0) => panic!("DevTools closed the connection during {method}"),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(error) => panic!("no answer from DevTools to {method}: {error}"),
            }
        }
    }

    /// Opens `url` in the page.
    pub fn navigate(&mut self, url: &str) {
        self.call("Page.navigate", json!({ "url": url }));
    }

    /// Evaluates `expression` in the page, waiting for it if it is a promise; returns its value.
    pub fn eval(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({ "expression": expression, "awaitPromise": true, "returnByValue": true }),
        );
        assert!(result.get("exceptionDetails").is_none(), "the page threw: {result}");
        result["result"]["value"].clone()
    }

    /// Waits (in the page, up to [`WAIT`]) until the JavaScript `condition` is true; `what`
    /// says what that means, for the failure message.
    pub fn wait_for(&mut self, what: &str, condition: &str) {
        let expression = format!(
            "new Promise((resolve, reject) => {{ const start = Date.now(); (function check() {{ \
             if ({condition}) resolve(true); \
             else if (Date.now() - start > {ms}) reject(new Error('waited in vain for ' + {what:?})); \
             else setTimeout(check, 50); }})(); }})",
            ms = WAIT.as_millis()
        );
        self.eval(&expression);
    }

    /// Types `line` into the page's message box and sends it.
    pub fn type_line(&mut self, line: &str) {
        self.eval(&format!(
            "document.getElementById('line').value = {line:?}; \
             document.getElementById('compose').requestSubmit(); true"
        ));
    }

    /// Shows the page as a screen of `width` x `height` CSS pixels (`mobile`: a phone's).
    pub fn set_screen(&mut self, width: u32, height: u32, mobile: bool) {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile }),
        );
    }

    /// A PNG of what the page shows now.
    pub fn screenshot(&mut self) -> Vec<u8> {
        use base64::Engine as _;
        let shot = self.call("Page.captureScreenshot", json!({ "format": "png" }));
        let data = shot["data"].as_str().expect("the screenshot's data");
        base64::engine::general_purpose::STANDARD.decode(data).expect("a base64 PNG")
    }

    /// Waits (in the page, up to [`WAIT`]) until the element `id`'s text contains `needle`;
    /// returns that text.
    pub fn wait_for_text(&mut self, id: &str, needle: &str) -> String {
        let expression = format!(
            "new Promise((resolve, reject) => {{ const start = Date.now(); (function check() {{ \
             const text = (document.getElementById({id:?}) || {{}}).innerText || ''; \
             if (text.includes({needle:?})) resolve(text); \
             else if (Date.now() - start > {ms}) reject(new Error('no ' + {needle:?} + ' in: ' + text)); \
             else setTimeout(check, 50); }})(); }})",
            ms = WAIT.as_millis()
        );
        self.eval(&expression).as_str().unwrap_or_default().to_owned()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// The port in chromium's `DevTools listening on ws://127.0.0.1:PORT/...` line.
fn devtools_port(line: &str) -> Option<u16> {
    let rest = line.strip_prefix("DevTools listening on ws://127.0.0.1:")?;
    rest.split('/').next()?.parse().ok()
}

/// The body of `GET path` from `addr` (DevTools keeps the connection open: the body is as long
/// as its Content-Length says).
fn http_get(addr: SocketAddr, path: &str) -> String {
    let stream = TcpStream::connect(addr).expect("connect to DevTools");
    stream.set_read_timeout(Some(WAIT)).expect("a read timeout");
    write!(&stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").expect("ask DevTools");
    let mut reader = BufReader::new(stream);
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("DevTools answers");
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().expect("a Content-Length");
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).expect("DevTools' answer");
    String::from_utf8_lossy(&body).into_owned()
}

/// A WebSocket to DevTools at `path` (no Origin header: DevTools refuses unknown origins).
fn websocket(addr: SocketAddr, path: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).expect("connect to DevTools");
    stream.set_read_timeout(Some(WAIT)).expect("a read timeout");
    let head = crate::websocket::upgrade(&mut stream, addr, path, None).expect("DevTools' upgrade answer");
    assert!(head.starts_with("HTTP/1.1 101"), "DevTools refused the WebSocket: {head}");
    stream
}
