"""Every item keeps its identity, and no item's field can fail its whole feed."""

from __future__ import annotations

import json

import pytest

from desk.core.feeds.parse import parse_feed

FEED = "https://feed.example/rss"


def rss(items: str, strict: bool = True) -> bytes:
    junk = "" if strict else "<p>unclosed"  # malformed: read by feedparser instead
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>T</title>"
        f"{items}{junk}</channel></rss>"
    ).encode()


def json_feed(items: list[object]) -> bytes:
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": items}).encode()


@pytest.mark.parametrize("strict", [True, False])
def test_items_sharing_a_guid_with_different_content_are_kept_apart(strict: bool) -> None:
    items = [
        f"<item><guid>same</guid><title>Story {n}</title><link>https://e.example/{n}</link></item>"
        for n in range(5)
    ]
    first = parse_feed(rss("".join(items), strict), FEED).items
    again = parse_feed(rss("".join(reversed(items)), strict), FEED).items
    assert len({item.key for item in first}) == 5
    assert {item.key for item in first} == {
        item.key for item in again
    }  # stable, whatever the order
    assert len({item.id.split("#")[0] for item in first}) == 1  # the guid, then its own suffix


def test_a_repeated_item_counts_once() -> None:
    item = "<item><guid>g</guid><title>Same</title><link>https://e.example/1</link></item>"
    parsed = parse_feed(rss(item * 3), FEED).items
    assert len({i.key for i in parsed}) == 1 and "#" not in parsed[0].id


@pytest.mark.parametrize("strict", [True, False])
def test_items_without_guid_link_title_or_date_are_told_apart_by_content(strict: bool) -> None:
    items = "".join(f"<item><description>Body {n}</description></item>" for n in range(3))
    parsed = parse_feed(rss(items, strict), FEED).items
    assert len({item.key for item in parsed}) == 3


def test_json_items_without_identity_are_told_apart_by_content() -> None:
    parsed = parse_feed(json_feed([{"content_text": f"Body {n}"} for n in range(3)]), FEED).items
    assert len({item.key for item in parsed}) == 3


@pytest.mark.parametrize(
    "date", ["0001-01-01T00:00:00+05:30", "9999-12-31T23:59:59-14:00", "not a date"]
)
def test_a_json_date_python_cannot_hold_is_no_date_for_that_item_alone(date: str) -> None:
    items = [
        {"id": "bad", "title": "Bad date", "date_published": date},
        {"id": "good", "title": "Good", "date_published": "2026-11-27T09:00:00Z"},
    ]
    parsed = parse_feed(json_feed(items), FEED).items
    assert [(i.id, i.published is None) for i in parsed] == [("bad", True), ("good", False)]


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize(
    "date", ["Mon, 01 Jan 0001 00:00:00 +1400", "Fri, 31 Dec 9999 23:59:59 -1400"]
)
def test_an_rss_date_outside_what_python_holds_is_no_date(strict: bool, date: str) -> None:
    item = f"<item><guid>g</guid><title>T</title><pubDate>{date}</pubDate></item>"
    (parsed,) = parse_feed(rss(item, strict), FEED).items
    assert parsed.published is None


def test_an_unreadable_json_item_is_skipped_and_said_not_the_feed() -> None:
    items = [{"id": "ok", "title": "Fine"}, {"id": "odd", "title": "x", "authors": "not a list"}]
    items.append({"id": "deep", "title": {"nested": [1, 2]}})
    parsed = parse_feed(json_feed(items), FEED)
    assert "ok" in {i.id for i in parsed.items}
    assert len(parsed.items) + int(parsed.warning.split()[0] if parsed.warning else 0) == 3
