"""desk's asyncio network backend for httpcore, against real loopback servers."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpcore
import httpx
import pytest
import trustme

from desk.core.feeds.fetch import Fetcher, FetchError
from desk.core.feeds.netio import AsyncioBackend, DeskTransport
from desk.core.settings.config import Settings
from tests.hostile import RSS

SETTINGS = Settings(request_timeout=5.0)
LIMITS = httpx.Limits(max_connections=4)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    body = RSS
    close_after_reply = False

    def do_GET(self) -> None:
        if self.headers.get("If-None-Match") == '"v1"':
            self.send_response(304)
            self.send_header("ETag", '"v1"')
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("ETag", '"v1"')
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)
        # Keep-alive as far as the headers say, then hang up anyway (servers do).
        self.close_connection = self.close_after_reply

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@contextmanager
def serving(
    handler: type[BaseHTTPRequestHandler] = _Handler,
    wrap: Callable[[socket.socket], socket.socket] | None = None,
) -> Iterator[int]:
    """A threaded HTTP server on 127.0.0.1 (TLS-wrapped when `wrap` is given); yields its port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    if wrap is not None:
        server.socket = wrap(server.socket)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def fetch_all(urls: list[str], transport: DeskTransport, pause: float = 0.0) -> list[bytes]:
    """GET each URL in turn through one Fetcher, pausing between requests."""

    async def run() -> list[bytes]:
        fetcher = Fetcher(SETTINGS, transport)
        bodies = []
        try:
            for url in urls:
                bodies.append((await fetcher.get(url, max_bytes=10_000_000)).body)
                await asyncio.sleep(pause)
        finally:
            await fetcher.aclose()
        return bodies

    return asyncio.run(run())


def test_the_default_fetcher_runs_on_desks_transport_and_reuses_connections() -> None:
    async def run(url: str) -> tuple[list[bytes], int]:
        fetcher = Fetcher(SETTINGS)
        try:
            bodies = [(await fetcher.get(url, max_bytes=10_000)).body for _ in range(2)]
        finally:
            await fetcher.aclose()
        assert isinstance(fetcher.transport, DeskTransport)
        return bodies, fetcher.transport.backend.connections_opened

    with serving() as port:
        bodies, opened = asyncio.run(run(f"http://127.0.0.1:{port}/feed"))
    assert bodies == [RSS, RSS]
    assert opened == 1  # the second request reused the first one's connection


def test_a_304_leaves_its_connection_open_for_the_next_request() -> None:
    async def run(url: str, transport: DeskTransport) -> list[int]:
        fetcher = Fetcher(SETTINGS, transport)
        try:
            return [
                (await fetcher.get(url, max_bytes=10_000, etag='"v1"')).status for _ in range(3)
            ]
        finally:
            await fetcher.aclose()

    transport = DeskTransport(LIMITS)
    with serving() as port:
        statuses = asyncio.run(run(f"http://127.0.0.1:{port}/feed", transport))
    assert statuses == [304, 304, 304]
    assert transport.backend.connections_opened == 1


def test_a_kept_alive_connection_the_server_dropped_is_not_reused() -> None:
    class HangsUp(_Handler):
        close_after_reply = True

    transport = DeskTransport(LIMITS)
    with serving(HangsUp) as port:
        url = f"http://127.0.0.1:{port}/feed"
        assert fetch_all([url, url, url], transport, pause=0.1) == [RSS] * 3
    assert transport.backend.connections_opened == 3


