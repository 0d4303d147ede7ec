"""desk's HTTP transport under httpx: its own connection pool on asyncio streams.

httpx's defaults cost more than the HTTP itself at a few hundred feeds a
cycle. Its anyio backend answers the pool's "is this idle socket readable?"
with a `poll` and a `getpeername` system call apiece (and formats the calling
task's repr into a cancel reason on every connect); here an asyncio protocol
keeps what arrived, so "readable" is a lookup (`AsyncioBackend`). httpcore's
pool re-examines every connection on every request; desk's fetcher already
bounds the requests in flight, so `OriginPool` only keeps idle connections by
origin. The HTTP/1.1 itself is httpcore's.

`DeskTransport` is httpx's own transport (redirects, errors, streaming as
usual) with that pool under it. httpx reads proxies from the environment
only when it builds its own transport, so `environment_proxy_mounts` gives
the client those proxies as httpx would.

A request made while `PUBLIC_ONLY` is set (an article link from a feed on a
public host) connects only to public addresses: its host name is resolved
once, refused if any address is private, and the connection goes to the
addresses that were checked, so a rebinding DNS answer (public for a check,
127.0.0.1 for the connect) has no second answer to give. Such a request
reuses only idle connections whose peer is public.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from asyncio.staggered import staggered_race
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from contextvars import ContextVar
from functools import cache, partial
from typing import Any

import httpcore
import httpx

READ_BUFFER_HIGH = 512 * 1024
"""Bytes a connection may queue unread before its socket is paused (resumed at half)."""
HAPPY_EYEBALLS_DELAY = 0.25
"""Seconds before the next address of a host is tried alongside the first (RFC 8305)."""
PUBLIC_ONLY: ContextVar[bool] = ContextVar("desk_public_only", default=False)
"""True while a request may connect only to public addresses (set by Fetcher.get)."""


class PrivateAddressRefused(Exception):
    """A public-only request's host is, or resolves to, an address off the public internet."""

    def __init__(self, host: str, address: str) -> None:
        super().__init__(f"{host} is at {address}, not a public address")
        self.host = host
        self.address = address


def is_private_address(address: str) -> bool:
    """Whether an IP address (text, an IPv6 zone allowed) is off the public internet."""
    return _private(ipaddress.ip_address(address.split("%")[0]))


