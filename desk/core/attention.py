"""What deserves the analyst's eye beyond single alerts: blind spots, corroboration, surges.

A blind spot is a feed desk cannot see through: one that has failed for
longer than `blind_after`, or one that answers but has had nothing new for
far longer than its own rhythm (learned from when earlier cycles found new
items in it: FeedState.new_item_times). A quiet feed that posts weekly is
not a blind spot after a day; an hourly wire silent for a day is. Pure:
`now` and the states come in, decisions go out.

Corroboration raises a story one severity level when independent sources
(different feeds on different hosts) carry it; a surge is a watchlist whose
last hour stands above mean + 3σ of its own past hours.
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urlsplit

from desk.core.models import Alert, AlertRow, Feed, FeedState, Severity, feed_name

RHYTHM_NEEDS = 6
"""New-item times a feed needs before its silence is judged (five gaps)."""
SILENT_FACTOR = 8.0
"""Silent this many times its usual gap between new items: a blind spot."""
SILENT_POLLS = 3
"""Never silent before this many of its own poll intervals have passed with nothing new."""
DEAD, SILENT = "failing", "silent"
"""The two kinds of blind spot."""


@dataclass(frozen=True)
class BlindSpot:
    """A feed desk cannot see through, since when, and why in words."""

    url: str
    name: str
    kind: str
    """DEAD (failing) or SILENT (answering, nothing new)."""
    since: datetime
    why: str
    """`failing for 7 h (HTTP 404)`, `silent for 2 d; new items usually come every 1 h`."""

    def line(self) -> str:
        """The blind spot in one line: `Gone Wire: failing for 7 h (HTTP 404)`."""
        return f"{self.name}: {self.why}"


def duration_words(seconds: float) -> str:
    """A span as the analyst reads it: `45 s`, `40 min`, `7 h`, `3 d` (each unit up to two of the next)."""
    if seconds < 120:
        return f"{max(seconds, 0):.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} d"


def usual_gap(times: tuple[datetime, ...]) -> float | None:
    """The median seconds between a feed's new-item times; None until there are enough."""
    if len(times) < RHYTHM_NEEDS:
        return None
    gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(times)]
    return statistics.median(gaps)


def blind_spot(
    feed: Feed, state: FeedState | None, now: datetime, blind_after: float
) -> BlindSpot | None:
    """Whether this feed is a blind spot now, and why."""
    if state is None:
        return None
    name = feed_name(feed, state)
    if state.error:
        since = state.failing_since or state.last_success
        if since is not None and (now - since).total_seconds() >= blind_after:
            why = f"failing for {duration_words((now - since).total_seconds())} ({state.error})"
            return BlindSpot(feed.url, name, DEAD, since, why)
        return None
    gap = usual_gap(state.new_item_times)
    if gap is None:
        return None
    last = state.new_item_times[-1]
    silence = (now - last).total_seconds()
    if silence <= max(SILENT_FACTOR * gap, SILENT_POLLS * feed.interval):
        return None
    why = (
        f"silent for {duration_words(silence)}; new items usually come every {duration_words(gap)}"
    )
    return BlindSpot(feed.url, name, SILENT, last, why)


def blind_spots(
    feeds: Iterable[Feed], states: dict[str, FeedState], now: datetime, blind_after: float
) -> list[BlindSpot]:
    """Every configured feed that is a blind spot now, in feed order."""
    found = (blind_spot(feed, states.get(feed.url), now, blind_after) for feed in feeds)
    return [spot for spot in found if spot is not None]


# -- corroboration: one story from several independent sources -----------------------------------

CORROBORATED_AT = 3
"""Independent sources (different feeds on different hosts) that raise a story one severity level."""
SOURCES_REASON = re.compile(r"^\d+ independent sources(, severity raised to \w+)?$")
"""The part of an alert's reason that corroboration writes (and rewrites as sources join)."""


