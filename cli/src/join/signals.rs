//! SIGTERM and SIGHUP in interactive mode: leave as on Ctrl+D, so the terminal is restored
//! and the room sees a clean quit instead of a dropped connection.

use std::io;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// On SIGTERM or SIGHUP, sets `asked_to_leave`, then `wake_editor` (the line editor's break
/// signal). Elsewhere than on Unix there is nothing to register.
pub fn leave_on_termination(
    asked_to_leave: &Arc<AtomicBool>,
    wake_editor: &Arc<AtomicBool>,
) -> io::Result<()> {
    #[cfg(unix)]
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGHUP] {
        // Actions run in the order they were registered: the reason is set before the wake-up.
        signal_hook::flag::register(signal, Arc::clone(asked_to_leave))?;
        signal_hook::flag::register(signal, Arc::clone(wake_editor))?;
    }
    #[cfg(not(unix))]
    let _ = (asked_to_leave, wake_editor);
    Ok(())
}
