//! Go's own channel, select, timer, context and WaitGroup tests as the oracle.
//!
//! Each test here checks, with our API, the behaviour one of Go's tests checks,
//! and is named after it: `runtime/chan_test.go` (`TestChan` is split by the
//! behaviours it checks), the `test/chan/*.go` programs, `test/closedchan.go`,
//! `test/chancap.go`, `context/context_test.go`, `sync/waitgroup_test.go`.
//! Written for this crate; nothing is pasted from Go.
//!
//! Where Go panics (send on a closed channel, closing twice) we return an error
//! that hands the value back, or `false`; the tests check that instead.
//!
//! Not mirrored, and why:
//! - `TestSelectStackAdjust`, `TestNoShrinkStackWhileParking`: goroutine stack
//!   shrinking; Rust threads have no movable stacks.
//! - `TestChanAlloc`, `select2.go`: allocation counts of Go's runtime.
//! - `perm.go`: channel direction types; our `Sender`/`Receiver` split is the
//!   type-level equivalent and misuse does not compile.
//! - `sendstmt.go`, `select8.go`: evaluation order of Go statements and `break`
//!   inside a select body, which are language features, not channel behaviour.
//! - `select5.go`: a generator of Go programs.
//! - `powser1.go`, `powser2.go`, `sieve2.go`: rational-arithmetic and heap
//!   machinery around channel patterns that `sieve1`, `fifo` and `doubleselect`
//!   already exercise.

mod block_on;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use block_on::block_on;
use brigade::chan::{
    self, Receiver, RecvCtxError, RecvError, RecvTimeoutError, Select, SendError, Sender,
    TryRecvError, TrySendError,
};
use brigade::{select, Context, ContextError, WaitGroup};

const CAPS: std::ops::Range<usize> = 0..20;
const BRIEF: Duration = Duration::from_millis(5);

fn chans<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    chan::bounded(cap)
}

mod runtime_chan_test {
    //! Go's `runtime/chan_test.go` (<https://go.dev/src/runtime/chan_test.go>):
    //! `TestChan`, one test per behaviour it checks, then the file's other tests.

    use super::*;

    #[test]
    fn test_chan_receive_from_empty_blocks() {
        for cap in CAPS {
            let (tx, rx) = chans::<i32>(cap);
            let got = Arc::new(AtomicBool::new(false));
            let hs: Vec<_> = (0..2)
                .map(|_| {
                    let (rx, got) = (rx.clone(), got.clone());
                    thread::spawn(move || {
                        let _ = rx.recv();
                        got.store(true, Ordering::SeqCst);
                    })
                })
                .collect();
            thread::sleep(BRIEF);
            assert!(
                !got.load(Ordering::SeqCst),
                "cap {cap}: receive from empty chan did not block"
            );
            tx.send(0).unwrap();
            tx.send(0).unwrap();
            hs.into_iter().for_each(|h| h.join().unwrap());
        }
    }

    #[test]
    fn test_chan_nonblocking_receive_does_not_block() {
        for cap in CAPS {
            let (_tx, rx) = chans::<i32>(cap);
            let r = select! {
                recv(rx) -> _ => panic!("cap {cap}: received from empty chan"),
                default => "default",
            };
            assert_eq!(r, "default");
            assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        }
    }

    #[test]
    fn test_chan_send_to_full_blocks() {
        for cap in CAPS {
            let (tx, rx) = chans::<usize>(cap);
            for i in 0..cap {
                tx.send(i).unwrap();
            }
            let sent = Arc::new(AtomicBool::new(false));
            let h = {
                let (tx, sent) = (tx.clone(), sent.clone());
                thread::spawn(move || {
                    tx.send(0).unwrap();
                    sent.store(true, Ordering::SeqCst);
                })
            };
            thread::sleep(BRIEF);
            assert!(
                !sent.load(Ordering::SeqCst),
                "cap {cap}: send to full chan did not block"
            );
            rx.recv().unwrap();
            h.join().unwrap();
        }
    }

    #[test]
    fn test_chan_nonblocking_send_does_not_block() {
        for cap in CAPS {
            let (tx, _rx) = chans::<usize>(cap);
            for i in 0..cap {
                tx.send(i).unwrap();
            }
            let r = select! {
                send(tx, 0) -> _ => panic!("cap {cap}: sent to full chan"),
                default => "default",
            };
            assert_eq!(r, "default");
            assert_eq!(tx.try_send(9), Err(TrySendError::Full(9)));
        }
    }

    #[test]
    fn test_chan_receive_from_closed_drains_then_reports_closed() {
        for cap in CAPS {
            let (tx, rx) = chans::<usize>(cap);
            for i in 0..cap {
                tx.send(i).unwrap();
            }
            assert!(tx.close());
            for i in 0..cap {
                assert_eq!(rx.recv(), Ok(i), "cap {cap}");
            }
            assert_eq!(rx.recv(), Err(RecvError::Closed));
            assert_eq!(rx.recv(), Err(RecvError::Closed));
        }
    }

