// A Comlink worker exposing `echo`; the page wraps N of these into a round-robin pool.
import { expose } from '/node_modules/comlink/dist/esm/comlink.min.mjs';

expose({ echo: (x) => x });
