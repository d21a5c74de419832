//! Every channel engine against a sequential model of Go's channel semantics:
//! random sequences of the operations that cannot block a lone thread, run on
//! three channels and on the model, which must agree on every result.
//!
//! The model ([`Model`]) of one channel is a FIFO buffer of at most `cap`
//! values (`None`: unbounded; 0: a rendezvous, which with no partner never
//! has room and never has a value), a closed flag, and the handles alive.
//! Closing (or dropping the last sender) stops sends, each of which then hands
//! its value back; receives drain what is buffered, then say closed. Dropping
//! the last receiver closes the channel and drops what is buffered. A select
//! case is ready if its channel has a value (receive) or room (send), or is
//! closed; a select with a default completes one ready case, or takes the
//! default if none is.
//!
//! Plain proptest over generated operation sequences, not
//! `proptest-state-machine`: a select with several ready cases picks one at
//! random, as Go's does, and a reference state machine must compute its next
//! state without seeing the system's choice. Here the model checks that the
//! case chosen was ready and then follows it. An operation that would block in
//! the model's state runs in a form that cannot (`send` on a full channel as
//! `send_timeout(v, 0)`, `recv` on an empty open one as `recv_timeout(0)`),
//! and one that needs a handle the test no longer has is skipped, so every
//! sequence is valid and shrinks freely.
//!
//! Each value counts itself ([`Val`]): after every operation exactly the values
//! the model holds in buffers may be alive, so a value dropped early, leaked,
//! or dropped twice fails the test.
//!
//! Each `*_matches_the_model` test puts one engine of `chan::ENGINES` under
//! channel 0 and draws the engines of the other two; each runs
//! `PROPTEST_CASES` sequences (proptest's default, 256, unless set: the deep
//! run, `make check-deep`, sets 10,000).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use brigade::chan::{
    self, Receiver, RecvError, RecvTimeoutError, Select, Selected, SendError, SendTimeoutError,
    Sender, TryRecvError, TrySendError,
};
use proptest::collection::vec;
use proptest::prelude::*;

/// Channels per sequence: enough for a select over distinct channels and
/// over one channel twice.
const CHANNELS: usize = 3;

/// A value that counts itself in `live`, so the test can tell how many exist.
#[derive(Debug)]
struct Val {
    n: u32,
    live: Arc<AtomicUsize>,
}

impl Drop for Val {
    fn drop(&mut self) {
        self.live.fetch_sub(1, Ordering::SeqCst);
    }
}

/// One channel, as Go's runtime would see it from a lone goroutine.
#[derive(Debug)]
struct Model {
    cap: Option<usize>,
    buf: VecDeque<u32>,
    closed: bool,
}

impl Model {
    fn has_room(&self) -> bool {
        !self.closed && self.cap.is_none_or(|c| self.buf.len() < c)
    }

    fn send_ready(&self) -> bool {
        self.closed || self.has_room()
    }

    fn recv_ready(&self) -> bool {
        self.closed || !self.buf.is_empty()
    }

    /// A send that is ready: `Err` if closed (the value comes back).
    fn send(&mut self, n: u32) -> Result<(), u32> {
        assert!(self.send_ready(), "the model sent where it would block");
        if self.closed {
            return Err(n);
        }
        self.buf.push_back(n);
        Ok(())
    }

    /// A receive that is ready: `Err` once closed and drained.
    fn recv(&mut self) -> Result<u32, RecvError> {
        assert!(self.recv_ready(), "the model received where it would block");
        self.buf.pop_front().ok_or(RecvError::Closed)
    }
}

/// One case of a select: an operation on a channel, by index.
#[derive(Clone, Copy, Debug)]
enum Case {
    Recv(usize),
    Send(usize),
}

/// An operation that cannot block a lone thread (or is run so it cannot).
#[derive(Clone, Debug)]
enum Op {
    TrySend(usize),
    /// `send`, or `send_timeout(v, 0)` where the model says it would wait.
    Send(usize),
    SendTimeoutZero(usize),
    TryRecv(usize),
    /// `recv`, or `recv_timeout(0)` where the model says it would wait.
    Recv(usize),
    RecvTimeoutZero(usize),
    /// `try_iter` on an open channel, `iter` (which ends at close) on a closed one.
    Drain(usize),
    Close(usize),
    /// `len`, `is_empty`, `is_closed`, `capacity` on every handle.
    Look(usize),
    CloneSender(usize),
    DropSender(usize, usize),
    CloneReceiver(usize),
    DropReceiver(usize, usize),
    /// `Select::try_wait` over these cases.
    Select(Vec<Case>),
    /// `select!` with two receive arms, two send arms and a default; an arm
    /// without a channel waits on an open rendezvous channel no one else
    /// uses, which is never ready (Go's nil channel).
    SelectMacro([Option<usize>; 2], [Option<usize>; 2]),
}

