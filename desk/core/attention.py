"""What deserves the analyst's eye beyond single alerts: blind spots, and (see below) surges.

A blind spot is a feed desk cannot see through: one that has failed for
longer than `blind_after`, or one that answers but has had nothing new for
far longer than its own rhythm (learned from when earlier cycles found new
items in it: FeedState.new_item_times). A quiet feed that posts weekly is
not a blind spot after a day; an hourly wire silent for a day is. Pure:
`now` and the states come in, decisions go out.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from desk.core.models import Feed, FeedState

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
    """A span as the analyst reads it: `40 min`, `7 h`, `3 d`."""
    if seconds < 2 * 3600:
        return f"{max(seconds, 0) / 60:.0f} min"
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
    name = feed.name or state.title or feed.url
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


def blind_spot_changes(
    said: dict[str, str], spots: list[BlindSpot]
) -> tuple[list[BlindSpot], list[str]]:
    """What changed since `said` (url -> kind, as last told): the new spots, and the urls cleared."""
    new = [spot for spot in spots if said.get(spot.url) != spot.kind]
    now_blind = {spot.url for spot in spots}
    return new, [url for url in said if url not in now_blind]