    #[test]
    fn test_chan_close_unblocks_receive() {
        for cap in CAPS {
            let (tx, rx) = chans::<i32>(cap);
            let h = thread::spawn(move || rx.recv());
            thread::sleep(Duration::from_millis(1));
            tx.close();
            assert_eq!(h.join().unwrap(), Err(RecvError::Closed), "cap {cap}");
        }
    }

    #[test]
    fn test_chan_fifo_order() {
        for cap in CAPS {
            let (tx, rx) = chans::<i32>(cap);
            let h = thread::spawn(move || (0..100).for_each(|i| tx.send(i).unwrap()));
            for i in 0..100 {
                assert_eq!(rx.recv(), Ok(i), "cap {cap}");
            }
            h.join().unwrap();
        }
    }

    #[test]
    fn test_chan_four_senders_four_receivers() {
        const P: usize = 4;
        const L: usize = 1000;
        for cap in CAPS {
            let (tx, rx) = chans::<usize>(cap);
            for _ in 0..P {
                let tx = tx.clone();
                thread::spawn(move || (0..L).for_each(|i| tx.send(i).unwrap()));
            }
            let hs: Vec<_> = (0..P)
                .map(|_| {
                    let rx = rx.clone();
                    thread::spawn(move || {
                        let mut m = HashMap::new();
                        for _ in 0..L {
                            *m.entry(rx.recv().unwrap()).or_insert(0) += 1;
                        }
                        m
                    })
                })
                .collect();
            let mut all: HashMap<usize, usize> = HashMap::new();
            for h in hs {
                for (k, v) in h.join().unwrap() {
                    *all.entry(k).or_insert(0) += v;
                }
            }
            assert_eq!(all.len(), L, "cap {cap}");
            assert!(
                all.values().all(|&v| v == P),
                "cap {cap}: every value received {P} times"
            );
        }
    }

    #[test]
    fn test_chan_len_cap() {
        for cap in CAPS {
            let (tx, rx) = chans::<usize>(cap);
            assert_eq!((rx.len(), rx.capacity()), (0, Some(cap)));
            for i in 0..cap {
                tx.send(i).unwrap();
            }
            assert_eq!((tx.len(), tx.capacity()), (cap, Some(cap)));
        }
    }

    // runtime/chan_test.go: the other tests.

    #[test]
    fn test_nonblock_recv_race() {
        for _ in 0..2000 {
            let (tx, rx) = chans::<i32>(1);
            tx.send(1).unwrap();
            let rx2 = rx.clone();
            let h = thread::spawn(move || {
                select! {
                    recv(rx2) -> _ => true,
                    default => false,
                }
            });
            tx.close();
            let _ = rx.recv();
            assert!(h.join().unwrap(), "chan is not ready");
        }
    }

    #[test]
    fn test_nonblock_select_race() {
        for _ in 0..2000 {
            let (tx1, rx1) = chans::<i32>(1);
            let (tx2, rx2) = chans::<i32>(1);
            tx1.send(1).unwrap();
            let (r1, r2) = (rx1.clone(), rx2.clone());
            let h = thread::spawn(move || {
                select! {
                    recv(r1) -> _ => true,
                    recv(r2) -> _ => true,
                    default => false,
                }
            });
            tx2.send(1).unwrap();
            let _ = rx1.try_recv();
            assert!(h.join().unwrap(), "no chan is ready");
        }
    }

    #[test]
    fn test_nonblock_select_race2() {
        for _ in 0..10_000 {
            let (tx1, rx1) = chans::<i32>(1);
            let (tx2, rx2) = chans::<i32>(0);
            tx1.send(1).unwrap();
            let (r1, r2) = (rx1.clone(), rx2.clone());
            let h = thread::spawn(move || {
                select! {
                    recv(r1) -> _ => true,
                    recv(r2) -> _ => true,
                    default => false,
                }
            });
            tx2.close();
            let _ = rx1.try_recv();
            assert!(h.join().unwrap(), "no chan is ready");
        }
    }

    #[test]
    fn test_self_select() {
        for cap in [0, 10] {
            let (tx, rx) = chans::<usize>(cap);
            let hs: Vec<_> = (0..2)
                .map(|p| {
                    let (tx, rx) = (tx.clone(), rx.clone());
                    thread::spawn(move || {
                        for i in 0..1000 {
                            let got = if p == 0 || i % 2 == 0 {
                                select! {
                                    send(tx, p) -> r => { r.unwrap(); None },
                                    recv(rx) -> v => Some(v.unwrap()),
                                }
                            } else {
                                select! {
                                    recv(rx) -> v => Some(v.unwrap()),
                                    send(tx, p) -> r => { r.unwrap(); None },
                                }
                            };
                            if cap == 0 {
                                assert_ne!(got, Some(p), "self receive");
                            }
                        }
                    })
                })
                .collect();
            hs.into_iter().for_each(|h| h.join().unwrap());
        }
    }

