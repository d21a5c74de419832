// A bare Web Worker that posts every Uint8Array back, transferring its buffer
// (the page transferred it here): postMessage with no copy either way.
self.onmessage = (e) => self.postMessage(e.data, [e.data.buffer]);
