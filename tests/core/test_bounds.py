"""Bounded per feed and per cycle, and no article link from a public feed into a private network."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from desk.core import decide
from desk.core.errors import DeskError
from desk.core.feeds.fetch import Fetcher, is_private_host
from desk.core.match.watchlists import load_watchlists
from desk.core.models import Feed, Item
from desk.core.pipeline import Poller
from desk.core.settings.config import Settings, shipped_watchlists_dir
from desk.core.store.tinystore import TinyStore
from tests.served import Site, served_site, serving


def test_within_caps_takes_per_feed_and_per_cycle_in_feed_order() -> None:
    a, b = Feed(url="https://a.example/"), Feed(url="https://b.example/")
    todo = [(a, Item(a.url, f"a{n}", "", "")) for n in range(5)]
    todo += [(b, Item(b.url, f"b{n}", "", "")) for n in range(3)]
    taken, waiting = decide.within_caps(todo, per_feed=2, pages=None)
    assert [item.id for _, item in taken] == ["a0", "a1", "b0", "b1"]
    assert waiting == {a.url: 3, b.url: 1}
    taken, waiting = decide.within_caps(todo, per_feed=10, pages=6)
    assert len(taken) == 6 and waiting == {b.url: 2}


def feed_of(site: Site, count: int, links: bool = False) -> Feed:
    items = "".join(
        f"<item><title>Story {n}</title><guid>g{n}</guid>"
        + (f"<link>{{{{BASE}}}}/a/{n}.html</link>" if links else "")
        + f"<description>Words of story {n}.</description></item>"
        for n in range(count)
    )
    site.put("/feed.xml", f"<rss><channel><title>F</title>{items}</channel></rss>", "text/xml")
    for n in range(count):
        site.put(f"/a/{n}.html", f"<html><body><p>Page {n} text.</p></body></html>")
    return Feed(url=f"{site.base}/feed.xml")


def cycle(store: TinyStore, settings: Settings, feed: Feed) -> int:
    watchlists = list(load_watchlists(shipped_watchlists_dir()).watchlists)
    result = asyncio.run(Poller(store, settings, watchlists).run_once([feed], force=True))
    return result.new_items


def test_a_huge_feed_is_taken_a_few_hundred_items_a_cycle(tmp_path: Path) -> None:
    store = TinyStore(tmp_path / "data")
    settings = Settings(fetch_articles=False, max_new_per_feed=300)
    try:
        with served_site() as site:
            feed = feed_of(site, 700)
            assert cycle(store, settings, feed) == 300
            state = store.feed_states()[feed.url]
            assert state.etag is None and "400 new items over this cycle's caps" in state.warning
            assert decide.is_due(state, state.last_attempt)  # due again at once
            assert cycle(store, settings, feed) == 300
            assert cycle(store, settings, feed) == 100
            assert store.feed_states()[feed.url].etag  # all taken: conditional GETs again
            assert cycle(store, settings, feed) == 0
    finally:
        store.close()


def test_page_requests_per_cycle_are_capped(tmp_path: Path) -> None:
    store = TinyStore(tmp_path / "data")
    settings = Settings(max_pages_per_cycle=5)
    try:
        with served_site() as site:
            feed = feed_of(site, 12, links=True)
            assert cycle(store, settings, feed) == 5
            assert sum(path.startswith("/a/") for path in site.requests) == 5
            assert cycle(store, settings, feed) == 5
            assert cycle(store, settings, feed) == 2
            assert sum(path.startswith("/a/") for path in site.requests) == 12
    finally:
        store.close()


@pytest.mark.parametrize(
    ("url", "private"),
    [
        ("http://127.0.0.1/x", True),
        ("http://127.0.0.2:8080/x", True),
        ("http://10.1.2.3/x", True),
        ("http://192.168.0.10/x", True),
        ("http://169.254.169.254/latest/meta-data", True),  # cloud metadata
        ("http://[::1]/x", True),
        ("http://[::ffff:127.0.0.1]/x", True),
        ("http://0.0.0.0/x", True),
        ("http://localhost/x", True),  # a name that resolves to loopback
        ("http://100.64.0.1/x", True),  # shared address space (carrier-grade NAT)
        ("http://[64:ff9b::7f00:1]/x", True),  # NAT64 of 127.0.0.1
        ("http://[2002:7f00:1::]/x", True),  # 6to4 of 127.0.0.1
        ("http://8.8.8.8/x", False),
        ("http://[2001:4860:4860::8888]/x", False),
    ],
)
def test_private_addresses_are_known_by_address_and_by_name(url: str, private: bool) -> None:
    assert asyncio.run(is_private_host(url)) is private


def test_an_article_link_from_a_public_feed_into_a_private_network_is_refused() -> None:
    async def fetch(url: str) -> None:
        fetcher = Fetcher(Settings())
        try:
            await fetcher.get(url, max_bytes=10_000, private_ok=False)
        finally:
            await fetcher.aclose()

    with served_site() as site:
        site.put("/secret", "internal admin page")
        with pytest.raises(DeskError, match="refused: the link leads from a feed on a public host"):
            asyncio.run(fetch(f"{site.base}/secret"))
        assert "/secret" not in site.requests  # refused before connecting


PUBLIC_ANSWER = "93.184.215.14"
"""What the rebinding resolver says first: a public address (never connected to here)."""


class RebindingLoop(asyncio.SelectorEventLoop):
    """An event loop whose resolver answers `rebind.test` as a rebinding DNS server would.

    Each lookup takes the next of `answers` (the last one repeats). Its
    connects reach loopback only, so a test never leaves the machine.
    """

    def __init__(self, answers: list[str]) -> None:
        super().__init__()
        self.answers = answers
        self.lookups = 0

    async def getaddrinfo(self, host: Any, port: Any, **kwargs: Any) -> Any:
        if host != "rebind.test":
            return await super().getaddrinfo(host, port, **kwargs)
        answer = self.answers[min(self.lookups, len(self.answers) - 1)]
        self.lookups += 1
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (answer, int(port)))]

    async def sock_connect(self, sock: socket.socket, address: Any) -> None:
        if not ipaddress.ip_address(address[0]).is_loopback:
            raise ConnectionRefusedError(f"the test loop connects to loopback only, not {address}")
        await super().sock_connect(sock, address)


def fetch_on(loop: RebindingLoop, *gets: tuple[str, bool]) -> list[str]:
    """GET each (url, private_ok) in turn with one Fetcher on `loop`; each body or error."""

    async def run() -> list[str]:
        fetcher = Fetcher(Settings())
        said = []
        try:
            for url, private_ok in gets:
                try:
                    result = await fetcher.get(url, max_bytes=10_000, private_ok=private_ok)
                    said.append(result.body.decode())
                except DeskError as exc:
                    said.append(str(exc))
        finally:
            await fetcher.aclose()
        return said

    with asyncio.Runner(loop_factory=lambda: loop) as runner:
        return runner.run(run())


def test_a_name_that_rebinds_to_loopback_after_the_check_is_refused() -> None:
    """Public for the check, 127.0.0.1 for the connect: the connect uses the one answer it checked."""
    with served_site() as site:
        site.put("/secret", "internal admin page")
        port = site.base.rsplit(":", 1)[1]
        loop = RebindingLoop([PUBLIC_ANSWER, "127.0.0.1"])
        [said] = fetch_on(loop, (f"http://rebind.test:{port}/secret", False))
        assert said.startswith("refused: the link leads from a feed on a public host")
        assert "/secret" not in site.requests


class KeepAlive(BaseHTTPRequestHandler):
    """Serves its path back over HTTP/1.1 keep-alive, so the pool keeps the connection idle."""

    protocol_version = "HTTP/1.1"
    asked: list[str] = []

    def do_GET(self) -> None:
        self.asked.append(self.path)
        body = self.path.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


def test_a_public_only_request_does_not_reuse_a_connection_to_a_private_peer() -> None:
    """A feed fetch (private allowed) leaves an idle connection to 127.0.0.1 under the name;
    a public-only request to the same origin, checked public by name, must not take it."""
    KeepAlive.asked = []
    with serving(KeepAlive) as base:
        port = base.rsplit(":", 1)[1]
        loop = RebindingLoop(["127.0.0.1", PUBLIC_ANSWER, "127.0.0.1"])
        said = fetch_on(
            loop,
            (f"http://rebind.test:{port}/feed", True),
            (f"http://rebind.test:{port}/feed-again", True),  # the idle connection is reused
            (f"http://rebind.test:{port}/secret", False),
        )
    assert said[:2] == ["/feed", "/feed-again"]  # one connection, one lookup for both
    assert loop.lookups == 3  # that one, the early check, and the public-only request's own
    assert said[2].startswith("refused: the link leads from a feed on a public host")
    assert KeepAlive.asked == ["/feed", "/feed-again"]


def test_a_public_only_request_still_connects_to_a_public_address() -> None:
    """The refusal is not a blanket one: a public answer is connected to (here the test loop
    refuses it, being loopback-only), with the address it was given."""
    with served_site() as site:
        site.put("/page", "public page")
        port = site.base.rsplit(":", 1)[1]
        loop = RebindingLoop([PUBLIC_ANSWER])  # public throughout: the connect goes there
        [said] = fetch_on(loop, (f"http://rebind.test:{port}/page", False))
        assert "could not connect" in said and PUBLIC_ANSWER in said  # the test loop refused it
        assert site.requests == []
