//! `select`: wait on several sends and receives at once; the public face of
//! `wait/blocking.rs`. The [`select!`](crate::select) macro is sugar over [`Select`].

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context as TaskContext, Poll};

use crate::runtime::{Duration, Instant, WouldBlockOnMainThread};

use super::case::{RecvCase, SendCase};
use super::wait::blocking::{self, Case, Limit, Registration, WaitEnd};
use super::{Receiver, RecvError, SendError, Sender};

/// Waits on several channel operations and completes exactly one of them.
///
/// When several are ready, one is chosen uniformly at random, as in Go. Each
/// `recv`/`send` call adds a case and returns a [`Selected`] handle; the wait
/// returns the index of the case that completed, whose handle then holds its result.
///
/// # Examples
/// ```
/// use brigade::chan::{self, Select};
///
/// let (tx1, rx1) = chan::bounded::<i32>(1);
/// let (tx2, rx2) = chan::bounded::<&str>(1);
/// tx2.send("two").unwrap();
///
/// let mut sel = Select::new();
/// let a = sel.recv(&rx1);
/// let b = sel.recv(&rx2);
/// let i = sel.wait().unwrap();
/// assert_eq!(i, b.index());
/// assert_eq!(b.take(), Ok("two"));
/// # drop((tx1, a));
/// ```
pub struct Select<'a> {
    cases: Vec<Box<dyn Case + 'a>>,
}

/// The result slot of one case of a [`Select`].
pub struct Selected<R> {
    index: usize,
    out: Out<R>,
}

impl<R> Selected<R> {
    /// The case's index, as returned by the wait that selected it.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The case's result, if it was the one selected.
    pub fn try_take(&self) -> Option<R> {
        self.out.borrow_mut().take()
    }

    /// The case's result.
    ///
    /// # Panics
    /// If this case was not the one selected.
    pub fn take(&self) -> R {
        self.try_take()
            .expect("Selected::take on a case that was not selected")
    }
}

/// Where a case's result waits for the caller's [`Selected`] handle.
type Out<R> = Rc<RefCell<Option<R>>>;

struct RecvArm<'a, T> {
    case: RecvCase<'a, T>,
    out: Out<Result<T, RecvError>>,
}

impl<T> RecvArm<'_, T> {
    fn publish(&mut self) {
        let r = self.case.result.take().expect("completed");
        *self.out.borrow_mut() = Some(r.map_err(|()| RecvError::Closed));
    }
}

impl<T> Case for RecvArm<'_, T> {
    fn attempt(&mut self) -> bool {
        let done = self.case.attempt();
        if done {
            self.publish();
        }
        done
    }
    fn lock_free(&self) -> bool {
        self.case.lock_free()
    }
    fn unchanged(&self) -> bool {
        self.case.unchanged()
    }
    fn register(
        &mut self,
        me: &crate::loom::Arc<super::wait::signal::Signal>,
        index: usize,
    ) -> bool {
        self.case.register(me, index)
    }
    fn unregister(&mut self, me: &crate::loom::Arc<super::wait::signal::Signal>, claimed: bool) {
        self.case.unregister(me, claimed);
    }
    fn collect(&mut self) -> bool {
        let done = self.case.collect();
        if done {
            self.publish();
        }
        done
    }
    fn pass_on(&mut self) {
        self.case.pass_on();
    }
    fn restore(&mut self) {
        if let Some(Ok(v)) = self.out.borrow_mut().take() {
            self.case.result = Some(Ok(v));
            self.case.restore();
        }
    }
}

struct SendArm<'a, T> {
    case: SendCase<'a, T>,
    out: Out<Result<(), SendError<T>>>,
}

impl<T> SendArm<'_, T> {
    fn publish(&mut self) {
        let r = self.case.result.take().expect("completed");
        *self.out.borrow_mut() = Some(r.map_err(SendError::Closed));
    }
}

impl<T> Case for SendArm<'_, T> {
    fn attempt(&mut self) -> bool {
        let done = self.case.attempt();
        if done {
            self.publish();
        }
        done
    }
    fn lock_free(&self) -> bool {
        self.case.lock_free()
    }
    fn unchanged(&self) -> bool {
        self.case.unchanged()
    }
    fn register(
        &mut self,
        me: &crate::loom::Arc<super::wait::signal::Signal>,
        index: usize,
    ) -> bool {
        self.case.register(me, index)
    }
    fn unregister(&mut self, me: &crate::loom::Arc<super::wait::signal::Signal>, claimed: bool) {
        self.case.unregister(me, claimed);
    }
    fn collect(&mut self) -> bool {
        let done = self.case.collect();
        if done {
            self.publish();
        }
        done
    }
    fn pass_on(&mut self) {
        self.case.pass_on();
    }
}

