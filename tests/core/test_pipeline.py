"""Whole poll cycles over the demo served on loopback: HTTP, parsing, extraction, matching, store."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from desk.core.article.extract import Extracted, Extractor
from desk.core.match.watchlists import load_watchlists
from desk.core.models import Alert, Feed
from desk.core.pipeline import CycleResult, Poller
from desk.core.settings.config import Settings, shipped_watchlists_dir
from desk.core.store.tinystore import TinyStore
from desk.demo.server import DemoServer, demo_manifest
from tests.served import Site, served_site


def run_cycle(store: TinyStore, feeds: list[Feed], force: bool = True) -> CycleResult:
    poller = Poller(store, Settings(), list(load_watchlists(shipped_watchlists_dir()).watchlists))
    return asyncio.run(poller.run_once(feeds, force=force))


def demo_feeds(server: DemoServer) -> list[Feed]:
    return [Feed(url=url) for _, url in server.feed_urls()]


def slug(url: str) -> str:
    return url.rsplit("/", 1)[-1].removesuffix(".html")


@pytest.fixture
def store(tmp_path: Path) -> TinyStore:
    made = TinyStore(tmp_path / "data")
    yield made
    made.close()


def test_demo_alerts_match_the_manifest(demo_server: DemoServer, store: TinyStore) -> None:
    result = run_cycle(store, demo_feeds(demo_server))
    manifest = demo_manifest()
    assert all(not o.state.error for o in result.outcomes)
    assert result.new_items == 31
    raised = {slug(a.url): set(a.watchlists) for a in store.alerts()}
    originals = {s: e for s, e in manifest.items() if "rewrite of" not in e.get("note", "")}
    for page, entry in originals.items():
        assert raised.get(page, set()) == set(entry["expect"]), page
    for watchlist in ("troop-deployment", "technology-transfer", "icbm-reentry"):
        assert any(watchlist in ws for ws in raised.values())


def test_one_story_in_two_feeds_is_one_alert_with_both_sources(
    demo_server: DemoServer, store: TinyStore
) -> None:
    run_cycle(store, demo_feeds(demo_server))
    by_page = {slug(a.url): a for a in store.alerts()}
    assert "brazil-troops-roraima-border" not in by_page
    assert len(by_page["brazil-troops-guyana-border"].sources) == 2
    assert len(by_page["russia-iran-missile-tech-memo"].sources) == 2


def test_hits_point_into_the_stored_cleaned_article(
    demo_server: DemoServer, store: TinyStore
) -> None:
    run_cycle(store, demo_feeds(demo_server))
    for alert in store.alerts():
        article = store.get_article(alert.article_key)
        assert article is not None and article.source == "page"
        assert "spot_img" not in article.text and "Get in Touch" not in article.text
        for hit in alert.hits:  # another source's copy's phrases point into that copy
            if not hit.article_key:
                assert article.text[hit.start : hit.end] == hit.text


def test_a_second_cycle_is_all_not_modified_and_raises_nothing(
    demo_server: DemoServer, store: TinyStore
) -> None:
    feeds = demo_feeds(demo_server)
    run_cycle(store, feeds)
    before = store.alerts()
    again = run_cycle(store, feeds)
    assert [o.state.status for o in again.outcomes] == [304, 304, 304]
    assert again.new_items == 0 and again.alerts == []
    assert store.alerts() == before
    assert run_cycle(store, feeds, force=False).outcomes == []  # nothing due yet


def test_a_failing_feed_does_not_stop_the_others(demo_server: DemoServer, store: TinyStore) -> None:
    feeds = [*demo_feeds(demo_server), Feed(url=f"{demo_server.base_url}/feeds/missing.xml")]
    result = run_cycle(store, feeds)
    failed = [o for o in result.outcomes if o.state.error]
    assert len(failed) == 1 and "HTTP 404" in failed[0].state.error
    assert failed[0].state.failures == 1 and failed[0].state.next_due is not None
    assert result.new_items == 31


FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>Test Wire</title>
<item><title>{title}</title><link>{{{{BASE}}}}/story.html</link><guid>story-1</guid>
<description>{summary}</description></item></channel></rss>"""
PAGE = """<html><head><title>{title}</title></head><body><article><h1>{title}</h1>
<p>{body}</p><p>Officials gave no further details on Monday, and the ministry declined to
comment on the timing of the move or on the reports that followed it later in the week.</p>
</article></body></html>"""