def _private(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Anything not on the public internet: loopback, private, link-local, shared (CGNAT),
    reserved, multicast, and IPv4 hidden in IPv6 (mapped, 6to4, NAT64) judged as IPv4."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour
        if inner is None and address in _NAT64:
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is not None:
            return _private(inner)
    return not address.is_global or address.is_multicast


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class _Receiver(asyncio.Protocol):
    """Collects what the peer sends until a reader takes it; holds the socket back when full."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.eof = False
        self.lost: BaseException | None = None
        self.closed = False
        self._waiter: asyncio.Future[None] | None = None
        self._drained: asyncio.Future[None] | None = None
        self._paused_reading = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport to pause and resume reading."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        """Queue the bytes; stop reading from the socket past the high-water mark."""
        self.chunks.append(data)
        self.buffered += len(data)
        if self.buffered > READ_BUFFER_HIGH and self.transport and not self._paused_reading:
            self.transport.pause_reading()
            self._paused_reading = True
        self._wake()

    def eof_received(self) -> bool:
        """The peer finished sending: readers get b'' once the queue is empty."""
        self.eof = True
        self._wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        """The connection is gone: wake anyone waiting to read or write."""
        self.closed = True
        self.lost = exc
        self._wake()
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    def pause_writing(self) -> None:
        """The kernel's send buffer is full: writers wait for resume_writing."""
        self._drained = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        """The send buffer drained."""
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)
        self._drained = None

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    @property
    def readable(self) -> bool:
        """True when a read would not wait: data queued, end of stream or a lost connection."""
        return bool(self.chunks) or self.eof or self.closed

    async def wait_readable(self) -> None:
        """Wait until a read would not wait."""
        while not self.readable:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    def take(self, max_bytes: int) -> bytes:
        """Up to `max_bytes` of what is queued (b'' at end of stream)."""
        if not self.chunks:
            return b""
        chunk = self.chunks.popleft()
        if len(chunk) > max_bytes:
            self.chunks.appendleft(chunk[max_bytes:])
            chunk = chunk[:max_bytes]
        self.buffered -= len(chunk)
        if self._paused_reading and self.buffered <= READ_BUFFER_HIGH // 2 and self.transport:
            self.transport.resume_reading()
            self._paused_reading = False
        return chunk

    async def drained(self) -> None:
        """Wait while the kernel's send buffer is full."""
        if self._drained is not None:
            await self._drained


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One connection as httpcore sees it: read, write, TLS, close."""

    def __init__(self, transport: asyncio.Transport, receiver: _Receiver) -> None:
        self._transport = transport
        self._receiver = receiver

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """The next bytes from the peer; b'' at a clean end of stream."""
        receiver = self._receiver
        if not receiver.readable:
            try:
                async with asyncio.timeout(timeout):
                    await receiver.wait_readable()
            except TimeoutError:
                raise httpcore.ReadTimeout(f"no data within {timeout:g} s") from None
        if receiver.chunks:
            return receiver.take(max_bytes)
        if receiver.lost is not None:
            raise httpcore.ReadError(str(receiver.lost) or type(receiver.lost).__name__)
        return b""

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Send `buffer`, waiting (up to `timeout`) while the send buffer is full."""
        if not buffer:
            return
        if self._receiver.closed or self._transport.is_closing():
            raise httpcore.WriteError("the connection is closed")
        self._transport.write(buffer)
        try:
            async with asyncio.timeout(timeout):
                await self._receiver.drained()
        except TimeoutError:
            raise httpcore.WriteTimeout(f"could not send within {timeout:g} s") from None

    async def aclose(self) -> None:
        """Close the connection: plain TCP after flushing, TLS at once.

        A closing TLS transport waits up to 30 s for the server's close_notify,
        which HTTP/1.1 never needs, so it is aborted instead.
        """
        if self._transport.get_extra_info("ssl_object") is not None:
            self._transport.abort()
        else:
            self._transport.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """The same connection wrapped in TLS, after a handshake within `timeout`."""
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport = await loop.start_tls(
                    self._transport,
                    self._receiver,
                    ssl_context,
                    server_hostname=server_hostname,
                    ssl_handshake_timeout=timeout,
                )
        except TimeoutError:
            self._transport.abort()
            raise httpcore.ConnectTimeout(f"no TLS handshake within {timeout:g} s") from None
        except (OSError, ssl.SSLError, ConnectionError) as exc:
            self._transport.abort()
            raise httpcore.ConnectError(str(exc)) from None
        if transport is None:
            self._transport.abort()
            raise httpcore.ConnectError("the connection closed during the TLS handshake")
        assert isinstance(transport, asyncio.Transport)
        self._receiver.transport = transport
        return AsyncioStream(transport, self._receiver)

    def get_extra_info(self, info: str) -> Any:
        """What httpcore asks of a stream; `is_readable` costs no system call."""
        if info == "is_readable":
            return self._receiver.readable
        names = {
            "ssl_object": "ssl_object",
            "client_addr": "sockname",
            "server_addr": "peername",
            "socket": "socket",
        }
        return self._transport.get_extra_info(names[info]) if info in names else None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend on asyncio protocols; counts the connections it opens."""

    def __init__(self) -> None:
        self.connections_opened = 0

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Open a TCP connection within `timeout` (TCP_NODELAY is asyncio's default).

        While PUBLIC_ONLY is set, only to the public addresses `host` resolved to, once.
        """
        loop = asyncio.get_running_loop()
        local = (local_address, 0) if local_address else None
        if PUBLIC_ONLY.get():
            return await self._connect(
                lambda: _connect_public(loop, host, port, local), timeout, socket_options
            )
        return await self._connect(
            lambda: loop.create_connection(
                _Receiver,
                host,
                port,
                local_addr=local,
                happy_eyeballs_delay=HAPPY_EYEBALLS_DELAY,  # a dead IPv6 route costs 0.25 s, not the timeout
                interleave=1,
            ),
            timeout,
            socket_options,
        )

    async def _connect(
        self,
        opener: Any,
        timeout: float | None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                transport, receiver = await opener()
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"no connection within {timeout:g} s") from None
        except (OSError, UnicodeError, ValueError) as exc:
            # UnicodeError: a host name the resolver cannot encode ('news..example', a label
            # over 63 characters): a bad link in a feed, to be reported like any other.
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from None
        sock: socket.socket | None = transport.get_extra_info("socket")
        try:
            for option in socket_options or ():
                if sock is not None:
                    sock.setsockopt(*option)
        except OSError as exc:
            transport.abort()
            raise httpcore.ConnectError(f"socket option refused: {exc}") from None
        self.connections_opened += 1
        return AsyncioStream(transport, receiver)

    async def sleep(self, seconds: float) -> None:
        """Sleep on the running loop."""
        await asyncio.sleep(seconds)