    #[test]
    fn test_select_stress() {
        const N: usize = 10_000;
        let pairs: Vec<(Sender<i32>, Receiver<i32>)> = vec![chans(0), chans(0), chans(2), chans(3)];
        let mut hs = Vec::new();
        for (tx, rx) in &pairs {
            let (tx, rx) = (tx.clone(), rx.clone());
            hs.push(thread::spawn(move || {
                (0..N).for_each(|_| tx.send(0).unwrap())
            }));
            hs.push(thread::spawn(move || {
                (0..N).for_each(|_| assert_eq!(rx.recv(), Ok(0)))
            }));
        }
        let txs: Vec<Sender<i32>> = pairs.iter().map(|p| p.0.clone()).collect();
        hs.push(thread::spawn(move || {
            let mut n = [0; 4];
            for _ in 0..4 * N {
                let mut sel = Select::new();
                // A finished channel is left out, as Go sets it to nil.
                let cases: Vec<_> = (0..4)
                    .filter(|&k| n[k] < N)
                    .map(|k| (k, sel.send(&txs[k], 0)))
                    .collect();
                let i = sel.wait().unwrap();
                let (k, _) = cases.iter().find(|(_, c)| c.index() == i).unwrap();
                n[*k] += 1;
            }
        }));
        let rxs: Vec<Receiver<i32>> = pairs.iter().map(|p| p.1.clone()).collect();
        hs.push(thread::spawn(move || {
            let mut n = [0; 4];
            for _ in 0..4 * N {
                let mut sel = Select::new();
                let cases: Vec<_> = (0..4)
                    .filter(|&k| n[k] < N)
                    .map(|k| (k, sel.recv(&rxs[k])))
                    .collect();
                let i = sel.wait().unwrap();
                let (k, c) = cases.iter().find(|(_, c)| c.index() == i).unwrap();
                c.take().unwrap();
                n[*k] += 1;
            }
        }));
        hs.into_iter().for_each(|h| h.join().unwrap());
    }

    #[test]
    fn test_select_fairness() {
        const TRIALS: usize = 10_000;
        let (tx1, rx1) = chans::<u8>(TRIALS + 1);
        let (tx2, rx2) = chans::<u8>(TRIALS + 1);
        for _ in 0..=TRIALS {
            tx1.send(1).unwrap();
            tx2.send(2).unwrap();
        }
        let (_tx3, rx3) = chans::<u8>(0);
        let (_tx4, rx4) = chans::<u8>(0);
        let (out_tx, out_rx) = chans::<u8>(0);
        let (done_tx, done_rx) = chans::<()>(0);
        let h = thread::spawn(move || loop {
            let b = select! {
                recv(rx3) -> b => b.unwrap(),
                recv(rx4) -> b => b.unwrap(),
                recv(rx1) -> b => b.unwrap(),
                recv(rx2) -> b => b.unwrap(),
            };
            let stop = select! {
                send(out_tx, b) -> _ => false,
                recv(done_rx) -> _ => true,
            };
            if stop {
                return;
            }
        });
        let (mut c1, mut c2) = (0.0f64, 0.0f64);
        for _ in 0..TRIALS {
            match out_rx.recv().unwrap() {
                1 => c1 += 1.0,
                2 => c2 += 1.0,
                b => panic!("unexpected value {b}"),
            }
        }
        let mean = TRIALS as f64 * 0.5;
        let stddev = (TRIALS as f64 * 0.25).sqrt();
        assert!(
            (c1 - mean).abs() <= 10.0 * stddev,
            "unfair select: {c1} vs {c2}"
        );
        done_tx.close();
        h.join().unwrap();
    }

    #[test]
    fn test_chan_send_interface() {
        let (tx, _rx) = chans::<Box<u32>>(1);
        tx.send(Box::new(1)).unwrap();
        let r = select! {
            send(tx, Box::new(2)) -> _ => 1,
            default => 0,
        };
        assert_eq!(r, 0);
        let r = select! {
            send(tx, Box::new(3)) -> _ => 1,
            send(tx, Box::new(4)) -> _ => 2,
            default => 0,
        };
        assert_eq!(r, 0);
    }

    #[test]
    fn test_pseudo_random_send() {
        const N: usize = 100;
        for cap in [0, N] {
            let (tx, rx) = chans::<usize>(cap);
            let h = thread::spawn(move || {
                (0..N)
                    .map(|_| {
                        thread::yield_now();
                        rx.recv().unwrap()
                    })
                    .collect::<Vec<_>>()
            });
            for _ in 0..N {
                select! {
                    send(tx, 1) -> r => r.unwrap(),
                    send(tx, 0) -> r => r.unwrap(),
                }
            }
            let l = h.join().unwrap();
            let ones = l.iter().sum::<usize>();
            let zeros = N - ones;
            assert!(
                zeros > N / 10 && ones > N / 10,
                "want pseudorandom, got {zeros} zeros and {ones} ones (cap {cap})"
            );
        }
    }

    #[test]
    fn test_multi_consumer() {
        const NWORK: usize = 23;
        const NITER: usize = 27_182;
        let pn = [2usize, 3, 7, 11, 13, 17, 19, 23, 27, 31];
        let (qtx, qrx) = chans::<usize>(NWORK * 3);
        let (rtx, rrx) = chans::<usize>(NWORK * 3);
        let wg = WaitGroup::new();
        for w in 0..NWORK {
            wg.add(1);
            let (qrx, rtx, wg) = (qrx.clone(), rtx.clone(), wg.clone());
            thread::spawn(move || {
                for v in &qrx {
                    if pn[w % pn.len()] == v {
                        thread::yield_now();
                    }
                    rtx.send(v).unwrap();
                }
                wg.done();
            });
        }
        drop(qrx);
        let expect: usize = (0..NITER).map(|i| pn[i % pn.len()]).sum();
        thread::spawn(move || {
            for i in 0..NITER {
                qtx.send(pn[i % pn.len()]).unwrap();
            }
            qtx.close();
            wg.wait().unwrap();
            rtx.close();
        });
        let (mut n, mut s) = (0, 0);
        for v in rrx {
            n += 1;
            s += v;
        }
        assert_eq!((n, s), (NITER, expect));
    }

