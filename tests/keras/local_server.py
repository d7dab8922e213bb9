"""A small HTTP server on 127.0.0.1, run in a thread, that serves files the test puts in it.

`files[name] = bytes` serves `/name`; `truncate[name] = n` sends only the first n bytes of it
while announcing its full length (a connection that broke off); `hits[name]` counts requests.
"""

from __future__ import annotations

import http.server
import threading

import pytest


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        server = self.server
        name = self.path.lstrip("/")
        server.hits[name] = server.hits.get(name, 0) + 1
        if name not in server.files:
            self.send_error(404, "Not Found")
            return
        body = server.files[name]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: server.truncate.get(name, len(body))])
        self.close_connection = True

    def log_message(self, *args):   # keep test output clean
        pass


class LocalServer:
    def __init__(self):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.files, self.httpd.truncate, self.httpd.hits = {}, {}, {}
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.01,), daemon=True)
        self.thread.start()

    @property
    def files(self):
        return self.httpd.files

    @property
    def truncate(self):
        return self.httpd.truncate

    @property
    def hits(self):
        return self.httpd.hits

    @property
    def url(self):
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def server():
    srv = LocalServer()
    yield srv
    srv.close()