def test_a_connection_dropped_while_the_loop_was_busy_is_replaced_not_failed() -> None:
    """The server hangs up 50 ms after each answer; the loop is busy (as when it parses) meanwhile."""
    listener = socket.create_server(("127.0.0.1", 0))

    def answer_then_hang_up(connection: socket.socket) -> None:
        connection.recv(65536)
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(RSS)}\r\n\r\n".encode()
        connection.sendall(head + RSS)
        time.sleep(0.05)
        connection.close()

    def accept_forever() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=answer_then_hang_up, args=(connection,), daemon=True).start()

    async def run(url: str) -> list[bytes]:
        fetcher = Fetcher(SETTINGS, DeskTransport(LIMITS))
        bodies = []
        try:
            for _ in range(3):
                bodies.append((await fetcher.get(url, max_bytes=10_000)).body)
                time.sleep(0.2)  # the loop does not run: the hang-up is not seen before reuse
        finally:
            await fetcher.aclose()
        return bodies

    threading.Thread(target=accept_forever, daemon=True).start()
    try:
        assert asyncio.run(run(f"http://127.0.0.1:{listener.getsockname()[1]}/feed")) == [RSS] * 3
    finally:
        listener.close()


def test_a_host_whose_first_address_is_a_black_hole_is_reached_through_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Happy eyeballs: as a dual-stack host with a dead IPv6 route, answered in well under 1 s."""
    with serving() as port:
        hole = socket.socket()
        hole.bind(("127.0.0.2", port))
        hole.listen(0)
        fillers = [socket.socket() for _ in range(3)]  # a full accept queue drops further SYNs
        for filler in fillers:
            filler.setblocking(False)
            filler.connect_ex(hole.getsockname())
        time.sleep(0.2)

        async def two_addresses(*args: object, **kwargs: object) -> list[tuple[object, ...]]:
            stream = (socket.AF_INET, socket.SOCK_STREAM, 6, "")
            return [(*stream, hole.getsockname()), (*stream, ("127.0.0.1", port))]

        monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", two_addresses)
        started = time.monotonic()
        try:
            body = fetch_all([f"http://dual-stack.invalid:{port}/feed"], DeskTransport(LIMITS))
        finally:
            for sock in (hole, *fillers):
                sock.close()
    assert body == [RSS]
    assert time.monotonic() - started < 2.0  # the first address alone would take the 5 s timeout


def test_a_large_body_arrives_intact_through_flow_control() -> None:
    class Large(_Handler):
        body = hashlib.sha256(b"seed").digest() * 150_000  # 4.8 MB

    with serving(Large) as port:
        url = f"http://127.0.0.1:{port}/big"
        (body,) = fetch_all([url], DeskTransport(LIMITS))
    assert body == Large.body


def test_the_receiver_pauses_the_socket_when_the_reader_lags() -> None:
    class Large(_Handler):
        body = b"x" * 3_000_000
        close_after_reply = True

    async def run(port: int) -> tuple[int, bool]:
        stream = await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)
        await stream.write(b"GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        await asyncio.sleep(0.3)  # the server sends far more than the buffer holds
        paused = stream._receiver._paused_reading  # type: ignore[attr-defined]
        received = 0
        while chunk := await stream.read(65536, timeout=5):
            received += len(chunk)
        await stream.aclose()
        return received, paused

    with serving(Large) as port:
        received, paused = asyncio.run(run(port))
    assert paused
    assert received > len(Large.body)  # the body and its headers


def test_a_silent_server_times_out_a_read_and_a_closed_port_refuses() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    async def read_silence() -> None:
        stream = await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)
        try:
            await stream.read(1024, timeout=0.2)
        finally:
            await stream.aclose()

    with pytest.raises(httpcore.ReadTimeout):
        asyncio.run(read_silence())
    listener.close()
    with pytest.raises(FetchError, match="could not connect"):
        fetch_all([f"http://127.0.0.1:{port}/"], DeskTransport(LIMITS))


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    """A throwaway certificate authority for TLS over loopback."""
    return trustme.CA()


def tls_wrapper(authority: trustme.CA) -> Callable[[socket.socket], socket.socket]:
    """Wraps a listening socket in TLS with a certificate for 127.0.0.1."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    return lambda sock: context.wrap_socket(sock, server_side=True)


def test_https_through_start_tls(authority: trustme.CA) -> None:
    trusting = ssl.create_default_context()
    authority.configure_trust(trusting)
    with serving(wrap=tls_wrapper(authority)) as port:
        url = f"https://127.0.0.1:{port}/feed"
        assert fetch_all([url, url], DeskTransport(LIMITS, ssl_context=trusting)) == [RSS] * 2


