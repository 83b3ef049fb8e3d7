//! Each runtime's own API, from one source for both: start-up errors, stopping (by `Stopper`
//! or by dropping `Running`), and that stopping releases the port. The two crates have the same
//! API but their own `Error` types, so a macro instantiates the tests once per crate. (The chat
//! behaviour, shutdown included, is in the other files, through `both_runtimes!`.)

/// The API tests for the runtime crate `$krate`, in module `$name`.
macro_rules! runtime_api_tests {
    ($name:ident, $krate:ident) => {
        mod $name {
            use std::io::{BufRead, BufReader, ErrorKind};
            use std::net::{TcpListener, TcpStream};
            use std::time::Duration;

            use chat_core::kit::NoServices;
            use chat_core::{Config, Stored};
            use chat_runtime::Endpoint;
            use $krate::{Error, Running};

            /// Serves plain TCP on `listeners`, with no services and nothing stored.
            fn spawn(listeners: Vec<TcpListener>, config: Config) -> Result<Running, Error> {
                let listeners = listeners.into_iter().map(|listener| (listener, Endpoint::Plain)).collect();
                $krate::spawn_with(listeners, config, Box::new(NoServices::default()), Stored::default())
            }

            fn listener() -> TcpListener {
                TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port")
            }

            #[test]
            fn refuses_to_start_without_a_listener() {
                assert!(matches!(spawn(Vec::new(), chat_tests::config()), Err(Error::NoListeners)));
            }

            #[test]
            fn refuses_a_config_the_core_refuses() {
                let config = Config { max_line: 1, ..chat_tests::config() };
                let error = spawn(vec![listener()], config).expect_err("an invalid config");
                assert!(matches!(error, Error::Config(_)), "{error:?}");
                assert!(error.to_string().starts_with("invalid configuration: "), "{error}");
            }

            #[test]
            fn stop_is_idempotent_and_wait_releases_the_listeners() {
                let (first, second) = (listener(), listener());
                let addrs = [first.local_addr().unwrap(), second.local_addr().unwrap()];
                let running = spawn(vec![first, second], chat_tests::config()).expect("start");
                let stopper = running.stopper();
                // Serving on both listeners.
                for addr in addrs {
                    let stream = TcpStream::connect(addr).expect("connect");
                    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
                    let mut welcome = String::new();
                    BufReader::new(stream).read_line(&mut welcome).expect("welcome");
                    assert!(welcome.starts_with("*** Welcome"), "{welcome:?}");
                }
                stopper.stop();
                stopper.clone().stop();
                running.stopper().stop();
                running.wait().expect("a clean end");
                stopper.stop();
                for addr in addrs {
                    let error =
                        TcpStream::connect(addr).expect_err("the listener is closed once wait returns");
                    assert_eq!(error.kind(), ErrorKind::ConnectionRefused);
                }
            }

            #[test]
            fn dropping_running_stops_the_server_in_the_background() {
                let listener = listener();
                let addr = listener.local_addr().unwrap();
                let running = spawn(vec![listener], chat_tests::config()).expect("start");
                let stream = TcpStream::connect(addr).expect("connect");
                stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
                let mut lines = BufReader::new(stream).lines().map(|line| line.expect("a line, not a reset"));
                assert!(lines.next().expect("welcome").starts_with("*** Welcome"));
                drop(running);
                assert_eq!(lines.next().expect("the goodbye"), "*** Server is shutting down. Goodbye!");
                assert!(lines.next().is_none(), "the server closes after the goodbye");
            }
        }
    };
}

runtime_api_tests!(smol_runtime, chat_runtime_smol);
runtime_api_tests!(std_runtime, chat_runtime_std);
