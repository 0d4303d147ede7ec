"""Junk learned per site: counting, thresholds, bounds, persistence, and the pipeline using it."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from desk.core.article.sitejunk import SiteLines, learnable_lines, page_id, site_of
from desk.core.feeds.parse import parse_feed
from desk.core.models import Feed
from desk.core.pipeline import Poller
from desk.core.settings.config import Settings
from desk.core.store.contract import MemoryStore
from desk.core.store.tinystore import TinyStore
from tests.served import served_site

PLUG = "The Harbour Ledger has been the port's own paper since 1921"


def test_a_line_becomes_junk_on_its_threshold_page() -> None:
    learned = SiteLines(threshold=3)
    junk = []
    for i in range(4):
        assert learned.observe("news.example", f"p{i}", ["a shared line", f"story {i}"])
        junk.append(learned.junk_for("news.example"))
    assert junk == [frozenset(), frozenset(), {"a shared line"}, {"a shared line"}]
    assert learned.junk_for("other.example") == frozenset()


def test_a_background_sentence_on_some_stories_stays_while_theme_text_goes() -> None:
    learned = SiteLines(threshold=5)
    background = "russia invaded ukraine in february 2022."
    for page in range(20):
        lines = ["theme footer line", f"story line {page}"]
        if page % 4 == 0:  # one story in four is about the war
            lines.append(background)
        learned.observe("wire.example", f"p{page}", lines)
    assert learned.junk_for("wire.example") == {"theme footer line"}


def test_a_new_theme_line_is_learned_on_a_site_already_known() -> None:
    learned = SiteLines(threshold=3)
    for page in range(50):
        learned.observe("news.example", f"old{page}", [f"story {page}"])
    for page in range(3):
        learned.observe("news.example", f"new{page}", ["redesigned footer", f"story new {page}"])
    assert learned.junk_for("news.example") == {"redesigned footer"}


def test_the_same_page_counts_once() -> None:
    learned = SiteLines(threshold=2)
    learned.observe("news.example", "p1", ["line"])
    assert not learned.observe("news.example", "p1", ["line"])
    assert learned.junk_for("news.example") == frozenset()


def test_sites_are_learned_apart() -> None:
    learned = SiteLines(threshold=2)
    learned.observe("a.example", "p1", ["line"])
    learned.observe("b.example", "p2", ["line"])
    assert learned.junk_for("a.example") == frozenset()


def test_memory_is_bounded() -> None:
    learned = SiteLines(threshold=2, max_hosts=3, max_lines=50, max_pages=10)
    for page in range(200):
        learned.observe(
            "news.example", f"p{page}", ["every page", *(f"line {page} {n}" for n in range(5))]
        )
    entry = learned.hosts["news.example"]
    assert len(entry.counts) <= 50 and len(entry.pages) <= 10
    assert "every page" in learned.junk_for("news.example")  # frequent lines survive trimming
    for host in range(10):
        learned.observe(f"h{host}.example", "p", ["x"])
    assert len(learned.hosts) == 3


def test_json_round_trip_and_malformed_data() -> None:
    learned = SiteLines(threshold=2)
    for page in ("p1", "p2"):
        learned.observe("news.example", page, ["shared", page])
    again = SiteLines.from_json(learned.to_json(), threshold=2)
    assert again.junk_for("news.example") == {"shared"}
    assert not again.observe("news.example", "p2", ["shared"])  # remembered page
    for junk in (None, [], {"version": 99}, {"version": 1, "hosts": {"h": {"pages": 3}}}):
        assert SiteLines.from_json(junk).hosts == {}


def test_learnable_lines_are_short_distinct_keys() -> None:
    blocks = [["Sign up  for OUR digest", "x" * 300], ["sign up for our digest", "Z"]]
    assert learnable_lines(blocks) == ("sign up for our digest",)


def test_site_and_page_ids() -> None:
    assert site_of("https://WWW.News.Example:8443/a?b=1") == "news.example"
    assert page_id("https://news.example/a") == page_id("https://news.example/a")
    assert page_id("https://news.example/a") != page_id("https://news.example/b")


def test_both_stores_keep_site_lines(tmp_path: Path) -> None:
    data = {
        "version": 1,
        "tick": 3,
        "hosts": {"news.example": {"last_seen": 3, "pages": ["p"], "lines": {"x": [3, 3]}}},
    }
    memory = MemoryStore()
    assert memory.site_lines() == {}
    memory.save_site_lines(data)
    assert memory.site_lines() == data
    store = TinyStore(tmp_path / "data")
    assert store.site_lines() == {}
    store.save_site_lines(data)
    store.close()
    reopened = TinyStore(tmp_path / "data")
    assert reopened.site_lines() == data
    reopened.close()


def _story_page(number: int) -> str:
    sentences = " ".join(
        f"Sentence {n} of story {number} says the harbour authority moved {n + number} ships today."
        for n in range(8)
    )
    return f"""<html><head><title>Harbour story {number}</title></head><body><article>
    <h1>Harbour story {number}</h1><p>{sentences}</p><p>{PLUG}</p>
    <p>The port reopened at noon on day {number}, officials said, after the storm passed.</p>
    </article></body></html>"""


def _feed(base: str, numbers: range) -> str:
    items = "".join(
        f"<item><title>Harbour story {n}</title><link>{base}/s{n}.html</link><guid>s{n}</guid>"
        f"<description>Story {n}.</description></item>"
        for n in numbers
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Ledger</title>{items}</channel></rss>'


def test_the_pipeline_learns_a_sites_plug_and_drops_it(tmp_path: Path) -> None:
    store = TinyStore(tmp_path / "data")
    with served_site() as site:
        for n in range(8):
            site.put(f"/s{n}.html", _story_page(n))
        site.put("/feed.xml", _feed(site.base, range(6)), "application/rss+xml")
        feeds = [Feed(url=f"{site.base}/feed.xml")]
        poller = Poller(store, Settings(), [])
        try:
            asyncio.run(poller.run_once(feeds, force=True))
            first = store.get_article(_key(site.base, "Harbour story 0"))
            assert first is not None and PLUG in first.text  # not junk yet: one cycle in parallel
            site.put("/feed.xml", _feed(site.base, range(8)), "application/rss+xml")
            asyncio.run(poller.run_once(feeds, force=True))
        finally:
            poller.close()
        late = [store.get_article(_key(site.base, f"Harbour story {n}")) for n in (6, 7)]
        texts = [article.text for article in late if article is not None]
        assert len(texts) == 2 and all(
            PLUG not in text and "port reopened" in text for text in texts
        )
    assert site_of(site.base) in store.site_lines()["hosts"]  # saved on close
    store.close()


def _key(base: str, title: str) -> str:
    """The store key of the feed item with this title."""
    items = parse_feed(
        _feed(base, range(8)).encode(), f"{base}/feed.xml", "application/rss+xml"
    ).items
    return next(item.key for item in items if item.title == title)


def test_the_junk_kept_up_page_by_page_is_the_junk_counted_afresh() -> None:
    """junk_for looks only at lines seen on `threshold` pages: after every page, a trim of the
    lines and a save and load, it is what the rule gives over every counted line."""
    rng = random.Random(7)
    lines = SiteLines(max_lines=60)
    theme = [f"theme line {n}" for n in range(8)]
    for number in range(300):
        host = f"site{number % 3}.example"
        shown = rng.sample(theme, 5) + [f"story line {rng.randrange(400)}" for _ in range(12)]
        lines.observe(host, f"page{number}", shown)
        if number % 50 == 49:
            lines = SiteLines.from_json(lines.to_json(), max_lines=60)
        entry = lines.hosts[host]
        afresh = {line for line, seen in entry.counts.items() if lines._is_junk(entry, seen)}
        assert lines.junk_for(host) == afresh
    assert any(lines.junk_for(f"site{n}.example") for n in range(3))


def test_counts_are_left_alone_by_the_garbage_collector() -> None:
    """At its limits SiteLines holds 600,000 counts: as lists, every full collection walked them
    (79 ms on this machine, while the desk's screen waited); tuples of ints are untracked."""
    import gc

    learned = SiteLines()
    for page in range(6):
        learned.observe("news.example", f"p{page}", ["menu", "footer", f"story {page}"])
    gc.collect()
    counts = learned.hosts["news.example"].counts
    assert not any(gc.is_tracked(seen) for seen in counts.values())
    assert learned.junk_for("news.example") == {"menu", "footer"}
