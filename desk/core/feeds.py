"""Feed bytes -> Items: RSS 0.9x/1.0/2.0, Atom 0.3/1.0 (feedparser) and JSON Feed 1.x.

Parsers only ever see bytes, never a URL or a path (feedparser fetches
anything that looks like a URL with blocking urllib). XML that declares
entities is refused before parsing. A malformed feed yields what it can plus
a warning in words.
"""

from __future__ import annotations

import calendar
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from html import unescape
from typing import Any
from urllib.parse import urljoin

import feedparser

from desk.core.models import Item, short_hash

_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


class FeedParseError(ValueError):
    """The bytes are not a feed desk can read."""


@dataclass(frozen=True)
class ParsedFeed:
    """The items of one feed document, its title, and any warning."""

    title: str
    items: tuple[Item, ...]
    warning: str = ""


def parse_feed(body: bytes, feed_url: str, content_type: str = "") -> ParsedFeed:
    """Parse a feed document from bytes; raise FeedParseError if it is not one."""
    head = body[:2048].lstrip()
    if "json" in content_type or head.startswith(b"{"):
        return _parse_json_feed(body, feed_url)
    if _ENTITY_DECL.search(body[:65536]):
        raise FeedParseError("the XML declares entities, which desk refuses to expand")
    return _parse_xml_feed(body, feed_url)


def plain_text(markup: str) -> str:
    """Markup stripped and entities decoded, on one line."""
    return _SPACE.sub(" ", unescape(_TAG.sub(" ", markup))).strip()


def _parse_xml_feed(body: bytes, feed_url: str) -> ParsedFeed:
    headers = {"content-location": feed_url, "content-type": "application/xml"}
    parsed = feedparser.parse(body.lstrip(), response_headers=headers)
    if not parsed.entries and not parsed.feed.get("title"):
        reason = parsed.get("bozo_exception") or "no feed found"
        raise FeedParseError(f"not a feed ({_short(reason)})")
    items = tuple(_item_from_entry(entry, feed_url) for entry in parsed.entries)
    warning = f"malformed feed: {_short(parsed.bozo_exception)}" if parsed.bozo else ""
    return ParsedFeed(plain_text(parsed.feed.get("title", "")), items, warning)


def _short(reason: object) -> str:
    text = str(reason).strip().splitlines()[0] if str(reason).strip() else type(reason).__name__
    return text[:160]


def _item_from_entry(entry: Any, feed_url: str) -> Item:
    link = urljoin(feed_url, entry.get("link", "") or "")
    title = plain_text(entry.get("title", ""))
    # dict.get skips feedparser's deprecated updated->published fallback mapping.
    published = _struct_time(dict.get(entry, "published_parsed"))
    updated = _struct_time(dict.get(entry, "updated_parsed"))
    content = "\n".join(part.get("value", "") for part in entry.get("content", []) or [])
    authors = tuple(a.get("name", "") for a in entry.get("authors", []) if a.get("name"))
    ident = entry.get("id") or link or short_hash(title, str(published or updated or ""))
    return Item(
        feed_url=feed_url,
        id=str(ident),
        url=link,
        title=title,
        summary=entry.get("summary", "") or "",
        content=content,
        published=published or updated,
        updated=updated,
        authors=authors,
    )


def _struct_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, TypeError):
        return None


def _parse_json_feed(body: bytes, feed_url: str) -> ParsedFeed:
    try:
        doc = json.loads(body.decode("utf-8-sig", errors="replace"))
    except json.JSONDecodeError as exc:
        raise FeedParseError(f"invalid JSON at line {exc.lineno} col {exc.colno}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise FeedParseError("JSON without an 'items' list is not a JSON Feed")
    items = tuple(
        _item_from_json(entry, feed_url) for entry in doc["items"] if isinstance(entry, dict)
    )
    skipped = len(doc["items"]) - len(items)
    warning = f"{skipped} malformed items skipped" if skipped else ""
    return ParsedFeed(plain_text(str(doc.get("title", ""))), items, warning)


def _item_from_json(entry: dict[str, Any], feed_url: str) -> Item:
    link = urljoin(feed_url, str(entry.get("url") or entry.get("external_url") or ""))
    title = plain_text(str(entry.get("title") or ""))
    published = _iso_date(entry.get("date_published"))
    updated = _iso_date(entry.get("date_modified"))
    authors = entry.get("authors") or ([entry["author"]] if entry.get("author") else [])
    names = tuple(str(a.get("name")) for a in authors if isinstance(a, dict) and a.get("name"))
    ident = entry.get("id") or link or short_hash(title, str(published or ""))
    return Item(
        feed_url=feed_url,
        id=str(ident),
        url=link,
        title=title,
        summary=str(entry.get("summary") or ""),
        content=str(entry.get("content_html") or entry.get("content_text") or ""),
        published=published or updated,
        updated=updated,
        authors=names,
    )


def _iso_date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
