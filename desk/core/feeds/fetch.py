"""HTTP for feeds and article pages: one polite, bounded httpx client.

Every request has a whole-request deadline (httpx's own timeouts are per
read), a cap on the decoded body enforced while streaming with desk's own
bounded decompressor (so `Content-Encoding: gzip, gzip` bombs stop at the
cap), at most five redirects checked hop by hop (http and https only), a
per-host concurrency limit, and conditional GET. The transport is injected so
tests can use loopback servers or `httpx.MockTransport`.
"""

from __future__ import annotations

import asyncio
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import httpx

from desk.core.errors import DeskError
from desk.core.feeds.encoding import BoundedDecoder, content_encodings
from desk.core.feeds.netio import (
    PUBLIC_ONLY,
    DeskTransport,
    PrivateAddressRefused,
    environment_proxy_mounts,
    is_private_address,
)
from desk.core.safetext import safe_line
from desk.core.settings.config import Settings

MAX_REDIRECTS = 5
SILENT_HOST_LIMIT = 3
"""Requests in a row a host may leave unanswered (timed out) in a cycle before the cycle's
other requests that may skip it (article pages: their feed's text stands) are not sent:
twenty pages on a host that accepts and never answers held a cycle for 100 s."""
PERMANENT_REDIRECTS = {301, 308}
RETRY_AFTER_MIN, RETRY_AFTER_MAX = 60.0, 6 * 3600.0


