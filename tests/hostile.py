"""A loopback HTTP server that misbehaves on purpose, one path per misdeed."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Good</title>
<item><title>One</title><link>https://good.example/1</link><guid>1</guid></item>
</channel></rss>"""


def _gzip_bomb(decoded_size: int) -> bytes:
    return gzip.compress(b"\0" * decoded_size, compresslevel=9)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    routes: dict[str, Callable[[_Handler], None]] = {}

    def do_GET(self) -> None:
        route = self.routes.get(self.path.split("?")[0])
        if route is None:
            self.send_error(404)
            return
        route(self)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

    def reply(self, body: bytes, status: int = 200, **headers: str) -> None:
        """Send a complete answer."""
        self.send_response(status)
        headers.setdefault("Content-Type", "application/rss+xml")
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _trickle(handler: _Handler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/rss+xml")
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    for _ in range(20):
        try:
            handler.wfile.write(b" ")
            handler.wfile.flush()
        except OSError:
            return
        time.sleep(0.5)


def _redirect(to: str, status: int = 302) -> Callable[[_Handler], None]:
    return lambda h: h.reply(b"", status, Location=to)


ROUTES: dict[str, Callable[[_Handler], None]] = {
    "/good": lambda h: h.reply(RSS, ETag='"v1"'),
    "/trickle": _trickle,
    "/bomb": lambda h: h.reply(_gzip_bomb(50_000_000), Content_Encoding="gzip"),
    "/bomb2": lambda h: h.reply(
        gzip.compress(_gzip_bomb(50_000_000)), Content_Encoding="gzip, gzip"
    ),
    "/loop": _redirect("/loop"),
    "/to-file": _redirect("file:///etc/passwd"),
    "/moved": _redirect("/good", 301),
    "/temp": _redirect("/good", 302),
    "/busy": lambda h: h.reply(b"slow down", 429, Retry_After="120"),
    "/busy-garbage": lambda h: h.reply(b"", 503, Retry_After="soon-ish"),
    "/error": lambda h: h.reply(b"oops", 500),
    "/html": lambda h: h.reply(b"<html><body>hi</body></html>", Content_Type="text/html"),
    "/empty": lambda h: h.reply(b""),
}


@contextmanager
def hostile_server() -> Iterator[str]:
    """Serve ROUTES on 127.0.0.1; yields the base URL."""
    _Handler.routes = ROUTES
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
