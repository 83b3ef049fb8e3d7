//! The web page in a real browser (headless chromium): a message typed in the page reaches a
//! TCP client, and one from the TCP client shows in the page; the page shows rooms, the past,
//! the topic and names, and rejoins its room after a reconnection.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use chat_runtime::{Endpoint, WebConfig};
use chat_tests::browser::Browser;
use chat_tests::{Deadline, Runtime, TestServer, both_runtimes};

both_runtimes!(
    a_line_typed_in_the_page_reaches_a_tcp_client_and_back,
    the_page_shows_rooms_history_topic_and_names_and_rejoins_after_a_reconnect
);

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn a_line_typed_in_the_page_reaches_a_tcp_client_and_back(runtime: Runtime) {
    let Some(mut browser) = Browser::launch(&format!("browser-{runtime}")) else { return };
    let config = chat_tests::config();
    let web = Endpoint::Web(Arc::new(WebConfig::chat(config.max_line)), None);
    let server =
        TestServer::start_endpoints(runtime, config, &[(LOOPBACK, Endpoint::Plain), (LOOPBACK, web)]);
    let mut plain = server.join("plain");
    browser.navigate(&format!("http://{}/", server.addrs()[1]));
    browser.wait_for_text("log", "Welcome");
    plain.read_until("the page's arrival", Deadline::standard(), |line| line.ends_with("entered the room"));
    browser.eval(
        "document.getElementById('line').value = 'hello from the browser'; \
         document.getElementById('compose').requestSubmit(); true",
    );
    plain.read_until("the page's line", Deadline::standard(), |line| {
        line.ends_with("> hello from the browser")
    });
    plain.send_line("hello from tcp");
    browser.wait_for_text("log", "hello from tcp");
}

/// The page shows what a chat client shows: the room and its topic, the rooms, the past
/// (dimmed, with its time), notices, our own lines and the names; it follows us into another
/// room, and after a reconnection it is back in that room under the name we chose. With
/// `CHAT_SCREENSHOTS=DIR`, it saves what the page looks like on a desktop and on a phone there.
fn the_page_shows_rooms_history_topic_and_names_and_rejoins_after_a_reconnect(runtime: Runtime) {
    let Some(mut browser) = Browser::launch(&format!("page-{runtime}")) else { return };
    let config = chat_tests::config();
    let web = Endpoint::Web(Arc::new(WebConfig::chat(config.max_line)), None);
    let server =
        TestServer::start_endpoints(runtime, config, &[(LOOPBACK, Endpoint::Plain), (LOOPBACK, web)]);
    let mut alice = server.join("alice");
    alice.send_line("/nick alice");
    alice.expect_line("*** You are now known as alice");
    alice.send_line("/topic Be kind; the web client is new");
    alice.read_until("the topic", Deadline::standard(), |line| line.contains("set the topic"));
    alice.send_line("morning all");
    alice.send_line("/me is trying the web client");
    let mut bob = server.join("bob");
    bob.send_line("/nick bob");
    bob.send_line("/join #rust");
    bob.read_until("the new room", Deadline::standard(), |line| line.starts_with("*** You are in #rust"));
    alice.read_until("bob's leaving", Deadline::standard(), |line| line == "*** bob left #lobby");

    browser.navigate(&format!("http://{}/", server.addrs()[1]));
    browser.wait_for_text("log", "Welcome");
    browser.wait_for(
        "the past, dimmed",
        "[...document.querySelectorAll('#log .past')].some(li => li.innerText.includes('morning all'))",
    );
    browser.wait_for("its time", "document.querySelector('#log .past time').textContent.includes(':')");
    browser.wait_for_text("topic", "Be kind");
    browser.wait_for_text("room", "#lobby");
    browser.wait_for_text("rooms", "#rust");
    browser.wait_for_text("names", "alice");
    browser.type_line("/nick carol");
    browser.wait_for_text("status", "connected as carol");
    browser.type_line("hello from the browser");
    browser.wait_for("our own line", "[...document.querySelectorAll('#log .own')].some(li => li.innerText.includes('hello from the browser'))");
    alice.read_until("carol's line", Deadline::standard(), |line| line == "<carol> hello from the browser");
    alice.send_line("welcome, carol!");
    browser.wait_for_text("log", "welcome, carol!");
    if let Some(dir) = std::env::var_os("CHAT_SCREENSHOTS") {
        let dir = std::path::PathBuf::from(dir);
        browser.set_screen(800, 600, false);
        std::fs::write(dir.join("web-client.png"), browser.screenshot()).expect("save the screenshot");
        browser.set_screen(390, 700, true);
        std::fs::write(dir.join("web-client-phone.png"), browser.screenshot()).expect("save the screenshot");
        browser.set_screen(800, 600, false);
    }

    // Into another room, by clicking it.
    browser.eval("[...document.querySelectorAll('#rooms button')].find(b => b.innerText.includes('#rust')).click(); true");
    browser.wait_for_text("room", "#rust");
    bob.read_until("carol's arrival", Deadline::standard(), |line| line == "*** carol joined #rust");
    browser.wait_for_text("names", "bob");
    browser.wait_for("no topic in #rust", "document.getElementById('topic').hidden");

    // The server closes the WebSocket (a message over the longest line: close code 1009): the
    // page reconnects, as carol, into #rust.
    browser.type_line(&"x".repeat(5000));
    browser.wait_for(
        "the room again after reconnecting",
        "[...document.querySelectorAll('#log li')].filter(li => li.innerText.includes('You are in #rust')).length >= 2",
    );
    browser.wait_for_text("status", "connected as carol");
    browser.wait_for_text("room", "#rust");
    bob.read_until("carol back in #rust", Deadline::standard(), |line| line == "*** carol joined #rust");
}
