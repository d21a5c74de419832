//! Compile-time checks of the auto traits public types promise.

use brigade::chan::{Receiver, Sender};
use brigade::{Context, Pool, WaitGroup};

// Each line fails to compile if its type loses a promised auto trait: these
// are checks of the build, evaluated as constants, with nothing to run.
const fn send_sync<T: Send + Sync>() {}
const fn clone<T: Clone>() {}

const _: () = {
    // Channels are shareable across threads whenever their values can move.
    send_sync::<Sender<u8>>();
    send_sync::<Receiver<u8>>();
    send_sync::<Sender<std::cell::Cell<u8>>>(); // Send, not Sync, values are fine
    clone::<Sender<u8>>();
    clone::<Receiver<u8>>();
    send_sync::<Context>();
    send_sync::<WaitGroup>();
    send_sync::<Pool<u8, u8, String>>();
};
