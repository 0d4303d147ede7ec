"""Page metadata: the title, byline, date and canonical URL a page declares.

Read from the page's head with a few regular expressions rather than a
parser: meta tags (Open Graph, Twitter, Parse.ly, Dublin Core and the
like), the first JSON-LD object that looks like an article, the canonical
link, a lone <h1>, the <title> with the site name trimmed, and a <time>
tag. Every search is bounded, so a huge or hostile head stays cheap.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import islice
from typing import Any
from urllib.parse import urljoin

import re2

from desk.core.safetext import plain_text, safe_line, safe_url, unescape_html

# RE2 (linear time): each of these, scanned from every '<meta' or '<time' of a page that
# never closes one, was quadratic ('<meta ' + 50,000 letters took 21 s in _ATTRIBUTE)
_META_TAG = re2.compile(r"(?i)<meta\s[^>]*>")
_LINK_TAG = re2.compile(r"(?i)<link\s[^>]*>")
_ATTRIBUTE = re2.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_TITLE_TAG = re2.compile(r"(?is)<title[^>]*>(.{0,500}?)</title>")
_H1 = re2.compile(r"(?is)<h1[^>]*>(.{0,500}?)</h1>")
_TIME_TAG = re2.compile(r"(?i)<time[^>]*\sdatetime\s*=\s*[\"']([^\"']+)[\"']")
_JSON_LD_START = re2.compile(r"(?i)<script[^>]*application/ld\+json[^>]*>")
_JSON_LD_BLOCKS = 10
_JSON_LD_CHARS = 500_000
_TITLE_SEPARATORS = re.compile(r"\s+[|\-\u2013\u2014:·»]\s+")
_AUTHOR_KEYS = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator")
_DATE_KEYS = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date",
    "date",
)
_HEAD_CHARS = 300_000


@dataclass(frozen=True)
class PageMetadata:
    """Title, byline, date and canonical URL as the page's head declares them."""

    title: str = ""
    byline: str = ""
    published: datetime | None = None
    canonical_url: str = ""


def page_metadata(html: str, url: str = "") -> PageMetadata:
    """The title, byline, date and canonical URL the page's markup declares."""
    head = html[:_HEAD_CHARS]
    metas = _meta_values(head)
    linked = _json_ld(html)
    return PageMetadata(  # attributes are decoded here, after the page was made safe: again
        title=safe_line(_page_title(head, metas, linked)),
        byline=safe_line(_byline(metas, linked)),
        published=_published(head, metas, linked),
        canonical_url=safe_url(_canonical(head, metas, linked, url)),
    )


def _attributes(tag: str) -> dict[str, str]:
    return {name.lower(): unescape_html(a or b or c) for name, a, b, c in _ATTRIBUTE.findall(tag)}


def _meta_values(head: str) -> dict[str, str]:
    """meta name/property/itemprop -> content, the first of each kept."""
    values: dict[str, str] = {}
    for tag in _META_TAG.findall(head):
        attrs = _attributes(tag)
        key = attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or ""
        content = attrs.get("content", "").strip()
        if key and content:
            values.setdefault(key.lower(), content)
    return values


def _json_ld(html: str) -> dict[str, Any]:
    """The first JSON-LD object that looks like an article, else {}."""
    for block in _json_ld_blocks(html):
        try:
            data = json.loads(block)
        except ValueError:
            continue
        for node in _json_nodes(data):
            if "headline" in node or "datePublished" in node:
                return node
    return {}


def _json_ld_blocks(html: str) -> Iterator[str]:
    """The first few JSON-LD scripts' contents, each read within a bounded stretch."""
    for start in islice(_JSON_LD_START.finditer(html), _JSON_LD_BLOCKS):
        end = html.find("</script", start.end(), start.end() + _JSON_LD_CHARS)
        if end >= 0:
            yield html[start.end() : end]


def _json_nodes(data: Any) -> Iterator[dict[str, Any]]:
    """Every object in a JSON-LD document, @graph lists included."""
    if isinstance(data, list):
        for item in data:
            yield from _json_nodes(item)
    elif isinstance(data, dict):
        yield data
        yield from _json_nodes(data.get("@graph", []))


def _page_title(head: str, metas: dict[str, str], linked: dict[str, Any]) -> str:
    """og:title, JSON-LD headline, twitter:title, the one <h1>, else the <title> trimmed."""
    headline = linked.get("headline")
    for candidate in (metas.get("og:title"), headline, metas.get("twitter:title")):
        if isinstance(candidate, str) and candidate.strip():
            return one_line(candidate)
    headings = [match.group(1) for match in islice(_H1.finditer(head), 2)]
    if len(headings) == 1 and plain_text(headings[0]):
        return one_line(plain_text(headings[0]))
    match = _TITLE_TAG.search(head)
    return _trim_site_name(plain_text(match.group(1))) if match else ""


def _trim_site_name(title: str) -> str:
    """'Story | Site' -> 'Story': the longest part between separators."""
    parts = _TITLE_SEPARATORS.split(title)
    return max(parts, key=len).strip() if len(parts) > 1 else title.strip()


def one_line(text: str) -> str:
    """`text` on one line: entities decoded, runs of whitespace one space."""
    return " ".join(unescape_html(text).split())


def _byline(metas: dict[str, str], linked: dict[str, Any]) -> str:
    names = _author_names(linked.get("author"))
    if names:
        return ", ".join(names)
    for key in _AUTHOR_KEYS:
        value = metas.get(key, "")
        if value and not value.startswith(("http://", "https://")):
            return one_line(value)
    return ""


def _author_names(author: Any) -> list[str]:
    """Names from a JSON-LD author: a string, a Person, or a list of either."""
    if isinstance(author, str):
        return [one_line(author)] if author.strip() else []
    if isinstance(author, dict):
        name = author.get("name")
        return [one_line(name)] if isinstance(name, str) and name.strip() else []
    if isinstance(author, list):
        return [name for item in author for name in _author_names(item)]
    return []


def _published(head: str, metas: dict[str, str], linked: dict[str, Any]) -> datetime | None:
    candidates = [metas.get(key, "") for key in _DATE_KEYS]
    candidates.append(str(linked.get("datePublished") or ""))
    time_tag = _TIME_TAG.search(head)
    candidates.append(time_tag.group(1) if time_tag else "")
    for value in candidates:
        when = parse_datetime(value)
        if when is not None:
            return when
    return None


def parse_datetime(value: object) -> datetime | None:
    """An ISO 8601 date or datetime (or a YAML-loaded one) in UTC; None if it is not one."""
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, date):
        when = datetime(value.year, value.month, value.day)
    else:
        try:
            when = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


def _canonical(head: str, metas: dict[str, str], linked: dict[str, Any], url: str) -> str:
    for tag in _LINK_TAG.findall(head):
        attrs = _attributes(tag)
        if "canonical" in attrs.get("rel", "").lower().split() and attrs.get("href"):
            return urljoin(url, attrs["href"].strip())
    for candidate in (metas.get("og:url"), linked.get("url")):
        if isinstance(candidate, str) and candidate.strip():
            return urljoin(url, candidate.strip())
    return url
