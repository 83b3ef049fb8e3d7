//! `chat join` on a terminal: a pseudo-terminal runs it and a terminal emulator keeps its
//! screen, so these tests see what a person would.

#![cfg(unix)]

mod join_support;

use join_support::client::RawClient;
use join_support::server::TestServer;
use join_support::terminal::{COLS, ROWS, Terminal, rows};
use nu_ansi_term::Style;

/// Starts `chat join` as alice on a terminal, with bob (a raw client) already in the room, and
/// waits until alice has her name and her prompt.
fn alice_and_bob(server: &TestServer, env: &[(&str, Option<&str>)]) -> (Terminal, RawClient) {
    let mut bob = RawClient::join_as(server.port(), "bob");
    let port = server.port().to_string();
    let alice = Terminal::spawn(&["127.0.0.1", &port, "--nick", "alice"], env);
    alice.wait_for_output("Connected to 127.0.0.1:");
    alice.wait_for_text("*** You are now known as alice");
    alice.wait_for_input_line("#lobby alice>");
    // chat join sends /nick once greeted, so the room hears of alice by name, unless that round
    // trip took longer than the server holds an arrival back (300 ms; a loaded machine).
    bob.expect_line(|line| line == "*** alice entered the room" || line.ends_with(" is now known as alice"));
    (alice, bob)
}

#[test]
fn a_typed_line_reaches_the_room() {
    let server = TestServer::start();
    let (mut alice, mut bob) = alice_and_bob(&server, &[]);
    alice.type_keys("hello, bob\r");
    bob.expect_line(|line| line == "<alice> hello, bob");
    bob.send("hello, alice\n");
    alice.wait_for_text("<bob> hello, alice");
}

#[test]
fn a_message_arriving_mid_line_prints_above_it_and_leaves_the_typed_text_intact() {
    let server = TestServer::start();
    let (mut alice, mut bob) = alice_and_bob(&server, &[]);
    alice.type_keys("half a li");
    alice.wait_for_text("#lobby alice> half a li");

    bob.send("interrupting you!\n");
    let (message_row, message) = alice.wait_for_text("<bob> interrupting you!");
    assert!(is_stamped(&message, "<bob> interrupting you!"), "a row of its own: {message:?}");
    // The line being typed is redrawn below the message, whole, with the cursor at its end.
    let (prompt_row, prompt) = alice.wait_for("the prompt redrawn below the message", |screen| {
        let rows = rows(screen);
        let row = rows.iter().rposition(|row| row.starts_with("#lobby alice> "))?;
        (row as u16 > message_row).then(|| (row as u16, rows[row].clone()))
    });
    assert_eq!(prompt, "#lobby alice> half a li");
    alice.wait_for("the cursor at the end of the typed text", |screen| {
        (screen.cursor_position() == (prompt_row, "#lobby alice> half a li".len() as u16)).then_some(())
    });
    assert!(!alice.text().contains("half a li<bob>"), "{}", alice.text());

    alice.type_keys("ne\r");
    let sent = bob.expect_line(|line| line.starts_with("<alice> "));
    assert_eq!(sent, "<alice> half a line");
}

#[test]
fn ctrl_d_leaves_politely_and_the_room_sees_a_clean_quit() {
    let server = TestServer::start();
    let (mut alice, mut bob) = alice_and_bob(&server, &[]);
    alice.type_keys("\x04");
    alice.wait_for_text("You left the chat room.");
    bob.expect_line(|line| line == "*** alice is offline (quit)");
    assert_eq!(alice.wait_exit(), 0);
}

#[test]
fn ctrl_c_and_quit_with_a_reason_leave_politely_too() {
    let server = TestServer::start();
    let (mut alice, mut bob) = alice_and_bob(&server, &[]);
    alice.type_keys("/quit see you tomorrow\r");
    alice.wait_for_text("You left the chat room.");
    bob.expect_line(|line| line == "*** alice is offline (quit: see you tomorrow)");
    assert_eq!(alice.wait_exit(), 0);

    let port = server.port().to_string();
    let mut carol = Terminal::spawn(&["127.0.0.1", &port, "--nick", "carol"], &[]);
    carol.wait_for_input_line("#lobby carol>");
    bob.expect_line(|line| line == "*** carol entered the room" || line.ends_with(" is now known as carol"));
    carol.type_keys("typed but not sent\x03");
    carol.wait_for_text("You left the chat room.");
    bob.expect_line(|line| line == "*** carol is offline (quit)");
    assert_eq!(carol.wait_exit(), 0);
}