/// What a select did: the default, or case `i` with its result.
#[derive(Debug)]
enum Got {
    Default,
    Recv(usize, Result<u32, RecvError>),
    Send(usize, Result<(), u32>),
}

/// A case's handle in a `Select`.
enum Handle {
    Recv(Selected<Result<Val, RecvError>>),
    Send(Selected<Result<(), SendError<Val>>>),
}

struct Chan {
    tx: Vec<Sender<Val>>,
    rx: Vec<Receiver<Val>>,
    model: Model,
}

/// The channels under test and their models.
struct World {
    chans: Vec<Chan>,
    /// A rendezvous channel whose sender stays: never ready, either way.
    idle: (Sender<Val>, Receiver<Val>),
    live: Arc<AtomicUsize>,
    next: u32,
}

impl World {
    fn new(caps: [Option<usize>; CHANNELS]) -> Self {
        let chans = caps
            .iter()
            .map(|&cap| {
                let (tx, rx) = chan::with_capacity(cap);
                assert_eq!(tx.capacity(), cap);
                Chan {
                    tx: vec![tx],
                    rx: vec![rx],
                    model: Model {
                        cap,
                        buf: VecDeque::new(),
                        closed: false,
                    },
                }
            })
            .collect();
        World {
            chans,
            idle: chan::bounded(0),
            live: Arc::new(AtomicUsize::new(0)),
            next: 0,
        }
    }

    /// A fresh value, numbered in order of creation.
    fn val(&mut self) -> Val {
        self.next += 1;
        self.live.fetch_add(1, Ordering::SeqCst);
        Val {
            n: self.next,
            live: self.live.clone(),
        }
    }

    fn run(&mut self, op: &Op) {
        match *op {
            Op::TrySend(c) => self.try_send(c),
            Op::Send(c) => self.send(c),
            Op::SendTimeoutZero(c) => self.send_timeout_zero(c),
            Op::TryRecv(c) => self.try_recv(c),
            Op::Recv(c) => self.recv(c),
            Op::RecvTimeoutZero(c) => self.recv_timeout_zero(c),
            Op::Drain(c) => self.drain(c),
            Op::Close(c) => self.close(c),
            Op::Look(c) => self.look(c),
            Op::CloneSender(c) => {
                let ch = &mut self.chans[c];
                if let Some(tx) = ch.tx.first() {
                    ch.tx.push(tx.clone());
                }
            }
            Op::DropSender(c, h) => {
                let ch = &mut self.chans[c];
                if !ch.tx.is_empty() {
                    drop(ch.tx.remove(h % ch.tx.len()));
                    if ch.tx.is_empty() {
                        ch.model.closed = true;
                    }
                }
            }
            Op::CloneReceiver(c) => {
                let ch = &mut self.chans[c];
                if let Some(rx) = ch.rx.first() {
                    ch.rx.push(rx.clone());
                }
            }
            Op::DropReceiver(c, h) => {
                let ch = &mut self.chans[c];
                if !ch.rx.is_empty() {
                    drop(ch.rx.remove(h % ch.rx.len()));
                    if ch.rx.is_empty() {
                        // No one can receive: closed, and the buffer dropped.
                        ch.model.closed = true;
                        ch.model.buf.clear();
                    }
                }
            }
            Op::Select(ref cases) => self.select(cases),
            Op::SelectMacro(recvs, sends) => self.select_macro(recvs, sends),
        }
        self.check_live();
    }

    fn try_send(&mut self, c: usize) {
        if self.chans[c].tx.is_empty() {
            return;
        }
        let v = self.val();
        let n = v.n;
        let got = self.chans[c].tx[0].try_send(v);
        let m = &mut self.chans[c].model;
        match got {
            Ok(()) => {
                assert!(m.has_room(), "try_send of {n} succeeded on {m:?}");
                m.buf.push_back(n);
            }
            Err(TrySendError::Full(v)) => {
                assert!(!m.closed && !m.has_room(), "try_send: Full on {m:?}");
                assert_eq!(v.n, n, "try_send: Full handed back another value");
            }
            Err(TrySendError::Closed(v)) => {
                assert!(m.closed, "try_send: Closed on {m:?}");
                assert_eq!(v.n, n, "try_send: Closed handed back another value");
            }
            Err(e) => panic!("try_send: unexpected {e:?}"),
        }
    }

