//! How an operation waits: the loop shared by a plain `send`/`recv` (one case)
//! and `select` (many cases), blocking or as a future.
//!
//! It is Go's `selectgo` with crossbeam-channel's registration discipline:
//!
//! 1. Pass 1: try every case, in a fresh random order (Go's `pollorder`, which is
//!    what makes select fair), without registering anywhere. The first that can
//!    complete does, and the loop ends.
//! 2. With a `default`, or past the deadline, stop here; with a `default`, only
//!    once no channel changed since its case was tried (else back to 1), so
//!    "nothing ready" holds at one instant, as Go's select with all channels
//!    locked. A blocking `send` or `recv` on a lock-free engine yields its CPU
//!    and goes back to 1 a few times first (`POLLS`).
//! 3. Pass 2: create one [`Signal`] and enqueue a waiter for every case. If a case
//!    turns out ready while registering, abort the signal, unregister and go back
//!    to 1; if the abort fails, a peer already claimed the signal, so wait for it.
//! 4. Wait until a peer (or a closing channel) completes the signal, then
//!    unregister from every other case's channel (the peer took the
//!    selected case's waiter off its queue when it claimed it) and collect
//!    that case's result from its slot.
//!
//! Because an operation performs transfers only in pass 1, when it is registered
//! nowhere, it can never be completed twice (invariant 1 of `signal.rs`).

use std::task::{Context as TaskContext, Poll};

use crate::loom::Arc;
use crate::runtime::{can_block, Instant};

use super::signal::Signal;

/// One operation a wait can complete: a send or a receive on one channel.
pub(crate) trait Case {
    /// Tries to complete without waiting; on success the result is stored.
    fn attempt(&mut self) -> bool;
    /// Whether the case's channel is on a lock-free engine (then a blocking
    /// wait polls it before registering: `POLLS`).
    #[cfg_attr(any(loom, target_arch = "wasm32"), allow(dead_code))]
    fn lock_free(&self) -> bool {
        false
    }
    /// Whether no one has locked the channel since the last failed `attempt`
    /// (so it is still not ready).
    fn unchanged(&self) -> bool;
    /// Under the channel's lock: returns `true` if the case is ready now (and then
    /// registers nothing), else enqueues a waiter for `me` as case `index`.
    fn register(&mut self, me: &Arc<Signal>, index: usize) -> bool;
    /// Removes `me`'s waiters from this case's channel; takes back a value that
    /// was left in a slot and not transferred. With `claimed`, a peer claimed
    /// `me` for this case and so already took its waiter off the channel's
    /// queue (every claim pops the entry it claims): only the slot is left
    /// to look at, and the channel's lock is not taken.
    fn unregister(&mut self, me: &Arc<Signal>, claimed: bool);
    /// After a peer claimed this case: moves the result out of the slot and
    /// returns `true`, or returns `false` if the peer only woke it because it
    /// may be ready now (the lock-free flavour, `flavors/array.rs`): then it must be
    /// tried again.
    fn collect(&mut self) -> bool;
    /// After a future was dropped although a peer completed this case: put a
    /// received value back at the front of the channel so it is not lost.
    fn restore(&mut self) {}
    /// After a future was dropped although a peer woke this case (`collect`
    /// returned `false`): wake another waiter in its place, so the wake-up
    /// for a value or for room is not lost.
    fn pass_on(&mut self) {}
}

/// How long a wait may last.
#[derive(Clone, Copy)]
pub(crate) enum Limit {
    /// Do not wait at all (`select` with a `default` arm).
    NoWait,
    /// Wait until `Instant`.
    Until(Instant),
    /// Wait as long as it takes.
    Forever,
}

/// How a blocking wait ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WaitEnd {
    /// This case completed; its result is stored in it.
    Case(usize),
    /// Nothing was ready and the limit passed (or there was a `default`).
    TimedOut,
    /// Nothing was ready and this thread must not block.
    WouldBlock,
}

/// A random permutation of `0..n`, kept inline for the common small selects so a
/// plain `send`/`recv` allocates nothing on its fast path.
struct Order {
    inline: [usize; 4],
    heap: Vec<usize>,
    n: usize,
}

impl Order {
    fn new(n: usize) -> Self {
        let mut o = Order {
            inline: [0, 1, 2, 3],
            heap: Vec::new(),
            n,
        };
        if n > 4 {
            o.heap = (0..n).collect();
        }
        if n > 1 {
            crate::rand::shuffle(o.as_mut_slice());
        }
        o
    }

    fn as_mut_slice(&mut self) -> &mut [usize] {
        if self.n > 4 {
            &mut self.heap
        } else {
            &mut self.inline[..self.n]
        }
    }

    fn as_slice(&self) -> &[usize] {
        if self.n > 4 {
            &self.heap
        } else {
            &self.inline[..self.n]
        }
    }
}

/// A case as the wait loop holds it: `&mut dyn Case` inside the crate, an
/// [`Arm`] in a `select!` expansion.
pub(crate) trait CaseRef {
    fn case(&mut self) -> &mut dyn Case;
}

impl CaseRef for &mut dyn Case {
    fn case(&mut self) -> &mut dyn Case {
        &mut **self
    }
}

/// One case of a `select!`, on the stack of its caller. Not a public API.
#[doc(hidden)]
pub struct Arm<'r>(pub(crate) &'r mut dyn Case);

impl CaseRef for Arm<'_> {
    fn case(&mut self) -> &mut dyn Case {
        &mut *self.0
    }
}

fn pass1<C: CaseRef>(cases: &mut [C], order: &[usize]) -> Option<usize> {
    order.iter().copied().find(|&i| cases[i].case().attempt())
}