    #[test]
    fn test_shrink_stack_during_blocked_send() {
        let (tx, rx) = chans::<i32>(0);
        let h = thread::spawn(move || (0..10).for_each(|i| tx.send(i).unwrap()));
        for i in 0..10 {
            assert_eq!(rx.recv(), Ok(i));
            thread::sleep(Duration::from_millis(1)); // the sender blocks meanwhile
        }
        h.join().unwrap();
    }

    #[test]
    fn test_select_duplicate_channel() {
        let (c_tx, c_rx) = chans::<i32>(0);
        let (d_tx, d_rx) = chans::<i32>(0);
        let (e_tx, e_rx) = chans::<i32>(0);
        let (c1, d1) = (c_rx.clone(), d_rx.clone());
        let a = thread::spawn(move || {
            select! {
                recv(c1) -> _ => {},
                recv(c1) -> _ => {},
                recv(d1) -> _ => {},
            }
            e_tx.send(9).unwrap();
        });
        thread::sleep(Duration::from_millis(2)); // A queues on c twice first
        let c2 = c_rx.clone();
        let b = thread::spawn(move || c2.recv().unwrap());
        thread::sleep(Duration::from_millis(2)); // then B queues on c
        d_tx.send(7).unwrap(); // wakes A, which leaves c's queue
        assert_eq!(e_rx.recv(), Ok(9));
        c_tx.send(8).unwrap(); // must reach B, not A's stale entries
        assert_eq!(b.join().unwrap(), 8);
        a.join().unwrap();
    }

    #[test]
    fn test_chan_send_barrier() {
        // Many senders blocked at once on a small channel all get through.
        let (tx, rx) = chans::<usize>(1);
        let hs: Vec<_> = (0..16)
            .map(|i| {
                let tx = tx.clone();
                thread::spawn(move || (0..200).for_each(|j| tx.send(i * 1000 + j).unwrap()))
            })
            .collect();
        drop(tx);
        let got: Vec<usize> = rx.iter().collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
        assert_eq!(got.len(), 16 * 200);
    }

    #[test]
    fn test_chan_send_select_barrier() {
        let (tx, rx) = chans::<usize>(1);
        let hs: Vec<_> = (0..16)
            .map(|i| {
                let tx = tx.clone();
                thread::spawn(move || {
                    let mut sent = 0;
                    while sent < 200 {
                        select! {
                            send(tx, i) -> r => { r.unwrap(); sent += 1; },
                            default(Duration::from_millis(1)) => {},
                        }
                    }
                })
            })
            .collect();
        drop(tx);
        assert_eq!(rx.iter().count(), 16 * 200);
        hs.into_iter().for_each(|h| h.join().unwrap());
    }
}

mod test_chan_programs {
    //! Go's `test/chan/*.go` programs (<https://go.dev/test/chan/>).

    use super::*;

    #[test]
    fn test_doubleselect() {
        // Senders select over four channels; receivers each read one; no value may
        // be received twice (Go's doubleselect.go checks exactly that).
        const ITER: usize = 20_000;
        let pairs: Vec<(Sender<usize>, Receiver<usize>)> = (0..4).map(|_| chans(0)).collect();
        let txs: Vec<Sender<usize>> = pairs.iter().map(|p| p.0.clone()).collect();
        let sender = thread::spawn(move || {
            for i in 1..=ITER {
                select! {
                    send(txs[0], i) -> r => r.unwrap(),
                    send(txs[1], i) -> r => r.unwrap(),
                    send(txs[2], i) -> r => r.unwrap(),
                    send(txs[3], i) -> r => r.unwrap(),
                }
            }
            txs.iter().for_each(|t| {
                t.close();
            });
        });
        let (mux_tx, mux_rx) = chans::<usize>(0);
        let mut hs = Vec::new();
        for (_, rx) in &pairs {
            let (rx, mux) = (rx.clone(), mux_tx.clone());
            hs.push(thread::spawn(move || {
                rx.iter().for_each(|v| mux.send(v).unwrap())
            }));
        }
        drop(mux_tx);
        drop(pairs);
        let mut seen = vec![false; ITER + 1];
        let mut n = 0;
        for v in mux_rx {
            assert!(!seen[v], "value {v} received twice");
            seen[v] = true;
            n += 1;
        }
        assert_eq!(n, ITER);
        sender.join().unwrap();
        hs.into_iter().for_each(|h| h.join().unwrap());
    }

