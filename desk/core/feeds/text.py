"""The text rules both feed paths share: plain text, titles, links joined as feedparser does.

The strict lxml reader (feedxml) and the tolerant paths (feeds: feedparser
and JSON Feed) clean titles and resolve links with these same functions, so
an item keeps its title and identity whichever path read it. Reasons for a
feed's warning are cut to one short line here too. Everything these give
back has passed `desk.core.safetext`: this is where feed text enters desk.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urljoin

from desk.core.models import short_hash
from desk.core.safetext import plain_text, safe_line, safe_url

TITLE_MAX = 1000
"""Titles longer than this many characters are cut at a word and end in an ellipsis."""

_URI_SLASHES = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*://)(/*)(.*?)")
# Absolute http(s) URLs that urljoin gives back unchanged: no whitespace, brackets or
# ';' (urlsplit strips, validates or re-splits those), no empty '?' or '#'.
_PLAIN_HTTP_URL = re.compile(
    r"https?://[^\s/?#;\[\]][^\s?#;\[\]]*(?:\?[^\s#;\[\]]+)?(?:#[^\s\[\]]+)?"
)


def clean_title(markup: str) -> str:
    """A title as plain text, at most TITLE_MAX characters."""
    text = plain_text(markup)
    if len(text) <= TITLE_MAX:
        return text
    cut = text[: TITLE_MAX - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut[-80:] else cut).rstrip() + "…"


def fallback_id(title: str, when: object, summary: str, content: str) -> str:
    """An item's id when it has no guid and no link: its title and date, else its content.

    Items with neither title nor date used to share one id, so a later empty
    item overwrote one that should have alerted.
    """
    if title or when:
        return short_hash(title, str(when or ""))
    return short_hash("content", summary, content)


def author_names(names: Iterable[str | None]) -> tuple[str, ...]:
    """The authors' names made safe, the empty ones left out."""
    return tuple(safe for name in names if name and (safe := safe_line(name)))


def join_url(base: str, uri: str) -> str:
    """urljoin as feedparser does it: extra slashes after the scheme dropped, '' if invalid.

    Controls, bidi marks and blanks in the result are percent-encoded (see safe_url).
    """
    if _PLAIN_HTTP_URL.fullmatch(uri):
        return safe_url(uri)  # what urljoin would return, six times faster
    uri = _URI_SLASHES.sub(r"\1\3", uri)
    try:
        return safe_url(urljoin(base, uri))
    except ValueError:
        return ""


def short_reason(reason: object) -> str:
    """An exception or message as its first line, at most 160 characters.

    expat's '<unknown>:4:0: junk after document element' (feedparser's
    complaints) loses its place: feedparser may have added a line of its own
    above the document, so the number would mislead.
    """
    text = str(reason).strip().splitlines()[0] if str(reason).strip() else type(reason).__name__
    return safe_line(_EXPAT_PLACE.sub(r"\1", text))[:160]


_EXPAT_PLACE = re.compile(r"^<unknown>:\d+:\d+: (.*)$")
