"""The plain data that flows through desk: feeds, items, articles, hits, alerts.

Every type is a frozen dataclass; the pipeline passes them between pure
functions and only the poller, the fetcher and the store do I/O.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import NamedTuple, Protocol


class Severity(StrEnum):
    """How urgent a watchlist's alerts are, lowest first."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """Position in the order info < low < medium < high < critical."""
        return list(Severity).index(self)


class AlertState(StrEnum):
    """Where an alert is in the analyst's workflow."""

    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    SNOOZED = "snoozed"
    ARCHIVED = "archived"


HANDLED_STATES = (AlertState.ACKNOWLEDGED, AlertState.ARCHIVED)
"""An analyst dealt with an alert in these states: no headless run reports it any more."""


def short_hash(*parts: str) -> str:
    """A stable 16-hex-digit key for the given strings."""
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8"), usedforsecurity=False)
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Feed:
    """A feed the analyst configured."""

    url: str
    name: str = ""
    interval: float = 900.0
    tags: tuple[str, ...] = ()


def feed_name(feed: Feed, state: FeedState | None) -> str:
    """The name a feed goes by: its configured name, else the title it gives itself, else its URL.

    What the per-feed summary, the feed health rows and blind spots call it,
    and what its alerts keep as their source (see attention.source_names).
    """
    return feed.name or (state.title if state else "") or feed.url


@dataclass(frozen=True)
class Item:
    """One entry of a feed, normalised from RSS, Atom or JSON Feed."""

    feed_url: str
    id: str
    url: str
    title: str
    summary: str = ""
    content: str = ""
    published: datetime | None = None
    updated: datetime | None = None
    authors: tuple[str, ...] = ()

    @cached_property
    def key(self) -> str:
        """The item's identity in the store: its feed and its id."""
        return short_hash(self.feed_url, self.id)

    @cached_property
    def fingerprint(self) -> str:
        """Changes when the item's visible content changes."""
        return short_hash(self.title, self.summary, self.content)


@dataclass(frozen=True)
class Article:
    """The full cleaned text of an item, from its page or, failing that, its feed."""

    url: str
    title: str
    text: str
    byline: str = ""
    published: datetime | None = None
    canonical_url: str = ""
    source: str = "page"
    cleaned: bool = True
    """False while `text` is still the feed's raw markup (see extract.readable)."""


class Hit(NamedTuple):
    """One place where a watchlist term matched the cleaned text.

    A named tuple, not a dataclass: the store builds tens of thousands of
    these when it opens, and a tuple is several times cheaper to make.
    """

    watchlist: str
    term: str
    text: str
    start: int
    end: int
    score: float
    article_key: str = ""
    """Set when the hit is in another source's copy of the story, not the alert's article."""

    def to_json(self) -> dict[str, object]:
        """The hit in the JSON shape of DESIGN.md (plus `article` for another source's hit)."""
        data: dict[str, object] = {
            "watchlist": self.watchlist,
            "term": self.term,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 1),
        }
        if self.article_key:
            data["article"] = self.article_key
        return data


@dataclass(frozen=True)
class Alert:
    """A story that matched one or more watchlists, and its workflow state."""

    id: str
    title: str
    url: str
    sources: tuple[str, ...]
    published: datetime | None
    watchlists: tuple[str, ...]
    severity: Severity
    score: float
    hits: tuple[Hit, ...]
    created: datetime
    article_key: str
    state: AlertState = AlertState.NEW
    acknowledged_at: datetime | None = None
    note: str = ""
    snoozed_until: datetime | None = None
    text_sketch: str = ""
    """A summary of the article's wording, to tell one story from a look-alike (decide.text_sketch)."""
    reason: str = ""
    """Why an acknowledged alert came back as new ("grew since acknowledged: ...")."""

    @property
    def order(self) -> tuple[float, float]:
        """The key the list orders by, as a list row (AlertRow.order) carries it."""
        return listing_order(self.published, self.created)


