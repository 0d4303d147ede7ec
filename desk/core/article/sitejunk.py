"""Junk learned per site: a short line that recurs on many pages of one site is furniture there.

Generic rules (desk.core.article.clean) catch the junk every theme shares; this
catches a site's own ("Our Standards: The Thomson Reuters Trust
Principles.", a newsletter plug, a section label). The pipeline feeds
`SiteLines` the short lines of every page it fetches and asks it for a
host's junk before cleaning that host's next page. A line becomes junk for
its host once it has been seen on `threshold` distinct pages of that host and
on at least `min_share` of the host's pages since it first appeared: theme
text is on nearly every page, while a background sentence that a wire
service repeats ("Russia invaded Ukraine in February 2022.") is on only the
stories of one topic, so it stays.

Pure bookkeeping, no I/O: the store persists `to_json()`. Memory is bounded:
at most `max_hosts` hosts, `max_lines` counted lines and `max_pages`
remembered page ids per host; the least recently seen go first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from desk.core.article.clean import MAX_SITE_LINE, line_key
from desk.core.models import short_hash

DEFAULT_THRESHOLD = 5
"""Distinct pages of one host a line must appear on before it is junk there."""
DEFAULT_MIN_SHARE = 0.5
"""The share of the host's pages, since the line first appeared, that it must appear on."""
MIN_LINE_CHARS = 2
FORMAT_VERSION = 1


def site_of(url: str) -> str:
    """The host a page belongs to, lowercase, without a leading `www.`."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def page_id(url: str) -> str:
    """A short stable id for a page, so a page fetched twice counts once."""
    return short_hash(url)[:12]


def learnable_lines(blocks: Iterable[Iterable[str]]) -> tuple[str, ...]:
    """The distinct short lines of a page (as comparison keys) that junk could be made of."""
    keys = {
        line_key(line)
        for lines in blocks
        for line in lines
        if MIN_LINE_CHARS <= len(line) <= MAX_SITE_LINE
    }
    return tuple(sorted(keys))


@dataclass
class HostLines:
    """What one host's pages have shown: recent page ids and per-line counts."""

    last_seen: int = 0
    total: int = 0
    """Distinct pages of this host observed, ever."""
    pages: list[str] = field(default_factory=list)
    counts: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    """line key -> (distinct pages it was on, tick it was last seen, `total` when it first was).

    Tuples of ints, not lists: the garbage collector stops tracking them (and then the dict),
    where up to max_hosts * max_lines lists were walked by every full collection, which held
    the desk's screen for tens of milliseconds during a poll."""
    frequent: set[str] = field(default_factory=set, compare=False, repr=False)
    """The counted lines seen on `threshold` pages or more: the only ones that can be junk."""


