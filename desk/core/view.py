"""What the desk shows: the alert list's query, order and pages; the feed and watchlist summaries.

Pure and fast: selecting from 100k alerts is a filter and one sort, done
when the query or the store changes, never on a cursor move.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from operator import attrgetter
from typing import TypeVar

from desk.core.attention import BlindSpot
from desk.core.models import (
    Alert,
    AlertRow,
    AlertState,
    Feed,
    FeedState,
    Severity,
    Watchlist,
    feed_name,
)

PAGE_SIZE = 500
"""Rows the list holds at once: Textual measures every cell, so the list shows one page."""

Listed = TypeVar("Listed", Alert, AlertRow)
"""What the list selects from: full alerts, or the store's list rows (the same fields)."""


class StateView(StrEnum):
    """Which workflow states the list shows; `f` cycles through them in this order."""

    ACTIVE = "active"
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    SNOOZED = "snoozed"
    ARCHIVED = "archived"
    ALL = "all"

    @property
    def states(self) -> frozenset[AlertState]:
        """The alert states this view lets through."""
        return VIEW_STATES[self]

    def following(self) -> StateView:
        """The next view in the cycle."""
        views = list(StateView)
        return views[(views.index(self) + 1) % len(views)]


VIEW_STATES = {
    StateView.ACTIVE: frozenset({AlertState.NEW, AlertState.ACKNOWLEDGED, AlertState.SNOOZED}),
    StateView.NEW: frozenset({AlertState.NEW}),
    StateView.ACKNOWLEDGED: frozenset({AlertState.ACKNOWLEDGED}),
    StateView.SNOOZED: frozenset({AlertState.SNOOZED}),
    StateView.ARCHIVED: frozenset({AlertState.ARCHIVED}),
    StateView.ALL: frozenset(AlertState),
}


@dataclass(frozen=True)
class AlertQuery:
    """Which alerts the list shows: a state view narrowed by watchlist, severity and title text."""

    view: StateView = StateView.ACTIVE
    watchlist: str = ""
    """Only alerts this watchlist fired for ("" for any)."""
    severity: Severity | None = None
    """Only alerts of at least this severity (None for any)."""
    text: str = ""
    """Only alerts whose title (or article text: see `found`) holds this, ignoring case ("" for any)."""
    found: frozenset[str] = frozenset()
    """Alerts whose article text holds `text`, as far as a search of the bodies has got."""

    def matches(self, alert: Alert | AlertRow) -> bool:
        """Whether `alert` is one the query shows."""
        return (
            alert.state in self.view.states
            and (not self.watchlist or self.watchlist in alert.watchlists)
            and (self.severity is None or alert.severity.rank >= self.severity.rank)
            and (
                not self.text
                or self.text.casefold() in alert.title.casefold()
                or alert.id in self.found
            )
        )

    def with_text(self, text: str) -> AlertQuery:
        """The same query searching titles for `text` (stripped); bodies not searched yet."""
        return replace(self, text=text.strip(), found=frozenset())

    def text_search(self, rows: Iterable[AlertRow]) -> dict[str, list[str]]:
        """What a search of the article bodies must read: article key -> ids of the alerts
        the query would show but for `text`, less those whose title already holds it."""
        needle = self.text.casefold()
        wanted: dict[str, list[str]] = {}
        for row in select(rows, replace(self, text="")):
            if row.article_key and needle not in row.title.casefold():
                wanted.setdefault(row.article_key, []).append(row.id)
        return wanted

    def describe(self) -> str:
        """The query in a few words, for the list's title: `new · icbm-reentry · ≥high · "agni"`."""
        parts = [self.view.value]
        if self.watchlist:
            parts.append(self.watchlist)
        if self.severity is not None:
            parts.append(f"≥{self.severity.value}")
        if self.text:
            parts.append(f"“{self.text}”")
        return " · ".join(parts)


