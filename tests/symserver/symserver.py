#!/usr/bin/env python3
"""A symbol server for coroner's end-to-end tests (standard library only).

Serves the directory --root over HTTP on 127.0.0.1, on a free port it writes
to --port-file once listening, and appends one line per request
("GET /path") to --log, so a test can check which requests a run made.

The first path segment after the store prefix is the symbol file name; some
names pick a misbehaviour, so a test builds hostile cases just by naming keys:
  slow*   the reply never starts (sleeps --slow-seconds): must time out
  trunc*  200, Content-Length larger than the body, then the connection closes
  html*   200 with an HTML page (as an auth wall or a catch-all site does)
  redir*  302 to the same path under /redirected/ (served from --root too)
Everything else: the file if it exists under --root, else 404; with
--drip SECONDS the file comes in 20 pieces spread over that many seconds (a
slow but live server, for the progress line).
"""
import argparse
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: the request log is the record
        pass

    def record(self):
        with self.server.log_lock, open(self.server.log_path, "a") as f:
            f.write("GET %s\n" % self.path)

    def send_body(self, code, body, ctype="application/octet-stream", length=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.record()
        path = self.path.split("?", 1)[0]
        parts = [p for p in path.split("/") if p]
        name = parts[1] if len(parts) >= 2 else ""
        if parts and parts[0] == "redirected":
            parts = parts[1:]
        elif name.startswith("redir"):
            self.send_response(302)
            self.send_header("Location", "/redirected" + path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if name.startswith("slow"):
            time.sleep(self.server.slow_seconds)
            self.close_connection = True
            return
        if name.startswith("trunc"):
            body = b"Microsoft C/C++ MSF 7.00\r\n\x1aDS\0\0\0" + b"\0" * 1000
            self.send_body(200, body, length=100000)
            self.wfile.flush()
            self.close_connection = True
            return
        if name.startswith("html"):
            self.send_body(200, b"<!DOCTYPE html><html><body>Sign in</body></html>", "text/html")
            return
        local = os.path.realpath(os.path.join(self.server.root, *parts))
        if not local.startswith(self.server.root + os.sep) or not os.path.isfile(local):
            self.send_body(404, b"not found\n", "text/plain")
            return
        with open(local, "rb") as f:
            body = f.read()
        if self.server.drip <= 0:
            self.send_body(200, body)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        step = max(1, -(-len(body) // 20))
        for i in range(0, len(body), step):
            self.wfile.write(body[i:i + step])
            self.wfile.flush()
            time.sleep(self.server.drip / 20)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--slow-seconds", type=float, default=20)
    ap.add_argument("--drip", type=float, default=0, help="send files slowly, over this many seconds")
    ap.add_argument("--tls-cert", help="serve HTTPS with this PEM certificate (key included)")
    a = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if a.tls_cert:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls_cert)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.daemon_threads = True
    srv.root = os.path.realpath(a.root)
    srv.log_path = a.log
    srv.log_lock = threading.Lock()
    srv.slow_seconds = a.slow_seconds
    srv.drip = a.drip
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, a.port_file)  # the test sees the port only once it is whole
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