    fn send(&mut self, c: usize) {
        if self.chans[c].tx.is_empty() {
            return;
        }
        if !self.chans[c].model.send_ready() {
            return self.send_timeout_zero(c);
        }
        let v = self.val();
        let n = v.n;
        let got = self.chans[c].tx[0].send(v);
        let m = &mut self.chans[c].model;
        match (got, m.send(n)) {
            (Ok(()), Ok(())) => {}
            (Err(SendError::Closed(v)), Err(_)) => {
                assert_eq!(v.n, n, "send: Closed handed back another value");
            }
            (got, want) => panic!("send: got {got:?}, the model {want:?}"),
        }
    }

    fn send_timeout_zero(&mut self, c: usize) {
        if self.chans[c].tx.is_empty() {
            return;
        }
        let v = self.val();
        let n = v.n;
        let got = self.chans[c].tx[0].send_timeout(v, Duration::ZERO);
        let m = &mut self.chans[c].model;
        match got {
            Ok(()) => assert_eq!(m.send(n), Ok(()), "send_timeout(0) succeeded"),
            Err(SendTimeoutError::Closed(v)) => {
                assert!(m.closed, "send_timeout(0): Closed on {m:?}");
                assert_eq!(v.n, n, "send_timeout(0): Closed handed back another value");
            }
            Err(SendTimeoutError::Timeout(v)) => {
                assert!(!m.send_ready(), "send_timeout(0): Timeout on {m:?}");
                assert_eq!(v.n, n, "send_timeout(0): Timeout handed back another value");
            }
            Err(e) => panic!("send_timeout(0): unexpected {e:?}"),
        }
    }

    fn try_recv(&mut self, c: usize) {
        let Some(rx) = self.chans[c].rx.first() else {
            return;
        };
        let got = rx.try_recv().map(|v| v.n);
        let m = &mut self.chans[c].model;
        let want = if m.recv_ready() {
            m.recv().map_err(|_| TryRecvError::Closed)
        } else {
            Err(TryRecvError::Empty)
        };
        assert_eq!(got, want, "try_recv");
    }

    fn recv(&mut self, c: usize) {
        let Some(rx) = self.chans[c].rx.first() else {
            return;
        };
        if !self.chans[c].model.recv_ready() {
            return self.recv_timeout_zero(c);
        }
        let got = rx.recv().map(|v| v.n);
        assert_eq!(got, self.chans[c].model.recv(), "recv");
    }

    fn recv_timeout_zero(&mut self, c: usize) {
        let Some(rx) = self.chans[c].rx.first() else {
            return;
        };
        let got = rx.recv_timeout(Duration::ZERO).map(|v| v.n);
        let m = &mut self.chans[c].model;
        let want = if m.recv_ready() {
            m.recv().map_err(|_| RecvTimeoutError::Closed)
        } else {
            Err(RecvTimeoutError::Timeout)
        };
        assert_eq!(got, want, "recv_timeout(0)");
    }

    fn drain(&mut self, c: usize) {
        let ch = &mut self.chans[c];
        let Some(rx) = ch.rx.first() else {
            return;
        };
        let m = &mut ch.model;
        let got: Vec<u32> = if m.closed {
            rx.iter().map(|v| v.n).collect()
        } else {
            rx.try_iter().map(|v| v.n).collect()
        };
        let want: Vec<u32> = m.buf.drain(..).collect();
        assert_eq!(got, want, "drain");
    }

    fn close(&mut self, c: usize) {
        let ch = &mut self.chans[c];
        let Some(tx) = ch.tx.first() else {
            return;
        };
        let m = &mut ch.model;
        assert_eq!(tx.close(), !m.closed, "close: whether this call closed it");
        m.closed = true;
    }

    fn look(&self, c: usize) {
        let ch = &self.chans[c];
        let m = &ch.model;
        let want = (m.buf.len(), m.buf.is_empty(), m.closed, m.cap);
        for tx in &ch.tx {
            let got = (tx.len(), tx.is_empty(), tx.is_closed(), tx.capacity());
            assert_eq!(got, want, "sender's len, is_empty, is_closed, capacity");
        }
        for rx in &ch.rx {
            let got = (rx.len(), rx.is_empty(), rx.is_closed(), rx.capacity());
            assert_eq!(got, want, "receiver's len, is_empty, is_closed, capacity");
        }
    }