ORDER = attrgetter("order")
"""The key the list sorts by (a row carries it; a full alert works it out): a Python function
per alert here took a third of selecting 100k rows."""


def listed_order(alerts: Iterable[Listed]) -> list[Listed]:
    """Newest published first (raised time where there is none), then newest raised."""
    return sorted(alerts, key=ORDER, reverse=True)


def select(alerts: Iterable[Listed], query: AlertQuery) -> list[Listed]:
    """The alerts `query` shows, in the list's order."""
    states = query.view.states
    chosen: Iterable[Listed] = (a for a in alerts if a.state in states)
    if query.watchlist or query.severity is not None or query.text:
        chosen = (a for a in chosen if query.matches(a))
    return listed_order(chosen)


@dataclass(frozen=True)
class Page:
    """One page of a selection: its alerts, its number (from 0) and how many pages there are."""

    alerts: Sequence[Alert | AlertRow]
    number: int
    pages: int
    total: int
    first: int
    """The index in the selection of the page's first alert."""

    def describe(self) -> str:
        """`page 2/7 · alerts 501-1,000 of 3,120` (or just the count when one page holds all)."""
        if self.pages <= 1:
            return f"{self.total:,} alert" + ("" if self.total == 1 else "s")
        last = self.first + len(self.alerts)
        return (
            f"page {self.number + 1}/{self.pages} · {self.first + 1:,}-{last:,} of {self.total:,}"
        )


