//! The built-in job kinds, implemented in Rust and run on the pool's workers.
//!
//! A job is a kind name and an input; both cross threads as Rust data (never as
//! JavaScript objects, which belong to one thread).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One job: which kernel to run, on what.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Job {
    /// The kind's name, such as `"echo"`.
    pub kind: String,
    /// The kind's input.
    pub input: Value,
}

/// Runs `job` on the current thread.
///
/// # Errors
/// A message naming the problem: an unknown kind, a bad input, or the `fail`
/// kind's own message.
///
/// # Panics
/// The `panic` kind panics on purpose, to show that the pool contains it.
pub fn run(job: &Job) -> Result<Value, String> {
    match job.kind.as_str() {
        "echo" => Ok(job.input.clone()),
        "square" => {
            let n = number(&job.input, "square")?;
            Ok(Value::from(n * n))
        }
        "primes" => {
            let below = field(&job.input, "below", "primes")?;
            Ok(Value::from(count_primes(below as u64)))
        }
        "fail" => Err(job
            .input
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("failed")
            .to_owned()),
        "panic" => panic!(
            "{}",
            job.input
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("panic")
        ),
        other => Err(format!("unknown job kind {other:?}")),
    }
}

fn number(v: &Value, kind: &str) -> Result<f64, String> {
    v.as_f64()
        .ok_or_else(|| format!("{kind}: input must be a number, got {v}"))
}

fn field(v: &Value, name: &str, kind: &str) -> Result<f64, String> {
    v.get(name)
        .and_then(Value::as_f64)
        .ok_or_else(|| format!("{kind}: input must be {{ {name}: number }}, got {v}"))
}

/// The number of primes below `n` (a sieve of Eratosthenes).
pub fn count_primes(n: u64) -> u64 {
    if n < 3 {
        return 0;
    }
    let n = n as usize;
    let mut composite = vec![false; n];
    let mut count = 0;
    for i in 2..n {
        if !composite[i] {
            count += 1;
            let mut j = i * i;
            while j < n {
                composite[j] = true;
                j += i;
            }
        }
    }
    count
}

#[cfg(test)]
mod test {
    use super::*;
    use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

    wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_test]
    fn primes_below_100() {
        assert_eq!(count_primes(100), 25);
        assert_eq!(count_primes(2), 0);
        assert_eq!(count_primes(3), 1);
    }

    #[wasm_bindgen_test]
    fn unknown_kinds_and_bad_inputs_are_named() {
        let job = |kind: &str, input: Value| Job {
            kind: kind.into(),
            input,
        };
        assert_eq!(run(&job("square", Value::from(3))), Ok(Value::from(9.0)));
        let err = run(&job("nope", Value::Null)).unwrap_err();
        assert!(err.contains("unknown job kind \"nope\""), "{err}");
        let err = run(&job("primes", Value::from("x"))).unwrap_err();
        assert!(err.contains("{ below: number }"), "{err}");
        assert_eq!(
            run(&job("fail", serde_json::json!({ "message": "no" }))),
            Err("no".into())
        );
    }
}
