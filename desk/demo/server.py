"""A loopback HTTP server for the demo feeds and article pages.

It serves `feeds/` and `articles/` beside this file on 127.0.0.1 at a free
port, replacing the `{{BASE}}` placeholder in each file with its own address,
and answers conditional GETs (ETag and Last-Modified) with 304, so the demo
runs the whole pipeline for real without a network.
"""

from __future__ import annotations

import hashlib
import threading
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

import yaml

from desk.demo.chaos import Newsroom, chaos_feed_paths, serve_chaos

DEMO_DIR = Path(__file__).resolve().parent
CONTENT_TYPES = {
    ".xml": "application/rss+xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".json": "application/feed+json; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}
# Fixed, so a restarted demo still answers 304 to the validators it gave out.
LAST_MODIFIED = formatdate(1795000000, usegmt=True)


def demo_feed_files() -> list[Path]:
    """The demo's feed files."""
    return sorted((DEMO_DIR / "feeds").iterdir())


def demo_manifest() -> dict[str, dict[str, object]]:
    """The demo's manifest: for each article slug, its feed(s) and expected watchlists."""
    with open(DEMO_DIR / "manifest.yaml", encoding="utf-8") as handle:
        return dict(yaml.safe_load(handle))


class _Handler(BaseHTTPRequestHandler):
    server: DemoServer

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if self.server.chaos and path.startswith("/chaos/"):
            if not serve_chaos(self, self.server.base_url, path, self.server.newsroom):
                self.send_error(404, "not in the chaos demo")
            return
        body = self.server.body_for(path)
        if body is None:
            self.send_error(404, "not in the demo")
            return
        etag = '"' + hashlib.sha1(body, usedforsecurity=False).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag or (
            self.headers.get("If-Modified-Since") == LAST_MODIFIED
            and "If-None-Match" not in self.headers
        ):
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", CONTENT_TYPES.get(Path(path).suffix, "text/plain"))
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", LAST_MODIFIED)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the demo's requests are not the user's business."""


class DemoServer(ThreadingHTTPServer):
    """The demo content over HTTP on 127.0.0.1; use as a context manager.

    With `chaos`, the hostile feeds and pages of desk.demo.chaos are served too.
    """

    daemon_threads = True

    def __init__(self, root: Path = DEMO_DIR, chaos: bool = False) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.root = root
        self.chaos = chaos
        self.newsroom = Newsroom()
        self._thread = threading.Thread(target=self.serve_forever, name="desk-demo", daemon=True)

    @property
    def base_url(self) -> str:
        """The server's address, e.g. http://127.0.0.1:43121."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def feed_urls(self) -> list[tuple[str, str]]:
        """(name, URL) of each demo feed, and of each chaos feed when serving them."""
        urls = [(p.stem, f"{self.base_url}/feeds/{p.name}") for p in demo_feed_files()]
        if self.chaos:
            urls += [(path.rsplit("/", 1)[-1], self.base_url + path) for path in chaos_feed_paths()]
        return urls

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet: a client that hung up mid-answer (the chaos feeds' point) is not news,
        and a traceback on stderr would land on the desk's screen."""

    def body_for(self, path: str) -> bytes | None:
        """The bytes served at `path`, with {{BASE}} filled in; None if absent."""
        parts = [p for p in path.split("/") if p]
        if len(parts) != 2 or parts[0] not in ("feeds", "articles") or parts[1].startswith("."):
            return None
        file = self.root / parts[0] / parts[1]
        if not file.is_file():
            return None
        return file.read_text(encoding="utf-8").replace("{{BASE}}", self.base_url).encode()

    def __enter__(self) -> DemoServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.shutdown()
        self.server_close()
