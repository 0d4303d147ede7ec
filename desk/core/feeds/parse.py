"""Feed bytes -> Items: RSS 0.9x/1.0/2.0, Atom 0.3/1.0 and JSON Feed 1.x.

This module is the public face of feed parsing and the choice between its
paths. Parsers only ever see bytes, never a URL or a path (feedparser fetches
anything that looks like a URL with blocking urllib). XML that declares
entities is refused before parsing.

XML has its charset settled (see charset) and takes the fast path, the strict
lxml reader (see feedxml). A document lxml rejects (a bare ``&``, an
undefined ``&nbsp;``, an unbound prefix...) goes to feedparser here, which is
tolerant and twenty times slower, and the feed gets a warning in words. JSON
Feed is read here too.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import feedparser

from desk.core.errors import plural
from desk.core.feeds.charset import utf8_document
from desk.core.feeds.dates import from_struct_time, parse_date, parse_json_feed_date
from desk.core.feeds.strictxml import MalformedXML, read_strictly
from desk.core.feeds.text import (
    TITLE_MAX,
    author_names,
    clean_title,
    fallback_id,
    join_url,
    short_reason,
)
from desk.core.models import Item, short_hash
from desk.core.safetext import without_sequences

__all__ = [
    "TITLE_MAX",
    "FeedParseError",
    "NeedsTolerantParser",
    "ParsedFeed",
    "feed_kind",
    "parse_feed",
]

_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_MAY_HOLD_C1 = re.compile(rb"\xc2[\x90\x98\x9b\x9d-\x9f]|&#(?:[xX]0*[89]|0*1[2-5])")
_C1_REFERENCE = re.compile(r"&#(?:[xX]0*[89][0-9a-fA-F]|0*(?:12[89]|1[3-5][0-9]));")
_BETWEEN_TAGS = re.compile(r"[^<>]+")
_COMMENT = r"<!--(?:[^-]|-(?!->))*-->"
"""One XML comment, unable to run on into the next (`.*?` with repeats was exponential)."""
_HTML_START = re.compile(
    rf"\s*(?:{_COMMENT}\s*)*<(?:!doctype\s+html|html)[\s>]".encode(), re.I | re.S
)


class FeedParseError(ValueError):
    """The bytes are not a feed desk can read."""


class NeedsTolerantParser(Exception):
    """Only feedparser can read this document (see parse_feed's `tolerant`)."""


@dataclass(frozen=True)
class ParsedFeed:
    """The items of one feed document, its title, and any warning."""

    title: str
    items: tuple[Item, ...]
    warning: str = ""


def parse_feed(
    body: bytes,
    feed_url: str,
    content_type: str = "",
    charset: str | None = None,
    *,
    tolerant: bool = True,
) -> ParsedFeed:
    """Parse a feed document from bytes; raise FeedParseError if it is not one.

    `charset` is the one the HTTP Content-Type named, if any: it is used only
    when the document declares no encoding and is not UTF-8. With
    `tolerant=False` a document that only feedparser can read raises
    NeedsTolerantParser instead of being read: the quick paths take a
    millisecond or two on a typical feed, feedparser some twenty times that.
    """
    head = body[:2048].lstrip()
    if "json" in content_type or head.startswith(b"{"):
        parsed = _parse_json_feed(body, feed_url)
    else:
        _refuse_entities(body)
        parsed = _parse_xml_feed(body, feed_url, charset, tolerant)
    return replace(parsed, items=distinct_ids(parsed.items))


_FEED_ROOT = re.compile(
    rf"\A\s*(?:<\?xml[^>]*>\s*)?(?:{_COMMENT}\s*|<\?[^>]*>\s*|<!DOCTYPE[^>\[]*(?:\[[^\]]*\])?\s*>\s*)*"
    r"<(?:\w+:)?(rss|feed|RDF)\b",
    re.DOTALL,
)


_JSON_FEED_VERSION = re.compile(r"jsonfeed\.org\\?/version")
"""A JSON Feed's version URL, its slashes escaped or not (PHP escapes them)."""


def feed_kind(document: str) -> str | None:
    """'RSS', 'Atom', 'RDF' or 'JSON' when a document is a feed (by its root element, or a
    JSON Feed's version), else None.

    Only the first 4 KB are looked at: a page that quotes a feed's XML is no feed.
    """
    head = document[:4096].lstrip().lstrip("\ufeff")
    if head.startswith("{") and _JSON_FEED_VERSION.search(head):
        return "JSON"
    found = _FEED_ROOT.match(head)
    if found is None:
        return None
    root = found.group(1)
    return {"rss": "RSS", "feed": "Atom"}.get(root, "RDF")


def distinct_ids(items: tuple[Item, ...]) -> tuple[Item, ...]:
    """Items that share an id but differ in content, each given an id of its own.

    Some feeds give every item one <guid>; keeping only the last lost the
    rest. Every member of such a group gets `id#hash` of its own link and
    text, the same in every cycle whatever the order; true repeats (same
    content) keep one id and count once.
    """
    if len({item.id for item in items}) == len(items):
        return items
    contents: dict[str, set[str]] = {}
    for item in items:
        contents.setdefault(item.id, set()).add(item.fingerprint)
    return tuple(
        replace(item, id=f"{item.id}#{short_hash(item.url, item.fingerprint)[:8]}")
        if len(contents[item.id]) > 1
        else item
        for item in items
    )


def _refuse_entities(xml: bytes) -> None:
    if _ENTITY_DECL.search(xml[:65536]):
        raise FeedParseError("the XML declares entities, which desk refuses to expand")


# --- XML: the fast path, else feedparser -----------------------------------------


def _parse_xml_feed(body: bytes, feed_url: str, charset: str | None, tolerant: bool) -> ParsedFeed:
    stripped = body.lstrip()
    xml, note = utf8_document(stripped, charset)
    if xml is not stripped:
        _refuse_entities(xml)  # again: a UTF-16 body hid its declarations from the first look
    parsed, malformed = _parse_strictly(xml, feed_url)
    if parsed is None:
        if not tolerant:
            raise NeedsTolerantParser(malformed)
        return _parse_leniently(xml, feed_url, _joined(note, malformed))
    return replace(parsed, warning=note)


def _parse_strictly(xml: bytes, feed_url: str) -> tuple[ParsedFeed | None, str]:
    """The fast path on UTF-8 XML: the feed, or None and why feedparser must read it instead.

    The reason is a warning for the feed, or '' when the document is
    well-formed but not RSS or Atom as desk reads them (feedparser knows more
    formats, or says why it is not a feed).
    """
    try:
        found = read_strictly(xml, feed_url)
    except MalformedXML as exc:
        return None, f"malformed feed ({exc}); read with the tolerant parser"
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:  # one odd item
        return None, f"read with the tolerant parser ({short_reason(exc)})"
    if found is None:
        return None, ""
    title, items = found
    return ParsedFeed(title, items), ""


def _joined(*notes: str) -> str:
    return "; ".join(note for note in notes if note)


def _parse_leniently(xml: bytes, feed_url: str, warning: str = "") -> ParsedFeed:
    """feedparser on the UTF-8 document: tolerant of what lxml rejects, and twenty times slower."""
    headers = {"content-location": feed_url, "content-type": "application/xml"}
    try:
        parsed = feedparser.parse(_without_8bit_sequences(xml), response_headers=headers)
    except Exception as exc:  # its tolerant parser has bugs of its own on broken input
        raise FeedParseError(f"not a feed (feedparser failed: {short_reason(exc)})") from None
    if not parsed.entries and not parsed.feed.get("title"):
        if _HTML_START.match(xml):
            raise FeedParseError(
                "not a feed but a web page (the site's address, perhaps, not its feed's)"
            )
        reason = parsed.get("bozo_exception") or "no feed found"
        raise FeedParseError(f"not a feed ({short_reason(reason)})")
    items = tuple(item for entry in parsed.entries if (item := _entry_or_none(entry, feed_url)))
    if not warning and parsed.bozo:
        warning = f"malformed feed: {short_reason(parsed.bozo_exception)}"
    if skipped := len(parsed.entries) - len(items):
        warning = _joined(warning, f"{plural(skipped, 'unreadable item')} skipped")
    return ParsedFeed(clean_title(parsed.feed.get("title", "")), items, warning)


def _without_8bit_sequences(xml: bytes) -> bytes:
    """The document with its 8-bit escape sequences removed with their payloads.

    feedparser turns every C1 control into its windows-1252 look-alike, so
    `\\x9b2J` (or `&#155;2J`) would come out as `›2J`, past the reach of
    safe_text. A sequence is removed within the text between two tags, never
    across one; a C1 spelled as a reference is read as the character first.
    """
    if _MAY_HOLD_C1.search(xml) is None:
        return xml
    text = xml.decode("utf-8", "surrogateescape")
    text = _BETWEEN_TAGS.sub(_text_without_sequences, text)
    return text.encode("utf-8", "surrogateescape")


def _text_without_sequences(run: re.Match[str]) -> str:
    text = run.group()
    if "&#" in text:
        text = _C1_REFERENCE.sub(_character_of, text)
    return without_sequences(text)


def _character_of(reference: re.Match[str]) -> str:
    number = reference.group()[2:-1]
    return chr(int(number[1:], 16) if number[0] in "xX" else int(number))


def _entry_or_none(entry: Any, feed_url: str) -> Item | None:
    """One entry as an item, or None when one of its fields cannot be read: never the feed."""
    try:
        return _item_from_entry(entry, feed_url)
    except (TypeError, ValueError, AttributeError, OverflowError, RecursionError):
        return None


def _entry_date(entry: Any, field: str) -> datetime | None:
    """A date as the strict reader reads it (feedparser's reading of a year-1 date at +14:00
    was the year 1400), else as feedparser parsed it."""
    raw = dict.get(entry, field)
    if isinstance(raw, str) and raw.strip():
        return parse_date(raw)
    return from_struct_time(dict.get(entry, f"{field}_parsed"))


def _item_from_entry(entry: Any, feed_url: str) -> Item:
    raw_link = entry.get("link", "") or ""
    link = join_url(feed_url, raw_link) if raw_link else ""
    title = clean_title(entry.get("title", ""))
    # dict.get skips feedparser's deprecated updated->published fallback mapping.
    published = _entry_date(entry, "published")
    updated = _entry_date(entry, "updated")
    content = "\n".join(part.get("value", "") for part in entry.get("content", []) or [])
    authors = author_names(a.get("name") for a in entry.get("authors", []))
    summary = entry.get("summary", "") or ""
    ident = entry.get("id") or link or fallback_id(title, published or updated, summary, content)
    return Item(
        feed_url=feed_url,
        id=str(ident),
        url=link,
        title=title,
        summary=summary,
        content=content,
        published=published or updated,
        updated=updated,
        authors=authors,
    )


# --- JSON Feed ------------------------------------------------------------------


def _parse_json_feed(body: bytes, feed_url: str) -> ParsedFeed:
    try:
        doc = json.loads(body.decode("utf-8-sig", errors="replace"))
    except RecursionError:
        raise FeedParseError("JSON nested too deeply to be a feed") from None
    except json.JSONDecodeError as exc:
        raise FeedParseError(f"invalid JSON at line {exc.lineno} col {exc.colno}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise FeedParseError("JSON without an 'items' list is not a JSON Feed")
    items = tuple(item for entry in doc["items"] if (item := _json_item_or_none(entry, feed_url)))
    skipped = len(doc["items"]) - len(items)
    warning = f"{skipped} malformed items skipped" if skipped else ""
    return ParsedFeed(clean_title(str(doc.get("title", ""))), items, warning)


def _json_item_or_none(entry: Any, feed_url: str) -> Item | None:
    """One JSON Feed item, or None when it is not an object or cannot be read: never the feed."""
    if not isinstance(entry, dict):
        return None
    try:
        return _item_from_json(entry, feed_url)
    except (TypeError, ValueError, AttributeError, OverflowError, RecursionError):
        return None


def _item_from_json(entry: dict[str, Any], feed_url: str) -> Item:
    raw_link = str(entry.get("url") or entry.get("external_url") or "")
    link = join_url(feed_url, raw_link) if raw_link else ""
    title = clean_title(str(entry.get("title") or ""))
    published = parse_json_feed_date(entry.get("date_published"))
    updated = parse_json_feed_date(entry.get("date_modified"))
    authors = entry.get("authors") or ([entry["author"]] if entry.get("author") else [])
    names = author_names(str(a.get("name") or "") for a in authors if isinstance(a, dict))
    summary = str(entry.get("summary") or "")
    content = str(entry.get("content_html") or entry.get("content_text") or "")
    ident = entry.get("id") or link or fallback_id(title, published, summary, content)
    return Item(
        feed_url=feed_url,
        id=str(ident),
        url=link,
        title=title,
        summary=summary,
        content=content,
        published=published or updated,
        updated=updated,
        authors=names,
    )