#[test]
fn the_up_arrow_brings_back_what_was_typed() {
    let server = TestServer::start();
    let (mut alice, mut bob) = alice_and_bob(&server, &[]);
    // Like a person, wait for the fresh prompt before typing the next line.
    alice.type_keys("first line\r");
    bob.expect_line(|line| line == "<alice> first line");
    alice.wait_for_input_line("#lobby alice>");
    alice.type_keys("second line\r");
    bob.expect_line(|line| line == "<alice> second line");
    alice.wait_for_input_line("#lobby alice>");
    alice.type_keys("\x1b[A\x1b[A");
    alice.wait_for_input_line("#lobby alice> first line");
    alice.type_keys(" again\r");
    bob.expect_line(|line| line == "<alice> first line again");
}

#[test]
fn names_are_coloured_and_notices_dimmed() {
    let server = TestServer::start();
    let (alice, mut bob) = alice_and_bob(&server, &[]);
    bob.send("colourful\n");
    let (row, text) = alice.wait_for_text("<bob> colourful");
    let col = text.find("bob").unwrap() as u16;
    let (notice_row, _) = alice.wait_for_text("*** You are now known as alice");
    alice.wait_for("bob's name in colour and the notice dimmed", |screen| {
        let name = screen.cell(row, col)?;
        let said = screen.cell(row, col + 5)?;
        let notice = screen.cell(notice_row, 0)?;
        (name.fgcolor() != vt100::Color::Default && said.fgcolor() == vt100::Color::Default && notice.dim())
            .then_some(())
    });
}

#[test]
fn no_color_and_a_dumb_terminal_turn_colour_off() {
    // TERM=dumb: issue 9, item 12.
    for env in [("NO_COLOR", Some("1")), ("TERM", Some("dumb"))] {
        let server = TestServer::start();
        let (alice, mut bob) = alice_and_bob(&server, &[env]);
        bob.send("plain\n");
        let (row, text) = alice.wait_for_text("<bob> plain");
        let col = text.find("bob").unwrap() as u16;
        let (notice_row, _) = alice.wait_for_text("*** You are now known as alice");
        alice.wait_for("no colour anywhere", |screen| {
            let name = screen.cell(row, col)?;
            let notice = screen.cell(notice_row, 0)?;
            (name.fgcolor() == vt100::Color::Default && !name.bold() && !notice.dim()).then_some(())
        });
    }
}

#[test]
fn when_the_server_goes_the_client_reconnects_and_takes_its_name_and_room_again() {
    let mut server = TestServer::start();
    let port = server.port();
    let (mut alice, bob) = alice_and_bob(&server, &[]);
    // The server waits (up to its linger time) for every client to hang up; bob would not.
    drop(bob);
    alice.type_keys("/join #rust\r");
    alice.wait_for_input_line("#rust alice>");
    alice.type_keys("unsent words");
    alice.wait_for_text("#rust alice> unsent words");
    server.stop();
    alice.wait_for_text("*** Server is shutting down. Goodbye!");
    alice.wait_for_text(&format!("Disconnected from 127.0.0.1:{port}. Reconnecting in 1 s"));

    let _server = TestServer::start_on_port("127.0.0.1", "smol", port);
    let mut carol = RawClient::join_as(port, "carol");
    carol.send("/join #rust\n");
    carol.expect_line(|line| line.starts_with("*** You are in #rust"));
    alice.wait_for_text(&format!("Reconnected to 127.0.0.1:{port}."));
    // Back in the room it was in, and what was being typed is still there.
    alice.wait_for_input_line("#rust alice> unsent words");
    alice.type_keys(", and back again\r");
    carol.expect_line(|line| line == "<alice> unsent words, and back again");
}