_AddressInfo = tuple[Any, ...]
"""One answer of getaddrinfo: (family, type, proto, canonname, sockaddr)."""


async def _connect_public(
    loop: asyncio.AbstractEventLoop, host: str, port: int, local: tuple[str, int] | None
) -> tuple[asyncio.BaseTransport, _Receiver]:
    """Resolve `host` once; refuse it if any answer is private; connect to those answers.

    The addresses are tried as asyncio's happy eyeballs would (families
    interleaved, the next one after HAPPY_EYEBALLS_DELAY); no name is given
    to the connect, so nothing is resolved again.
    """
    found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    for info in found:
        if is_private_address(str(info[4][0])):
            raise PrivateAddressRefused(host, str(info[4][0]))
    if not found:
        raise OSError(f"{host} has no address")
    return await _first_connection(loop, _interleaved(found), local)


def _interleaved(found: list[_AddressInfo]) -> list[_AddressInfo]:
    """The answers with their families taking turns, the first answer's family first."""
    by_family: dict[int, list[_AddressInfo]] = {}
    for info in found:
        by_family.setdefault(info[0], []).append(info)
    queues = list(by_family.values())
    ordered = []
    while any(queues):
        ordered += [queue.pop(0) for queue in queues if queue]
    return ordered


async def _first_connection(
    loop: asyncio.AbstractEventLoop, addresses: list[_AddressInfo], local: tuple[str, int] | None
) -> tuple[asyncio.BaseTransport, _Receiver]:
    """The first of `addresses` to accept a connection; every other one opened is closed."""
    opened: list[asyncio.BaseTransport] = []

    async def attempt(info: _AddressInfo) -> tuple[asyncio.BaseTransport, _Receiver]:
        family, _, _, _, sockaddr = info
        transport, receiver = await loop.create_connection(
            _Receiver, sockaddr[0], sockaddr[1], family=family, local_addr=local
        )
        opened.append(transport)
        return transport, receiver

    winner: tuple[asyncio.BaseTransport, _Receiver] | None = None
    try:
        winner, _, errors = await staggered_race(
            [partial(attempt, info) for info in addresses], HAPPY_EYEBALLS_DELAY
        )
    finally:  # a loser that connected too, or all of them when cancelled by the timeout
        for transport in opened:
            if winner is None or transport is not winner[0]:
                transport.close()
    if winner is None:
        words = list(dict.fromkeys(str(e) for e in errors if e is not None))
        raise OSError("; ".join(words) or "no address answered")
    return winner