def page_count(total: int, size: int = PAGE_SIZE) -> int:
    """How many pages `total` alerts fill (at least one, even when empty)."""
    return max(1, -(-total // size))


def page_of(selected: Sequence[Alert | AlertRow], number: int, size: int = PAGE_SIZE) -> Page:
    """Page `number` of `selected`, clamped to the pages there are."""
    pages = page_count(len(selected), size)
    number = min(max(number, 0), pages - 1)
    first = number * size
    return Page(selected[first : first + size], number, pages, len(selected), first)


def page_holding(index: int, size: int = PAGE_SIZE) -> int:
    """The page on which the selection's alert number `index` stands."""
    return max(index, 0) // size


def next_new(selected: Sequence[Alert | AlertRow], after: int) -> int | None:
    """The index of the first new alert past `after`, wrapping round; None when there is none."""
    count = len(selected)
    for step in range(1, count + 1):
        index = (after + step) % count
        if selected[index].state is AlertState.NEW:
            return index
    return None


def following_watchlist(current: str, alerts: Iterable[Alert | AlertRow]) -> str:
    """The watchlist filter after `current`: each watchlist the alerts name, in order, then any ("")."""
    choices = ["", *sorted({w for a in alerts for w in a.watchlists})]
    place = choices.index(current) if current in choices else 0
    return choices[(place + 1) % len(choices)]


def following_severity(current: Severity | None) -> Severity | None:
    """The severity floor after `current`: any, then low, medium, high, critical, then any again."""
    floors: list[Severity | None] = [None, *list(Severity)[1:]]
    place = floors.index(current) if current in floors else 0
    return floors[(place + 1) % len(floors)]


@dataclass(frozen=True)
class FeedHealth:
    """One configured feed's health: the rows of the `F` screen, `desk feeds` and `desk feeds --json`."""

    url: str
    name: str
    status: str
    """`ok`, `HTTP 404`, `failing` or `never polled`."""
    last_success: datetime | None
    failures: int
    error: str
    """Its last error, else its last warning."""
    http_status: int | None = None
    """The HTTP status of the last fetch (304 when the feed had not changed)."""
    next_due: datetime | None = None
    """When the feed is next polled (None: at once)."""
    blind_spot: BlindSpot | None = None
    """Why desk cannot see through it, when it is a blind spot (desk.core.attention)."""

    @property
    def failing(self) -> bool:
        """Its last fetch failed (the status names how)."""
        return self.status not in HEALTHY

    @property
    def ok(self) -> bool:
        """Its last poll succeeded: neither failing nor never polled (`ok` in `desk feeds --json`)."""
        return self.status == "ok"


HEALTHY = ("ok", "never polled")
"""FeedHealth statuses of a feed that is not failing."""


def feed_health(
    feeds: Iterable[Feed], states: dict[str, FeedState], spots: Iterable[BlindSpot] = ()
) -> list[FeedHealth]:
    """Each configured feed's health: failing first, then never polled, then ok; else in feed order.

    The rows of the `F` screen, `desk feeds` and `desk feeds --json`; each
    feed among `spots` (see attention.blind_spots) carries its blind spot.
    """
    blind = {spot.url: spot for spot in spots}
    rows = [_health_of(feed, states.get(feed.url), blind.get(feed.url)) for feed in feeds]
    rank = {"never polled": 1, "ok": 2}
    return sorted(rows, key=lambda row: rank.get(row.status, 0))  # stable: failing in feed order


def failing_feeds(rows: Iterable[FeedHealth]) -> list[FeedHealth]:
    """The failing feeds among feed_health's rows, in feed order (what the status line names)."""
    return [row for row in rows if row.failing]


def _health_of(feed: Feed, state: FeedState | None, spot: BlindSpot | None) -> FeedHealth:
    if state is None:
        return FeedHealth(feed.url, feed_name(feed, None), "never polled", None, 0, "")
    if state.error:
        status = f"HTTP {state.status}" if state.status and state.status >= 400 else "failing"
    else:
        status = "ok" if state.last_success else "never polled"
    return FeedHealth(
        feed.url,
        feed_name(feed, state),
        status,
        state.last_success,
        state.failures,
        state.error or state.warning,
        state.status,
        state.next_due,
        spot,
    )


@dataclass(frozen=True)
class WatchlistSummary:
    """One watchlist file as the watchlists screen shows it."""

    id: str
    name: str
    severity: str
    terms: tuple[str, ...]
    alerts: int
    """Stored alerts this watchlist fired for."""
    hits: int
    """Hits of its terms in those alerts."""
    error: str
    """Why the file does not load now ("" when it does); its last good version may stay in force."""


def watchlist_summaries(
    watchlists: Iterable[Watchlist], errors: dict[str, str], alerts: Iterable[AlertRow]
) -> list[WatchlistSummary]:
    """Every watchlist in force or broken, by id, with its hit counts in the stored alerts.

    Counted from the store's rows (no alert is read whole for it).
    """
    fired: dict[str, int] = {}
    hits: dict[str, int] = {}
    for alert in alerts:
        for watchlist_id in alert.watchlists:
            fired[watchlist_id] = fired.get(watchlist_id, 0) + 1
        for watchlist_id, count in zip(alert.watchlists, alert.hit_counts, strict=False):
            hits[watchlist_id] = hits.get(watchlist_id, 0) + count
    known = {w.id: w for w in watchlists}
    rows = []
    for watchlist_id in sorted(known.keys() | errors.keys()):
        watchlist = known.get(watchlist_id)
        rows.append(
            WatchlistSummary(
                watchlist_id,
                watchlist.name if watchlist else "",
                watchlist.severity.value if watchlist else "",
                tuple(t.text for t in watchlist.terms) if watchlist else (),
                fired.get(watchlist_id, 0),
                hits.get(watchlist_id, 0),
                errors.get(watchlist_id, ""),
            )
        )
    return rows


def next_poll(feeds: Iterable[Feed], states: dict[str, FeedState]) -> datetime | None:
    """When the next configured feed is due (None when none has been polled yet)."""
    due = [s.next_due for f in feeds if (s := states.get(f.url)) is not None and s.next_due]
    return min(due, default=None)


def shorten(text: str, width: int = 60) -> str:
    """`text` cut to `width` characters, an ellipsis marking the cut."""
    return text if len(text) <= width else text[: width - 1] + "…"