    #[test]
    fn test_fifo_asynch_fifo() {
        const N: usize = 10;
        let (tx, rx) = chans::<usize>(N);
        for i in 0..N {
            tx.send(i).unwrap();
        }
        for i in 0..N {
            assert_eq!(rx.recv(), Ok(i), "asynch fifo");
        }
    }

    #[test]
    fn test_fifo_synch_fifo() {
        // A chain of threads, each waiting for its turn on `in` before sending its
        // value and passing the turn on: values arrive in order.
        const N: usize = 10;
        let (tx, rx) = chans::<usize>(0);
        let (start_tx, mut prev_rx) = chans::<()>(0);
        let mut hs = Vec::new();
        for i in 0..N {
            let (next_tx, next_rx) = chans::<()>(0);
            let tx = tx.clone();
            let turn = prev_rx;
            hs.push(thread::spawn(move || {
                turn.recv().unwrap();
                tx.send(i).unwrap();
                next_tx.send(()).unwrap();
            }));
            prev_rx = next_rx;
        }
        start_tx.send(()).unwrap();
        for i in 0..N {
            assert_eq!(rx.recv(), Ok(i), "synch fifo");
        }
        prev_rx.recv().unwrap();
        hs.into_iter().for_each(|h| h.join().unwrap());
    }

    #[test]
    fn test_goroutines_chain() {
        // goroutines.go: a value passed along a chain of threads over unbuffered
        // channels arrives incremented once per link.
        const LINKS: usize = 200;
        let (first_tx, mut rx) = chans::<usize>(0);
        let mut hs = Vec::new();
        for _ in 0..LINKS {
            let (tx, next_rx) = chans::<usize>(0);
            let left = rx;
            hs.push(thread::spawn(move || {
                tx.send(left.recv().unwrap() + 1).unwrap()
            }));
            rx = next_rx;
        }
        first_tx.send(0).unwrap();
        assert_eq!(rx.recv(), Ok(LINKS));
        hs.into_iter().for_each(|h| h.join().unwrap());
    }

    #[test]
    fn test_nonblock() {
        // nonblock.go: non-blocking operations eventually succeed once the other
        // side is there, for every buffer size, with try_* and with select/default.
        for cap in [0usize, 1, 10] {
            let (tx, rx) = chans::<i32>(cap);
            let sender = {
                let tx = tx.clone();
                thread::spawn(move || tx.send(7).unwrap())
            };
            let v = loop {
                match rx.try_recv() {
                    Ok(v) => break v,
                    Err(TryRecvError::Empty) => thread::yield_now(),
                    Err(e) => panic!("{e}"),
                }
            };
            assert_eq!(v, 7);
            sender.join().unwrap();

            let receiver = {
                let rx = rx.clone();
                thread::spawn(move || rx.recv().unwrap())
            };
            loop {
                let sent = select! {
                    send(tx, 8) -> r => { r.unwrap(); true },
                    default => false,
                };
                if sent {
                    break;
                }
                thread::yield_now();
            }
            assert_eq!(receiver.join().unwrap(), 8);
        }
    }

    #[test]
    fn test_select_evaluates_every_send_value_once() {
        // select.go: every send expression is evaluated exactly once per select,
        // whichever case runs.
        let counter = std::cell::Cell::new(0);
        let value = || {
            counter.set(counter.get() + 1);
            counter.get()
        };
        let (a_tx, a_rx) = chans::<usize>(2048);
        let (b_tx, b_rx) = chans::<usize>(2048);
        for _ in 0..1000 {
            select! {
                send(a_tx, value()) -> r => r.unwrap(),
                send(b_tx, value()) -> r => r.unwrap(),
            }
        }
        assert_eq!(counter.get(), 2000);
        assert_eq!(a_rx.len() + b_rx.len(), 1000);
        assert!(a_rx.len() > 100 && b_rx.len() > 100, "both cases chosen");
    }

    #[test]
    fn test_select3_nil_channel_blocks() {
        let nil = chan::never::<i32>();
        assert_eq!(nil.recv_timeout(BRIEF), Err(RecvTimeoutError::Timeout));
        let r = select! {
            recv(nil) -> _ => "recv",
            default(BRIEF) => "blocked",
        };
        assert_eq!(r, "blocked");
    }

    #[test]
    fn test_select3_closed_channel_never_blocks() {
        let (tx, rx) = chans::<i32>(0);
        tx.close();
        for _ in 0..3 {
            assert_eq!(
                rx.recv_timeout(Duration::from_secs(5)),
                Err(RecvTimeoutError::Closed)
            );
            let r = select! { recv(rx) -> v => v, };
            assert_eq!(r, Err(RecvError::Closed));
        }
    }

    #[test]
    fn test_select3_send_on_closed_channel_fails() {
        for cap in [0, 1] {
            let (tx, _rx) = chans::<i32>(cap);
            tx.close();
            assert_eq!(tx.send(5), Err(SendError::Closed(5)));
            assert_eq!(tx.try_send(6), Err(TrySendError::Closed(6)));
            let r = select! { send(tx, 7) -> r => r, };
            assert_eq!(r, Err(SendError::Closed(7)));
        }
    }