def publish(site: Site, title: str, body: str) -> None:
    site.put("/feed.xml", FEED.format(title=title, summary=body[:60]), "application/rss+xml")
    site.put("/story.html", PAGE.format(title=title, body=body))


BOMB_ITEM = """<item><title>Bomb</title><link>{base}/bomb.html</link><guid>bomb</guid>
<description>A short summary.</description></item>"""


def test_a_gzipped_page_is_extracted_and_a_bomb_leaves_the_feed_text(store: TinyStore) -> None:
    """Pages go to the workers still compressed: a gzipped page is read in full, and one that
    unpacks past max_page_bytes is refused there (its item keeps its feed text)."""
    watchlists = list(load_watchlists(shipped_watchlists_dir()).watchlists)
    poller = Poller(store, Settings(max_page_bytes=1_000_000), watchlists)
    with served_site() as site:
        publish(site, "Troops sent north", "The army sent 2,000 troops to the northern border.")
        site.gzipped["/story.html"] = gzip.compress(site.pages.pop("/story.html")[0])
        bomb = "<html><body><p>" + "troops " * 400_000 + "</p></body></html>"
        site.gzipped["/bomb.html"] = gzip.compress(bomb.encode())
        feed = site.pages["/feed.xml"][0].decode()
        feed = feed.replace("</channel>", BOMB_ITEM.format(base=site.base) + "</channel>")
        site.pages["/feed.xml"] = (feed.encode(), "application/rss+xml")
        try:
            result = asyncio.run(poller.run_once([Feed(url=f"{site.base}/feed.xml")], force=True))
        finally:
            poller.close()
    assert result.new_items == 2
    seen = store.seen_since(datetime(2000, 1, 1, tzinfo=UTC))
    articles = {s.url.rsplit("/", 1)[-1]: store.get_article(s.key) for s in seen}
    story, refused = articles["story.html"], articles["bomb.html"]
    assert story is not None and story.source == "page" and "ministry declined" in story.text
    assert refused is not None and refused.source == "feed" and refused.text.endswith("summary.")


SILENT_ITEM = """<item><title>Story {n}</title><link>http://{host}/story-{n}.html</link>
<guid>silent-{n}</guid><description>Troops were sent to the border, story {n}.</description></item>"""


def test_pages_on_a_host_that_never_answers_are_given_up_for_the_cycle(store: TinyStore) -> None:
    """A host that accepts and never answers held a cycle for its request timeout a pair of
    pages at a time; after SILENT_HOST_LIMIT unanswered requests in a row its other pages
    are not requested this cycle, the feeds' text stands for them, and it is said."""
    import socket

    from desk.core.feeds.fetch import SILENT_HOST_LIMIT

    silent = socket.socket()
    silent.bind(("127.0.0.2", 0))
    silent.listen(64)  # accepted by the kernel, never read, never answered
    host = f"127.0.0.2:{silent.getsockname()[1]}"
    settings = Settings(request_timeout=0.5, max_per_host=2)
    poller = Poller(store, settings, list(load_watchlists(shipped_watchlists_dir()).watchlists))
    try:
        with served_site() as site:
            items = "".join(SILENT_ITEM.format(n=n, host=host) for n in range(12))
            site.put("/feed.xml", FEED.format(title="x", summary="y"), "application/rss+xml")
            feed = site.pages["/feed.xml"][0].decode().replace("</channel>", items + "</channel>")
            site.pages["/feed.xml"] = (feed.encode(), "application/rss+xml")
            result = asyncio.run(poller.run_once([Feed(url=f"{site.base}/feed.xml")], force=True))
    finally:
        poller.close()
        silent.close()
    assert result.new_items == 13  # every item kept, its feed text standing for its page
    seen = store.seen_since(datetime(2000, 1, 1, tzinfo=UTC))
    texts = [store.get_article(s.key) for s in seen if "story-" in s.url]
    assert len(texts) == 12 and all(a is not None and a.source == "feed" for a in texts)
    skipped = 12 - (SILENT_HOST_LIMIT + 1)  # two pairs timed out before the limit was seen
    said = [w for w in result.warnings if w.startswith(f"{host}: ")]
    assert said == [
        f"{host}: {skipped} article pages not requested this cycle: the host gave no answer "
        f"to {SILENT_HOST_LIMIT} requests in a row (their feeds' text was matched; the next "
        "cycle asks again)"
    ]


