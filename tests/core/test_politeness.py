"""Concurrency limits measured at real loopback servers: per host and overall."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from desk.core.feeds.fetch import Fetcher
from desk.core.settings.config import Settings


class _Counter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.peak = 0

    def __enter__(self) -> None:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def __exit__(self, *exc: object) -> None:
        with self.lock:
            self.now -= 1


@contextmanager
def slow_server(counter: _Counter, overall: _Counter) -> Iterator[str]:
    """Every answer takes 0.2 s; the counters record how many overlap."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            # Counted while the server works on it; the answer goes out after the count drops,
            # so a client that starts its next request on receipt is never counted twice.
            with counter, overall:
                time.sleep(0.2)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def fetch_all(urls: list[str], settings: Settings) -> None:
    async def run() -> None:
        fetcher = Fetcher(settings)
        try:
            await asyncio.gather(*(fetcher.get(u, max_bytes=100) for u in urls))
        finally:
            await fetcher.aclose()

    asyncio.run(run())


def test_per_host_and_overall_limits() -> None:
    overall = _Counter()
    hosts = [_Counter() for _ in range(3)]
    with ExitStack() as stack:
        bases = [stack.enter_context(slow_server(host, overall)) for host in hosts]
        urls = [f"{base}/{n}" for base in bases for n in range(6)]
        fetch_all(urls, Settings(max_per_host=2, max_connections=5))
    assert [h.peak for h in hosts] == [2, 2, 2]
    assert overall.peak == 5


def test_waiting_for_a_slot_does_not_count_against_the_deadline() -> None:
    overall, host = _Counter(), _Counter()
    with slow_server(host, overall) as base:
        # 12 requests of 0.2 s through one slot take 2.4 s; each has a 1 s deadline.
        fetch_all([f"{base}/{n}" for n in range(12)], Settings(max_per_host=1, request_timeout=1.0))
    assert host.peak == 1