class AlertRow(NamedTuple):
    """What the alert list selects, orders and draws an alert by (the pane reads the full alert)."""

    id: str
    title: str
    order: tuple[float, float]
    """(published, else raised; raised) as POSIX times: the list shows the newest first."""
    watchlists: tuple[str, ...]
    severity: Severity
    state: AlertState
    reason: str = ""
    """Why an acknowledged alert came back as new ("grew since acknowledged: ...")."""
    article_key: str = ""
    """Where its article is stored (what `/` searches besides the title)."""
    sources: int = 1
    """How many sources carried the story (the list says `· 2 sources`)."""
    dated: bool = True
    """Whether it has a published time (`order` falls back to when it was raised)."""
    snoozed_until: datetime | None = None
    """When a snoozed alert comes back (the list shows it)."""
    hit_counts: tuple[int, ...] = ()
    """How many hits each of `watchlists` scored, in that order (the W screen sums them)."""


def listing_order(published: datetime | None, created: datetime) -> tuple[float, float]:
    """The key the list orders by: published (raised time where there is none), then raised."""
    return ((published or created).timestamp(), created.timestamp())


def alert_row(alert: Alert) -> AlertRow:
    """The list row of a full alert."""
    return AlertRow(
        alert.id,
        alert.title,
        listing_order(alert.published, alert.created),
        alert.watchlists,
        alert.severity,
        alert.state,
        alert.reason,
        alert.article_key,
        len(alert.sources),
        alert.published is not None,
        alert.snoozed_until,
        hit_counts(alert.watchlists, (hit.watchlist for hit in alert.hits)),
    )


def hit_counts(watchlists: Sequence[str], fired: Iterable[str]) -> tuple[int, ...]:
    """How many of the hits (named by the watchlist each fired for) each watchlist scored."""
    counts = Counter(fired)
    return tuple(counts[watchlist] for watchlist in watchlists)


class TextMatch(Protocol):
    """One regex match: what `re` and `re2` both give."""

    def start(self) -> int: ...
    def end(self) -> int: ...
    def group(self) -> str: ...


class TextPattern(Protocol):
    """A compiled pattern: Python's `re` for exact words, RE2 (linear time) for regex terms."""

    def finditer(self, text: str, pos: int = ..., endpos: int = ...) -> Iterator[TextMatch]: ...


@dataclass(frozen=True)
class Term:
    """One compiled watchlist term: fuzzy words, an exact word, or a regex."""

    text: str
    words: tuple[tuple[str, ...], ...] = ()
    """Stems slot by slot; each slot holds its alternatives (troops|soldiers)."""
    threshold: float = 85.0
    exact: bool = False
    pattern: TextPattern | None = None
    within: int = 4
    weight: float = 1.0
    """What one hit of this term adds to its watchlist's evidence."""


SEMANTIC_TERM = "close to example "
"""How the term of a hit of the examples' vote begins: 'close to example 412' (its line)."""


def example_number(term: str) -> int:
    """The examples file line a vote's hit names ('close to example 412' -> 412), else 0."""
    number = term.removeprefix(SEMANTIC_TERM)
    return int(number) if term.startswith(SEMANTIC_TERM) and number.isdecimal() else 0


def evidence_key(hit: Hit) -> tuple[str, str]:
    """What makes a hit the same evidence as another: its watchlist and its words, or for the
    examples' vote (a hit spanning a whole lead, different in every copy) the vote itself."""
    return hit.watchlist, SEMANTIC_TERM if example_number(hit.term) else hit.text.casefold()


@dataclass(frozen=True)
class Examples:
    """A watchlist's labelled example texts: one per line of their file, graded per watchlist."""

    path: str
    digest: str
    """The file's SHA-256: two Examples are the same when their files are (texts not compared)."""
    texts: tuple[str, ...] = field(default=(), compare=False, repr=False)
    grades: tuple[tuple[tuple[str, int], ...], ...] = field(default=(), compare=False, repr=False)
    """Per example: (watchlist id, grade) pairs, 2 about it, 1 borderline, 0 not about it."""
    lines: tuple[int, ...] = field(default=(), compare=False, repr=False)
    """Per example: its line in the file (blank lines are skipped, so not always its place)."""

    def text_at(self, line: int) -> str:
        """The example on a line of the file ('' when no example is there)."""
        try:
            return self.texts[self.lines.index(line)]
        except ValueError:
            return ""