class FetchError(DeskError):
    """A request that failed, with the reason in words."""

    def __init__(self, message: str, url: str, status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status
        self.retry_after: float | None = None


@dataclass(frozen=True)
class FetchResult:
    """What a completed request brought back."""

    url: str
    status: int
    body: bytes = b""
    content_type: str = ""
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    moved_to: str | None = None
    encodings: tuple[str, ...] = ()
    """Content-Encodings still on `body` (only when asked for undecoded: see `decoded_body`)."""

    @property
    def not_modified(self) -> bool:
        """True for a 304 answer to a conditional GET."""
        return self.status == 304


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header, clamped to 1 min..6 h."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value) if value.lstrip("-").isdigit() else None
        if seconds is None:
            when = parsedate_to_datetime(value)
            seconds = (when - now).total_seconds() if when.tzinfo else None
    except (TypeError, ValueError, OverflowError):
        seconds = None
    if seconds is None:
        return RETRY_AFTER_MIN
    return min(max(seconds, RETRY_AFTER_MIN), RETRY_AFTER_MAX)


PRIVATE_REFUSED = (
    "refused: the link leads from a feed on a public host to a private address "
    "(loopback, link-local or private network)"
)


async def is_private_host(url: str) -> bool:
    """Whether `url`'s host is, or resolves to, a loopback, link-local or private address.

    A name that cannot be resolved counts as public: the fetch then fails on
    its own, in its own words. This is the early word (and the only one
    through a proxy); the connection itself checks again what it connects
    to (see netio.PUBLIC_ONLY), so a second DNS answer cannot differ.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").strip("[]")
    if not host:
        return False
    try:
        return is_private_address(host)
    except ValueError:
        pass
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, parts.port or 80)
    except (OSError, UnicodeError):
        return False
    return any(is_private_address(str(info[4][0])) for info in found)


class Fetcher:
    """The shared async HTTP client of a poll cycle."""

    def __init__(
        self,
        settings: Settings,
        transport: httpx.AsyncBaseTransport | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.now = now
        # No cap in the pool itself: desk's slots bound the requests in flight,
        # and idle connections stay open for the next feed on the same host.
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=100)
        self.transport = transport or DeskTransport(limits)
        self.client = httpx.AsyncClient(
            transport=self.transport,
            mounts=environment_proxy_mounts() if transport is None else None,
            follow_redirects=False,
            # Per-read limits; the whole-request deadline is desk's own (see _follow).
            # No pool timeout: desk's own slots do the queueing, outside the deadline.
            timeout=httpx.Timeout(min(settings.request_timeout, 10.0), pool=None),
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
        )
        self._hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(settings.max_per_host)
        )
        self._slots = asyncio.Semaphore(settings.max_connections)
        self.silent: Counter[str] = Counter()
        """Per host, its requests in a row that timed out (an answer of any kind resets it)."""
        self.skipped: Counter[str] = Counter()
        """Per host, the requests not sent because it had gone silent (see SILENT_HOST_LIMIT)."""

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.client.aclose()

    async def get(
        self,
        url: str,
        *,
        max_bytes: int,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = "*/*",
        private_ok: bool = True,
        hold: asyncio.Semaphore | None = None,
        decode: bool = True,
        skippable: bool = False,
    ) -> FetchResult:
        """GET `url` within the deadline and caps; raise FetchError in words.

        A `skippable` request (an article page, whose feed's text stands in for
        it) is not sent to a host that left SILENT_HOST_LIMIT requests in a row
        unanswered this cycle: it fails at once, and `skipped` counts it.

        With `decode=False` the body comes as sent, its Content-Encodings
        named in the result for `decoded_body` to undo (the cap then bounds
        the bytes as sent; an unknown encoding is refused all the same).

        With `private_ok=False` (an article link from a feed on a public host)
        no hop may lead to a loopback, link-local or private address. With
        `hold`, one unit of it is taken once the request has its host's slot,
        before it is sent, and is the caller's to release when done with the
        body (get releases it if it raises): a bound on the bodies held at
        once that never makes one host's requests wait behind another's.
        """
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        public_only = PUBLIC_ONLY.set(not private_ok)  # for this task's connections only
        held = _Held(hold)
        try:
            return await self._follow(url, headers, max_bytes, private_ok, held, decode, skippable)
        except BaseException:
            held.release()
            raise
        finally:
            PUBLIC_ONLY.reset(public_only)

    async def _follow(
        self,
        url: str,
        headers: dict[str, str],
        max_bytes: int,
        private_ok: bool,
        held: _Held,
        decode: bool = True,
        skippable: bool = False,
    ) -> FetchResult:
        """_follow_hops with its failures in words (FetchError)."""
        try:
            return await self._follow_hops(
                url, headers, max_bytes, private_ok, held, decode, skippable
            )
        except PrivateAddressRefused:  # a name that resolved publicly for the check, then not
            raise FetchError(PRIVATE_REFUSED, url) from None
        except TimeoutError:
            raise FetchError(
                f"no complete answer within {self.settings.request_timeout:g} s", url
            ) from None
        except httpx.HTTPError as exc:
            raise FetchError(_describe(exc), url) from None
        except (httpx.InvalidURL, ValueError) as exc:  # a malformed link in somebody's feed
            raise FetchError(f"not a valid URL ({exc})", url) from None

    async def _follow_hops(
        self,
        url: str,
        headers: dict[str, str],
        max_bytes: int,
        private_ok: bool,
        held: _Held,
        decode: bool = True,
        skippable: bool = False,
    ) -> FetchResult:
        """Follow up to MAX_REDIRECTS hops; the deadline runs from the first request sent.

        Time spent queueing for a host slot does not count against it, so a
        slow server never makes the requests waiting behind it time out.
        """
        moved_to: str | None = None
        permanent = True
        deadline: float | None = None
        for _hop in range(MAX_REDIRECTS + 1):
            _check_scheme(url)
            if not private_ok and await is_private_host(url):
                raise FetchError(PRIVATE_REFUSED, url)
            host = urlsplit(url).netloc
            async with self._hosts[host]:
                if skippable and self.silent[host] >= SILENT_HOST_LIMIT:
                    self.skipped[host] += 1
                    raise FetchError(f"not sent: {host} has gone silent this cycle", url)
                await held.take()  # after the host's slot: a queue for one host holds none
                async with self._slots:
                    deadline = deadline or (
                        asyncio.get_running_loop().time() + self.settings.request_timeout
                    )
                    answer = await self._heard(
                        host, deadline, url, headers, max_bytes, moved_to, decode
                    )
            if isinstance(answer, FetchResult):
                return answer
            location, status = answer
            permanent = permanent and status in PERMANENT_REDIRECTS
            url = urljoin(url, location)
            moved_to = url if permanent else None
        raise FetchError(f"more than {MAX_REDIRECTS} redirects", url)

    async def _heard(
        self,
        host: str,
        deadline: float,
        url: str,
        headers: dict[str, str],
        max_bytes: int,
        moved_to: str | None,
        decode: bool,
    ) -> FetchResult | tuple[str, int]:
        """One hop within the deadline; the host's silence counted (a time-out adds one, any
        answer, an error status too, ends the run)."""
        try:
            async with asyncio.timeout_at(deadline):
                answer = await self._request(url, headers, max_bytes, moved_to, decode)
        except (TimeoutError, httpx.TimeoutException):
            self.silent[host] += 1
            raise
        except FetchError:  # an error status is an answer
            self.silent.pop(host, None)
            raise
        self.silent.pop(host, None)
        return answer

    async def _request(
        self,
        url: str,
        headers: dict[str, str],
        max_bytes: int,
        moved_to: str | None,
        decode: bool = True,
    ) -> FetchResult | tuple[str, int]:
        """One hop: a result, or (Location, status) for a redirect."""
        async with self.client.stream("GET", url, headers=headers) as resp:
            if resp.is_redirect and "location" in resp.headers:
                return resp.headers["location"], resp.status_code
            return await self._finish(resp, url, max_bytes, moved_to, decode)

    async def _finish(
        self,
        resp: httpx.Response,
        url: str,
        max_bytes: int,
        moved_to: str | None,
        decode: bool = True,
    ) -> FetchResult:
        if resp.status_code == 304:
            # A 304 has no body by definition; reading its end frees the connection for reuse.
            await resp.aread()
            return FetchResult(url=url, status=304, moved_to=moved_to)
        if resp.status_code >= 400:
            error = FetchError(f"HTTP {resp.status_code} {reason_phrase(resp)}".strip(), url)
            error.status = resp.status_code
            error.retry_after = parse_retry_after(resp.headers.get("retry-after"), self.now())
            raise error
        body, encodings = await _read_capped(resp, url, max_bytes, decode)
        return FetchResult(
            url=url,
            status=resp.status_code,
            body=body,
            content_type=resp.headers.get("content-type", "").split(";")[0].strip().lower(),
            charset=resp.charset_encoding,
            etag=resp.headers.get("etag"),
            last_modified=resp.headers.get("last-modified"),
            moved_to=moved_to,
            encodings=encodings,
        )


class _Held:
    """One unit of a caller's semaphore, taken at most once and released at most once."""

    def __init__(self, semaphore: asyncio.Semaphore | None) -> None:
        self.semaphore = semaphore
        self.taken = False

    async def take(self) -> None:
        """Take the unit (a no-op without a semaphore or once taken)."""
        if self.semaphore is not None and not self.taken:
            await self.semaphore.acquire()
            self.taken = True

    def release(self) -> None:
        """Give the unit back if it was taken."""
        if self.semaphore is not None and self.taken:
            self.semaphore.release()
            self.taken = False


