// A workerpool worker script with one method, `echo`.
/* global workerpool */
importScripts('/node_modules/workerpool/dist/workerpool.min.js');
workerpool.worker({ echo: (x) => x });