@cache
def shared_ssl_context() -> ssl.SSLContext:
    """One verifying TLS context per process (loading the CA bundle takes ~20 ms); HTTP/1.1 only."""
    context = httpx.create_ssl_context()
    context.set_alpn_protocols(["http/1.1"])
    return context


_OriginKey = tuple[bytes, bytes, int]
_STALE_CONNECTION = (httpcore.RemoteProtocolError, httpcore.ReadError, httpcore.WriteError)
_SAFE_TO_RESEND = (b"GET", b"HEAD")


class OriginPool:
    """Idle HTTP/1.1 connections kept by origin: desk's stand-in for httpcore's pool.

    httpcore's pool re-examines every connection it holds whenever a request
    comes or goes (quadratic in the connections, and a fifth of a 200-feed
    cycle). desk's fetcher already bounds the requests in flight, overall and
    per host, so a pool only has to hand out an idle connection to the same
    origin or open one, and take it back once its answer has been read. The
    HTTP itself is httpcore's AsyncHTTP11Connection.
    """

    def __init__(
        self,
        ssl_context: ssl.SSLContext,
        backend: AsyncioBackend,
        keepalive_expiry: float | None = 5.0,
        max_idle: int = 100,
    ) -> None:
        self._ssl_context = ssl_context
        self._backend = backend
        self._keepalive_expiry = keepalive_expiry
        self._max_idle = max_idle
        self._idle: dict[_OriginKey, list[httpcore.AsyncHTTP11Connection]] = {}
        self._open: set[httpcore.AsyncHTTP11Connection] = set()
        self._public: set[httpcore.AsyncHTTP11Connection] = set()
        """Connections whose peer is a public address: the only ones PUBLIC_ONLY reuses."""
        self._closed = False

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        """Send the request on an idle connection to its origin, else on a new one.

        The server may have closed an idle connection an instant before it is
        reused (or while a busy loop had not yet noticed): that fails before
        any answer arrives, and a GET is then sent once more on a new one.
        """
        origin = request.url.origin
        key = (origin.scheme, origin.host, origin.port)
        reused = await self._idle_connection(key)
        if reused is not None:
            try:
                return await self._send(request, reused, key)
            except _STALE_CONNECTION:
                if request.method not in _SAFE_TO_RESEND:
                    raise
        return await self._send(request, await self._connect(request), key)

    async def _send(
        self, request: httpcore.Request, connection: httpcore.AsyncHTTP11Connection, key: _OriginKey
    ) -> httpcore.Response:
        """The answer's head from `connection`; its body hands the connection back when read."""
        try:
            response = await connection.handle_async_request(request)
        except BaseException:
            await self._close(connection)
            raise
        assert isinstance(response.stream, AsyncIterable)
        return httpcore.Response(
            status=response.status,
            headers=response.headers,
            content=_ReturnedWhenRead(response.stream, connection, key, self),
            extensions=response.extensions,
        )

    async def _idle_connection(self, key: _OriginKey) -> httpcore.AsyncHTTP11Connection | None:
        """The newest idle connection to the origin that is still usable; stale ones closed.

        While PUBLIC_ONLY is set, one whose peer is not public stays idle for others.
        """
        idle = self._idle.get(key) or []
        public_only = PUBLIC_ONLY.get()
        for connection in reversed(idle[:]):
            if public_only and connection not in self._public:
                continue
            idle.remove(connection)
            if connection.is_available() and not connection.has_expired():
                return connection
            await self._close(connection)
        return None

    async def _connect(self, request: httpcore.Request) -> httpcore.AsyncHTTP11Connection:
        """A new connection (TLS for https) within the request's connect timeout."""
        origin = request.url.origin
        timeout = request.extensions.get("timeout", {}).get("connect")
        host = origin.host.decode("ascii")
        stream = await self._backend.connect_tcp(host, origin.port, timeout=timeout)
        peer = _peer_address(stream)
        public = peer is not None and not is_private_address(peer)
        if PUBLIC_ONLY.get() and not public:  # the backend's own check; this one costs nothing
            await stream.aclose()
            raise PrivateAddressRefused(host, peer or "an unknown address")
        if origin.scheme == b"https":
            stream = await stream.start_tls(self._ssl_context, host, timeout)
        connection = httpcore.AsyncHTTP11Connection(origin, stream, self._keepalive_expiry)
        self._open.add(connection)
        if public:
            self._public.add(connection)
        return connection

    async def release(self, connection: httpcore.AsyncHTTP11Connection, key: _OriginKey) -> None:
        """Take a connection back once its answer is read: kept if reusable and room, else closed."""
        idle_count = sum(len(connections) for connections in self._idle.values())
        if connection.is_available() and idle_count < self._max_idle and not self._closed:
            self._idle.setdefault(key, []).append(connection)
        else:
            await self._close(connection)

    async def _close(self, connection: httpcore.AsyncHTTP11Connection) -> None:
        self._open.discard(connection)
        self._public.discard(connection)
        await connection.aclose()

    async def aclose(self) -> None:
        """Close every connection, busy or idle; one handed back later is closed then."""
        self._closed = True
        connections, self._open, self._idle = list(self._open), set(), {}
        self._public = set()
        for connection in connections:
            await connection.aclose()

    async def __aenter__(self) -> OriginPool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _peer_address(stream: httpcore.AsyncNetworkStream) -> str | None:
    """The IP address a new connection reached, if the stream can say."""
    peer = stream.get_extra_info("server_addr")
    return str(peer[0]) if isinstance(peer, tuple) and peer else None


