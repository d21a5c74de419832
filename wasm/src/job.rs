//! What the binding hands `core`'s pool: a [`Job`] (a kind's name and its
//! input, with what the page needs back in its record) and, when it fails,
//! a [`Fault`]. The built-in kinds that run jobs are in `kinds.rs`; JavaScript
//! handlers in `handlers.rs`.

use std::collections::HashSet;

use crate::data::Data;
use crate::kinds::KINDS;

/// One job: which kernel to run, on what.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    /// The kind's name, such as `"echo"` ([`intern`]ed: a job's copy costs
    /// nothing, see [`Job::skeleton`]).
    pub kind: &'static str,
    /// The kind's input.
    pub input: Data,
    /// Whether a `run()` call on the page awaits this job's outcome (the page
    /// routes it there instead of to `results()`).
    pub awaited: bool,
    /// The page's tag for a job whose progress it wants, 0 for the others
    /// (see `progress.rs`).
    pub tag: f64,
    /// Past this many ms of running, the job's Web Worker is terminated
    /// (`hardTimeoutMs`; see `PoolHandle::supervise`).
    pub hard_ms: Option<f64>,
}

/// The one `&'static str` of each job kind's name. A name is leaked the
/// first time it is seen: the names of handler exports, as pools with
/// handler modules start (the built-in names are static already).
pub fn intern(kind: &str) -> &'static str {
    static NAMES: std::sync::OnceLock<wasm_sync::Mutex<HashSet<&'static str>>> =
        std::sync::OnceLock::new();
    let mut names = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(k) = KINDS.iter().chain(names.get(kind)).find(|k| **k == kind) {
        return k;
    }
    let k: &'static str = Box::leak(kind.to_owned().into_boxed_str());
    names.insert(k);
    k
}

impl Job {
    /// The job without its input: what the pool keeps of each running job,
    /// to end it should its Web Worker be lost (the page's record of a job
    /// needs its kind, `awaited` and tag, never its input).
    pub fn skeleton(&self) -> Job {
        Job {
            kind: self.kind,
            input: Data::Null,
            awaited: self.awaited,
            tag: self.tag,
            hard_ms: self.hard_ms,
        }
    }
}

/// Why a job failed: a message, and for a JavaScript handler that threw an
/// `Error`, its name and stack.
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    /// What went wrong.
    pub message: String,
    /// The JavaScript stack, if there is one.
    pub stack: Option<String>,
    /// The thrown error's `name` (`"TypeError"`, a class's own name), if
    /// it was an `Error`.
    pub name: Option<String>,
    /// The thrown error's `cause`, as job data, if it had one that can cross.
    pub cause: Option<Data>,
    /// The thrown error's own enumerable properties that can cross (an
    /// object), if it had any.
    pub props: Option<Data>,
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<String> for Fault {
    fn from(message: String) -> Self {
        Fault {
            message,
            stack: None,
            name: None,
            cause: None,
            props: None,
        }
    }
}
