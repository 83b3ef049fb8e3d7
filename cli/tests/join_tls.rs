//! `chat join --tls`: who is trusted (a pinned fingerprint, a CA, a certificate trusted on
//! first use and remembered), who is refused (an unknown certificate when nobody can be asked,
//! a changed one), and a clear error from a server that does not speak TLS.

mod join_support;

use std::net::TcpListener;
use std::path::{Path, PathBuf};

use join_support::piped::PipedChat;
use join_support::server::TestServer;
use join_support::tls_server::{Identity, TlsServer};

/// A fresh directory for one test's files, under the target directory.
fn temp_dir(name: &str) -> PathBuf {
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("join-tls-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("make a test directory");
    dir
}

/// `chat join --tls 127.0.0.1 PORT ARGS`, remembering certificates in `known_hosts`.
fn join(port: u16, known_hosts: &Path, args: &[&str]) -> PipedChat {
    let port = port.to_string();
    let mut all = vec!["--tls", "127.0.0.1", &port];
    all.extend_from_slice(args);
    PipedChat::spawn_with_env(&all, &[("CHAT_KNOWN_HOSTS", known_hosts.to_str().expect("a UTF-8 path"))])
}

/// Says hello through `chat`, sees it come back, then leaves (exit status 0).
fn chat_and_leave(mut chat: PipedChat) {
    chat.expect_stderr(|line| line.starts_with("Connected to 127.0.0.1:") && line.ends_with(", TLS)."));
    chat.send("hello over TLS\n");
    chat.expect_stdout(|line| line.ends_with("> hello over TLS"));
    chat.close_stdin();
    assert_eq!(chat.wait_exit().code(), Some(0), "stderr {:#?}", chat.stderr);
}

/// Runs `chat` to its refusal; returns its stderr.
fn refused(mut chat: PipedChat) -> Vec<String> {
    assert_eq!(chat.wait_exit().code(), Some(1), "stdout {:#?}", chat.stdout);
    assert!(chat.stdout.is_empty(), "{:#?}", chat.stdout);
    chat.stderr.clone()
}

#[test]
fn a_pinned_fingerprint_connects_and_is_remembered() {
    let identity = Identity::self_signed();
    let server = TlsServer::start(&identity);
    let known_hosts = temp_dir("pinned").join("known_hosts");
    let pin = identity.fingerprint.to_string();
    chat_and_leave(join(server.port(), &known_hosts, &["--fingerprint", &pin]));
    let remembered = std::fs::read_to_string(&known_hosts).expect("the pin is remembered");
    assert_eq!(remembered, format!("127.0.0.1:{} {pin}\n", server.port()));
    // Remembered: no pin needed any more.
    chat_and_leave(join(server.port(), &known_hosts, &[]));
}

#[test]
fn many_long_lines_cross_both_ways_at_once_intact() {
    let identity = Identity::self_signed();
    let server = TlsServer::start(&identity);
    let known_hosts = temp_dir("many").join("known_hosts");
    let pin = identity.fingerprint.to_string();
    let mut chat = join(server.port(), &known_hosts, &["--fingerprint", &pin, "--flood-rate", "0"]);
    // 200 lines of 3,000 bytes: many TLS records each way, the sender and the receiver busy
    // on the one TLS connection at the same time.
    let lines: Vec<String> = (0..200).map(|i| format!("{i:03} {}", "x".repeat(3000))).collect();
    chat.send(&lines.iter().map(|line| format!("{line}\n")).collect::<String>());
    chat.expect_stdout(|line| line.starts_with("<guest1> 199 "));
    chat.close_stdin();
    assert_eq!(chat.wait_exit().code(), Some(0), "stderr {:#?}", chat.stderr);
    let echoed: Vec<&str> = chat.stdout.iter().filter_map(|line| line.strip_prefix("<guest1> ")).collect();
    assert_eq!(echoed, lines);
}

#[test]
fn another_certificate_than_the_pinned_one_is_refused() {
    let server = TlsServer::start(&Identity::self_signed());
    let known_hosts = temp_dir("wrong-pin").join("known_hosts");
    let other = Identity::self_signed().fingerprint.to_string();
    let stderr = refused(join(server.port(), &known_hosts, &["--fingerprint", &other]));
    assert!(stderr.iter().any(|line| line.contains(&format!("not the pinned {other}"))), "{stderr:#?}");
    assert!(!known_hosts.exists());
}

#[test]
fn an_unknown_self_signed_certificate_is_refused_without_a_terminal_to_ask() {
    let identity = Identity::self_signed();
    let server = TlsServer::start(&identity);
    let known_hosts = temp_dir("unknown").join("known_hosts");
    let stderr = refused(join(server.port(), &known_hosts, &[]));
    let fingerprint = identity.fingerprint.to_string();
    assert!(stderr.iter().any(|line| line.contains("it may be self-signed")), "{stderr:#?}");
    assert!(stderr.contains(&format!("Its SHA-256 fingerprint is {fingerprint}.")), "{stderr:#?}");
    let error = stderr.last().expect("an error");
    assert!(error.starts_with("error: Not connected to 127.0.0.1:"), "{error}");
    assert!(
        error.contains(&format!("--fingerprint {fingerprint}")) && error.contains("--accept-new"),
        "{error}"
    );
    assert!(!known_hosts.exists(), "nothing was remembered");
}

#[test]
fn accept_new_remembers_the_certificate_and_a_changed_one_is_then_refused_with_a_warning() {
    let identity = Identity::self_signed();
    let server = TlsServer::start(&identity);
    let port = server.port();
    let known_hosts = temp_dir("accept-new").join("config").join("known_hosts");
    let mut chat = join(port, &known_hosts, &["--accept-new"]);
    let fingerprint = identity.fingerprint.to_string();
    chat.expect_stderr(|line| {
        line == format!("Remembered {fingerprint} for 127.0.0.1:{port} in {}.", known_hosts.display())
    });
    chat_and_leave(chat);
    assert_eq!(std::fs::read_to_string(&known_hosts).unwrap(), format!("127.0.0.1:{port} {fingerprint}\n"));
    chat_and_leave(join(port, &known_hosts, &[]));

    // The same address and port, another certificate: refused, --accept-new or not.
    drop(server);
    let impostor = Identity::self_signed();
    let Some(server) = start_on_port(&impostor, port) else { return };
    for args in [&[][..], &["--accept-new"][..]] {
        let stderr = refused(join(server.port(), &known_hosts, args));
        assert!(
            stderr.iter().any(|line| line.contains("WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!")),
            "{stderr:#?}"
        );
        let file = known_hosts.display().to_string();
        assert!(
            stderr.contains(&format!("If you know the new certificate is right, remove line 1 of {file}")),
            "{stderr:#?}"
        );
        assert!(stderr.contains(&format!("    {}", impostor.fingerprint)), "{stderr:#?}");
        let error = stderr.last().unwrap();
        assert!(error.contains("the server's certificate has changed"), "{error}");
    }
    assert_eq!(std::fs::read_to_string(&known_hosts).unwrap(), format!("127.0.0.1:{port} {fingerprint}\n"));
}

/// Writes `known_hosts` as `chat join` would after trusting `identity` at 127.0.0.1:`port`.
fn remember(known_hosts: &Path, port: u16, identity: &Identity) {
    std::fs::write(known_hosts, format!("127.0.0.1:{port} {}\n", identity.fingerprint))
        .expect("write known_hosts");
}

/// A TLS server on `port` again (None, and the rest of the test skipped, in the rare case that
/// another program took the port meanwhile).
fn start_on_port(identity: &Identity, port: u16) -> Option<TlsServer> {
    let server = TlsServer::start_on(identity, port);
    if server.is_none() {
        eprintln!("port {port} was taken meanwhile; skipping the rest");
    }
    server
}

#[test]
fn a_certificate_signed_by_the_given_ca_is_trusted_and_no_other() {
    let dir = temp_dir("ca");
    let ca = dir.join("ca.pem");
    let server = TlsServer::start(&Identity::signed_by_new_ca(&ca));
    let known_hosts = dir.join("known_hosts");
    let ca_arg = ca.to_str().unwrap();
    chat_and_leave(join(server.port(), &known_hosts, &["--ca", ca_arg]));
    assert!(!known_hosts.exists(), "a CA's word needs no remembering");

    let self_signed = TlsServer::start(&Identity::self_signed());
    let stderr = refused(join(self_signed.port(), &known_hosts, &["--ca", ca_arg, "--accept-new"]));
    let error = stderr.last().unwrap();
    assert!(error.contains(&format!("not vouched for by the CA in {}", ca.display())), "{error}");
    assert!(!known_hosts.exists());
}

#[test]
fn a_plain_chat_server_on_the_port_is_a_clear_error() {
    let server = TestServer::start();
    let known_hosts = temp_dir("plain").join("known_hosts");
    let stderr = refused(join(server.port(), &known_hosts, &[]));
    let error = stderr.last().unwrap();
    assert!(error.contains("the server does not speak TLS on this port"), "{error}");
    assert!(error.contains("leave out --tls"), "{error}");
}

#[test]
fn a_server_that_never_answers_the_handshake_is_given_up_on() {
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let known_hosts = temp_dir("silent").join("known_hosts");
    let stderr = refused(join(port, &known_hosts, &["--connect-timeout", "1"]));
    let error = stderr.last().unwrap();
    assert_eq!(
        error,
        &format!(
            "error: Unable to connect to 127.0.0.1:{port}: no TLS answer within 1 s (is it the plain chat port? leave out --tls for the plain port)"
        )
    );
}

#[test]
fn with_tls_the_port_defaults_to_5001() {
    // Whether or not something listens on 5001 here, the client goes there.
    let known_hosts = temp_dir("port").join("known_hosts");
    let file = known_hosts.to_str().unwrap();
    let mut chat = PipedChat::spawn_with_env(
        &["--tls", "127.0.0.1", "--connect-timeout", "1"],
        &[("CHAT_KNOWN_HOSTS", file)],
    );
    chat.close_stdin();
    // Connected, refused, or not trusted: always 127.0.0.1:5001.
    chat.expect_stderr(|line| line.contains("127.0.0.1:5001"));
}

#[test]
fn trust_options_without_tls_are_a_usage_error() {
    for args in [&["--ca", "ca.pem"][..], &["--fingerprint", "SHA256:x"][..], &["--accept-new"][..]] {
        let mut chat = PipedChat::spawn(&[&["127.0.0.1", "1"][..], args].concat());
        assert_eq!(chat.wait_exit().code(), Some(2), "{args:?}: stderr {:#?}", chat.stderr);
        assert!(chat.stderr.iter().any(|line| line.contains("--tls")), "{:#?}", chat.stderr);
    }
    let mut chat = PipedChat::spawn(&["--tls", "127.0.0.1", "1", "--fingerprint", "SHA256:short"]);
    assert_eq!(chat.wait_exit().code(), Some(2));
    assert!(
        chat.stderr.iter().any(|line| line.contains("a fingerprint looks like SHA256:")),
        "{:#?}",
        chat.stderr
    );
}

#[cfg(unix)]
mod on_a_terminal {
    use super::*;
    use join_support::terminal::Terminal;

    /// `chat join --tls 127.0.0.1 PORT` on a terminal, remembering certificates in
    /// `known_hosts`.
    fn join_on_a_terminal(server: &TlsServer, known_hosts: &Path) -> Terminal {
        let port = server.port().to_string();
        let file = known_hosts.to_str().expect("a UTF-8 path");
        Terminal::spawn(&["--tls", "127.0.0.1", &port], &[("CHAT_KNOWN_HOSTS", Some(file))])
    }

    #[test]
    fn the_user_is_asked_and_a_trusted_server_is_reconnected_to() {
        let identity = Identity::self_signed();
        let server = TlsServer::start(&identity);
        let known_hosts = temp_dir("ask-yes").join("known_hosts");
        let mut chat = join_on_a_terminal(&server, &known_hosts);
        chat.wait_for_output(&format!("fingerprint is {}", identity.fingerprint));
        chat.wait_for_output("? [y/N]");
        chat.type_keys("y\r");
        chat.wait_for_output("Connected to 127.0.0.1:");
        // The server's first guest was the connection that showed the certificate.
        chat.wait_for_input_line("guest2>");
        chat.type_keys("hello\r");
        chat.wait_for_text("<guest2> hello");
        let remembered = std::fs::read_to_string(&known_hosts).expect("the certificate is remembered");
        assert_eq!(remembered, format!("127.0.0.1:{} {}\n", server.port(), identity.fingerprint));

        // The server goes away and comes back: the remembered certificate lets us in again.
        server.drop_clients();
        chat.wait_for_output("Reconnected to 127.0.0.1:");
        chat.wait_for_input_line("guest3>");
        chat.type_keys("hello again\r");
        chat.wait_for_text("<guest3> hello again");
    }

    #[test]
    fn a_server_whose_certificate_changed_is_not_reconnected_to() {
        let identity = Identity::self_signed();
        let server = TlsServer::start(&identity);
        let port = server.port();
        let known_hosts = temp_dir("reconnect-changed").join("known_hosts");
        remember(&known_hosts, port, &identity);
        let mut chat = join_on_a_terminal(&server, &known_hosts);
        chat.wait_for_output("Connected to 127.0.0.1:");
        chat.wait_for_input_line("guest1>");

        // The server comes back on the same port with another certificate.
        drop(server);
        chat.wait_for_output("Reconnecting in 1 s");
        let Some(_impostor) = start_on_port(&Identity::self_signed(), port) else { return };
        chat.wait_for_output("WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!");
        chat.wait_for_output(&format!(
            "error: Not reconnecting to 127.0.0.1:{port}: the server's certificate has changed"
        ));
        assert_eq!(chat.wait_exit(), 1);
    }

    #[test]
    fn a_certificate_the_user_does_not_trust_is_refused() {
        let server = TlsServer::start(&Identity::self_signed());
        let known_hosts = temp_dir("ask-no").join("known_hosts");
        let mut chat = join_on_a_terminal(&server, &known_hosts);
        chat.wait_for_output("? [y/N]");
        chat.type_keys("\r");
        chat.wait_for_output("its certificate was not trusted");
        assert_eq!(chat.wait_exit(), 1);
        assert!(!known_hosts.exists());
    }
}

#[test]
fn a_ca_file_without_certificates_is_a_clear_error() {
    let dir = temp_dir("bad-ca");
    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let missing = dir.join("missing.pem");
    for (file, why) in [(&empty, "it holds no certificate"), (&missing, "No such file")] {
        let stderr = refused(join(1, &dir.join("known_hosts"), &["--ca", file.to_str().unwrap()]));
        let error = stderr.last().unwrap();
        assert!(error.contains(&format!("cannot use the CA certificates in {}", file.display())), "{error}");
        assert!(error.contains(why), "{error}");
    }
}