class _ReturnedWhenRead:
    """A response body that gives its connection back to the pool when it is closed."""

    def __init__(
        self,
        stream: AsyncIterable[bytes],
        connection: httpcore.AsyncHTTP11Connection,
        key: _OriginKey,
        pool: OriginPool,
    ) -> None:
        self._stream = stream
        self._connection = connection
        self._key = key
        self._pool: OriginPool | None = pool

    async def __aiter__(self) -> AsyncIterator[bytes]:
        """The body's chunks, as the connection reads them."""
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        """Finish the answer on the connection (closing it unless it ended cleanly), then return it."""
        closing = getattr(self._stream, "aclose", None)
        try:
            if closing is not None:
                await closing()
        finally:
            pool, self._pool = self._pool, None
            if pool is not None:
                await pool.release(self._connection, self._key)


class DeskTransport(httpx.AsyncHTTPTransport):
    """httpx's HTTP transport with desk's pool and network backend under it.

    Of `limits`, keepalive_expiry and max_keepalive_connections apply; the
    requests in flight are bounded by the Fetcher's slots, not here.
    """

    def __init__(
        self,
        limits: httpx.Limits,
        backend: AsyncioBackend | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        ssl_context = ssl_context or shared_ssl_context()
        super().__init__(verify=ssl_context, limits=limits)
        self.backend = backend or AsyncioBackend()
        self._pool = OriginPool(  # type: ignore[assignment]
            ssl_context,
            self.backend,
            keepalive_expiry=limits.keepalive_expiry,
            max_idle=100
            if limits.max_keepalive_connections is None
            else limits.max_keepalive_connections,
        )


def environment_proxy_mounts() -> dict[str, httpx.AsyncBaseTransport | None]:
    """The proxies of HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY, as client mounts.

    httpx's own reading of the environment is used (httpx applies it by
    default, but not to a client given its own transport), so desk routes
    exactly as httpx would: a proxied request through httpx's stock
    transport, a NO_PROXY host (a None mount) through DeskTransport.
    """
    from httpx._utils import get_environment_proxies  # httpx's rules, not a copy of them

    return {
        pattern: httpx.AsyncHTTPTransport(proxy=url, verify=shared_ssl_context()) if url else None
        for pattern, url in get_environment_proxies().items()
    }