    #[test]
    fn test_select3_default_never_blocks() {
        let nil = chan::never::<i32>();
        let (_tx, full) = chans::<i32>(0);
        let start = Instant::now();
        for _ in 0..100 {
            let r = select! {
                recv(nil) -> _ => 1,
                recv(full) -> _ => 2,
                default => 0,
            };
            assert_eq!(r, 0);
        }
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn test_select3_sync_send_with_waiting_receiver_does_not_block() {
        let (tx, rx) = chans::<i32>(0);
        let h = thread::spawn(move || rx.recv());
        thread::sleep(BRIEF); // the receiver is waiting
        let mut sent = false;
        for _ in 0..1000 {
            if tx.try_send(1).is_ok() {
                sent = true;
                break;
            }
            thread::sleep(Duration::from_millis(1));
        }
        assert!(sent, "try_send to a waiting receiver must succeed");
        assert_eq!(h.join().unwrap(), Ok(1));
    }

    #[test]
    fn test_select4_channel_expression_evaluated_once() {
        let (tx, rx) = chans::<i32>(1);
        tx.send(1).unwrap();
        let calls = std::cell::Cell::new(0);
        let f = || {
            calls.set(calls.get() + 1);
            &rx
        };
        let v = select! { recv(f()) -> v => v.unwrap(), };
        assert_eq!((v, calls.get()), (1, 1));
    }

    #[test]
    fn test_select6_wakeup_order() {
        // Issue 2075: a receiver queued on c1 before a select on c1 and c2 is woken
        // first; the select then completes through c2.
        use std::future::Future;
        use std::task::{Context as TaskContext, Poll, Waker};
        let (c1_tx, c1_rx) = chans::<bool>(0);
        let (c2_tx, c2_rx) = chans::<bool>(0);
        let (c3_tx, c3_rx) = chans::<bool>(0);
        // The first receiver is a future polled once: queued on c1 before the
        // select starts, whatever the scheduler does.
        let mut first = std::pin::pin!(c1_rx.recv_async());
        let mut cx = TaskContext::from_waker(Waker::noop());
        assert!(first.as_mut().poll(&mut cx).is_pending());
        let r = c1_rx.clone();
        let second = thread::spawn(move || {
            select! {
                recv(r) -> _ => panic!("dummy"),
                recv(c2_rx) -> _ => c3_tx.send(true).unwrap(),
            }
        });
        thread::sleep(BRIEF); // lets the select queue behind it on c1
        c1_tx.send(true).unwrap();
        assert_eq!(first.as_mut().poll(&mut cx), Poll::Ready(Ok(true)));
        c2_tx.send(true).unwrap();
        assert_eq!(c3_rx.recv(), Ok(true));
        second.join().unwrap();
    }

    #[test]
    fn test_select7_recv_forms() {
        // select7.go: a receive as a statement, as a one-case select, and as a
        // select with a never-ready case all get the value sent.
        let nil = chan::never::<i32>();
        for form in 0..3 {
            let (tx, rx) = chans::<i32>(0);
            let h = thread::spawn(move || tx.send(form).unwrap());
            let v = match form {
                0 => rx.recv().unwrap(),
                1 => select! { recv(rx) -> v => v.unwrap(), },
                _ => select! { recv(nil) -> _ => -1, recv(rx) -> v => v.unwrap(), },
            };
            assert_eq!(v, form);
            h.join().unwrap();
        }
    }

    #[test]
    fn test_select7_send_forms() {
        let (_nil_tx, nil_rx) = chans::<i32>(0);
        for form in 0..3 {
            let (tx, rx) = chans::<i32>(0);
            let h = thread::spawn(move || rx.recv().unwrap());
            match form {
                0 => tx.send(form).unwrap(),
                1 => select! { send(tx, form) -> r => r.unwrap(), },
                _ => {
                    select! { recv(nil_rx) -> _ => panic!("nil"), send(tx, form) -> r => r.unwrap(), }
                }
            }
            assert_eq!(h.join().unwrap(), form);
        }
    }

    #[test]
    fn test_sieve1() {
        // The concurrent prime sieve: a generator and a chain of filter threads.
        fn generate(tx: Sender<u32>) {
            let mut i = 2;
            while tx.send(i).is_ok() {
                i += 1;
            }
        }
        fn filter(rx: Receiver<u32>, tx: Sender<u32>, prime: u32) {
            for i in &rx {
                if i % prime != 0 && tx.send(i).is_err() {
                    return;
                }
            }
        }
        let (tx, mut rx) = chans::<u32>(0);
        thread::spawn(move || generate(tx));
        let mut primes = Vec::new();
        for _ in 0..25 {
            let prime = rx.recv().unwrap();
            primes.push(prime);
            let (tx2, rx2) = chans::<u32>(0);
            let left = rx;
            thread::spawn(move || filter(left, tx2, prime));
            rx = rx2;
        }
        assert_eq!(
            primes,
            [
                2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79,
                83, 89, 97
            ]
        );
        // Dropping the last receiver unwinds the chain: each send fails in turn.
    }

    #[test]
    fn test_zerosize() {
        let (tx, rx) = chans::<()>(0);
        let h = thread::spawn(move || rx.iter().count());
        for _ in 0..100 {
            tx.send(()).unwrap();
        }
        drop(tx);
        assert_eq!(h.join().unwrap(), 100);
        let (tx, rx) = chans::<[u8; 0]>(3);
        tx.send([]).unwrap();
        assert_eq!((rx.len(), rx.recv()), (1, Ok([])));
    }
}

mod closedchan_and_chancap {
    //! Go's `test/closedchan.go` and `test/chancap.go`
    //! (<https://go.dev/test/closedchan.go>, <https://go.dev/test/chancap.go>).