def source_host(url: str) -> str:
    """The host a source publishes from, without `www.`: two feeds of one site are one source."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def source_names(feeds: Iterable[Feed], states: dict[str, FeedState]) -> dict[str, str]:
    """Feed URL -> the name its alerts give it as a source: its name, else its title, else its URL.

    Feeds on different hosts that share a name (two feeds titled `World
    News`) each get their host added (`World News (b.example)`): one name
    for both would make them one source, and corroboration would count them once.
    """
    plain = {feed.url: feed_name(feed, states.get(feed.url)) for feed in feeds}
    hosts_by_name: dict[str, set[str]] = {}
    for url, name in plain.items():
        hosts_by_name.setdefault(name, set()).add(source_host(url))
    return {
        url: f"{name} ({source_host(url)})" if len(hosts_by_name[name]) > 1 else name
        for url, name in plain.items()
    }


def hosts_of_sources(feeds: Iterable[Feed], states: dict[str, FeedState]) -> dict[str, str]:
    """Source name (as alerts keep it: see source_names) -> the host of its feed.

    Keyed by each feed's own source name (unique per feed, see source_names),
    and by its URL, title and configured name as older alerts may keep them,
    unless one of those names feeds on different hosts: then it says nothing.
    """
    feeds = list(feeds)
    hosts: dict[str, set[str]] = {}
    for feed in feeds:
        state = states.get(feed.url)
        for name in (feed.url, state.title if state else "", feed.name):
            if name:
                hosts.setdefault(name, set()).add(source_host(feed.url))
    known = {name: next(iter(found)) for name, found in hosts.items() if len(found) == 1}
    names = source_names(feeds, states)
    return {**known, **{names[feed.url]: source_host(feed.url) for feed in feeds}}


def one_level_up(severity: Severity) -> Severity:
    """The next severity (critical stays critical)."""
    levels = list(Severity)
    return levels[min(severity.rank + 1, len(levels) - 1)]


def corroborated(alert: Alert, hosts: dict[str, str], base: Severity) -> Alert:
    """`alert` raised one level above `base` (its watchlists' severity) when independent sources agree.

    Sources are the feeds merged into the alert; those on one host count
    once, and a source whose feed is not configured any more is not counted.
    The reason says how many (`3 independent sources, severity raised to critical`).
    """
    independent = len({hosts[s] for s in alert.sources if s in hosts})
    if independent < CORROBORATED_AT:
        return alert
    severity = max(alert.severity, one_level_up(base), key=lambda s: s.rank)
    said = f"{independent} independent sources"
    if severity.rank > base.rank:
        said += f", severity raised to {severity.value}"
    kept = [part for part in alert.reason.split("; ") if part and not SOURCES_REASON.match(part)]
    return replace(alert, severity=severity, reason="; ".join([*kept, said]))


# -- surges: a watchlist far above its own hourly baseline ---------------------------------------

SURGE_SIGMAS = 3.0
"""A watchlist's last hour above its hourly mean plus this many standard deviations is a surge."""
SURGE_HISTORY_HOURS = 24
"""Hours of history a watchlist needs (from its first alert) before a surge can be judged."""
SURGE_WINDOW_DAYS = 7
"""How far back its hourly baseline reaches."""
SURGE_LEAST = 3
"""Fewer alerts than this in an hour are never a surge, whatever a quiet baseline says."""


@dataclass(frozen=True)
class Surge:
    """A watchlist whose last hour stands far above its own baseline."""

    watchlist: str
    count: int
    """Alerts in the last hour."""
    mean: float
    sigma: float

    def line(self) -> str:
        """`surge: troop-deployment: 9 alerts in the last hour (usually 0.4 ± 0.6)`."""
        return (
            f"surge: {self.watchlist}: {self.count} alerts in the last hour "
            f"(usually {self.mean:.1f} ± {self.sigma:.1f})"
        )


def surges(rows: Iterable[AlertRow], now: datetime) -> list[Surge]:
    """Each watchlist whose alerts raised in the last hour exceed mean + 3σ of its past hours.

    The past hours are those before the last, back to SURGE_WINDOW_DAYS or
    to the watchlist's first alert; a watchlist with less than
    SURGE_HISTORY_HOURS of them is not judged yet.
    """
    end = now.timestamp()
    start = end - SURGE_WINDOW_DAYS * 86400
    raised: dict[str, list[float]] = {}
    first: dict[str, float] = {}
    for row in rows:
        when = row.order[1]
        for watchlist in row.watchlists:
            first[watchlist] = min(first.get(watchlist, when), when)
            if start <= when <= end:
                raised.setdefault(watchlist, []).append(when)
    found = [_surge(w, times, max(first[w], start), end) for w, times in raised.items()]
    return sorted((s for s in found if s is not None), key=lambda s: -s.count)


def _surge(watchlist: str, times: list[float], since: float, end: float) -> Surge | None:
    hours = int((end - 3600 - since) // 3600)
    if hours < SURGE_HISTORY_HOURS:
        return None
    counts = [0] * hours
    recent = 0
    for when in times:
        if when > end - 3600:
            recent += 1
        else:
            slot = int((end - 3600 - when) // 3600)
            if slot < hours:
                counts[slot] += 1
    mean = statistics.fmean(counts)
    sigma = statistics.pstdev(counts)
    if recent < SURGE_LEAST or recent <= mean + SURGE_SIGMAS * sigma:
        return None
    return Surge(watchlist, recent, mean, sigma)
