//! The timer task: feeds the core [`Input::Timeout`] when its deadline comes.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::rc::Rc;
use std::task::Poll;
use std::time::Instant;

use chat_core::Input;
use smol::Timer;

use crate::core_cell::CoreCell;

/// Sleeps until the core's next deadline, has `drive` feed it a timeout, and repeats. The core
/// cell wakes this task whenever the deadline changes, and the one reactor timer is moved to
/// the new instant.
pub(crate) async fn run(core: Rc<CoreCell>, drive: impl Fn(Input<'static>)) {
    let mut timer = Timer::never();
    let mut armed: Option<Instant> = None;
    loop {
        poll_fn(|cx| {
            let wanted = core.poll_deadline(cx);
            if wanted != armed {
                armed = wanted;
                match wanted {
                    Some(at) => timer.set_at(at),
                    None => timer = Timer::never(),
                }
            }
            match armed {
                Some(_) => Pin::new(&mut timer).poll(cx).map(drop),
                None => Poll::Pending,
            }
        })
        .await;
        armed = None;
        drive(Input::Timeout);
    }
}