impl<'a> Default for Select<'a> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> Select<'a> {
    /// An empty select.
    pub fn new() -> Self {
        Select { cases: Vec::new() }
    }

    /// Adds a receive from `rx`.
    pub fn recv<T: 'a>(&mut self, rx: &'a Receiver<T>) -> Selected<Result<T, RecvError>> {
        let out = Rc::new(RefCell::new(None));
        let index = self.cases.len();
        self.cases.push(Box::new(RecvArm {
            case: RecvCase::new(&rx.chan),
            out: out.clone(),
        }));
        Selected { index, out }
    }

    /// Adds a send of `v` on `tx`. If another case is selected, `v` is dropped.
    pub fn send<T: 'a>(&mut self, tx: &'a Sender<T>, v: T) -> Selected<Result<(), SendError<T>>> {
        let out = Rc::new(RefCell::new(None));
        let index = self.cases.len();
        self.cases.push(Box::new(SendArm {
            case: SendCase::new(&tx.chan, v),
            out: out.clone(),
        }));
        Selected { index, out }
    }

    fn run(&mut self, limit: Limit) -> WaitEnd {
        let mut refs: Vec<&mut dyn Case> = self.cases.iter_mut().map(|c| &mut **c as _).collect();
        blocking::wait(&mut refs, limit)
    }

    /// Waits until one case completes and returns its index.
    ///
    /// A select with no cases waits forever, as in Go.
    ///
    /// # Errors
    /// [`WouldBlockOnMainThread`] if nothing is ready and this thread must not block.
    pub fn wait(&mut self) -> Result<usize, WouldBlockOnMainThread> {
        match self.run(Limit::Forever) {
            WaitEnd::Case(i) => Ok(i),
            _ => Err(WouldBlockOnMainThread),
        }
    }

    /// Completes a case that is ready now, if any (a select with a `default`).
    pub fn try_wait(&mut self) -> Option<usize> {
        match self.run(Limit::NoWait) {
            WaitEnd::Case(i) => Some(i),
            _ => None,
        }
    }

    /// Waits at most `timeout`; `Ok(None)` if nothing completed in time.
    ///
    /// # Errors
    /// [`WouldBlockOnMainThread`] if nothing is ready and this thread must not block.
    pub fn wait_timeout(
        &mut self,
        timeout: Duration,
    ) -> Result<Option<usize>, WouldBlockOnMainThread> {
        self.wait_deadline(Instant::now() + timeout)
    }

    /// Waits until `deadline` at the latest; `Ok(None)` if nothing completed.
    ///
    /// # Errors
    /// [`WouldBlockOnMainThread`] if nothing is ready and this thread must not block.
    pub fn wait_deadline(
        &mut self,
        deadline: Instant,
    ) -> Result<Option<usize>, WouldBlockOnMainThread> {
        match self.run(Limit::Until(deadline)) {
            WaitEnd::Case(i) => Ok(Some(i)),
            WaitEnd::TimedOut => Ok(None),
            WaitEnd::WouldBlock => Err(WouldBlockOnMainThread),
        }
    }

    /// Waits asynchronously until one case completes; resolves to its index.
    ///
    /// # Cancel safety
    /// If the future is dropped after a receive case got a value, the value is put
    /// back at the front of its channel.
    pub fn wait_async(&mut self) -> SelectFuture<'_, 'a> {
        SelectFuture {
            sel: self,
            reg: None,
        }
    }
}

/// The future of [`Select::wait_async`].
#[must_use = "futures do nothing unless polled"]
pub struct SelectFuture<'s, 'a> {
    sel: &'s mut Select<'a>,
    reg: Option<Registration>,
}

impl Future for SelectFuture<'_, '_> {
    type Output = usize;
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<usize> {
        let this = self.get_mut();
        let mut refs: Vec<&mut dyn Case> =
            this.sel.cases.iter_mut().map(|c| &mut **c as _).collect();
        blocking::poll(&mut refs, &mut this.reg, cx)
    }
}

impl Drop for SelectFuture<'_, '_> {
    fn drop(&mut self) {
        let mut refs: Vec<&mut dyn Case> =
            self.sel.cases.iter_mut().map(|c| &mut **c as _).collect();
        blocking::cancel(&mut refs, &mut self.reg);
    }
}

/// What [`select!`](crate::select) expands to: its cases live on the caller's
/// stack and the wait runs on a slice of them, so a `select!` allocates nothing
/// unless it has to wait. Not a public API.
#[doc(hidden)]
pub mod internal {
    use crate::runtime::Duration;

    use super::super::case::{RecvCase, SendCase};
    use super::super::wait::blocking::{wait_arms, Limit, WaitEnd};
    use super::{Receiver, RecvError, SendError, Sender};

    pub use super::super::wait::blocking::Arm;

