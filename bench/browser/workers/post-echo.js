// A bare Web Worker that posts every message back: the floor of any pool built on postMessage.
self.onmessage = (e) => self.postMessage(e.data);
