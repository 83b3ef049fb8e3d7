//! `--flood-rate` and `--flood-burst`: the server's flood control, which `chat serve` applies
//! to every client and `chat join` paces what it sends to, so the server drops none of it.

use chat_core::Config;

/// The flood-control options, the same for `chat serve` and `chat join`; the defaults are
/// `chat_core::Config::default()`'s.
#[derive(Clone, Copy, Debug, clap::Args)]
pub struct FloodArgs {
    /// Flood control: lines per second each client may send on average; 0 turns it off.
    /// `chat join` paces what you send or paste to the server's value, so none is dropped.
    #[arg(
        long,
        value_name = "LINES_PER_SEC",
        env = "CHAT_FLOOD_RATE",
        default_value_t = Config::default().flood_rate
    )]
    pub flood_rate: f64,
    /// Lines a client may send at once before the rate applies (so a pasted block goes
    /// through); `chat join` takes the server's value too.
    #[arg(long, value_name = "N", env = "CHAT_FLOOD_BURST", default_value_t = Config::default().flood_burst)]
    pub flood_burst: u32,
}