class SiteLines:
    """Per-host counts of short lines over distinct pages; the frequent ones are junk."""

    def __init__(
        self,
        threshold: int = DEFAULT_THRESHOLD,
        min_share: float = DEFAULT_MIN_SHARE,
        max_hosts: int = 300,
        max_lines: int = 2000,
        max_pages: int = 500,
    ) -> None:
        self.threshold = threshold
        self.min_share = min_share
        self.max_hosts = max_hosts
        self.max_lines = max_lines
        self.max_pages = max_pages
        self.tick = 0
        self.hosts: dict[str, HostLines] = {}
        self._junk: dict[str, frozenset[str]] = {}

    def observe(self, host: str, page: str, lines: Iterable[str]) -> bool:
        """Count a page's lines once; False when the page was counted before (or has no host).

        The host's junk is worked out again when next asked for (`junk_for`).
        """
        entry = self.hosts.setdefault(host, HostLines()) if host else None
        if entry is None or page in entry.pages:
            return False
        self.tick += 1
        entry.last_seen, entry.total = self.tick, entry.total + 1
        entry.pages = [*entry.pages, page][-self.max_pages :]
        counts, first = entry.counts, entry.total
        for line in set(lines):
            pages, _, since = counts.get(line) or (0, 0, first)
            counts[line] = (pages + 1, self.tick, since)
            if pages + 1 >= self.threshold:
                entry.frequent.add(line)
        self._trim_lines(entry)
        self._trim_hosts()
        self._junk.pop(host, None)
        return True

    def junk_for(self, host: str) -> frozenset[str]:
        """The line keys that are junk on `host`'s pages."""
        if host not in self._junk:
            entry = self.hosts.get(host)
            self._junk[host] = self._junk_of(entry) if entry else frozenset()
        return self._junk[host]

    def _junk_of(self, entry: HostLines) -> frozenset[str]:
        """The host's frequent lines that are junk (the only lines that can be)."""
        return frozenset(
            line for line in entry.frequent if self._is_junk(entry, entry.counts[line])
        )

    def _is_junk(self, entry: HostLines, seen: tuple[int, int, int]) -> bool:
        """Seen on `threshold` pages and on `min_share` of the host's pages since it first was."""
        pages, _, first = seen
        return pages >= self.threshold and pages >= self.min_share * (entry.total - first + 1)

    def _trim_lines(self, entry: HostLines) -> None:
        """Drop the rarest, stalest lines once a host holds more than max_lines."""
        if len(entry.counts) <= self.max_lines:
            return
        keep = int(self.max_lines * 0.9)
        ranked = sorted(
            entry.counts.items(),
            key=lambda item: (
                self._is_junk(entry, item[1]),
                min(item[1][0], self.threshold),
                item[1][1],
            ),
            reverse=True,
        )
        entry.counts = dict(ranked[:keep])
        self._count_frequent(entry)

    def _count_frequent(self, entry: HostLines) -> None:
        """Set the host's frequent lines from its counts."""
        entry.frequent = {line for line, seen in entry.counts.items() if seen[0] >= self.threshold}

    def _trim_hosts(self) -> None:
        """Forget the least recently seen hosts beyond max_hosts."""
        while len(self.hosts) > self.max_hosts:
            stalest = min(self.hosts, key=lambda host: self.hosts[host].last_seen)
            del self.hosts[stalest]
            self._junk.pop(stalest, None)

    def to_json(self) -> dict[str, Any]:
        """Everything learned, as plain JSON data for the store."""
        return {
            "version": FORMAT_VERSION,
            "tick": self.tick,
            "hosts": {
                host: {
                    "last_seen": e.last_seen,
                    "total": e.total,
                    "pages": e.pages,
                    "lines": e.counts,
                }
                for host, e in self.hosts.items()
            },
        }

    @classmethod
    def from_json(cls, data: object, **limits: Any) -> SiteLines:
        """Restore what `to_json` saved; anything malformed is skipped, not fatal."""
        learned = cls(**limits)
        if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
            return learned
        learned.tick = _int(data.get("tick"))
        hosts = data.get("hosts")
        for host, raw in hosts.items() if isinstance(hosts, dict) else ():
            entry = _host_from_json(raw)
            if isinstance(host, str) and entry is not None:
                learned._count_frequent(entry)
                learned.hosts[host] = entry
        learned._trim_hosts()
        return learned


def _host_from_json(raw: object) -> HostLines | None:
    if not isinstance(raw, dict):
        return None
    pages = raw.get("pages")
    lines = raw.get("lines")
    if not isinstance(pages, list) or not isinstance(lines, dict):
        return None
    counts = {
        line: (_int(seen[0]), _int(seen[1]), _int(seen[2]))
        for line, seen in lines.items()
        if isinstance(line, str) and isinstance(seen, (list, tuple)) and len(seen) == 3
    }
    return HostLines(
        last_seen=_int(raw.get("last_seen")),
        total=_int(raw.get("total")),
        pages=[page for page in pages if isinstance(page, str)],
        counts=counts,
    )


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
