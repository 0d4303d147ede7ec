"""Pure decisions: when a feed is due, how long to back off, what is new, what alerts.

Nothing here does I/O or reads a clock: `now` and any randomness (jitter in
0..1) are arguments, so every decision is tested without a network.
"""

from __future__ import annotations

import heapq
import re
import zlib
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import NamedTuple

from rapidfuzz import fuzz, process

from desk.core.models import (
    Alert,
    AlertRow,
    AlertState,
    Article,
    Feed,
    FeedState,
    Hit,
    Item,
    SeenItem,
    Severity,
    Watchlist,
    evidence_key,
    short_hash,
)

MAX_BACKOFF = 24 * 3600.0
FIRST_BACKOFF = 60.0
SAME_STORY_WINDOW = timedelta(days=3)
SAME_TITLE_SCORE = 90.0


def newest_first(alerts: Iterable[Alert]) -> list[Alert]:
    """Alerts in the order the desk lists them: newest raised first."""
    return sorted(alerts, key=lambda a: (a.created, a.published or a.created), reverse=True)


def is_due(state: FeedState | None, now: datetime) -> bool:
    """A feed never polled, or whose next-due time has come, is due."""
    return state is None or state.next_due is None or state.next_due <= now


def next_due_after_success(feed: Feed, now: datetime, jitter: float) -> datetime:
    """The next poll: the feed's interval, give or take 10%."""
    return now + timedelta(seconds=feed.interval * (0.9 + 0.2 * jitter))


def backoff_seconds(
    failures: int, interval: float, retry_after: float | None, jitter: float
) -> float:
    """Exponential backoff after `failures` consecutive errors, capped at 24 h.

    Never sooner than the feed's own interval or the server's Retry-After.
    """
    exponential = FIRST_BACKOFF * (2 ** min(max(failures - 1, 0), 20))
    delay = min(max(exponential, interval), MAX_BACKOFF) * (0.9 + 0.2 * jitter)
    return float(min(max(delay, retry_after or 0.0), MAX_BACKOFF))


def new_or_changed(items: Iterable[Item], seen: dict[str, SeenItem]) -> list[Item]:
    """Items never seen, or seen with different content (to be matched again)."""
    fresh: dict[str, Item] = {}
    for item in items:
        known = seen.get(item.key)
        if known is None or known.fingerprint != item.fingerprint:
            fresh.setdefault(item.key, item)
    return list(fresh.values())


def within_caps(
    todo: list[tuple[Feed, Item]], per_feed: int, pages: int | None
) -> tuple[list[tuple[Feed, Item]], dict[str, int]]:
    """The new items this cycle takes (in feed order), and how many wait, by feed URL.

    At most `per_feed` from one feed, and at most `pages` in all when each
    costs a page request: one feed of 100,000 items no longer means 100,000
    requests in one cycle. What waits is taken by the next cycles.
    """
    taken: list[tuple[Feed, Item]] = []
    counts: dict[str, int] = {}
    waiting: dict[str, int] = {}
    for feed, item in todo:
        full = counts.get(feed.url, 0) >= per_feed or (pages is not None and len(taken) >= pages)
        if full:
            waiting[feed.url] = waiting.get(feed.url, 0) + 1
        else:
            counts[feed.url] = counts.get(feed.url, 0) + 1
            taken.append((feed, item))
    return taken, waiting


def story_title_key(title: str) -> str:
    """A title folded for comparison: lower case, words only."""
    return " ".join(_WORDS.findall(title.lower()))


_WORDS = re.compile(r"\w+")


class StoryIndex:
    """The alerts a cycle may merge into: by id, by URL, and recent ones by folded title.

    Built once per cycle (or re-match) and kept current with `add`, so
    finding an item's story costs a dictionary lookup and one rapidfuzz
    search over recent titles, not a pass over every alert per item.

    Two stories are one when they share a URL, or when their titles are
    near-identical (token_set_ratio >= 90: one may add a site's name or a
    count to the other) *and* agree on the names, places and
    numbers they hold *and* their texts are near-identical (see
    `text_sketch`). "Iran fires missiles at Iraq" is not "... at Israel",
    nor "Hwasong-18" "Hwasong-19": a title may add such words (a site's name,
    a casualty count in an update) but not swap one for another.
    """

    def __init__(self, alerts: Iterable[Alert], now: datetime) -> None:
        self.now = now
        self._by_id: dict[str, Alert] = {}
        self._by_url: dict[str, str] = {}
        self._recent_titles: dict[str, str] = {}
        for alert in alerts:
            self.add(alert)

    def add(self, alert: Alert) -> None:
        """Index an alert (one raised or grown this cycle replaces its stored version)."""
        self._by_id[alert.id] = alert
        if alert.url:
            self._by_url.setdefault(alert.url, alert.id)
        title = story_title_key(alert.title)
        if title and self.now - alert.created <= SAME_STORY_WINDOW:
            self._recent_titles[alert.id] = title
        else:
            self._recent_titles.pop(alert.id, None)

    def get(self, alert_id: str) -> Alert | None:
        """The alert with this id, as it stands this cycle."""
        return self._by_id.get(alert_id)

    def same_story(self, article: Article) -> Alert | None:
        """An alert already raised for this story: same URL, else same title, names and text."""
        for url in (article.url, article.canonical_url):
            if url and url in self._by_url:
                return self._by_id[self._by_url[url]]
        title = story_title_key(article.title)
        if not title or not self._recent_titles:
            return None
        candidates = process.extract(
            title,
            self._recent_titles,
            scorer=fuzz.token_set_ratio,
            score_cutoff=SAME_TITLE_SCORE,
            limit=5,
        )
        sketch = text_sketch(article.text) if candidates else ""
        if not sketch:  # no text to compare (a title alone): only a URL makes it the same story
            return None
        for _, _, alert_id in candidates:
            alert = self._by_id[alert_id]
            if names_agree(article.title, alert.title) and texts_agree(sketch, alert.text_sketch):
                return alert
        return None