def reason_phrase(resp: httpx.Response) -> str:
    """The server's reason phrase from the bytes it sent, made safe.

    httpx reads it as ASCII and silently drops what is not, 0x9B among
    them: an 8-bit CSI's payload (`2J`) would reach the status line. Read
    whole (UTF-8, else latin-1), the sequence goes with its payload.
    """
    raw = resp.extensions.get("reason_phrase")
    if not isinstance(raw, bytes):
        return safe_line(resp.reason_phrase)
    try:
        return safe_line(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return safe_line(raw.decode("latin-1"))


async def _read_capped(
    resp: httpx.Response, url: str, max_bytes: int, decode: bool = True
) -> tuple[bytes, tuple[str, ...]]:
    """The body, its Content-Encodings undone (or, without `decode`, the ones left to undo)."""
    encodings = content_encodings(resp.headers.get("content-encoding", ""))
    try:
        decoder = BoundedDecoder(encodings if decode else (), max_bytes)
        if not decode:
            BoundedDecoder(encodings, max_bytes)  # an unknown encoding is refused now
        body = b"".join([decoder.feed(chunk) async for chunk in resp.aiter_raw()])
        return body, () if decode else encodings
    except ValueError as exc:
        raise FetchError(str(exc), url, resp.status_code) from None
    except OverflowError:
        raise FetchError(f"body larger than {max_bytes:,} bytes", url, resp.status_code) from None
    except zlib.error as exc:
        raise FetchError(f"corrupt compressed body ({exc})", url, resp.status_code) from None


def _check_scheme(url: str) -> None:
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError(f"refused to follow a {scheme or 'schemeless'}: URL", url)


def _describe(exc: httpx.HTTPError) -> str:
    """An httpx exception in words a person understands."""
    kinds: list[tuple[type[httpx.HTTPError], str]] = [
        (httpx.ConnectTimeout, "connection timed out"),
        (httpx.ReadTimeout, "server stopped sending"),
        (httpx.ConnectError, "could not connect"),
        (httpx.RemoteProtocolError, "connection broken mid-answer"),
        (httpx.ReadError, "connection reset"),
        (httpx.TooManyRedirects, "too many redirects"),
    ]
    for kind, words in kinds:
        if isinstance(exc, kind):
            detail = str(exc).strip()
            return f"{words} ({detail[:80]})" if detail else words
    return f"{type(exc).__name__}: {exc}".strip()
