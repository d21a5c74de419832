//! `futures` adapters (feature `futures`): a [`Receiver`] as a
//! `futures_core::Stream` and a [`Sender`] as a `futures_sink::Sink`, for
//! async code built on the `futures` traits (tokio-stream, `StreamExt`,
//! `forward`).
//!
//! Each pending operation is a boxed future over a clone of the channel end,
//! so the adapters own their end and are `'static`: one allocation per value
//! that has to wait (none when it is ready at once).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use futures_core::Stream;
use futures_sink::Sink;

use super::{Receiver, RecvError, SendError, Sender, TryRecvError};

type Pending<R> = Pin<Box<dyn Future<Output = R> + Send>>;

/// A [`Receiver`] as a `Stream`: the values in order, ending when the
/// channel is closed and drained. Made by [`Receiver::into_stream`].
pub struct RecvStream<T> {
    rx: Receiver<T>,
    pending: Option<Pending<Result<T, RecvError>>>,
}

impl<T: Send + 'static> Receiver<T> {
    /// This receiver as a `futures_core::Stream` of its values.
    pub fn into_stream(self) -> RecvStream<T> {
        RecvStream {
            rx: self,
            pending: None,
        }
    }
}

impl<T: Send + 'static> Stream for RecvStream<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        if this.pending.is_none() {
            match this.rx.try_recv() {
                Ok(v) => return Poll::Ready(Some(v)),
                Err(TryRecvError::Closed) => return Poll::Ready(None),
                Err(TryRecvError::Empty) => {
                    let rx = this.rx.clone();
                    this.pending = Some(Box::pin(async move { rx.recv_async().await }));
                }
            }
        }
        let fut = this.pending.as_mut().expect("set above");
        match fut.as_mut().poll(cx) {
            Poll::Ready(r) => {
                this.pending = None;
                Poll::Ready(r.ok())
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// A [`Sender`] as a `Sink`: `poll_ready` waits for room for the value
/// sent before; closing the sink closes the channel, as
/// `futures::channel::mpsc` does. Made by [`Sender::into_sink`].
pub struct SendSink<T> {
    tx: Sender<T>,
    pending: Option<Pending<Result<(), SendError<T>>>>,
}

impl<T: Send + 'static> Sender<T> {
    /// This sender as a `futures_sink::Sink` of values.
    pub fn into_sink(self) -> SendSink<T> {
        SendSink {
            tx: self,
            pending: None,
        }
    }
}

impl<T: Send + 'static> SendSink<T> {
    /// Drives the value sent before to its end.
    fn poll_pending(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), SendError<T>>> {
        let Some(fut) = self.pending.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        match fut.as_mut().poll(cx) {
            Poll::Ready(r) => {
                self.pending = None;
                Poll::Ready(r)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: Send + 'static> Sink<T> for SendSink<T> {
    /// A closed channel: the value that could not be sent comes back in it.
    type Error = SendError<T>;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.get_mut().poll_pending(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: T) -> Result<(), Self::Error> {
        let this = self.get_mut();
        match this.tx.try_send(item) {
            Ok(()) => Ok(()),
            Err(super::TrySendError::Closed(v)) => Err(SendError::Closed(v)),
            Err(super::TrySendError::Full(v)) => {
                let tx = this.tx.clone();
                this.pending = Some(Box::pin(async move { tx.send_async(v).await }));
                Ok(())
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.get_mut().poll_pending(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        let this = self.get_mut();
        match this.poll_pending(cx) {
            Poll::Ready(r) => {
                this.tx.close();
                Poll::Ready(r)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}