    /// The cases whose channel still has a handle of their side.
    fn usable(&self, cases: &[Case]) -> Vec<Case> {
        let usable = |case: &&Case| match **case {
            Case::Recv(c) => !self.chans[c].rx.is_empty(),
            Case::Send(c) => !self.chans[c].tx.is_empty(),
        };
        cases.iter().filter(usable).copied().collect()
    }

    fn select(&mut self, cases: &[Case]) {
        let cases = self.usable(cases);
        let vals: Vec<Option<Val>> = cases
            .iter()
            .map(|case| matches!(case, Case::Send(_)).then(|| self.val()))
            .collect();
        let sent: Vec<Option<u32>> = vals.iter().map(|v| v.as_ref().map(|v| v.n)).collect();
        let got = {
            let mut sel = Select::new();
            let handles: Vec<Handle> = cases
                .iter()
                .zip(vals)
                .map(|(case, v)| match *case {
                    Case::Recv(c) => Handle::Recv(sel.recv(&self.chans[c].rx[0])),
                    Case::Send(c) => {
                        Handle::Send(sel.send(&self.chans[c].tx[0], v.expect("a value")))
                    }
                })
                .collect();
            match sel.try_wait() {
                None => Got::Default,
                Some(i) => match &handles[i] {
                    Handle::Recv(h) => {
                        assert_eq!(h.index(), i);
                        Got::Recv(i, h.take().map(|v| v.n))
                    }
                    Handle::Send(h) => {
                        assert_eq!(h.index(), i);
                        Got::Send(i, h.take().map_err(|e| e.into_inner().n))
                    }
                },
            }
            // The select and its unsent values are dropped here.
        };
        let cases: Vec<Option<Case>> = cases.into_iter().map(Some).collect();
        self.judge(&cases, &sent, got);
    }

    fn select_macro(&mut self, recvs: [Option<usize>; 2], sends: [Option<usize>; 2]) {
        let recvs = recvs.map(|c| c.filter(|&c| !self.chans[c].rx.is_empty()));
        let sends = sends.map(|c| c.filter(|&c| !self.chans[c].tx.is_empty()));
        let (v0, v1) = (self.val(), self.val());
        let sent = [None, None, Some(v0.n), Some(v1.n)];
        let rx = |c: Option<usize>| c.map_or(&self.idle.1, |c| &self.chans[c].rx[0]);
        let tx = |c: Option<usize>| c.map_or(&self.idle.0, |c| &self.chans[c].tx[0]);
        let (r0, r1, s0, s1) = (rx(recvs[0]), rx(recvs[1]), tx(sends[0]), tx(sends[1]));
        let got = brigade::select! {
            recv(*r0) -> r => Got::Recv(0, r.map(|v| v.n)),
            recv(*r1) -> r => Got::Recv(1, r.map(|v| v.n)),
            send(*s0, v0) -> r => Got::Send(2, r.map_err(|e| e.into_inner().n)),
            send(*s1, v1) -> r => Got::Send(3, r.map_err(|e| e.into_inner().n)),
            default => Got::Default,
        };
        let cases = [
            recvs[0].map(Case::Recv),
            recvs[1].map(Case::Recv),
            sends[0].map(Case::Send),
            sends[1].map(Case::Send),
        ];
        self.judge(&cases, &sent, got);
    }

    /// Checks what a select did against the model and applies it. `None`
    /// cases are never ready; `sent[i]` is the value of send case `i`.
    fn judge(&mut self, cases: &[Option<Case>], sent: &[Option<u32>], got: Got) {
        let ready = |case: &Option<Case>| match *case {
            None => false,
            Some(Case::Recv(c)) => self.chans[c].model.recv_ready(),
            Some(Case::Send(c)) => self.chans[c].model.send_ready(),
        };
        let ready: Vec<bool> = cases.iter().map(ready).collect();
        let before: Vec<&Model> = self.chans.iter().map(|ch| &ch.model).collect();
        let context = format!("select over {cases:?} (ready: {ready:?}) on {before:?}");
        match got {
            Got::Default => {
                assert!(!ready.contains(&true), "{context}: took the default");
            }
            Got::Recv(i, r) => {
                assert!(ready[i], "{context}: chose case {i}, not ready");
                let Some(Case::Recv(c)) = cases[i] else {
                    panic!("{context}: case {i} received");
                };
                let want = self.chans[c].model.recv();
                assert_eq!(r, want, "{context}: case {i} received");
            }
            Got::Send(i, r) => {
                assert!(ready[i], "{context}: chose case {i}, not ready");
                let (Some(Case::Send(c)), Some(n)) = (cases[i], sent[i]) else {
                    panic!("{context}: case {i} sent");
                };
                let want = self.chans[c].model.send(n);
                assert_eq!(r, want, "{context}: case {i} sent");
            }
        }
    }