/// Enqueues `me` on every case; `Err(k)` if case `order[k]` was ready (the first
/// `k` cases were registered), `Ok(())` if all are registered.
fn pass2<C: CaseRef>(cases: &mut [C], order: &[usize], me: &Arc<Signal>) -> Result<(), usize> {
    for (k, &i) in order.iter().enumerate() {
        if cases[i].case().register(me, i) {
            return Err(k);
        }
    }
    Ok(())
}

/// Takes `me` off every case in `order`; `claimed` names the case a peer
/// claimed, whose waiter that peer already dequeued.
fn unregister<C: CaseRef>(
    cases: &mut [C],
    order: &[usize],
    me: &Arc<Signal>,
    claimed: Option<usize>,
) {
    for &i in order {
        cases[i].case().unregister(me, claimed == Some(i));
    }
}

/// Runs the wait loop on the calling thread.
pub(crate) fn wait(cases: &mut [&mut dyn Case], limit: Limit) -> WaitEnd {
    run(cases, limit)
}

/// [`wait`] for the arms of a `select!`.
pub(crate) fn wait_arms(arms: &mut [Arm<'_>], limit: Limit) -> WaitEnd {
    run(arms, limit)
}

/// How many times a plain `send` or `recv` on a lock-free engine that found
/// its channel full or empty yields and tries again before it registers a
/// waiter (step 3): unregistered, it costs its peers nothing. The locked
/// engine and `select` do not poll (`EXPERIMENTS.md`, "Polls before
/// registering").
#[cfg(not(any(loom, target_arch = "wasm32")))]
const POLLS: usize = 4;

fn run<C: CaseRef>(cases: &mut [C], limit: Limit) -> WaitEnd {
    #[cfg(not(any(loom, target_arch = "wasm32")))]
    let mut polled = 0;
    loop {
        let order = Order::new(cases.len());
        let order = order.as_slice();
        if let Some(i) = pass1(cases, order) {
            return WaitEnd::Case(i);
        }
        let deadline = match limit {
            // Nothing is ready only if nothing was at one instant: if no
            // channel changed since its case was tried, then at this instant
            // every case is as it was found (Go locks every channel at once
            // for this; a second look costs less). Otherwise try again.
            Limit::NoWait if order.iter().all(|&i| cases[i].case().unchanged()) => {
                return WaitEnd::TimedOut
            }
            Limit::NoWait => continue,
            Limit::Until(d) if Instant::now() >= d => return WaitEnd::TimedOut,
            Limit::Until(d) => Some(d),
            Limit::Forever => None,
        };
        if !can_block() {
            return WaitEnd::WouldBlock;
        }
        #[cfg(not(any(loom, target_arch = "wasm32")))]
        if polled < POLLS && cases.len() == 1 && cases[0].case().lock_free() {
            polled += 1;
            std::thread::yield_now();
            continue;
        }
        let me = Arc::new(Signal::new());
        let registered = match pass2(cases, order, &me) {
            Ok(()) => order,
            Err(k) => {
                if me.try_abort() {
                    unregister(cases, &order[..k], &me, None);
                    continue;
                }
                &order[..k]
            }
        };
        if !me.wait(deadline) {
            if me.try_abort() {
                unregister(cases, registered, &me, None);
                return WaitEnd::TimedOut;
            }
            // A peer claimed us just now; it completes the signal shortly.
            me.wait(None);
        }
        let i = me.selected().expect("a completed signal names its case");
        unregister(cases, registered, &me, Some(i));
        // Woken only: the case that woke us goes first; if someone else took
        // what it was woken for, start over (a passed deadline ends it there).
        if cases[i].case().collect() || cases[i].case().attempt() {
            return WaitEnd::Case(i);
        }
    }
}

/// A wait in progress inside a future: the signal and the cases it is queued on.
pub(crate) struct Registration {
    me: Arc<Signal>,
    order: Vec<usize>,
}

/// One poll of the wait loop as a future. `reg` is the future's state.
pub(crate) fn poll(
    cases: &mut [&mut dyn Case],
    reg: &mut Option<Registration>,
    cx: &mut TaskContext<'_>,
) -> Poll<usize> {
    loop {
        if let Some(r) = reg {
            if !r.me.set_waker(cx.waker()) {
                return Poll::Pending;
            }
            let r = reg.take().expect("checked above");
            let i = r.me.selected().expect("a completed signal names its case");
            unregister(cases, &r.order, &r.me, Some(i));
            if cases[i].collect() || cases[i].attempt() {
                return Poll::Ready(i);
            }
            continue;
        }
        let order = Order::new(cases.len());
        if let Some(i) = pass1(cases, order.as_slice()) {
            return Poll::Ready(i);
        }
        let mut order = order.as_slice().to_vec();
        let me = Arc::new(Signal::new());
        me.set_waker(cx.waker());
        if let Err(k) = pass2(cases, &order, &me) {
            if me.try_abort() {
                unregister(cases, &order[..k], &me, None);
                continue;
            }
            order.truncate(k);
        }
        *reg = Some(Registration { me, order });
    }
}

/// Called when a future is dropped mid-wait. If a peer completed a case anyway,
/// that case's result is collected and restored so no value is lost.
pub(crate) fn cancel(cases: &mut [&mut dyn Case], reg: &mut Option<Registration>) {
    let Some(r) = reg.take() else { return };
    if r.me.try_abort() {
        unregister(cases, &r.order, &r.me, None);
        return;
    }
    r.me.spin_until_done();
    let selected = r.me.selected();
    unregister(cases, &r.order, &r.me, selected);
    if let Some(i) = selected {
        if cases[i].collect() {
            cases[i].restore();
        } else {
            cases[i].pass_on();
        }
    }
}
