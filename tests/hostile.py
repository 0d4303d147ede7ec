"""A loopback HTTP server that misbehaves on purpose, one path per misdeed.

Used by the fetcher tests and by the hostile poll-cycle test: every path is a
way a real server has been seen to hurt a feed reader.
"""

from __future__ import annotations

import gzip
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RSS = b"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Good</title>
<item><title>One</title><link>https://good.example/1</link><guid>1</guid></item>
<item><title>Two</title><link>https://good.example/2</link><guid>2</guid></item>
</channel></rss>"""

LATIN1_RSS = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>Notícias</title>'
    "<item><title>Eleição em São Paulo</title><link>https://br.example/1</link></item>"
    "</channel></rss>"
).encode("latin-1")

ENTITY_XML = b"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaaaaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<rss version="2.0"><channel><title>&c;</title></channel></rss>"""

BOMB_SIZE = 200_000_000


@cache
def gzip_bomb() -> bytes:
    """200 MB of zeros, gzipped to about 200 KB."""
    return gzip.compress(b"\0" * BOMB_SIZE, compresslevel=9)


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

    def head(self, status: int = 200, **headers: str) -> None:
        """Send only a status line and headers."""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()


def _trickle(handler: _Handler) -> None:
    """A byte every 2 s, for a minute: per-read timeouts never fire."""
    handler.head(Content_Type="application/rss+xml", Content_Length="100000")
    _write_slowly(handler, b" ", 30, 2.0)


def _endless(handler: _Handler) -> None:
    """A body that never ends, as fast as the client reads."""
    handler.head(Content_Type="application/rss+xml")
    _write_slowly(handler, b"<rss>" + b"x" * 65531, 100_000, 0.0)


def _write_slowly(handler: _Handler, chunk: bytes, times: int, pause: float) -> None:
    for _ in range(times):
        try:
            handler.wfile.write(chunk)
            handler.wfile.flush()
        except OSError:
            return
        time.sleep(pause)


def _reset(handler: _Handler) -> None:
    """Close the connection with a TCP reset before answering."""
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.close_connection = True
    handler.rfile.close()
    handler.wfile.close()
    handler.connection.close()


def _truncated(handler: _Handler) -> None:
    """Promise 10,000 bytes, send 60, hang up."""
    handler.head(Content_Type="application/rss+xml", Content_Length="10000")
    handler.wfile.write(RSS[:60])
    handler.wfile.flush()
    handler.close_connection = True


def _redirect(to: str, status: int = 302) -> Callable[[_Handler], None]:
    return lambda h: h.reply(b"", status, Location=to)


def _busy(status: int, retry_after: str) -> Callable[[_Handler], None]:
    return lambda h: h.reply(b"try later", status, Retry_After=retry_after)


ROUTES: dict[str, Callable[[_Handler], None]] = {
    "/good": lambda h: h.reply(RSS, ETag='"v1"'),
    "/trickle": _trickle,
    "/endless": _endless,
    "/bomb": lambda h: h.reply(gzip_bomb(), Content_Encoding="gzip"),
    "/bomb2": lambda h: h.reply(gzip.compress(gzip_bomb()), Content_Encoding="gzip, gzip"),
    "/loop": _redirect("/loop"),
    "/to-file": _redirect("file:///etc/passwd"),
    "/to-ftp": _redirect("ftp://ftp.example/feed.xml"),
    "/moved": _redirect("/good", 301),
    "/temp": _redirect("/good", 302),
    "/busy": _busy(429, "120"),
    "/busy-date": _busy(503, "Fri, 27 Nov 2026 12:10:00 GMT"),
    "/busy-garbage": _busy(503, "soon-ish"),
    "/busy-negative": _busy(429, "-30"),
    "/busy-huge": _busy(429, "99999999999"),
    "/error": lambda h: h.reply(b"oops", 500),
    "/reset": _reset,
    "/truncated": _truncated,
    "/wrong-charset": lambda h: h.reply(
        LATIN1_RSS, Content_Type="application/rss+xml; charset=utf-8"
    ),
    "/unknown-charset": lambda h: h.reply(RSS, Content_Type="application/rss+xml; charset=klingon"),
    "/entities": lambda h: h.reply(ENTITY_XML),
    "/html": lambda h: h.reply(b"<html><body><p>hi</p></body></html>", Content_Type="text/html"),
    "/empty": lambda h: h.reply(b""),
    "/deep-json": lambda h: h.reply(
        b'{"items": ' + b"[" * 200_000 + b"]" * 200_000 + b"}", Content_Type="application/feed+json"
    ),
}


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """Broken connections are the point here, not news."""


@contextmanager
def hostile_server() -> Iterator[str]:
    """Serve ROUTES on 127.0.0.1; yields the base URL."""
    _Handler.routes = ROUTES
    server = _QuietServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
