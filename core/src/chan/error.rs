//! Errors of channel operations. Every error of a send carries the value back.

use std::fmt;

/// A blocking send failed; the value is handed back.
#[derive(PartialEq, Eq, Clone, Copy)]
#[non_exhaustive]
pub enum SendError<T> {
    /// The channel is closed (explicitly, or every receiver is gone).
    Closed(T),
    /// The send would have to wait, and this thread must not block (the browser's
    /// main thread). Use `try_send` or `send_async` there.
    WouldBlockOnMainThread(T),
}

/// A send that does not wait failed; the value is handed back.
#[derive(PartialEq, Eq, Clone, Copy)]
#[non_exhaustive]
pub enum TrySendError<T> {
    /// The buffer is full (or, for a rendezvous channel, no receiver is waiting).
    Full(T),
    /// The channel is closed.
    Closed(T),
}

/// A send with a time limit failed; the value is handed back.
#[derive(PartialEq, Eq, Clone, Copy)]
#[non_exhaustive]
pub enum SendTimeoutError<T> {
    /// The time limit passed before there was room.
    Timeout(T),
    /// The channel is closed.
    Closed(T),
    /// The send would have to wait, and this thread must not block.
    WouldBlockOnMainThread(T),
}

/// A send bounded by a [`Context`](crate::Context) failed; the value is
/// handed back. The context's two endings are Go's `ctx.Err()` values.
#[derive(PartialEq, Eq, Clone, Copy)]
#[non_exhaustive]
pub enum SendCtxError<T> {
    /// The context was canceled before there was room.
    Canceled(T),
    /// The context's deadline passed before there was room.
    DeadlineExceeded(T),
    /// The channel is closed.
    Closed(T),
    /// The send would have to wait, and this thread must not block.
    WouldBlockOnMainThread(T),
}

/// A blocking receive failed.
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
#[non_exhaustive]
pub enum RecvError {
    /// The channel is closed and drained.
    Closed,
    /// The receive would have to wait, and this thread must not block.
    WouldBlockOnMainThread,
}

/// A receive that does not wait failed.
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
#[non_exhaustive]
pub enum TryRecvError {
    /// Nothing is buffered and no sender is waiting.
    Empty,
    /// The channel is closed and drained.
    Closed,
}

/// A receive with a time limit failed.
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
#[non_exhaustive]
pub enum RecvTimeoutError {
    /// The time limit passed with nothing to receive.
    Timeout,
    /// The channel is closed and drained.
    Closed,
    /// The receive would have to wait, and this thread must not block.
    WouldBlockOnMainThread,
}

/// A receive bounded by a [`Context`](crate::Context) failed.
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
#[non_exhaustive]
pub enum RecvCtxError {
    /// The context was canceled with nothing to receive.
    Canceled,
    /// The context's deadline passed with nothing to receive.
    DeadlineExceeded,
    /// The channel is closed and drained.
    Closed,
    /// The receive would have to wait, and this thread must not block.
    WouldBlockOnMainThread,
}

macro_rules! value_error {
    ($name:ident { $($variant:ident => $msg:literal),* $(,)? }) => {
        impl<T> $name<T> {
            /// The value that could not be sent.
            pub fn into_inner(self) -> T {
                match self { $($name::$variant(v) => v),* }
            }
        }
        impl<T> fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self { $($name::$variant(_) => write!(f, "{}({})", stringify!($variant), "..")),* }
            }
        }
        impl<T> fmt::Display for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self { $($name::$variant(_) => f.write_str($msg)),* }
            }
        }
        impl<T> std::error::Error for $name<T> {}
    };
}

value_error!(SendError {
    Closed => "sending on a closed channel",
    WouldBlockOnMainThread => "send would block on a thread that must not block (use try_send or send_async)",
});
value_error!(TrySendError {
    Full => "sending on a full channel",
    Closed => "sending on a closed channel",
});
value_error!(SendTimeoutError {
    Timeout => "timed out waiting to send",
    Closed => "sending on a closed channel",
    WouldBlockOnMainThread => "send would block on a thread that must not block (use try_send or send_async)",
});
value_error!(SendCtxError {
    Canceled => "context canceled while waiting to send",
    DeadlineExceeded => "context deadline exceeded while waiting to send",
    Closed => "sending on a closed channel",
    WouldBlockOnMainThread => "send would block on a thread that must not block (use try_send or send_async)",
});

impl<T> TrySendError<T> {
    /// Whether the channel was full.
    pub fn is_full(&self) -> bool {
        matches!(self, TrySendError::Full(_))
    }
    /// Whether the channel was closed.
    pub fn is_closed(&self) -> bool {
        matches!(self, TrySendError::Closed(_))
    }
}

macro_rules! unit_error {
    ($name:ident { $($variant:ident => $msg:literal),* $(,)? }) => {
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self { $($name::$variant => f.write_str($msg)),* }
            }
        }
        impl std::error::Error for $name {}
    };
}

unit_error!(RecvError {
    Closed => "receiving on a closed and empty channel",
    WouldBlockOnMainThread => "receive would block on a thread that must not block (use try_recv or recv_async)",
});
unit_error!(TryRecvError {
    Empty => "receiving on an empty channel",
    Closed => "receiving on a closed and empty channel",
});
unit_error!(RecvTimeoutError {
    Timeout => "timed out waiting to receive",
    Closed => "receiving on a closed and empty channel",
    WouldBlockOnMainThread => "receive would block on a thread that must not block (use try_recv or recv_async)",
});
unit_error!(RecvCtxError {
    Canceled => "context canceled while waiting to receive",
    DeadlineExceeded => "context deadline exceeded while waiting to receive",
    Closed => "receiving on a closed and empty channel",
    WouldBlockOnMainThread => "receive would block on a thread that must not block (use try_recv or recv_async)",
});