#[test]
fn lines_typed_as_fast_as_they_are_sent_all_arrive_intact() {
    let server = TestServer::start();
    let (mut alice, mut bob) = alice_and_bob(&server, &[]);
    // 25 lines: within the server's burst allowance, so flood control drops none.
    for i in 0..25 {
        alice.type_keys(&format!("line {i}\r"));
        bob.expect_line(|line| line.starts_with("<alice> "));
    }
    let said: Vec<&String> = bob.seen().iter().filter(|line| line.starts_with("<alice> ")).collect();
    let expected: Vec<String> = (0..25).map(|i| format!("<alice> line {i}")).collect();
    assert_eq!(said, expected.iter().collect::<Vec<_>>());
}

#[test]
fn arriving_shows_who_is_here_and_tab_completes_their_names_and_the_commands() {
    let server = TestServer::start();
    let (mut alice, mut bob) = alice_and_bob(&server, &[]);
    alice.wait_for_text("*** 2 here: alice, bob");

    alice.type_keys("thanks b\t");
    alice.wait_for_input_line("#lobby alice> thanks bob");
    alice.type_keys("for the help\r");
    bob.expect_line(|line| line == "<alice> thanks bob for the help");

    alice.wait_for_input_line("#lobby alice>");
    alice.type_keys("/ms\t");
    alice.wait_for_input_line("#lobby alice> /msg");
    alice.type_keys("b\tpsst\r");
    bob.expect_line(|line| line == "*alice* psst");
}

#[test]
fn tab_completes_a_listed_room_and_joining_it_changes_the_prompt_and_dims_its_past() {
    let server = TestServer::start();
    let (mut alice, mut bob) = alice_and_bob(&server, &[]);
    bob.send("/join #rust\n");
    bob.expect_line(|line| line.starts_with("*** You are in #rust"));
    bob.send("rusty words\n");

    alice.type_keys("/list\r");
    // Once listed, bob's line is in #rust's history: the server answers in order.
    alice.wait_for_output("#rust (1 here)");
    alice.wait_for_input_line("#lobby alice>");
    alice.type_keys("/join #r\t");
    alice.wait_for_input_line("#lobby alice> /join #rust");
    alice.type_keys("\r");
    alice.wait_for_input_line("#rust alice>");
    alice.wait_for_output("--- last 1 line ---");
    // Dimmed, without the server's `[HH:MM] ` (its time is in the time column instead).
    alice.wait_for_output(&Style::new().dimmed().paint("<bob> rusty words").to_string());
    bob.expect_line(|line| line == "*** alice joined #rust");
}

#[test]
fn sigterm_leaves_politely_like_ctrl_d() {
    let server = TestServer::start();
    let (mut alice, mut bob) = alice_and_bob(&server, &[]);
    alice.type_keys("half typed");
    alice.wait_for_input_line("#lobby alice> half typed");
    alice.terminate();
    alice.wait_for_text("You left the chat room.");
    bob.expect_line(|line| line == "*** alice is offline (quit)");
    assert_eq!(alice.wait_exit(), 0);
}

#[test]
fn sighup_leaves_politely_like_ctrl_d() {
    let server = TestServer::start();
    let (mut alice, mut bob) = alice_and_bob(&server, &[]);
    alice.signal(rustix::process::Signal::HUP);
    alice.wait_for_text("You left the chat room.");
    bob.expect_line(|line| line == "*** alice is offline (quit)");
    assert_eq!(alice.wait_exit(), 0);
}

#[test]
fn closing_the_terminal_leaves_politely_and_exits() {
    // Issue 9, item 9: the window closes (the pty goes away): the kernel sends SIGHUP and
    // reads of the terminal return end of input. The client used to spin on those reads
    // forever, a ghost in the room.
    let server = TestServer::start();
    let (mut alice, mut bob) = alice_and_bob(&server, &[]);
    alice.type_keys("half typed");
    alice.wait_for_input_line("#lobby alice> half typed");
    alice.hang_up();
    bob.expect_line(|line| line == "*** alice is offline (quit)");
    assert_eq!(alice.wait_exit(), 0);
}

