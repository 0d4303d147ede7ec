"""One document -> `Extracted`: its cleaned text and the metadata desk keeps.

An HTML page (`extract_page`) gives its story paragraphs
(`desk.core.article.pagetext`), cleaned (`desk.core.article.clean`) with its title first,
and its metadata (`desk.core.article.pagemeta`). Any document (`text_of_document`:
a file, a stored scraper page, a feed summary) may be HTML or plain text
and may start with YAML front matter, whose title, author, date and URL win.
The markup is capped first (`cap_markup`): at most MAX_HTML_CHARS characters
and MAX_TAGS tags.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import re2

from desk.core.article.clean import clean_text, finish_paragraphs, story_blocks
from desk.core.article.headline import lead_with_title, trim_site_suffix
from desk.core.article.pagemeta import one_line, page_metadata, parse_datetime
from desk.core.article.pagetext import story_text
from desk.core.article.residue import split_front_matter
from desk.core.article.sitejunk import learnable_lines
from desk.core.errors import DeskError
from desk.core.safetext import UNSAFE_CHARS, plain_text, without_tags
from desk.core.settings.yamlio import parse_yaml

MAX_HTML_CHARS = 5_000_000
"""Characters beyond this many are cut off before anything parses the markup."""
MAX_TAGS = 100_000
"""Tags beyond this many are cut off: real articles have a few thousand."""
_TAG_START = re.compile(r"<[A-Za-z!/]")
_FRONT_LINE = re.compile(r"([\w-]+):[ \t]*(.*)")
SNIPPET_PARAGRAPHS = 5
"""A fragment of fewer paragraphs than this is a snippet: all of it is the story."""
_INLINE_TAG = re.compile(
    r"</?(?:a|b|i|u|em|strong|span|font|small|sup|sub|abbr|cite|mark)(?:\s[^<>]*)?/?>", re.I
)
"""Tags inside a line of text: out without a space ('<em>Burwell</em>, and')."""
MAX_FRAGMENT_CHARS = 50_000
"""Markup longer than this is read as a page even without <html> or <body>."""
_PAGE_ROOT = re.compile(r"(?i)<(html|body)\b")
"""What makes markup a page, read by page extraction whatever it yields."""
_HIDDEN_ELEMENTS = re2.compile(
    r"(?is)<script\b.*?</script\s*>|<style\b.*?</style\s*>|<template\b.*?</template\s*>"
    r"|<noscript\b.*?</noscript\s*>|<title\b.*?</title\s*>|<nav\b.*?</nav\s*>"
    r"|<aside\b.*?</aside\s*>|<footer\b.*?</footer\s*>|<!--.*?-->"
)
"""Elements that are no story text in a fragment, and comments; RE2: an unclosed one costs
linear time."""
_BLOCK_EDGE = re.compile(r"(?i)</?(?:p|div|li|h[1-6]|blockquote|section|article)\b[^<>]*>")
"""Where a fragment's paragraphs start or end ('<p>Headline<p>Lead' is two): each is read
as the '</p>' that `plain_text_paragraphs` breaks at."""
_UNSAFE_UTF8 = re2.compile(f"[{UNSAFE_CHARS.replace(chr(0xD800) + '-' + chr(0xDFFF), '')}]")
"""UNSAFE_CHARS but surrogates (never in valid UTF-8), as RE2 finds them in UTF-8 bytes."""


@dataclass(frozen=True)
class Extracted:
    """What a page yielded: cleaned text and the metadata desk keeps."""

    title: str
    text: str
    byline: str = ""
    published: datetime | None = None
    canonical_url: str = ""
    lines: tuple[str, ...] = ()
    """The page's short lines (comparison keys), for learning its site's junk."""


def looks_like_html(text: str) -> bool:
    """True when `text` is an HTML document or fragment rather than plain text."""
    head = text[:2000].lower()
    return "<html" in head or "<body" in head or "<p>" in head or "<div" in head


def fragment_text(markup: str) -> str:
    """A piece of HTML that is no page (a pasted paragraph, a snippet in a file) as cleaned
    text: scripts, styles, navigation, asides, footers and comments dropped, tags out,
    paragraph breaks kept."""
    visible = _INLINE_TAG.sub("", _HIDDEN_ELEMENTS.sub(" ", markup))
    return clean_text(plain_text_paragraphs(_BLOCK_EDGE.sub("</p>", visible)))


def plain_text_paragraphs(markup: str) -> str:
    """Feed HTML without its tags, keeping paragraph and line breaks.

    Entities stay for the cleaner to decode after it has dropped leftover
    tags, so that an escaped `&lt;b&gt;` is shown as the text `<b>`.
    """
    spaced = re.sub(r"(?i)</p\s*>|<br\s*/?>\s*<br\s*/?>", "\n\n", markup)
    spaced = re.sub(r"(?i)<br\s*/?>", "\n", spaced)
    return "\n\n".join(without_tags(part) for part in spaced.split("\n\n"))


def cap_markup(html: str) -> str:
    """The markup cut to MAX_HTML_CHARS characters and MAX_TAGS tags."""
    html = html[:MAX_HTML_CHARS]
    if html.count("<") <= MAX_TAGS:
        return html
    for count, match in enumerate(_TAG_START.finditer(html)):
        if count == MAX_TAGS:
            return html[: match.start()]
    return html


def page_markup(
    body: bytes, charset: str | None, decode: Callable[[bytes, str | None], str]
) -> str:
    """A fetched page's bytes as safe text: `decode` (which decodes and makes safe) in general.

    The common page, UTF-8 with nothing `safe_text` would change, is only
    decoded: RE2 finds that out over the bytes (a DFA, 3x faster than
    scanning the str with `re`), and valid UTF-8 holds no lone surrogate.
    """
    text = _safe_utf8(body, charset)
    return text if text is not None else decode(body, charset)


def _safe_utf8(body: bytes, charset: str | None) -> str | None:
    """The bytes decoded when they are UTF-8 holding nothing `safe_text` would change, else None."""
    if not _is_utf8_label(charset):
        return None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if _UNSAFE_UTF8.search(body) is None else None


def extract_page_bytes(
    decode: Callable[[bytes, str | None], str],
    body: bytes,
    charset: str | None,
    url: str = "",
    site_junk: Iterable[str] = (),
    unpack: Callable[[bytes], bytes] | None = None,
) -> Extracted:
    """`extract_page` on a fetched page's bytes, decoded and made safe first (`page_markup`).

    `unpack`, if given, first undoes the bytes' Content-Encodings (within its
    cap, or it raises). An empty page raises ValueError. When the page is
    safe UTF-8 as it came, its bytes are what the HTML parser reads.
    """
    if unpack is not None:
        body = unpack(body)
    if not body:
        raise ValueError("the page is empty")
    text = _safe_utf8(body, charset)
    if text is None:
        return extract_page(decode(body, charset), url, site_junk)
    return extract_page(text, url, site_junk, utf8=body)


def _is_utf8_label(charset: str | None) -> bool:
    if not charset:
        return True  # decode tries UTF-8 first when the server names no charset
    try:
        return codecs.lookup(charset.strip().strip("\"'")).name == "utf-8"
    except LookupError:
        return False


def extract_page(
    html: str,
    url: str = "",
    site_junk: Iterable[str] = (),
    *,
    title: str = "",
    utf8: bytes | None = None,
) -> Extracted:
    """Extract and clean the main text of an HTML page, dropping `site_junk` lines.

    `title`, when given (say from a stored page's front matter), wins over the page's own.
    `utf8`, when given, is `html` exactly, as UTF-8 (see `story_text`).
    """
    capped = cap_markup(html)
    if capped is not html:
        html, utf8 = capped, None
    meta = page_metadata(html, url)
    blocks = story_blocks(story_text(html, url, utf8))
    body = "\n\n".join(finish_paragraphs(blocks, site_junk))
    title = title or meta.title
    return Extracted(
        title=title,
        text=lead_with_title(title, body),
        byline=meta.byline,
        published=meta.published,
        canonical_url=meta.canonical_url,
        lines=learnable_lines(blocks),
    )


def text_of_document(content: str, url: str = "") -> Extracted:
    """Clean text from HTML or plain text (files, feed summaries), front matter honoured."""
    front, body = split_front_matter(content)
    fields = _front_matter(front)
    title = trim_site_suffix(_field(fields, "title", "post_title"))
    if looks_like_html(body):
        page = extract_page(body, url, title=title)
        if (fragment := _fragment_reading(body, page.text)) is not None:
            page = replace(page, text=lead_with_title(page.title, fragment))
    elif title:
        page = Extracted(title=title, text=lead_with_title(title, clean_text(body)))
    else:
        text = clean_text(body)
        page = Extracted(title=text.split("\n\n", 1)[0][:200] if text else "", text=text)
    return _with_front_matter(page, fields)


def _fragment_reading(markup: str, extracted: str) -> str | None:
    """The text of markup that is no page (no <html> or <body>) read as a fragment, when
    that is better than page extraction (`extracted`), which looks for a story among a
    page's blocks: when extraction kept nothing (a sentence in markup garbage), or dropped
    a paragraph of a snippet of a few (the headline of 'Pentagon orders more troops to
    the Gulf&nbsp;</p><p>In a decision ...'). Otherwise None: a small page without
    <html> keeps its story without its menus."""
    if _PAGE_ROOT.search(markup[:2000]) or len(markup) > MAX_FRAGMENT_CHARS:
        return None
    plain = fragment_text(markup)
    if not extracted.split():
        return plain
    paragraphs = plain.split("\n\n")
    if len(paragraphs) >= SNIPPET_PARAGRAPHS:
        return None
    kept = " ".join(extracted.split())
    lost = any(
        len(words := paragraph.split()) >= 4 and " ".join(words[:4]) not in kept
        for paragraph in paragraphs
    )
    return plain if lost else None


def _front_matter(front: str) -> dict[str, Any]:
    """Front matter as YAML; scrapers write broken YAML too, so `key: value` lines as a fallback."""
    if not front:
        return {}
    try:
        fields = parse_yaml(front, "<front matter>")  # the safe loader, no aliases (bombs)
    except DeskError:
        fields = None
    if isinstance(fields, dict):
        return fields
    lines = (_FRONT_LINE.match(line) for line in front.splitlines())
    return {m.group(1): m.group(2).strip().strip("\"'") for m in lines if m and m.group(2).strip()}


def _field(fields: dict[str, Any], *names: str) -> str:
    """The first of `names` that front matter gives, as one line of plain text."""
    for name in names:
        value = fields.get(name)
        if isinstance(value, list) and value:
            value = value[0]
        if isinstance(value, str | int | float) and str(value).strip():
            return one_line(plain_text(str(value)))
    return ""


def _with_front_matter(page: Extracted, fields: dict[str, Any]) -> Extracted:
    """The front matter's author, date and URL win over what the body suggests."""
    if not fields:
        return page
    published = next(
        (
            when
            for name in ("published_at", "published", "post_date", "date")
            if (when := parse_datetime(fields.get(name))) is not None
        ),
        page.published,
    )
    return replace(
        page,
        byline=_field(fields, "author", "byline") or page.byline,
        published=published,
        canonical_url=_field(fields, "url", "canonical_url", "permalink") or page.canonical_url,
    )
