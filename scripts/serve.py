#!/usr/bin/env python3
"""Serves a folder (default: web/) with the headers brigade needs.

Every response carries Cross-Origin-Opener-Policy: same-origin,
Cross-Origin-Embedder-Policy: require-corp and Cross-Origin-Resource-Policy:
same-origin, so the page is cross-origin isolated and may share WebAssembly
memory with its Web Workers. `--no-isolation` leaves them out, to show (and test)
what a page served without them does. `--csp POLICY` adds
Content-Security-Policy: POLICY to every response as well (none by default), to
test that the page and the package work under a strict policy.

Usage: serve.py [--port N] [--dir DIR] [--no-isolation] [--csp POLICY];
PORT=0 picks a free port.
Prints the URL once listening.
"""
import argparse
import functools
import http.server
import os
import sys


class Handler(http.server.SimpleHTTPRequestHandler):
    isolate = True
    csp = None
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".json": "application/json",
        ".css": "text/css",
        ".html": "text/html; charset=utf-8",
        ".svg": "image/svg+xml",
    }

    def end_headers(self):
        if self.isolate:
            self.send_header("Cross-Origin-Opener-Policy", "same-origin")
            self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
            self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        if self.csp:
            self.send_header("Content-Security-Policy", self.csp)
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, fmt, *args):
        if os.environ.get("BRIGADE_SERVE_LOG"):
            super().log_message(fmt, *args)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    p.add_argument("--dir", default=os.path.join(os.path.dirname(__file__), "..", "web"))
    p.add_argument("--no-isolation", action="store_true")
    p.add_argument("--csp", metavar="POLICY", help="send Content-Security-Policy: POLICY")
    a = p.parse_args()
    Handler.isolate = not a.no_isolation
    Handler.csp = a.csp
    handler = functools.partial(Handler, directory=os.path.abspath(a.dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), handler)
    print(f"serving {os.path.relpath(a.dir)} at http://127.0.0.1:{server.server_address[1]}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
