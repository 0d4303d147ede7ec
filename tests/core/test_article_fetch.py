"""Each new item's article in a real poll cycle: the page when it is good, else the feed's text."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from desk.core.article.extract import Extractor
from desk.core.feeds.parse import parse_feed
from desk.core.models import Article, Feed
from desk.core.pipeline import Poller
from desk.core.settings.config import Settings
from desk.core.store.contract import MemoryStore
from tests.served import Site, served_site

STORY = " ".join(
    f"Sentence {n}: the navy moved {n + 2} ships north of the island on Monday, officials said."
    for n in range(12)
)
GOOD_PAGE = f"""<html><head><title>Navy moves ships | Example Post</title>
<meta property="og:title" content="Navy moves ships north">
<meta name="author" content="Jane Doe">
<meta property="article:published_time" content="2026-11-25T10:00:00Z">
<link rel="canonical" href="{{{{BASE}}}}/canonical/good"></head>
<body><nav>Home World</nav><article><h1>Navy moves ships north</h1><p>{STORY}</p>
<p>Advertisement</p><p>The ships will stay for a month.</p></article></body></html>"""
SHORT_PAGE = """<html><head><link rel="canonical" href="{{BASE}}/canonical/short"></head>
<body><article><p>Paywall: subscribers only.</p></article></body></html>"""
PATHOLOGICAL = "<html><body>" + "<p>word " * 1_000_000 + "</body></html>"
FEED_TEXT = {
    "good": "Short teaser about the navy.",
    "slow": "The feed's own account of the slow story, which is long enough to read.",
    "pdf": "The feed's own account of the report in a PDF.",
    "short": "The feed's own account of the story, longer than the paywalled page gives.",
    "big": "The feed's own account of the very large page.",
}


def feed_xml(base: str) -> str:
    items = "".join(
        f"<item><title>Story {name}</title><link>{base}/{name}</link><guid>{name}</guid>"
        f"<author>desk@example.com (Feed Author)</author>"
        f"<description>{text}</description></item>"
        for name, text in FEED_TEXT.items()
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'
    )


def serve(site: Site) -> None:
    site.put("/feed.xml", feed_xml(site.base), "application/rss+xml")
    site.put("/good", GOOD_PAGE)
    site.put("/slow", PATHOLOGICAL)
    site.put("/pdf", "%PDF-1.7 not a web page", "application/pdf")
    site.put("/short", SHORT_PAGE)
    site.put("/big", "<html><body><p>" + "filler text " * 5_000 + "</p></body></html>")


def articles_by_name(site: Site, store: MemoryStore) -> dict[str, Article]:
    feed_url = f"{site.base}/feed.xml"
    items = parse_feed(feed_xml(site.base).encode(), feed_url, "application/rss+xml").items
    found = {item.id.rsplit("/", 1)[-1]: store.get_article(item.key) for item in items}
    return {name: article for name, article in found.items() if article is not None}


def test_pages_and_their_fallbacks_in_one_cycle() -> None:
    store = MemoryStore()
    with served_site() as site:
        serve(site)
        poller = Poller(store, Settings(max_page_bytes=40_000), [])
        poller.extractor = Extractor(workers=1, timeout=0.75)
        try:
            result = asyncio.run(poller.run_once([Feed(url=f"{site.base}/feed.xml")], force=True))
        finally:
            poller.close()
        got = articles_by_name(site, store)
    assert result.new_items == 5 and set(got) == set(FEED_TEXT)

    good = got["good"]
    assert good.source == "page"
    assert good.title == "Navy moves ships north"
    assert good.text.startswith("Navy moves ships north\n\nSentence 0: the navy moved 2 ships")
    assert "Advertisement" not in good.text and "The ships will stay for a month." in good.text
    assert good.byline == "Jane Doe"
    assert good.published == datetime(2026, 11, 25, 10, tzinfo=UTC)
    assert good.canonical_url == f"{site.base}/canonical/good"

    for name in ("slow", "pdf", "short", "big"):  # timed out, not HTML, thinner, over the cap
        assert got[name].source == "feed", name
        assert got[name].text == f"Story {name}\n\n{FEED_TEXT[name]}", name
    assert got["short"].canonical_url == f"{site.base}/canonical/short"


def test_links_no_resolver_can_take_leave_the_cycle_whole() -> None:
    links = {  # an empty label, a label over 63 characters, a broken IPv6 literal
        "dots": "http://news..example/odd",
        "long": f"http://{'a' * 70}.example/x",
        "ipv6": "http://[bad/x",
    }
    items = "".join(
        f"<item><title>Odd {name}</title><link>{link}</link><guid>{name}</guid>"
        f"<description>The feed's own text about {name}.</description></item>"
        for name, link in links.items()
    )
    store = MemoryStore()
    with served_site() as site:
        rss = f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'
        site.put("/feed.xml", rss, "application/rss+xml")
        poller = Poller(store, Settings(request_timeout=5.0), [])
        try:
            result = asyncio.run(poller.run_once([Feed(url=f"{site.base}/feed.xml")], force=True))
        finally:
            poller.close()
    assert result.new_items == 3 and not result.outcomes[0].state.error
    feed_url = f"{site.base}/feed.xml"
    for item in parse_feed(rss.encode(), feed_url, "application/rss+xml").items:
        article = store.get_article(item.key)
        assert article is not None and article.source == "feed", item.id
