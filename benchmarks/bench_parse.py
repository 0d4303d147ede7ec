"""Feed parsing speed: desk's lxml fast path beside feedparser alone, in one process.

Parses every feed of ../shared/corpus/feeds (when present) and a generated
50-item, ~120 KB RSS 2.0 feed (issue 3's cold poll is 200 such feeds), with
`parse_feed` (the fast path, falling back to feedparser on malformed XML) and
with desk's feedparser path alone, and with fastfeedparser if it happens to be
installed (it is not a dependency). Prints milliseconds per feed.

    python benchmarks/bench_parse.py [path/to/corpus/feeds]
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from lxml import etree

from desk.core.feeds import parse as feeds
from desk.core.feeds.charset import utf8_document
from desk.core.feeds.parse import FeedParseError, parse_feed
from desk.core.feeds.strictxml import strict_parser

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "feeds"
FEED_URL = "https://news.example/feeds/world.xml"
ROUNDS = 5

Parser = Callable[[bytes], object]


def generated_feed(items: int = 50) -> bytes:
    """An RSS 2.0 feed shaped like a news wire's: ~2.4 KB per item, dc:creator, content:encoded."""
    start = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        "<title>World news</title><link>https://news.example/world</link>"
        "<description>Generated for the benchmark</description>"
    ]
    paragraph = (
        "<p>Officials said on Tuesday that talks on the border crossing would resume next week, "
        "after a pause of almost a month, and that both delegations had agreed an agenda.</p>"
    )
    for n in range(items):
        when = format_datetime(start - timedelta(minutes=17 * n))
        parts.append(
            f"<item><title>Talks on border crossing to resume &amp; more, story {n}</title>"
            f"<link>https://news.example/world/2025/03/story-{n}.html</link>"
            f'<guid isPermaLink="false">news-example-{n:06d}</guid>'
            f"<pubDate>{when}</pubDate><dc:creator>Staff reporter {n % 7}</dc:creator>"
            f"<category>World</category><category>Diplomacy</category>"
            f"<description><![CDATA[{paragraph * 3}]]></description>"
            f"<content:encoded><![CDATA[{paragraph * 9}]]></content:encoded></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")


def corpus_feeds(folder: Path) -> list[tuple[str, bytes]]:
    """Every RSS/Atom file of the corpus that desk reads as a feed (fragments left out)."""
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(
        p for p in folder.rglob("*") if p.is_file() and p.suffix in (".xml", ".rss", ".atom")
    ):
        body = path.read_bytes()
        try:
            parse_feed(body, FEED_URL)
        except FeedParseError:
            continue
        found.append((path.name, body))
    return found


def on_fast_path(body: bytes) -> bool:
    """Whether parse_feed reads this document with lxml (not malformed, RSS or Atom)."""
    xml, _ = utf8_document(body.lstrip(), None)
    return feeds._parse_strictly(xml, FEED_URL)[0] is not None


def feedparser_only(body: bytes) -> object:
    """desk's feedparser path on its own, the way parse_feed read every feed before issue 3."""
    xml, _ = utf8_document(body.lstrip(), None)
    return feeds._parse_leniently(xml, FEED_URL)


def fastfeedparser_or_none() -> Parser | None:
    """fastfeedparser's parse, if it is installed in this environment."""
    try:
        import fastfeedparser  # type: ignore[import-not-found]
    except ImportError:
        return None
    return lambda body: fastfeedparser.parse(body)


def ms_per_feed(parse: Parser, bodies: list[bytes]) -> float:
    """Best of ROUNDS runs over all bodies, in milliseconds per feed."""
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for body in bodies:
            with contextlib.suppress(Exception):  # fastfeedparser raises on some: still timed
                parse(body)
        best = min(best, time.perf_counter() - started)
    return best * 1000 / len(bodies)


def main(argv: list[str]) -> None:
    """Print ms per feed for each parser on the corpus and on the generated feed."""
    folder = Path(argv[1]) if len(argv) > 1 else DEFAULT_CORPUS
    corpus = corpus_feeds(folder)
    generated = generated_feed()
    fast_corpus = [body for _, body in corpus if on_fast_path(body)]
    fast_ms = float("nan")
    parsers: list[tuple[str, Parser | None]] = [
        ("desk parse_feed (lxml fast path)", lambda body: parse_feed(body, FEED_URL)),
        ("desk feedparser path alone", feedparser_only),
        ("fastfeedparser (optional)", fastfeedparser_or_none()),
    ]
    print(f"generated feed: 50 items, {len(generated) / 1024:.0f} KB")
    if corpus:
        size = sum(len(body) for _, body in corpus) / len(corpus) / 1024
        print(
            f"corpus: {len(corpus)} feeds, {size:.0f} KB on average, {len(fast_corpus)} on the fast path"
        )
    else:
        print(f"corpus: not found at {folder}, skipped")
    print(f"{'ms per feed':36} {'corpus':>8} {'fast-path corpus':>17} {'generated':>10}")
    for name, parse in parsers:
        if parse is None:
            print(f"{name:36} skipped: not installed (pip install fastfeedparser to compare)")
            continue
        on_corpus = ms_per_feed(parse, [body for _, body in corpus]) if corpus else float("nan")
        on_fast = ms_per_feed(parse, fast_corpus) if fast_corpus else float("nan")
        on_generated = ms_per_feed(parse, [generated] * 20)
        print(f"{name:36} {on_corpus:8.2f} {on_fast:17.2f} {on_generated:10.2f}")
        if name.startswith("desk parse_feed"):
            fast_ms = on_generated
    lxml_ms = ms_per_feed(lambda body: etree.fromstring(body, strict_parser()), [generated] * 20)
    print(
        f"\nfast path on the generated feed: {lxml_ms:.2f} ms in lxml, the rest in desk's reading"
    )
    print(
        f"200 such feeds (issue 3's cold poll), parsing alone: {fast_ms * 200:.0f} ms on one core"
    )


if __name__ == "__main__":
    main(sys.argv)
