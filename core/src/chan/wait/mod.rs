//! How a channel operation waits: the [`signal`] a blocked operation (or a
//! `select` over several) parks on and its peer completes, the [`waiters`]
//! queue of the lock-free engines (and their spin-then-yield backoff), and
//! [`blocking`], which runs one operation or a `select` to completion or to
//! its limit, and its async form.

pub(crate) mod blocking;
pub(crate) mod signal;
pub(crate) mod waiters;
