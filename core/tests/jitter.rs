//! Backoff jitter differs between processes: each thread's generator is
//! seeded from the OS, so two processes started at the same instant (a fleet
//! restarted together, two page loads) do not retry in lock-step.

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::Duration;

use brigade::Retry;

/// Set in the children this test starts; they print their draws.
const CHILD: &str = "BRIGADE_JITTER_CHILD";

/// How many processes the test starts at once.
const PROCESSES: usize = 16;

/// Eight full-jitter delays of a retry schedule, in nanoseconds.
fn draws() -> Vec<u128> {
    let retry =
        Retry::<()>::attempts(9).backoff(Duration::from_millis(100), Duration::from_secs(60));
    (1..=8).map(|a| retry.delay(a).as_nanos()).collect()
}

#[test]
fn print_draws_when_started_by_the_test_below() {
    if std::env::var_os(CHILD).is_some() {
        println!("draws {:?}", draws());
    }
}

#[test]
fn processes_started_together_draw_different_delays() {
    let exe = std::env::current_exe().expect("the test binary's path");
    let start = || {
        Command::new(&exe)
            .args([
                "--exact",
                "print_draws_when_started_by_the_test_below",
                "--nocapture",
            ])
            .env(CHILD, "1")
            .stdout(Stdio::piped())
            .spawn()
            .expect("the test binary starts")
    };
    // All started before any is waited for.
    let children: Vec<_> = (0..PROCESSES).map(|_| start()).collect();
    let outputs: Vec<String> = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().expect("the child ends");
            assert!(out.status.success());
            String::from_utf8(out.stdout).expect("utf-8")
        })
        .collect();
    let draws: Vec<&str> = outputs
        .iter()
        .map(|o| {
            o.lines()
                .find(|l| l.starts_with("draws "))
                .expect("a child printed its draws")
        })
        .collect();
    let distinct: HashSet<&str> = draws.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        PROCESSES,
        "{PROCESSES} processes drew the same jitter: {draws:#?}"
    );
}
