//! The `futures` adapters: a receiver as a `Stream`, a sender as a `Sink`,
//! driven through the traits as `StreamExt`/`SinkExt` would drive them.
#![cfg(feature = "futures")]

mod block_on;

use std::future::poll_fn;
use std::pin::Pin;
use std::thread;

use block_on::block_on;
use brigade::chan::{self, SendError};
use futures_core::Stream;
use futures_sink::Sink;

#[test]
fn a_receiver_streams_every_value_then_ends_when_closed() {
    let (tx, rx) = chan::bounded::<u32>(4);
    let producer = thread::spawn(move || {
        for v in 0..1000 {
            tx.send(v).unwrap();
        }
    });
    let mut stream = rx.into_stream();
    let got = block_on(async {
        let mut got = Vec::new();
        while let Some(v) = poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await {
            got.push(v);
        }
        got
    });
    producer.join().unwrap();
    assert_eq!(got, (0..1000).collect::<Vec<_>>());
}

#[test]
fn a_sender_sinks_values_with_backpressure_and_closing_it_closes_the_channel() {
    let (tx, rx) = chan::bounded::<u32>(1);
    let consumer = thread::spawn(move || rx.iter().collect::<Vec<_>>());
    let mut sink = tx.into_sink();
    block_on(async {
        for v in 0..200 {
            poll_fn(|cx| Pin::new(&mut sink).poll_ready(cx))
                .await
                .unwrap();
            Pin::new(&mut sink).start_send(v).unwrap();
        }
        poll_fn(|cx| Pin::new(&mut sink).poll_flush(cx))
            .await
            .unwrap();
        poll_fn(|cx| Pin::new(&mut sink).poll_close(cx))
            .await
            .unwrap();
    });
    assert_eq!(consumer.join().unwrap(), (0..200).collect::<Vec<_>>());
}

#[test]
fn a_sink_on_a_closed_channel_hands_the_value_back() {
    let (tx, rx) = chan::bounded::<String>(1);
    drop(rx);
    let mut sink = tx.into_sink();
    let err = Pin::new(&mut sink)
        .start_send("kept".to_string())
        .unwrap_err();
    assert_eq!(err, SendError::Closed("kept".to_string()));
}