#[test]
fn typed_text_is_in_the_terminals_own_colour() {
    // Issue 9, item 12: it was forced white, unreadable on a light background.
    let server = TestServer::start();
    let (mut alice, _bob) = alice_and_bob(&server, &[]);
    alice.type_keys("readable");
    alice.wait_for_input_line("#lobby alice> readable");
    alice.wait_for("the typed text in the terminal's default colour", |screen| {
        let row = rows(screen).iter().rposition(|row| row == "#lobby alice> readable")?;
        let cells = (14..22).map(|col| screen.cell(row as u16, col)).collect::<Option<Vec<_>>>()?;
        cells.iter().all(|cell| cell.fgcolor() == vt100::Color::Default).then_some(())
    });
}

#[test]
fn a_pasted_block_longer_than_the_flood_burst_arrives_whole() {
    // Issue 9, item 12: lines 31-40 of a 40-line paste were lost to the server's flood
    // control (a burst of 30, then 3 a second). The client now paces them and says so.
    let server = TestServer::start();
    let (mut alice, mut bob) = alice_and_bob(&server, &[]);
    let paste: String = (1..=40).map(|i| format!("pasted line {i}\r")).collect();
    alice.type_keys(&paste);
    alice.wait_for_text("none is dropped");
    for i in 1..=40 {
        bob.expect_line(|line| line == format!("<alice> pasted line {i}"));
    }
    assert!(!bob.seen().iter().any(|line| line.contains("too fast")), "{:#?}", bob.seen());
}

#[test]
fn a_pasted_line_taller_than_the_window_is_sent_by_its_own_enter() {
    // Issue 9, item 12: a line longer than the whole screen needed a second Enter.
    let server = TestServer::start();
    let (mut alice, mut bob) = alice_and_bob(&server, &[]);
    let long = "x".repeat(usize::from(ROWS + 2) * usize::from(COLS));
    alice.paste(&long);
    alice.type_keys("\r");
    let said = bob.expect_line(|line| line.starts_with("<alice> "));
    assert_eq!(said, format!("<alice> {long}"));
}

/// Whether `row` is `HH:MM ` then `line`.
fn is_stamped(row: &str, line: &str) -> bool {
    let Some((time, rest)) = row.split_once(' ') else { return false };
    let digits = time.split(':').collect::<Vec<_>>();
    rest == line
        && digits.len() == 2
        && digits.iter().all(|d| d.len() == 2 && d.bytes().all(|b| b.is_ascii_digit()))
}

#[test]
fn each_line_shows_its_time_unless_told_not_to() {
    let server = TestServer::start();
    let (alice, mut bob) = alice_and_bob(&server, &[]);
    bob.send("what time is it\n");
    let (_, row) = alice.wait_for_text("<bob> what time is it");
    assert!(is_stamped(&row, "<bob> what time is it"), "{row:?}");

    let port = server.port().to_string();
    let carol = Terminal::spawn(&["127.0.0.1", &port, "--nick", "carol", "--no-timestamps"], &[]);
    carol.wait_for_input_line("#lobby carol>");
    bob.send("no time\n");
    let (_, row) = carol.wait_for_text("<bob> no time");
    assert_eq!(row, "<bob> no time");

    let dave = Terminal::spawn(&["127.0.0.1", &port, "--nick", "dave"], &[("CHAT_NO_TIMESTAMPS", Some("1"))]);
    dave.wait_for_input_line("#lobby dave>");
    bob.send("still no time\n");
    let (_, row) = dave.wait_for_text("<bob> still no time");
    assert_eq!(row, "<bob> still no time");
}