    pub struct RecvOp<'a, T>(RecvCase<'a, T>);

    pub fn recv<T>(rx: &Receiver<T>) -> RecvOp<'_, T> {
        RecvOp(RecvCase::new(&rx.chan))
    }

    impl<T> RecvOp<'_, T> {
        pub fn arm(&mut self) -> Arm<'_> {
            Arm(&mut self.0)
        }

        pub fn take(&mut self) -> Result<T, RecvError> {
            let r = self.0.result.take().expect("the chosen case has a result");
            r.map_err(|()| RecvError::Closed)
        }
    }

    pub struct SendOp<'a, T>(SendCase<'a, T>);

    pub fn send<T>(tx: &Sender<T>, v: T) -> SendOp<'_, T> {
        SendOp(SendCase::new(&tx.chan, v))
    }

    impl<T> SendOp<'_, T> {
        pub fn arm(&mut self) -> Arm<'_> {
            Arm(&mut self.0)
        }

        pub fn take(&mut self) -> Result<(), SendError<T>> {
            let r = self.0.result.take().expect("the chosen case has a result");
            r.map_err(SendError::Closed)
        }
    }

    #[track_caller]
    pub fn wait(arms: &mut [Arm<'_>]) -> usize {
        match wait_arms(arms, Limit::Forever) {
            WaitEnd::Case(i) => i,
            _ => panic!("select! would block on a thread that must not block: add a default arm or use Select::wait_async"),
        }
    }

    pub fn try_wait(arms: &mut [Arm<'_>]) -> Option<usize> {
        match wait_arms(arms, Limit::NoWait) {
            WaitEnd::Case(i) => Some(i),
            _ => None,
        }
    }

    #[track_caller]
    pub fn wait_timeout(arms: &mut [Arm<'_>], timeout: Duration) -> Option<usize> {
        match wait_arms(arms, Limit::Until(crate::runtime::Instant::now() + timeout)) {
            WaitEnd::Case(i) => Some(i),
            WaitEnd::TimedOut => None,
            WaitEnd::WouldBlock => panic!("select! would block on a thread that must not block: use default instead of a timeout, or Select::wait_async"),
        }
    }
}

/// Waits on several channel operations, like Go's `select` statement.
///
/// Arms, in any order and number:
/// - `recv(rx) -> res => body`: `res` is `Result<T, RecvError>`;
/// - `send(tx, value) -> res => body`: `res` is `Result<(), SendError<T>>`;
/// - at most one of `default => body` (run if nothing is ready now) or
///   `default(timeout) => body` (run if nothing completed within `timeout`).
///
/// When several operations are ready, one is chosen uniformly at random.
///
/// # Examples
/// ```
/// use brigade::{chan, select};
/// use std::time::Duration;
///
/// let (tx, rx) = chan::bounded(1);
/// let (_keep, quiet) = chan::bounded::<()>(0);
/// tx.send(7).unwrap();
/// let got = select! {
///     recv(rx) -> v => v.unwrap(),
///     recv(quiet) -> _ => unreachable!(),
///     default(Duration::from_secs(1)) => 0,
/// };
/// assert_eq!(got, 7);
/// ```
///
/// # Panics
/// Without a `default` arm, if nothing is ready and the thread must not block
/// (the browser's main thread): add a `default` arm there, or use
/// [`Select::wait_async`].
#[macro_export]
macro_rules! select {
    (@parse [$($arms:tt)*] [$($def:tt)*]) => {
        $crate::select!(@build [$($def)*] [0] [] $($arms)*)
    };
    (@parse [$($arms:tt)*] [$($def:tt)*] recv($rx:expr) -> $res:pat => $body:block, $($rest:tt)*) => {
        $crate::select!(@parse [$($arms)* (recv ($rx) $res => $body)] [$($def)*] $($rest)*)
    };
    (@parse [$($arms:tt)*] [$($def:tt)*] recv($rx:expr) -> $res:pat => $body:block $($rest:tt)*) => {
        $crate::select!(@parse [$($arms)* (recv ($rx) $res => $body)] [$($def)*] $($rest)*)
    };
    (@parse [$($arms:tt)*] [$($def:tt)*] recv($rx:expr) -> $res:pat => $body:expr $(, $($rest:tt)*)?) => {
        $crate::select!(@parse [$($arms)* (recv ($rx) $res => { $body })] [$($def)*] $($($rest)*)?)
    };
    (@parse [$($arms:tt)*] [$($def:tt)*] send($tx:expr, $v:expr) -> $res:pat => $body:block, $($rest:tt)*) => {
        $crate::select!(@parse [$($arms)* (send ($tx, $v) $res => $body)] [$($def)*] $($rest)*)
    };
    (@parse [$($arms:tt)*] [$($def:tt)*] send($tx:expr, $v:expr) -> $res:pat => $body:block $($rest:tt)*) => {
        $crate::select!(@parse [$($arms)* (send ($tx, $v) $res => $body)] [$($def)*] $($rest)*)
    };
    (@parse [$($arms:tt)*] [$($def:tt)*] send($tx:expr, $v:expr) -> $res:pat => $body:expr $(, $($rest:tt)*)?) => {
        $crate::select!(@parse [$($arms)* (send ($tx, $v) $res => { $body })] [$($def)*] $($($rest)*)?)
    };
    (@parse [$($arms:tt)*] [] default => $body:block, $($rest:tt)*) => {
        $crate::select!(@parse [$($arms)*] [(now) $body] $($rest)*)
    };
    (@parse [$($arms:tt)*] [] default => $body:block $($rest:tt)*) => {
        $crate::select!(@parse [$($arms)*] [(now) $body] $($rest)*)
    };
    (@parse [$($arms:tt)*] [] default => $body:expr $(, $($rest:tt)*)?) => {
        $crate::select!(@parse [$($arms)*] [(now) { $body }] $($($rest)*)?)
    };
    (@parse [$($arms:tt)*] [] default($t:expr) => $body:block, $($rest:tt)*) => {
        $crate::select!(@parse [$($arms)*] [(timeout $t) $body] $($rest)*)
    };
    (@parse [$($arms:tt)*] [] default($t:expr) => $body:block $($rest:tt)*) => {
        $crate::select!(@parse [$($arms)*] [(timeout $t) $body] $($rest)*)
    };
    (@parse [$($arms:tt)*] [] default($t:expr) => $body:expr $(, $($rest:tt)*)?) => {
        $crate::select!(@parse [$($arms)*] [(timeout $t) { $body }] $($($rest)*)?)
    };
    (@parse [$($arms:tt)*] [$($def:tt)+] default $($rest:tt)*) => {
        compile_error!("select! takes at most one default arm")
    };

    // Each case is a local on the caller's stack (`__case`, one per arm: macro
    // hygiene keeps them apart) carrying its index as a constant expression.
    // The channel is borrowed by a `let` of its own, so a temporary one
    // (`recv(chan::after(d))`) lives to the end of the select.
    (@build [$($def:tt)*] [$($n:tt)*] [$($done:tt)*] (recv ($rx:expr) $res:pat => $body:block) $($rest:tt)*) => {{
        let __chan = &$rx;
        let mut __case = $crate::chan::__select::recv(__chan);
        $crate::select!(@build [$($def)*] [$($n)* + 1] [$($done)* (__case ($($n)*) $res => $body)] $($rest)*)
    }};
    (@build [$($def:tt)*] [$($n:tt)*] [$($done:tt)*] (send ($tx:expr, $v:expr) $res:pat => $body:block) $($rest:tt)*) => {{
        let __chan = &$tx;
        let mut __case = $crate::chan::__select::send(__chan, $v);
        $crate::select!(@build [$($def)*] [$($n)* + 1] [$($done)* (__case ($($n)*) $res => $body)] $($rest)*)
    }};
    (@build [] [$($n:tt)*] [$(($h:ident $i:tt $res:pat => $body:block))*]) => {{
        let __i = $crate::chan::__select::wait(&mut [$($h.arm()),*]);
        $crate::select!(@dispatch __i { $(drop($h);)* } [$(($h $i $res => $body))*])
    }};
    (@build [(now) $dbody:block] [$($n:tt)*] [$(($h:ident $i:tt $res:pat => $body:block))*]) => {{
        match $crate::chan::__select::try_wait(&mut [$($h.arm()),*]) {
            Some(__i) => $crate::select!(@dispatch __i { $(drop($h);)* } [$(($h $i $res => $body))*]),
            None => $dbody,
        }
    }};
    (@build [(timeout $t:expr) $dbody:block] [$($n:tt)*] [$(($h:ident $i:tt $res:pat => $body:block))*]) => {{
        match $crate::chan::__select::wait_timeout(&mut [$($h.arm()),*], $t) {
            Some(__i) => $crate::select!(@dispatch __i { $(drop($h);)* } [$(($h $i $res => $body))*]),
            None => $dbody,
        }
    }};
    // The chosen case's result is taken, then every case is dropped (a send
    // that was not chosen drops its value) before the arm's body runs.
    (@dispatch $i:ident $drops:tt [$(($h:ident $k:tt $res:pat => $body:block))*]) => {
        $( if $i == $k { let __r = $h.take(); $drops let $res = __r; $body } else )* { unreachable!("select! chose a case it does not have") }
    };

    ($($tokens:tt)*) => {
        $crate::select!(@parse [] [] $($tokens)*)
    };
}
