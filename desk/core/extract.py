"""HTML page -> the story's main text, title, byline, date and canonical URL.

trafilatura finds the main content; desk turns its XML tree into paragraphs
(line breaks inside a paragraph kept, so the cleaner can repair words broken
across them) and cleans the result. When trafilatura finds nothing, a plain
text rendering of the page's paragraphs is the fallback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import trafilatura
from lxml import etree
from lxml import html as lxml_html

from desk.core.clean import clean_text, lead_with_title
from desk.core.feeds import plain_text
from desk.core.models import Article, Item

MAX_HTML_CHARS = 5_000_000
_BLOCKS = {"head", "p", "item", "quote", "row", "code"}
_META_DATE = re.compile(
    r"<meta[^>]+(?:article:published_time|datePublished|pubdate)[^>]+content=\"([^\"]+)\"",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Extracted:
    """What a page yielded: cleaned text and the metadata desk keeps."""

    title: str
    text: str
    byline: str = ""
    published: datetime | None = None
    canonical_url: str = ""


def looks_like_html(text: str) -> bool:
    """True when `text` is an HTML document or fragment rather than plain text."""
    head = text[:2000].lower()
    return "<html" in head or "<body" in head or "<p>" in head or "<div" in head


def extract_page(html: str, url: str = "") -> Extracted:
    """Extract and clean the main text of an HTML page."""
    html = html[:MAX_HTML_CHARS]
    doc = trafilatura.bare_extraction(
        html, url=url or None, with_metadata=True, include_comments=False, include_tables=True
    )
    body = getattr(doc, "body", None)
    raw = _tree_text(body) if body is not None else ""
    if not raw.strip():
        raw = _fallback_text(html)
    title = str(getattr(doc, "title", "") or "")
    text = lead_with_title(title, clean_text(raw))
    return Extracted(
        title=title,
        text=text,
        byline=str(getattr(doc, "author", "") or ""),
        published=_published(html),
        canonical_url=str(getattr(doc, "url", "") or ""),
    )


def _tree_text(body: Any) -> str:
    """trafilatura's XML tree as paragraphs, with <lb/> kept as a line break."""
    blocks = [_inline_text(el) for el in body.iter() if el.tag in _BLOCKS]
    return "\n\n".join(block.strip() for block in blocks if block.strip())


def _inline_text(element: Any) -> str:
    parts = [element.text or ""]
    for child in element:
        if child.tag in _BLOCKS or child.tag == "list":
            parts.append(child.tail or "")
            continue
        parts.append("\n" if child.tag == "lb" else _inline_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _fallback_text(html: str) -> str:
    try:
        tree = lxml_html.fromstring(html)
    except (etree.ParserError, ValueError):
        return ""
    paragraphs = [p.text_content().strip() for p in tree.iter("p", "h1", "h2", "li")]
    return "\n\n".join(p for p in paragraphs if p)


def _published(html: str) -> datetime | None:
    match = _META_DATE.search(html[:200_000])
    if not match:
        return None
    try:
        when = datetime.fromisoformat(match.group(1).replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


def text_of_document(content: str, url: str = "") -> Extracted:
    """Clean text from either HTML or plain text (files, feed summaries)."""
    if looks_like_html(content):
        return extract_page(content, url)
    text = clean_text(content)
    first = text.split("\n\n", 1)[0] if text else ""
    return Extracted(title=first[:200], text=text)


def article_from_feed(item: Item, clean: bool = True) -> Article:
    """The article a feed item carries itself; with `clean=False` cleaning waits for readable()."""
    article = Article(
        url=item.url,
        title=item.title,
        text=item.content or item.summary,
        byline=", ".join(item.authors),
        published=item.published,
        source="feed",
        cleaned=False,
    )
    return readable(article) if clean else article


def readable(article: Article) -> Article:
    """The article with cleaned text, cleaning it now if that was put off."""
    if article.cleaned:
        return article
    body = clean_text(plain_text_paragraphs(article.text))
    return replace(article, text=lead_with_title(article.title, body), cleaned=True)


def plain_text_paragraphs(markup: str) -> str:
    """Feed HTML as plain text, keeping paragraph and line breaks."""
    spaced = re.sub(r"(?i)</p\s*>|<br\s*/?>\s*<br\s*/?>", "\n\n", markup)
    spaced = re.sub(r"(?i)<br\s*/?>", "\n", spaced)
    return "\n\n".join(plain_text(part) for part in spaced.split("\n\n"))