def title_names(title: str) -> set[str]:
    """What identifies a title's story: its numbers and capitalised words (names, places).

    "Hwasong-18" and "1,500" count as written (commas out); the first word
    counts only if it is a name elsewhere too, since every title starts with
    a capital.
    """
    words = _NAME_WORDS.findall(title)
    names = {w.replace(",", "").casefold() for w in words[1:] if _is_name(w)}
    if words and any(c.isdigit() for c in words[0]):
        names.add(words[0].replace(",", "").casefold())
    return names


def _is_name(word: str) -> bool:
    return word[0].isupper() or any(c.isdigit() for c in word)


_NAME_WORDS = re.compile(r"\w[\w,.-]*\w|\w")


def names_agree(one: str, other: str) -> bool:
    """True unless each title holds a name or number the other lacks (a swap, not an addition)."""
    mine, theirs = title_names(one), title_names(other)
    return mine <= theirs or theirs <= mine


SKETCH_SIZE = 24
"""How many shingle hashes a text's sketch keeps (bottom-k MinHash)."""
SAME_TEXT_SHARE = 0.5
"""The estimated share of three-word shingles two texts must have in common to be one story."""


def text_sketch(text: str) -> str:
    """A short, stable summary of a text's three-word shingles: the smallest CRC32s, in hex.

    Two sketches estimate how much of their texts' wording two articles
    share (Broder's bottom-k MinHash), so a merge can ask for near-identical
    text without keeping or reading the bodies.
    """
    words = _WORDS.findall(text.casefold())[:3000]
    shingles = {" ".join(words[i : i + 3]) for i in range(max(len(words) - 2, 1))}
    hashes = heapq.nsmallest(SKETCH_SIZE, {zlib.crc32(s.encode()) for s in shingles if s})
    return "".join(f"{h:08x}" for h in hashes)


def texts_agree(one: str, other: str) -> bool:
    """Whether two sketches' texts share most of their wording; True if either is unknown."""
    if not one or not other:  # an alert stored before sketches: its title has to do
        return True
    a, b = _hashes(one), _hashes(other)
    union = heapq.nsmallest(SKETCH_SIZE, a | b)
    shared = sum(1 for h in union if h in a and h in b)
    return shared >= SAME_TEXT_SHARE * len(union)


def _hashes(sketch: str) -> set[int]:
    return {int(sketch[i : i + 8], 16) for i in range(0, len(sketch), 8)}


def find_same_story(article: Article, existing: Iterable[Alert], now: datetime) -> Alert | None:
    """An alert already raised for this story (same URL or near-identical recent title)."""
    return StoryIndex(existing, now).same_story(article)


def existing_alert(alert_id: str | None, article: Article, stories: StoryIndex) -> Alert | None:
    """The alert an item belongs to: its own (as changed this cycle), else the same story's."""
    if alert_id:
        return stories.get(alert_id)
    return stories.same_story(article)


class _Match(NamedTuple):
    """What one copy of a story brought: its source, the watchlists it fired, their worst and best."""

    source: str
    fired: tuple[str, ...]
    severity: Severity
    score: float
    hits: list[Hit]


def decide_alert(
    item: Item,
    feed_name: str,
    article: Article,
    hits: list[Hit],
    watchlists: dict[str, Watchlist],
    existing: Alert | None,
    now: datetime,
) -> Alert | None:
    """The alert these hits raise, merged into the story's existing alert if any."""
    if not hits:
        return None
    fired = tuple(dict.fromkeys(hit.watchlist for hit in hits))
    severity = max((watchlists[w].severity for w in fired if w in watchlists), key=_rank)
    match = _Match(feed_name, fired, severity, max(hit.score for hit in hits), hits)
    if existing is not None:
        if item.key == existing.article_key:  # the alert's own article changed: new offsets
            return _refresh(existing, match)
        tagged = [hit._replace(article_key=item.key) for hit in hits]
        return _merge(existing, match._replace(hits=tagged))
    return Alert(
        id=short_hash(article.canonical_url or article.url or item.key),
        title=article.title or item.title,
        url=article.canonical_url or item.url,
        sources=(feed_name,),
        published=item.published or article.published,
        watchlists=fired,
        severity=severity,
        score=match.score,
        hits=tuple(hits),
        created=now,
        article_key=item.key,
        text_sketch=text_sketch(article.text),
    )