#[test]
fn a_line_naming_us_rings_the_bell_unless_told_not_to() {
    let server = TestServer::start();
    let (alice, mut bob) = alice_and_bob(&server, &[]);
    bob.send("no mention here\n");
    alice.wait_for_text("<bob> no mention here");
    assert_eq!(alice.bells(), 0);
    bob.send("hey alice, look\n");
    alice.wait_for_text("<bob> hey alice, look");
    alice.wait_for_bells(1);

    let port = server.port().to_string();
    let carol = Terminal::spawn(&["127.0.0.1", &port, "--nick", "carol", "--no-bell"], &[]);
    carol.wait_for_input_line("#lobby carol>");
    bob.send("carol: quiet please\n");
    carol.wait_for_text("<bob> carol: quiet please");
    bob.send("done\n");
    carol.wait_for_text("<bob> done");
    assert_eq!(carol.bells(), 0);
}

#[test]
fn quiet_hides_join_and_leave_notices_until_asked_again() {
    let server = TestServer::start();
    let (mut alice, mut bob) = alice_and_bob(&server, &[]);
    alice.type_keys("/quiet\r");
    alice.wait_for_text("Join and leave notices are hidden now");
    let carol = RawClient::join_as(server.port(), "carol");
    drop(carol);
    bob.expect_line(|line| line == "*** carol is offline (left)");
    bob.send("after carol\n");
    alice.wait_for_text("<bob> after carol");
    assert!(
        !alice.text().contains("carol entered") && !alice.text().contains("carol is"),
        "{}",
        alice.text()
    );
    assert!(!bob.seen().iter().any(|line| line.contains("quiet")), "/quiet never reaches the server");

    alice.wait_for_input_line("#lobby alice>");
    alice.type_keys("/quiet\r");
    alice.wait_for_text("Join and leave notices are shown again");
    let _dave = RawClient::join_as(server.port(), "dave");
    alice.wait_for_text("*** dave entered the room");
}

#[test]
fn what_was_typed_is_remembered_in_the_next_run() {
    let server = TestServer::start();
    let state = join_support::terminal::state_dir();
    let state = state.to_str().unwrap();
    let port = server.port().to_string();
    let mut bob = RawClient::join_as(server.port(), "bob");
    let mut alice =
        Terminal::spawn(&["127.0.0.1", &port, "--nick", "alice"], &[("XDG_STATE_HOME", Some(state))]);
    // The answer to the `/who` sent on arrival is the last line before the room is quiet: keys
    // typed while the editor redraws for an arriving line can be lost.
    alice.wait_for_output("*** 2 here: ");
    alice.wait_for_input_line("#lobby alice>");
    alice.type_keys("remember me\r");
    bob.expect_line(|line| line == "<alice> remember me");
    alice.wait_for_input_line("#lobby alice>");
    alice.type_keys("\x04");
    assert_eq!(alice.wait_exit(), 0);

    let mut again =
        Terminal::spawn(&["127.0.0.1", &port, "--nick", "alice"], &[("XDG_STATE_HOME", Some(state))]);
    again.wait_for_output("*** 2 here: ");
    again.wait_for_input_line("#lobby alice>");
    again.type_keys("\x1b[A");
    again.wait_for_input_line("#lobby alice> remember me");
}

#[test]
fn leaving_right_after_a_long_paste_sends_all_of_it_first() {
    let server = TestServer::start();
    let (mut alice, mut bob) = alice_and_bob(&server, &[]);
    // 48 lines: the ~20 beyond the server's burst take about 7 s at 3 a second, so some are
    // surely still waiting when Ctrl+D arrives, however loaded the machine is.
    let block: Vec<String> = (1..=48).map(|i| format!("last words {i}")).collect();
    alice.paste(&block.join("\n"));
    alice.type_keys("\r");
    alice.wait_for_text("none is dropped");
    // Keys typed while the editor redraws (it asks the terminal where the cursor is) can be
    // lost: wait for the empty prompt first.
    alice.wait_for_input_line("#lobby alice>");
    alice.type_keys("\x04");
    alice.wait_for_output("still waiting");
    for line in &block {
        bob.expect_line(|said| said == format!("<alice> {line}"));
    }
    bob.expect_line(|line| line == "*** alice is offline (quit)");
    alice.wait_for_text("You left the chat room.");
    assert_eq!(alice.wait_exit(), 0);
}