    /// Exactly the values the model holds in buffers are alive.
    fn check_live(&self) {
        let buffered: usize = self.chans.iter().map(|ch| ch.model.buf.len()).sum();
        assert_eq!(
            self.live.load(Ordering::SeqCst),
            buffered,
            "values alive vs. buffered in the model"
        );
    }

    /// Drops every handle: nothing may stay alive.
    fn finish(mut self) {
        for ch in &mut self.chans {
            ch.tx.clear();
            ch.rx.clear();
            ch.model.buf.clear();
        }
        self.check_live();
    }
}

/// The capacity of the engine named `name` in `chan::ENGINES`.
fn engine(name: &str) -> Option<usize> {
    let found = chan::ENGINES.iter().find(|(n, _)| *n == name);
    found.unwrap_or_else(|| panic!("no engine {name:?}")).1
}

/// Runs `ops` on channel 0 of capacity `cap` and two more drawn from
/// `chan::ENGINES` by `others`.
fn run(cap: Option<usize>, others: [usize; 2], ops: &[Op]) {
    let other = |i: usize| chan::ENGINES[i % chan::ENGINES.len()].1;
    let mut world = World::new([cap, other(others[0]), other(others[1])]);
    for op in ops {
        world.run(op);
    }
    for c in 0..CHANNELS {
        world.look(c);
    }
    world.finish();
}

fn channel() -> impl Strategy<Value = usize> {
    // Channel 0 is the engine under test.
    prop_oneof![2 => Just(0), 1 => Just(1), 1 => Just(2)]
}

fn case() -> impl Strategy<Value = Case> {
    prop_oneof![
        channel().prop_map(Case::Recv),
        channel().prop_map(Case::Send)
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let c = channel;
    prop_oneof![
        4 => c().prop_map(Op::TrySend),
        3 => c().prop_map(Op::Send),
        1 => c().prop_map(Op::SendTimeoutZero),
        4 => c().prop_map(Op::TryRecv),
        3 => c().prop_map(Op::Recv),
        1 => c().prop_map(Op::RecvTimeoutZero),
        1 => c().prop_map(Op::Drain),
        1 => c().prop_map(Op::Close),
        2 => c().prop_map(Op::Look),
        1 => c().prop_map(Op::CloneSender),
        1 => (c(), 0..4usize).prop_map(|(c, h)| Op::DropSender(c, h)),
        1 => c().prop_map(Op::CloneReceiver),
        1 => (c(), 0..4usize).prop_map(|(c, h)| Op::DropReceiver(c, h)),
        3 => vec(case(), 0..5).prop_map(Op::Select),
        3 => (
            [proptest::option::of(c()), proptest::option::of(c())],
            [proptest::option::of(c()), proptest::option::of(c())],
        )
            .prop_map(|(r, s)| Op::SelectMacro(r, s)),
    ]
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    vec(op(), 0..64)
}

#[test]
fn a_scripted_sequence_agrees_with_the_model_on_every_engine() {
    use Op::*;
    let script = [
        TrySend(0),
        Send(0),
        Look(0),
        Select(vec![Case::Recv(0), Case::Send(1), Case::Recv(2)]),
        SelectMacro([Some(0), None], [Some(1), Some(0)]),
        CloneSender(0),
        Close(0),
        TrySend(0),
        Recv(0),
        Drain(0),
        RecvTimeoutZero(0),
        DropReceiver(1, 0),
        TrySend(1),
        Look(1),
    ];
    for (_, cap) in chan::ENGINES {
        run(cap, [3, 2], &script);
    }
}

proptest! {
    #[test]
    fn locked_rendezvous_matches_the_model(others: [usize; 2], ops in ops()) {
        run(engine("locked, rendezvous"), others, &ops);
    }

    #[test]
    fn locked_buffered_matches_the_model(others: [usize; 2], ops in ops()) {
        run(engine("locked, buffered"), others, &ops);
    }

    #[test]
    fn ring_matches_the_model(others: [usize; 2], ops in ops()) {
        run(engine("ring"), others, &ops);
    }

    #[test]
    fn list_matches_the_model(others: [usize; 2], ops in ops()) {
        run(engine("list"), others, &ops);
    }
}