def test_an_untrusted_certificate_is_refused_in_words(authority: trustme.CA) -> None:
    refused = pytest.raises(FetchError, match=r"could not connect.*CERTIFICATE_VERIFY_FAILED")
    with serving(wrap=tls_wrapper(authority)) as port, refused:
        fetch_all([f"https://127.0.0.1:{port}/feed"], DeskTransport(LIMITS))


class _Proxy(BaseHTTPRequestHandler):
    """A forward proxy that answers every request itself and remembers what it was asked."""

    protocol_version = "HTTP/1.1"
    asked: list[str] = []

    def do_GET(self) -> None:
        self.asked.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(RSS)))
        self.end_headers()
        self.wfile.write(RSS)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def proxy_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """A loopback proxy named in HTTP_PROXY (conftest clears the other proxy variables)."""
    _Proxy.asked = []
    with serving(_Proxy) as port:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
        yield port


def test_a_proxy_named_in_the_environment_is_used(proxy_environment: int) -> None:
    async def run() -> bytes:
        fetcher = Fetcher(SETTINGS)
        try:
            return (await fetcher.get("http://feeds.invalid/world.xml", max_bytes=10_000)).body
        finally:
            await fetcher.aclose()

    assert asyncio.run(run()) == RSS
    assert _Proxy.asked == ["http://feeds.invalid/world.xml"]


def test_no_proxy_hosts_go_direct(proxy_environment: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")

    async def run(url: str) -> bytes:
        fetcher = Fetcher(SETTINGS)
        try:
            return (await fetcher.get(url, max_bytes=10_000)).body
        finally:
            await fetcher.aclose()

    with serving() as port:
        assert asyncio.run(run(f"http://127.0.0.1:{port}/feed")) == RSS
    assert _Proxy.asked == []


def test_a_request_cut_at_its_deadline_does_not_leave_its_connection_in_the_pool() -> None:
    class SlowThenGood(_Handler):
        def do_GET(self) -> None:
            if self.path != "/slow":
                super().do_GET()
                return
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(20):  # a byte every 0.2 s: past the 1 s deadline
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.2)

    async def run(base: str, transport: DeskTransport) -> bytes:
        fetcher = Fetcher(Settings(request_timeout=1.0), transport)
        try:
            with pytest.raises(FetchError, match="within 1 s"):
                await fetcher.get(f"{base}/slow", max_bytes=10_000)
            return (await fetcher.get(f"{base}/feed", max_bytes=10_000)).body
        finally:
            await fetcher.aclose()

    transport = DeskTransport(LIMITS)
    with serving(SlowThenGood) as port:
        assert asyncio.run(run(f"http://127.0.0.1:{port}", transport)) == RSS
    assert transport.backend.connections_opened == 2


def test_closing_the_fetcher_ends_tls_connections_at_once(authority: trustme.CA) -> None:
    """No 30 s wait for the server's close_notify (HTTP/1.1 does not need it; this server never sends it)."""
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server_context)
    trusting = ssl.create_default_context()
    authority.configure_trust(trusting)
    listener = socket.create_server(("127.0.0.1", 0))
    done = threading.Event()

    def serve_one() -> None:
        connection = server_context.wrap_socket(listener.accept()[0], server_side=True)
        connection.recv(65536)
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        done.wait(10)  # never reads again, so never answers the client's close_notify

    async def run(url: str) -> int:
        transport = DeskTransport(LIMITS, ssl_context=trusting)
        fetcher = Fetcher(SETTINGS, transport)
        await fetcher.get(url, max_bytes=100)
        ((connection,),) = transport._pool._idle.values()  # type: ignore[attr-defined]
        client_socket = connection._network_stream.get_extra_info("socket")
        await fetcher.aclose()
        await asyncio.sleep(0.2)
        return int(client_socket.fileno())

    threading.Thread(target=serve_one, daemon=True).start()
    try:
        assert asyncio.run(run(f"https://127.0.0.1:{listener.getsockname()[1]}/")) == -1
    finally:
        done.set()
        listener.close()
