"""A loopback server for content a test can change between requests."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Site:
    """Paths -> (body, content type); edit `pages` and the next request sees it."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[bytes, str]] = {}
        self.redirects: dict[str, tuple[int, str]] = {}
        self.base = ""
        self.requests: list[str] = []
        self.on_request: Callable[[], None] = lambda: None
        """Called in the server's thread as each request arrives, once it is counted."""
        self.gzipped: dict[str, bytes] = {}
        """Paths served gzip-encoded instead: the bytes as sent."""

    def put(self, path: str, body: str, content_type: str = "text/html") -> None:
        """Serve `body` at `path`, with {{BASE}} filled in."""
        self.pages[path] = (body.replace("{{BASE}}", self.base).encode(), content_type)


@contextmanager
def served_site(host: str = "127.0.0.1") -> Iterator[Site]:
    """A Site on `host` (127.0.0.1, or another loopback address) with ETag support."""
    site = Site()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.requests.append(self.path)
            site.on_request()
            if self.path in site.redirects:
                status, location = site.redirects[self.path]
                self.send_response(status)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.path in site.gzipped:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(site.gzipped[self.path])))
                self.end_headers()
                self.wfile.write(site.gzipped[self.path])
                return
            if self.path not in site.pages:
                self.send_error(404)
                return
            body, kind = site.pages[self.path]
            etag = '"' + hashlib.sha1(body).hexdigest()[:12] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    with serving(Handler, host) as base:
        site.base = base
        yield site


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler], host: str = "127.0.0.1") -> Iterator[str]:
    """`handler` served on `host` (loopback) in a thread until the block ends; yields the base URL."""
    server = ThreadingHTTPServer((host, 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
