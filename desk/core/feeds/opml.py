"""OPML, the feed readers' exchange format: read a subscription list, write ours.

Reading refuses XML with a DOCTYPE (entity bombs) and keeps every outline
with an http(s) `xmlUrl`, wherever it is nested; the enclosing outlines'
titles become tags. An outline whose `xmlUrl` is something else
(`javascript:`, `file:`, a bare name) is counted, so the import can say so. Writing produces OPML 2.0 with one outline per feed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree
from xml.sax.saxutils import quoteattr

from desk.core.errors import ConfigError
from desk.core.models import Feed
from desk.core.safetext import safe_line, safe_url
from desk.core.settings.config import web_address_problem

_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
MAX_OPML_BYTES = 5_000_000
MAX_FOLDER_DEPTH = 50
"""Folders inside folders an OPML file may hold (readers nest two or three)."""


def read_opml(path: Path, skipped: list[str] | None = None) -> list[Feed]:
    """The feeds listed in an OPML file; ConfigError naming the file on bad input.

    An outline whose `xmlUrl` is not an http(s) address is left out; its address
    (made safe) is added to `skipped` when a list is given.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", path) from None
    if len(raw) > MAX_OPML_BYTES:
        raise ConfigError(f"file is {len(raw):,} bytes; the limit is {MAX_OPML_BYTES:,}", path)
    if _DOCTYPE.search(raw[:4096]):
        raise ConfigError("OPML with a DOCTYPE is refused (entity expansion)", path)
    try:
        root = ElementTree.fromstring(raw)
    except ElementTree.ParseError as exc:
        line, col = exc.position
        raise ConfigError(
            f"not valid XML: {exc.msg if hasattr(exc, 'msg') else exc}", path, line, col + 1
        ) from None
    body = root.find("body")
    if root.tag != "opml" or body is None:
        raise ConfigError("not an OPML document (no <opml><body>)", path)
    return _feeds_in(body, path, [] if skipped is None else skipped)


def _feeds_in(body: ElementTree.Element, path: Path, skipped: list[str]) -> list[Feed]:
    """Every feed outline in document order, its folders' titles as tags.

    Walked with a stack of its own, not recursion, and at most MAX_FOLDER_DEPTH
    folders deep: 100,000 nested outlines are one clear error, not a crash.
    """
    feeds: list[Feed] = []
    stack: list[tuple[Iterator[ElementTree.Element], tuple[str, ...]]] = [
        (iter(body.findall("outline")), ())
    ]
    while stack:
        outlines, tags = stack[-1]
        outline = next(outlines, None)
        if outline is None:
            stack.pop()
            continue
        url = safe_url((outline.get("xmlUrl") or "").strip())
        title = safe_line(outline.get("title") or outline.get("text") or "")
        if web_address_problem(url) is None:
            feeds.append(Feed(url=url, name=title, tags=tags))
        elif url:
            skipped.append(safe_line(url[:200]))
        elif title:
            if len(tags) >= MAX_FOLDER_DEPTH:
                raise ConfigError(
                    f"outlines nested more than {MAX_FOLDER_DEPTH} folders deep", path
                )
            stack.append((iter(outline.findall("outline")), (*tags, title)))
    return feeds


def write_opml(feeds: list[Feed], title: str = "desk feeds") -> str:
    """OPML 2.0 text listing `feeds`."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        f"  <head><title>{_escape(title)}</title></head>",
        "  <body>",
    ]
    for feed in feeds:
        name = quoteattr(feed.name or feed.url)
        lines.append(
            f'    <outline type="rss" text={name} title={name} xmlUrl={quoteattr(feed.url)}/>'
        )
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