    use super::*;

    #[test]
    fn test_closedchan_recv_after_close_gets_nothing() {
        for cap in [0, 1, 3] {
            let (tx, rx) = chans::<i32>(cap);
            tx.close();
            assert_eq!(rx.recv(), Err(RecvError::Closed));
            assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
            let r = select! { recv(rx) -> v => v, default => Ok(-1), };
            assert_eq!(
                r,
                Err(RecvError::Closed),
                "select takes the closed case, not default"
            );
        }
    }

    #[test]
    fn test_closedchan_buffered_values_survive_close() {
        let (tx, rx) = chans::<i32>(3);
        tx.send(1).unwrap();
        tx.send(2).unwrap();
        tx.close();
        assert_eq!(rx.try_recv(), Ok(1));
        assert_eq!(select! { recv(rx) -> v => v, }, Ok(2));
        assert_eq!(rx.recv(), Err(RecvError::Closed));
    }

    #[test]
    fn test_closedchan_close_twice_is_reported() {
        let (tx, rx) = chans::<i32>(1);
        assert!(tx.close(), "first close closes");
        assert!(!tx.close(), "second close reports it was already closed");
        assert!(tx.is_closed() && rx.is_closed());
    }

    #[test]
    fn test_closedchan_len_cap_after_close() {
        let (tx, rx) = chans::<i32>(5);
        tx.send(1).unwrap();
        tx.close();
        assert_eq!((rx.len(), rx.capacity()), (1, Some(5)));
    }

    #[test]
    fn test_closedchan_close_wakes_blocked_sender_with_its_value() {
        let (tx, _rx) = chans::<String>(0);
        let t2 = tx.clone();
        let h = thread::spawn(move || t2.send("kept".to_owned()));
        thread::sleep(BRIEF);
        tx.close();
        assert_eq!(h.join().unwrap(), Err(SendError::Closed("kept".to_owned())));
    }

    #[test]
    fn test_chancap() {
        let (tx, rx) = chans::<i32>(10);
        assert_eq!((tx.len(), tx.capacity()), (0, Some(10)));
        for i in 0..3 {
            tx.send(i).unwrap();
        }
        assert_eq!((rx.len(), rx.capacity()), (3, Some(10)));
        let (tx, _rx) = chans::<i32>(0);
        assert_eq!((tx.len(), tx.capacity()), (0, Some(0)));
        let (tx, _rx) = chan::unbounded::<i32>();
        assert_eq!(tx.capacity(), None);
    }
}

mod time_after_and_tick {
    //! Go's `time.After` and `time.Tick` (`time/sleep_test.go`,
    //! `time/tick_test.go`: <https://go.dev/src/time/>).

    use super::*;

    #[test]
    fn test_after() {
        let start = Instant::now();
        let t = chan::after(Duration::from_millis(20));
        let fired = t.recv().unwrap();
        assert!(fired >= start + Duration::from_millis(20));
        assert!(start.elapsed() >= Duration::from_millis(20));
    }

    #[test]
    fn test_after_as_select_timeout() {
        let (_tx, rx) = chans::<i32>(0);
        let timeout = chan::after(Duration::from_millis(10));
        let r = select! {
            recv(rx) -> _ => "value",
            recv(timeout) -> _ => "timeout",
        };
        assert_eq!(r, "timeout");
    }

    #[test]
    fn test_ticker() {
        let period = Duration::from_millis(10);
        let t = chan::tick(period);
        let start = Instant::now();
        for _ in 0..5 {
            t.recv().unwrap();
        }
        assert!(
            start.elapsed() >= period * 4,
            "five ticks take at least four periods"
        );
    }
}

mod context_test {
    //! Go's `context/context_test.go` (<https://go.dev/src/context/context_test.go>).

    use super::*;

    #[test]
    fn test_background() {
        let ctx = Context::background();
        assert_eq!(ctx.err(), None);
        assert_eq!(ctx.deadline(), None);
        assert_eq!(ctx.done().try_recv(), Err(TryRecvError::Empty));
    }

    #[test]
    fn test_with_cancel() {
        let (c1, cancel) = Context::with_cancel(&Context::background());
        let (c2, _) = Context::with_cancel(&c1);
        let (c3, _) = Context::with_cancel(&c2);
        for c in [&c1, &c2, &c3] {
            assert_eq!(c.err(), None);
            assert_eq!(c.done().try_recv(), Err(TryRecvError::Empty));
        }
        cancel.cancel();
        for c in [&c1, &c2, &c3] {
            assert_eq!(
                c.done().recv_timeout(Duration::from_secs(1)),
                Err(RecvTimeoutError::Closed)
            );
            assert_eq!(c.err(), Some(ContextError::Canceled));
        }
    }