def _rank(severity: Severity) -> int:
    return severity.rank


def _merge(alert: Alert, match: _Match) -> Alert:
    """One story, one alert: add the source, any newly fired watchlists and new phrases.

    New evidence (another watchlist, a higher severity, a phrase the alert
    did not have) brings an acknowledged or archived alert back as new, with
    the reason; the same copy of the story from one more feed does not.
    """
    watchlists = tuple(dict.fromkeys((*alert.watchlists, *match.fired)))
    sources = tuple(dict.fromkeys((*alert.sources, match.source)))
    known = {evidence_key(hit) for hit in alert.hits}
    fresh = [h for h in match.hits if evidence_key(h) not in known]
    merged = replace(
        alert,
        sources=sources,
        watchlists=watchlists,
        severity=max(alert.severity, match.severity, key=_rank),
        score=max(alert.score, match.score),
        hits=alert.hits + tuple(fresh),
    )
    return _reopened(alert, merged, match.source, len(fresh))


def _refresh(alert: Alert, match: _Match) -> Alert:
    """The alert's own article was matched again: the fired watchlists' hits are replaced.

    Their offsets point into the article as it is now; hits of watchlists that
    were not part of this match, and hits in other sources' copies, stay.
    """
    merged = _merge(replace(alert, state=AlertState.NEW), match._replace(hits=[]))
    kept = [h for h in alert.hits if h.article_key or h.watchlist not in match.fired]
    combined = sorted(
        (*kept, *match.hits), key=lambda h: (bool(h.article_key), h.start, h.watchlist)
    )
    refreshed = replace(merged, hits=tuple(combined), score=max(h.score for h in combined))
    return _reopened(alert, replace(refreshed, state=alert.state), match.source, 0)


REOPENED_STATES = (AlertState.ACKNOWLEDGED, AlertState.ARCHIVED)
GREW_SINCE = "grew since"
"""How the reason of an alert that came back begins: `grew since acknowledged: +icbm-reentry ...`."""


def grew_since_handled(alert: Alert | AlertRow) -> str:
    """`grew since acknowledged` (or archived) for a new alert that came back grown, else ""."""
    if alert.state is not AlertState.NEW or not alert.reason.startswith(GREW_SINCE):
        return ""
    return alert.reason.partition(":")[0]


def _reopened(before: Alert, after: Alert, source: str, fresh_hits: int) -> Alert:
    """`after`, back to new with the reason if it brought what `before` did not have."""
    news = [f"+{w}" for w in after.watchlists if w not in before.watchlists]
    if after.severity.rank > before.severity.rank:
        news.append(f"severity {before.severity.value} -> {after.severity.value}")
    if fresh_hits:
        news.append(f"{fresh_hits} new {'phrase' if fresh_hits == 1 else 'phrases'}")
    if not news or before.state not in REOPENED_STATES:
        return after
    reason = f"{GREW_SINCE} {before.state.value}: {', '.join(news)} from {source}"
    return replace(after, state=AlertState.NEW, acknowledged_at=None, reason=reason)


def acknowledge(alert: Alert, now: datetime, note: str = "") -> Alert:
    """The alert acknowledged at `now`."""
    return replace(
        alert,
        state=AlertState.ACKNOWLEDGED,
        acknowledged_at=now,
        note=note or alert.note,
        reason="",
    )


def unacknowledge(alert: Alert) -> Alert:
    """The alert back to new."""
    return replace(alert, state=AlertState.NEW, acknowledged_at=None, snoozed_until=None, reason="")


def archive(alert: Alert) -> Alert:
    """The alert filed away: out of the working list, kept in the store and exports."""
    return replace(alert, state=AlertState.ARCHIVED, snoozed_until=None)


def snooze(alert: Alert, until: datetime) -> Alert:
    """The alert put aside until `until`, when it comes back as new."""
    return replace(alert, state=AlertState.SNOOZED, snoozed_until=until)


def snoozes_over(rows: Iterable[AlertRow], now: datetime) -> list[str]:
    """The ids of the snoozed alerts whose time has come (read from the rows: only those
    are read in full, to be `woken`)."""
    return [
        row.id
        for row in rows
        if row.state is AlertState.SNOOZED and row.snoozed_until and row.snoozed_until <= now
    ]


def woken(alerts: Iterable[Alert], now: datetime) -> list[Alert]:
    """The snoozed alerts whose time has come, back to new."""
    return [
        replace(a, state=AlertState.NEW, snoozed_until=None)
        for a in alerts
        if a.state is AlertState.SNOOZED and a.snoozed_until is not None and a.snoozed_until <= now
    ]


def acknowledge_all(alerts: Iterable[Alert], now: datetime, note: str = "") -> list[Alert]:
    """Acknowledge every new (or snoozed) alert among those a filter shows."""
    return [
        acknowledge(a, now, note) for a in alerts if a.state in (AlertState.NEW, AlertState.SNOOZED)
    ]
