//! `select!` and `Select`: fairness, mixes of sends and receives, timeouts,
//! selects meeting selects on rendezvous channels.

use std::thread;
use std::time::{Duration, Instant};

use brigade::chan::{self, RecvError, Select};
use brigade::select;

#[test]
fn select_takes_the_one_ready_case() {
    let (tx, rx) = chan::bounded(1);
    tx.send(1).unwrap();
    let v = select! { recv(rx) -> v => v.unwrap(), };
    assert_eq!(v, 1);
}

#[test]
fn fair_when_several_are_ready() {
    const N: usize = 6000;
    for k in [2usize, 3, 4] {
        let chans: Vec<_> = (0..k).map(|_| chan::bounded::<usize>(N)).collect();
        for (i, (tx, _)) in chans.iter().enumerate() {
            for _ in 0..N {
                tx.send(i).unwrap();
            }
        }
        let mut counts = vec![0usize; k];
        for _ in 0..N {
            let mut sel = Select::new();
            let cases: Vec<_> = chans.iter().map(|(_, rx)| sel.recv(rx)).collect();
            let i = sel.wait().unwrap();
            let v = cases[i].take().unwrap();
            counts[v] += 1;
        }
        for (i, &c) in counts.iter().enumerate() {
            assert!(
                c >= N / k / 2,
                "k={k}: case {i} chosen {c} times of {N}: {counts:?}"
            );
        }
    }
}

#[test]
fn fair_between_a_ready_send_and_a_ready_receive() {
    let (in_tx, in_rx) = chan::unbounded::<u8>();
    let (out_tx, out_rx) = chan::unbounded::<u8>();
    for _ in 0..2000 {
        in_tx.send(0).unwrap();
    }
    let (mut sent, mut received) = (0, 0);
    for _ in 0..2000 {
        select! {
            send(out_tx, 1) -> r => { r.unwrap(); sent += 1; },
            recv(in_rx) -> v => { v.unwrap(); received += 1; },
        }
    }
    assert!(
        sent >= 500 && received >= 500,
        "sent {sent}, received {received}"
    );
    assert_eq!(out_rx.len(), sent);
}

#[test]
fn default_runs_only_when_nothing_is_ready() {
    let (tx, rx) = chan::bounded::<i32>(1);
    let r = select! { recv(rx) -> _ => "recv", default => "default", };
    assert_eq!(r, "default");
    tx.send(1).unwrap();
    let r = select! { recv(rx) -> _ => "recv", default => "default", };
    assert_eq!(r, "recv");
}

#[test]
fn timeout_arm_fires_after_the_timeout() {
    let (_tx, rx) = chan::bounded::<i32>(0);
    let start = Instant::now();
    let r = select! {
        recv(rx) -> _ => "recv",
        default(Duration::from_millis(30)) => "timeout",
    };
    assert_eq!(r, "timeout");
    assert!(start.elapsed() >= Duration::from_millis(30));
}

#[test]
fn a_value_arriving_before_the_timeout_wins() {
    let (tx, rx) = chan::bounded::<i32>(0);
    let h = thread::spawn(move || {
        thread::sleep(Duration::from_millis(10));
        tx.send(4).unwrap();
    });
    let r = select! {
        recv(rx) -> v => v.unwrap(),
        default(Duration::from_secs(10)) => -1,
    };
    assert_eq!(r, 4);
    h.join().unwrap();
}

#[test]
fn select_meets_select_on_rendezvous_channels() {
    // Both sides are selects blocked on unbuffered channels: the hand-off must
    // pair them, exactly once per value.
    const N: usize = 5000;
    let (a_tx, a_rx) = chan::bounded::<usize>(0);
    let (b_tx, b_rx) = chan::bounded::<usize>(0);
    let sender = thread::spawn(move || {
        for i in 0..N {
            select! {
                send(a_tx, i) -> r => r.unwrap(),
                send(b_tx, i) -> r => r.unwrap(),
            }
        }
    });
    let mut seen = vec![false; N];
    for _ in 0..N {
        let v = select! {
            recv(a_rx) -> v => v.unwrap(),
            recv(b_rx) -> v => v.unwrap(),
        };
        assert!(!seen[v]);
        seen[v] = true;
    }
    sender.join().unwrap();
    assert!(seen.iter().all(|&s| s));
}

#[test]
fn the_unchosen_send_value_is_not_sent() {
    let (a_tx, a_rx) = chan::bounded::<&str>(1);
    let (b_tx, b_rx) = chan::bounded::<&str>(0); // no receiver: never ready
    select! {
        send(a_tx, "a") -> r => r.unwrap(),
        send(b_tx, "b") -> _ => panic!("b has no receiver"),
    }
    assert_eq!(a_rx.try_recv(), Ok("a"));
    assert!(b_rx.try_recv().is_err());
}

#[test]
fn the_unchosen_send_value_is_dropped_before_the_body_runs() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    struct Counted;
    impl Drop for Counted {
        fn drop(&mut self) {
            DROPS.fetch_add(1, Ordering::SeqCst);
        }
    }
    let (tx, rx) = chan::bounded::<u8>(1);
    tx.send(1).unwrap();
    let (never_tx, _never_rx) = chan::bounded::<Counted>(0); // no receiver waits
    let seen = select! {
        recv(rx) -> v => { assert_eq!(v, Ok(1)); DROPS.load(Ordering::SeqCst) },
        send(never_tx, Counted) -> _ => panic!("nobody receives"),
    };
    assert_eq!(seen, 1, "dropped once, before the body");
    assert_eq!(DROPS.load(Ordering::SeqCst), 1);
}

#[test]
fn closing_a_channel_completes_a_blocked_select() {
    let (tx, rx) = chan::bounded::<i32>(0);
    let (_other_tx, other_rx) = chan::bounded::<i32>(0);
    let h = thread::spawn(move || {
        select! {
            recv(other_rx) -> _ => None,
            recv(rx) -> v => Some(v),
        }
    });
    thread::sleep(Duration::from_millis(10));
    tx.close();
    assert_eq!(h.join().unwrap(), Some(Err(RecvError::Closed)));
}

#[test]
fn wait_timeout_reports_none() {
    let (_tx, rx) = chan::bounded::<i32>(0);
    let mut sel = Select::new();
    let _c = sel.recv(&rx);
    assert_eq!(sel.wait_timeout(Duration::from_millis(5)), Ok(None));
    assert_eq!(sel.try_wait(), None);
}

#[test]
fn never_is_never_chosen() {
    let nil = chan::never::<i32>();
    let (tx, rx) = chan::bounded(1);
    for _ in 0..100 {
        tx.send(1).unwrap();
        let r = select! { recv(nil) -> _ => 0, recv(rx) -> v => v.unwrap(), };
        assert_eq!(r, 1);
    }
}

/// Go's `case <-time.After(d):` written as it reads: the channel a case
/// names may be a temporary, which lives until the select ends.
#[test]
fn cases_may_name_temporary_channels() {
    let (_tx, rx) = chan::bounded::<u32>(1);
    let timed_out = select! {
        recv(rx) -> _ => false,
        recv(chan::after(Duration::from_millis(5))) -> at => { at.unwrap(); true },
    };
    assert!(timed_out);

    let keep = chan::bounded::<u32>(1);
    let sent = select! {
        send(keep.0.clone(), 7) -> r => r.is_ok(),
        recv(chan::never::<u32>()) -> _ => false,
    };
    assert!(sent);
    assert_eq!(keep.1.try_recv(), Ok(7));
}