    #[test]
    fn test_parent_finishes_child() {
        let (parent, cancel) = Context::with_cancel(&Context::background());
        let (child, _) = Context::with_cancel(&parent);
        let (timer_child, _) = Context::with_timeout(&parent, Duration::from_secs(3600));
        cancel.cancel();
        for c in [&child, &timer_child] {
            assert_eq!(c.err(), Some(ContextError::Canceled));
            assert!(c.done().is_closed());
        }
    }

    #[test]
    fn test_child_finishes_first() {
        let (parent, _pcancel) = Context::with_cancel(&Context::background());
        let (child, cancel) = Context::with_cancel(&parent);
        cancel.cancel();
        assert_eq!(child.err(), Some(ContextError::Canceled));
        assert_eq!(
            parent.err(),
            None,
            "canceling a child leaves the parent alone"
        );
    }

    #[test]
    fn test_with_cancel_canceled_parent() {
        let (parent, cancel) = Context::with_cancel(&Context::background());
        cancel.cancel();
        let (child, _) = Context::with_cancel(&parent);
        assert_eq!(child.err(), Some(ContextError::Canceled));
        assert!(child.done().is_closed());
    }

    #[test]
    fn test_deadline() {
        let (ctx, _) = Context::with_deadline(
            &Context::background(),
            Instant::now() + Duration::from_millis(20),
        );
        assert_eq!(
            ctx.done().recv_timeout(Duration::from_secs(5)),
            Err(RecvTimeoutError::Closed)
        );
        assert_eq!(ctx.err(), Some(ContextError::DeadlineExceeded));
        let (past, _) = Context::with_deadline(
            &Context::background(),
            Instant::now() - Duration::from_millis(1),
        );
        assert_eq!(past.err(), Some(ContextError::DeadlineExceeded));
    }

    #[test]
    fn test_timeout() {
        let (ctx, _) = Context::with_timeout(&Context::background(), Duration::from_millis(20));
        let (_tx, rx) = chans::<i32>(0);
        let start = Instant::now();
        assert_eq!(rx.recv_ctx(&ctx), Err(RecvCtxError::DeadlineExceeded));
        assert!(start.elapsed() >= Duration::from_millis(20));
        assert_eq!(ctx.err(), Some(ContextError::DeadlineExceeded));
    }

    #[test]
    fn test_canceled_timeout() {
        let (ctx, cancel) =
            Context::with_timeout(&Context::background(), Duration::from_secs(3600));
        let (child, _) = Context::with_cancel(&ctx);
        cancel.cancel();
        assert_eq!(
            child.done().recv_timeout(Duration::from_secs(1)),
            Err(RecvTimeoutError::Closed)
        );
        assert_eq!(child.err(), Some(ContextError::Canceled));
    }

    #[test]
    fn test_child_deadline_is_capped_by_parent() {
        let soon = Instant::now() + Duration::from_millis(50);
        let (parent, _) = Context::with_deadline(&Context::background(), soon);
        let (child, _) = Context::with_timeout(&parent, Duration::from_secs(3600));
        assert_eq!(child.deadline(), Some(soon));
    }
}

mod waitgroup_test {
    //! Go's `sync/waitgroup_test.go` (<https://go.dev/src/sync/waitgroup_test.go>).

    use super::*;

    #[test]
    fn test_wait_group() {
        for n in [1usize, 2, 8, 16] {
            let wg1 = WaitGroup::new();
            let wg2 = WaitGroup::new();
            wg1.add(n as i64);
            wg2.add(n as i64);
            let exited = Arc::new(AtomicUsize::new(0));
            for _ in 0..n {
                let (wg1, wg2, exited) = (wg1.clone(), wg2.clone(), exited.clone());
                thread::spawn(move || {
                    wg1.done();
                    wg2.wait().unwrap();
                    exited.fetch_add(1, Ordering::SeqCst);
                });
            }
            wg1.wait().unwrap();
            assert_eq!(
                exited.load(Ordering::SeqCst),
                0,
                "WaitGroup released group too soon"
            );
            for _ in 0..n {
                wg2.done();
            }
        }
    }

    #[test]
    #[should_panic(expected = "WaitGroup: negative counter")]
    fn test_wait_group_misuse() {
        let wg = WaitGroup::new();
        wg.add(1);
        wg.done();
        wg.done();
    }

    #[test]
    fn test_wait_group_race() {
        for _ in 0..200 {
            let wg = WaitGroup::new();
            let n = Arc::new(AtomicUsize::new(0));
            wg.add(2);
            for _ in 0..2 {
                let (wg, n) = (wg.clone(), n.clone());
                thread::spawn(move || {
                    n.fetch_add(1, Ordering::SeqCst);
                    wg.done();
                });
            }
            wg.wait().unwrap();
            assert_eq!(n.load(Ordering::SeqCst), 2, "spurious wakeup from wait");
        }
    }

    #[test]
    fn test_wait_group_wait_async() {
        let wg = WaitGroup::new();
        wg.add(1);
        let w2 = wg.clone();
        let h = thread::spawn(move || {
            thread::sleep(BRIEF);
            w2.done();
        });
        block_on(wg.wait_async());
        assert_eq!(wg.count(), 0);
        h.join().unwrap();
    }
}
