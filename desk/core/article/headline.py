"""The headline at the head of a story's text: there once, and nowhere else.

`lead_with_title` puts a page's title first and drops copies of it from the
text, including a slug, headline and byline that a scraper glued to the
first paragraph (`drop_glued_headline`); `trim_site_suffix` cuts the site
name off a title ("Story - The Hill").
"""

from __future__ import annotations

import re

import re2

from desk.core.article.junklines import is_timestamp
from desk.core.article.normalise import normalise_characters
from desk.core.article.residue import unmark


def lead_with_title(title: str, text: str) -> str:
    """The text with its title as the first paragraph, and only once."""
    title = " ".join(unmark(normalise_characters(title)).split())
    if not title:
        return text
    paragraphs = [p for p in text.split("\n\n") if p and not _is_title_copy(p, title)]
    if paragraphs:
        paragraphs[0] = drop_glued_headline(title, paragraphs[0])
    return "\n\n".join([title, *(p for p in paragraphs if p)])


def _is_title_copy(paragraph: str, title: str) -> bool:
    """The headline again, perhaps with a date after it ("Storm hits coast 03/31/16")."""
    if not paragraph.lower().startswith(title.lower()):
        return False
    rest = paragraph[len(title) :].strip()
    return not rest or is_timestamp(rest)


_SITE_WORD = r"(?:[A-Z0-9][\w.&'’-]*|of|the|and|on|for)"
_SITE_SUFFIX = re.compile(rf"\s+[|\-\u2013\u2014]\s+{_SITE_WORD}(?:\s+{_SITE_WORD}){{0,3}}\s*$")


def trim_site_suffix(title: str) -> str:
    """'Story told in four words – The Hill' -> the story part; short titles stay whole."""
    match = _SITE_SUFFIX.search(title)
    if not match or len(title[: match.start()].split()) < 4:
        return title
    return title[: match.start()].rstrip()


# What follows a headline glued to the story: a note, a byline or a dateline.
_AFTER_HEADLINE = re2.compile(
    r"\s*(?:[(\[]|By\s+[A-Z]|[A-Z]{2,}[A-Z .'-]*,|[A-Z][a-z]+(?:\s[A-Z][a-z]+)*\s\(\w+\)\s[-\x{2013}\x{2014}])"
)
"""RE2, as the byline below: 'A' * 50,000 after a headline took 2.5 s with Python's re."""
_EDITOR_NOTE = re.compile(r"\s*\((?:ATTN|EDS?|EDITORS?)\b[^)]*\)\s*", re.IGNORECASE)
_GLUED_BYLINE = re2.compile(
    r"\s*By\s+[A-Z][\pL\pN_'’.-]*(?:\s+[A-Z][\pL\pN_'’.-]*){0,3}\s+([A-Z]{2,}[A-Z .'-]*,)"
)
"""A byline before a dateline ('By Jo Lee SEOUL,'): the dateline, group 1, stays."""


def _ends_headline(title: str, rest: str) -> bool:
    """True when `rest` starts a new part (note, byline, dateline) or is glued on without a space."""
    glued = (title[-1].isdigit() and rest[0].isalpha()) or (
        title[-1].islower() and rest[0].isupper()
    )
    return glued or bool(_AFTER_HEADLINE.match(rest))


def drop_glued_headline(title: str, paragraph: str) -> str:
    """The paragraph without a slug + headline + byline that a scraper glued to its start."""
    if title.count(" ") < 2:
        return paragraph
    at = paragraph.lower().find(title.lower(), 0, len(title) + 150)
    prefix, rest = paragraph[:at], paragraph[at + len(title) :]
    if at < 0 or ". " in prefix or not rest or not _ends_headline(title, rest):
        return paragraph
    note = _EDITOR_NOTE.match(rest)
    rest = rest[note.end() :] if note else rest
    byline = _GLUED_BYLINE.match(rest)
    rest = rest[byline.start(1) :] if byline else rest
    return rest.strip() or paragraph