def test_an_updated_item_is_matched_again_but_never_duplicates_its_alert(
    store: TinyStore,
) -> None:
    with served_site() as site:
        feeds = [Feed(url=f"{site.base}/feed.xml")]
        publish(site, "Troops sent north", "The army sent 2,000 troops to the northern border.")
        first = run_cycle(store, feeds)
        assert [a.watchlists for a in first.alerts] == [("troop-deployment",)]
        publish(
            site,
            "Troops sent north",
            "The army sent 2,000 troops to the northern border. Officials also said the "
            "transfer of missile technology to the neighbour would continue.",
        )
        second = run_cycle(store, feeds)
        assert second.new_items == 1
        (alert,) = store.alerts()
        assert alert.id == first.alerts[0].id
        assert alert.watchlists == ("troop-deployment", "technology-transfer")
        article = store.get_article(alert.article_key)
        assert article is not None
        for hit in alert.hits:  # offsets point into the updated article, not the old one
            assert article.text[hit.start : hit.end] == hit.text
        assert run_cycle(store, feeds).new_items == 0  # unchanged: 304, nothing new
        assert len(store.alerts()) == 1


def test_a_permanent_redirect_moves_the_feed_and_a_temporary_one_does_not(
    store: TinyStore,
) -> None:
    with served_site() as site:
        publish(site, "Quiet day", "Nothing happened.")
        feeds = [Feed(url=f"{site.base}/old.xml"), Feed(url=f"{site.base}/temp.xml")]
        site.redirects.update({"/old.xml": (301, "/feed.xml"), "/temp.xml": (302, "/feed.xml")})
        run_cycle(store, feeds)
        states = store.feed_states()
        assert states[feeds[0].url].moved_to == f"{site.base}/feed.xml"
        assert states[feeds[1].url].moved_to is None
        site.requests.clear()
        run_cycle(store, feeds)
        assert "/old.xml" not in site.requests and "/temp.xml" in site.requests


