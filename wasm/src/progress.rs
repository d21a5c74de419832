//! Progress that running jobs report, on its way to the page.
//!
//! A JavaScript handler calls `info.progress(value)` (see `handlers.rs`), a
//! built-in kind its reporter (`kinds::run_reporting`); the
//! value, converted to [`Data`], goes with the job's tag into a channel in
//! shared memory, and the page's results loop, woken by the [`Bell`], drains
//! the channel before it looks for outcomes, so a job's progress always
//! comes out before its result. The tag is the page's name for the job
//! (`js/api/pool.js` gives one to jobs whose progress someone wants, 0 to the
//! others): the pool's id is not known to the job when it starts.

use std::sync::Arc;

use brigade::chan::{self, Receiver, Sender};

use crate::bell::Bell;
use crate::data::Data;

/// The sending end, shared by every worker of a pool.
#[derive(Clone, Debug)]
pub struct Progress {
    tx: Sender<(f64, Data)>,
    bell: Arc<Bell>,
}

impl Progress {
    /// A channel whose values wake the page through `bell`; returns the
    /// sending end and the page's receiving end.
    pub fn channel(bell: Arc<Bell>) -> (Progress, Receiver<(f64, Data)>) {
        let (tx, rx) = chan::unbounded();
        (Progress { tx, bell }, rx)
    }

    /// Sends `value` for the job tagged `tag`, and rings the page's bell.
    /// After the pool is gone (the page dropped its end) the value is dropped.
    pub fn report(&self, tag: f64, value: Data) {
        if self.tx.try_send((tag, value)).is_ok() {
            self.bell.ring();
        }
    }
}
