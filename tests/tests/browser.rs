//! The web page in a real browser (headless chromium): a message typed in the page reaches a
//! TCP client, and one from the TCP client shows in the page.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use chat_runtime::{Endpoint, WebConfig};
use chat_tests::browser::Browser;
use chat_tests::{Deadline, Runtime, TestServer, both_runtimes};

both_runtimes!(a_line_typed_in_the_page_reaches_a_tcp_client_and_back);

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