def test_a_cycle_wakes_snoozed_alerts_and_prunes_old_items(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from desk.core import decide
    from desk.core.models import AlertState, Article, SeenItem
    from tests.core.test_store import alert

    now = datetime(2026, 11, 27, 12, tzinfo=UTC)
    store = TinyStore(tmp_path / "data", now=lambda: now - timedelta(days=60))
    store.commit_cycle(
        [SeenItem("ancient", "f", "u", "fp", now - timedelta(days=60))],
        {"ancient": Article(url="u", title="t", text="old")},
        [
            decide.snooze(alert(1), now - timedelta(minutes=1)),
            decide.snooze(alert(2), now + timedelta(hours=1)),
        ],
        [],
    )
    store.now = lambda: now
    poller = Poller(store, Settings(), [], now=lambda: now)
    asyncio.run(poller.run_once([], force=True))
    asyncio.run(poller.aclose())
    assert store.get_alert(alert(1).id).state is AlertState.NEW
    assert store.get_alert(alert(2).id).state is AlertState.SNOOZED
    assert store.seen(["ancient"]) == {}
    store.close()


def test_a_cycle_with_nothing_new_reads_only_the_snoozed_alerts(tmp_path: Path) -> None:
    """Waking snoozed alerts goes by the store's rows: a reopened store builds no other alert."""
    from datetime import UTC, datetime

    from desk.core import decide
    from desk.core.models import AlertState
    from tests.core.test_store import alert

    now = datetime(2026, 11, 27, 12, tzinfo=UTC)
    first = TinyStore(tmp_path / "data", now=lambda: now)
    first.commit_cycle([], {}, [decide.snooze(alert(1), now), *map(alert, range(2, 40))], [])
    first.close()
    store = TinyStore(tmp_path / "data", now=lambda: now)
    poller = Poller(store, Settings(), [], now=lambda: now)
    asyncio.run(poller.run_once([], force=True))
    asyncio.run(poller.aclose())
    assert store.get_alert(alert(1).id).state is AlertState.NEW
    assert set(store._cache) == {alert(1).id}  # the 38 others were never built
    store.close()


class DiskFullOnCommit(TinyStore):
    """A store whose `fail_at`-th commit fails as a full disk would (OSError ENOSPC)."""

    fail_at = 0
    commits = 0

    def commit_cycle(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        self.commits += 1
        if self.commits == self.fail_at:
            raise OSError(28, "No space left on device")
        super().commit_cycle(*args, **kwargs)  # type: ignore[arg-type]


def test_a_cycle_that_dies_half_way_keeps_its_finished_batches(tmp_path: Path) -> None:
    from desk.core.pipeline import COMMIT_BATCH

    count = 2 * COMMIT_BATCH + 50
    items = "".join(
        f"<item><title>Army deploys {n} troops to the border</title><guid>g{n}</guid>"
        f"<description>The army deployed {n} troops to the border region {n}.</description></item>"
        for n in range(count)
    )
    store = DiskFullOnCommit(tmp_path / "data")
    store.fail_at = 2
    settings = Settings(max_pages_per_cycle=count)  # no links: no page is fetched
    watchlists = list(load_watchlists(shipped_watchlists_dir()).watchlists)
    try:
        with served_site() as site:
            site.put(
                "/feed.xml", f"<rss><channel><title>W</title>{items}</channel></rss>", "text/xml"
            )
            feed = Feed(url=f"{site.base}/feed.xml")
            with pytest.raises(OSError):
                asyncio.run(Poller(store, settings, watchlists).run_once([feed], force=True))
            assert store.feed_states() == {}  # no ETag stored: the feed is read in full again
            first_batch = len(store.alerts())
            assert 0 < first_batch <= COMMIT_BATCH
            result = asyncio.run(Poller(store, settings, watchlists).run_once([feed], force=True))
            assert result.new_items == count - COMMIT_BATCH  # the first batch was kept
            assert len(store.alerts()) == count
            assert store.feed_states()[feed.url].etag
    finally:
        store.close()


class CountingAlertReads(TinyStore):
    """A store that counts how often every alert is read."""

    reads = 0

    def alerts(self) -> list[Alert]:
        self.reads += 1
        return super().alerts()


def test_a_cycle_reads_every_alert_once_however_many_batches_hit(tmp_path: Path) -> None:
    """The story index is built at the cycle's first hit and kept current, not built per batch."""
    from desk.core.pipeline import COMMIT_BATCH

    count = 2 * COMMIT_BATCH + 50
    items = "".join(
        f"<item><title>Army deploys {n} troops to the border</title><guid>g{n}</guid>"
        f"<description>The army deployed {n} troops to the border region {n}.</description></item>"
        for n in range(count)
    )
    store = CountingAlertReads(tmp_path / "data")
    opened = store.reads  # a new store checks its (no) alerts once when it opens
    watchlists = list(load_watchlists(shipped_watchlists_dir()).watchlists)
    try:
        with served_site() as site:
            site.put(
                "/feed.xml", f"<rss><channel><title>W</title>{items}</channel></rss>", "text/xml"
            )
            settings = Settings(max_pages_per_cycle=count, max_new_per_feed=count)
            poller = Poller(store, settings, watchlists)
            result = asyncio.run(poller.run_once([Feed(url=f"{site.base}/feed.xml")], force=True))
            asyncio.run(poller.aclose())
        assert len(result.alerts) == count  # three batches, every one with hits
        assert store.reads - opened == 1
    finally:
        store.close()


def test_a_body_found_lost_between_cycles_is_said_by_the_next_cycle(tmp_path: Path) -> None:
    """The TUI's article pane (or a re-match) finds a damaged segment between polls: the next
    cycle's notes carry it, so the TUI's toast and status line and `desk poll` say it."""
    store = TinyStore(tmp_path / "data")
    watchlists = list(load_watchlists(shipped_watchlists_dir()).watchlists)
    try:
        with served_site() as site:
            title = "Army deploys 300 troops to the Narva border"
            site.put(
                "/a.html",
                f"<html><body><article><h1>{title}</h1><p>The army has deployed 300 troops "
                "to the border, officials said. The soldiers were sent overnight.</p>"
                "</article></body></html>",
            )
            site.put(
                "/feed.xml",
                f"<rss><channel><title>W</title><item><title>{title}</title>"
                f"<link>{site.base}/a.html</link><guid>a</guid></item></channel></rss>",
                "text/xml",
            )
            feed = Feed(url=f"{site.base}/feed.xml")
            poller = Poller(store, Settings(), watchlists)
            asyncio.run(poller.run_once([feed], force=True))
            (alert,) = store.alerts()
            for segment in (tmp_path / "data" / "articles").glob("*.jsonl"):
                segment.write_bytes(b"\0" * segment.stat().st_size)
            assert store.get_article(alert.article_key) is None  # as the article pane asks
            result = asyncio.run(poller.run_once([feed], force=True))
            assert any("the bodies in it are lost" in note for note in result.notes)
            assert asyncio.run(poller.run_once([feed], force=True)).notes == []  # once
            asyncio.run(poller.aclose())
    finally:
        store.close()


class CountingExtractor(Extractor):
    """The real worker pool, counting the pages it has finished."""

    finished = 0

    async def extract_bytes(
        self,
        body: bytes,
        charset: str | None,
        decode: Callable[[bytes, str | None], str],
        url: str = "",
        site_junk: Iterable[str] = (),
        unpack: Callable[[bytes], bytes] | None = None,
    ) -> Extracted:
        """A page's bytes extracted in a worker, counted once it is done."""
        try:
            return await super().extract_bytes(body, charset, decode, url, site_junk, unpack)
        finally:
            self.finished += 1


def test_a_cycle_holds_a_bounded_number_of_fetched_pages(tmp_path: Path) -> None:
    """Pages are fetched only as fast as they are extracted: however many a batch has, at most
    pages_held_at_once() have been answered by the server and not yet extracted (before the
    bound, a batch of 200 was fetched at once and held until the slow extraction got to it)."""
    count = 120
    paragraph = "<p>" + "Officials said the harbour talks would resume next week. " * 40 + "</p>"
    page = f"<html><body><article><h1>Story</h1>{paragraph * 60}</article></body></html>"
    store = TinyStore(tmp_path / "data")
    poller = Poller(store, Settings(max_per_host=8), [])
    extractor = poller.extractor = CountingExtractor(workers=1)
    held: list[int] = []
    try:
        with served_site() as site:
            items = ""
            for n in range(count):
                site.put(f"/a/{n}.html", page.replace("Story", f"Story {n}"))
                items += f"<item><title>S{n}</title><link>{site.base}/a/{n}.html</link></item>"
            site.put("/feed.xml", f"<rss><channel><title>W</title>{items}</channel></rss>")
            site.on_request = lambda: held.append(len(site.requests) - extractor.finished)
            feed = Feed(url=f"{site.base}/feed.xml")
            result = asyncio.run(poller.run_once([feed], force=True))
    finally:
        poller.close()
        store.close()
    assert result.new_items == count
    assert extractor.finished == count  # every page went through the pool
    assert max(held) <= poller.pages_held_at_once() + 1  # the feed's own request counts too


def test_matching_gives_way_to_a_whole_chain_of_ready_callbacks() -> None:
    """A key on the screen is a chain of callbacks, each made ready by the last: matching lets
    the whole chain run between two of its slices, not one link per slice."""
    from desk.core.pipeline import _give_way

    async def turns_until_the_chain_ends(links: int) -> int:
        loop = asyncio.get_running_loop()
        ended = loop.create_future()

        def link(left: int) -> None:
            if left:
                loop.call_soon(link, left - 1)
            else:
                ended.set_result(None)

        loop.call_soon(link, links)
        turns = 0
        while not ended.done():
            turns += 1
            await _give_way(loop)
        return turns

    assert asyncio.run(turns_until_the_chain_ends(12)) == 1


def test_matching_gives_way_for_a_bounded_number_of_turns() -> None:
    """A loop whose ready queue never empties (another matcher giving way, an endless
    animation) gets at most MATCH_GIVES_WAY_TURNS turns, not the whole MATCH_GIVES_WAY."""
    from desk.core.pipeline import MATCH_GIVES_WAY_TURNS, _give_way

    async def ticks_while_giving_way() -> int:
        loop = asyncio.get_running_loop()
        ticks = [0]

        def tick() -> None:
            ticks[0] += 1
            handle[0] = loop.call_soon(tick)

        handle = [loop.call_soon(tick)]
        await _give_way(loop)
        handle[0].cancel()
        return ticks[0]

    assert 1 <= asyncio.run(ticks_while_giving_way()) <= MATCH_GIVES_WAY_TURNS + 1