@dataclass(frozen=True)
class Semantic:
    """A watchlist's `semantic:` block: its examples and how their vote is read."""

    examples: Examples
    neighbours: int = 5
    agree: int = 5
    floor: float = 0.6
    weight: float = 1.0


@dataclass(frozen=True)
class Watchlist:
    """A compiled watchlist; its id is the YAML file name without extension."""

    id: str
    name: str
    terms: tuple[Term, ...]
    description: str = ""
    severity: Severity = Severity.MEDIUM
    threshold: float = 85.0
    context: tuple[Term, ...] = ()
    context_near: int = 40
    exclude: tuple[Term, ...] = ()
    exclude_near: int = 12
    fire_at: float = 1.0
    """The evidence (sum of hit weights) an article needs to raise an alert."""
    path: str = ""
    lead: int = 3
    """How many sentences open the text (the title is the first): a term found there weighs more."""
    lead_boost: float = 1.0
    """What a term's weight is multiplied by when it is found in the lead (1: no boost)."""
    passing: float = 1.0
    """What the evidence is multiplied by when every hit is in one sentence past the lead."""
    semantic: Semantic | None = None
    """Its labelled examples, when a lead close to them counts as evidence (match/semantic.py)."""


@dataclass(frozen=True)
class Evidence:
    """One part of why a watchlist fired or not: a term's weight, a boost or a discount."""

    kind: str
    """'term' (a term's weight), 'lead' (found in the title or lead) or 'passing' (one sentence)."""
    label: str
    amount: float

    def to_json(self) -> dict[str, object]:
        """The part as JSON: kind, label, amount."""
        return {"kind": self.kind, "label": self.label, "amount": round(self.amount, 2)}


@dataclass(frozen=True)
class Verdict:
    """What one watchlist made of one text: its hits, the evidence they add up to, fired or not."""

    watchlist: str
    fired: bool
    total: float
    fire_at: float
    hits: tuple[Hit, ...] = ()
    """Every hit that counted, also when the total stayed below `fire_at`."""
    parts: tuple[Evidence, ...] = ()
    dropped: tuple[Hit, ...] = ()
    """Hits left out by the watchlist's context or exclusions (filled when explaining)."""
    closest: str = ""
    """With no hit: the term with most of its words in the text (filled when explaining)."""


@dataclass(frozen=True)
class FeedState:
    """A feed's health and its HTTP cache validators, as the store keeps them."""

    url: str
    title: str = ""
    etag: str | None = None
    last_modified: str | None = None
    last_attempt: datetime | None = None
    last_success: datetime | None = None
    status: int | None = None
    error: str = ""
    warning: str = ""
    failures: int = 0
    next_due: datetime | None = None
    moved_to: str | None = None
    failing_since: datetime | None = None
    """When the current run of failures began (None while the feed answers)."""
    new_item_times: tuple[datetime, ...] = ()
    """When recent cycles found new items in this feed, oldest first (at most RHYTHM_KEPT):
    its rhythm, which tells a feed gone silent from a quiet one."""


RHYTHM_KEPT = 30
"""How many new-item times a feed's state keeps."""


def with_new_items(state: FeedState, when: datetime) -> FeedState:
    """`state` remembering that a cycle at `when` found new items (the oldest time drops off)."""
    return replace(state, new_item_times=(*state.new_item_times, when)[-RHYTHM_KEPT:])


@dataclass(frozen=True)
class SeenItem:
    """What the store remembers of an item so it is never treated as new again."""

    key: str
    feed_url: str
    url: str
    fingerprint: str
    first_seen: datetime
    alert_id: str | None = None
    item_id: str = ""
    """The item's own id in its feed (guid, id or link), to rebuild it for re-matching."""
