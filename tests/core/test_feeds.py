"""Feed parsing: the three demo formats, the corpus of quirky real feeds, and refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from desk.core.feeds.parse import FeedParseError, parse_feed
from desk.demo.server import DEMO_DIR

BASE = "http://127.0.0.1:9"


def demo_feed(name: str) -> bytes:
    return (
        (DEMO_DIR / "feeds" / name).read_text(encoding="utf-8").replace("{{BASE}}", BASE).encode()
    )


@pytest.mark.parametrize("name", ["wire.xml", "world.atom", "briefing.json"])
def test_demo_feeds_in_each_format(name: str) -> None:
    parsed = parse_feed(demo_feed(name), f"{BASE}/feeds/{name}")
    assert parsed.title and parsed.warning == ""
    assert len(parsed.items) >= 10
    for item in parsed.items:
        assert item.title and item.id
        assert item.url.startswith(f"{BASE}/articles/") and item.url.endswith(".html")
        assert item.published is not None and item.published.utcoffset().total_seconds() == 0
        assert "<" not in item.title


def test_relative_links_resolve_against_the_feed() -> None:
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
    <item><title>A &amp; B <b>bold</b></title><link>/a/1</link></item></channel></rss>"""
    (item,) = parse_feed(body, "https://news.example/feeds/rss").items
    assert item.url == "https://news.example/a/1"
    assert item.title == "A & B bold"
    assert item.id == "https://news.example/a/1"


def test_entity_declarations_are_refused() -> None:
    body = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">
    <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><rss><channel><title>&b;</title></channel></rss>"""
    with pytest.raises(FeedParseError, match="declares entities"):
        parse_feed(body, "https://x.example/")


@pytest.mark.parametrize("body", [b"", b"<html><body><p>Hello</p></body></html>", b"{}", b"{oops"])
def test_not_a_feed(body: bytes) -> None:
    with pytest.raises(FeedParseError):
        parse_feed(body, "https://x.example/")


def test_every_corpus_feed_parses_without_exception(shared_dir: Path) -> None:
    files = [p for p in sorted((shared_dir / "corpus" / "feeds").rglob("*")) if p.is_file()]
    files = [p for p in files if p.suffix != ".txt"]
    assert len(files) > 50
    parsed_items = 0
    for path in files:
        try:
            parsed = parse_feed(path.read_bytes(), "https://feed.example/")
        except FeedParseError:
            continue  # fragments that are not feeds: refused in words, not raised as a crash
        parsed_items += len(parsed.items)
        for item in parsed.items:
            assert "Ã" not in item.title and "â€" not in item.title, (path.name, item.title)
    assert parsed_items > 1000


def test_latin1_feed_decodes(shared_dir: Path) -> None:
    path = shared_dir / "corpus" / "feeds" / "rss-parser" / "uolNoticias.rss"
    parsed = parse_feed(path.read_bytes(), "https://feed.example/")
    titles = " ".join(item.title for item in parsed.items)
    assert any(c in titles for c in "ãçéíó")
    assert "\ufffd" not in titles


def test_a_web_page_is_said_to_be_one() -> None:
    page = b"<!-- served by nginx -->\n<!DOCTYPE html><html><head><title>News</title></head><body></body></html>"
    with pytest.raises(FeedParseError, match="not a feed but a web page"):
        parse_feed(page, "https://news.example/")


def test_the_tolerant_parsers_complaint_is_in_words() -> None:
    with pytest.raises(FeedParseError) as caught:
        parse_feed(b"<notes>\n<a></b></notes>", "https://news.example/feed")
    assert str(caught.value) == "not a feed (mismatched tag)"


def test_feed_kind_knows_a_feed_by_its_root_not_by_quoted_xml() -> None:
    from desk.core.feeds.parse import feed_kind

    assert feed_kind('<?xml version="1.0"?>\n<!-- a comment -->\n<rss version="2.0">') == "RSS"
    assert feed_kind('\ufeff<feed xmlns="http://www.w3.org/2005/Atom">') == "Atom"
    assert feed_kind("<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>") == "RDF"
    assert feed_kind('{"version": "https://jsonfeed.org/version/1.1", "items": []}') == "JSON"
    assert feed_kind("<html><body><pre>&lt;rss&gt;</pre><p>feed</p></body></html>") is None
    assert feed_kind('{"title": "not a feed"}') is None
    assert feed_kind(' \ufeff<atom:feed xmlns:atom="http://www.w3.org/2005/Atom">') == "Atom"
    assert feed_kind('<?xml version="1.0"?><!DOCTYPE rss [<!ELEMENT x ANY>]><rss>') == "RSS"
    assert feed_kind('{"version": "https:\\/\\/jsonfeed.org\\/version\\/1.1"}') == "JSON"
    # comments cannot run into one another: 300 of them once took minutes (each doubled it)
    assert feed_kind("<!-- a -->" * 500 + "<rss>") is None  # past the first 4 KB
    assert feed_kind("<!-- a -->" * 100 + "<rss>") == "RSS"
    assert feed_kind("<!-- a --" * 300 + "<html>") is None


def test_a_web_page_behind_many_comments_is_told_at_once() -> None:
    """The comments before <html> could run into one another: 22 took 0.6 s, each more doubled it."""
    from desk.core.feeds.parse import FeedParseError, parse_feed

    with pytest.raises(FeedParseError, match="not a feed but a web page"):
        parse_feed(b"<!-- x -->" * 500 + b"<html><body>hi</body></html>", "http://x.test/feed")
