"""Blind spots: a feed failing too long, or silent far past its own rhythm; said once per change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from desk.core.attention import (
    DEAD,
    SILENT,
    blind_spot,
    duration_words,
    usual_gap,
)
from desk.core.models import RHYTHM_KEPT, Feed, FeedState, with_new_items

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
SIX_HOURS = 6 * 3600.0
FEED = Feed("https://wire.example/rss", "Wire", interval=900.0)


def rhythm(every: timedelta, count: int, last: datetime) -> tuple[datetime, ...]:
    return tuple(last - every * n for n in reversed(range(count)))


def test_a_feed_failing_longer_than_the_threshold_is_a_blind_spot() -> None:
    failing = FeedState(
        FEED.url, error="HTTP 404", failures=9, failing_since=NOW - timedelta(hours=7)
    )
    spot = blind_spot(FEED, failing, NOW, SIX_HOURS)
    assert spot is not None and spot.kind == DEAD
    assert spot.line() == "Wire: failing for 7 h (HTTP 404)"
    recent = FeedState(FEED.url, error="HTTP 404", failing_since=NOW - timedelta(hours=5))
    assert blind_spot(FEED, recent, NOW, SIX_HOURS) is None
    assert blind_spot(FEED, None, NOW, SIX_HOURS) is None


def test_a_feed_silent_far_past_its_own_rhythm_is_a_blind_spot() -> None:
    hourly = rhythm(timedelta(hours=1), 10, NOW - timedelta(hours=12))
    spot = blind_spot(FEED, FeedState(FEED.url, new_item_times=hourly), NOW, SIX_HOURS)
    assert spot is not None and spot.kind == SILENT
    assert spot.why == "silent for 12 h; new items usually come every 60 min"
    weekly = rhythm(timedelta(days=7), 10, NOW - timedelta(hours=12))
    assert blind_spot(FEED, FeedState(FEED.url, new_item_times=weekly), NOW, SIX_HOURS) is None
    too_little = hourly[-3:]  # no rhythm learned yet: no judgement
    assert blind_spot(FEED, FeedState(FEED.url, new_item_times=too_little), NOW, SIX_HOURS) is None


def test_a_feed_polled_seldom_is_not_silent_between_its_polls() -> None:
    fast = rhythm(timedelta(minutes=5), 10, NOW - timedelta(hours=2))
    daily = Feed(FEED.url, "Wire", interval=86400.0)
    assert blind_spot(daily, FeedState(FEED.url, new_item_times=fast), NOW, SIX_HOURS) is None
    assert blind_spot(FEED, FeedState(FEED.url, new_item_times=fast), NOW, SIX_HOURS) is not None


def test_the_rhythm_is_bounded_and_its_gap_the_median() -> None:
    state = FeedState(FEED.url)
    for n in range(RHYTHM_KEPT + 10):
        state = with_new_items(state, NOW + timedelta(hours=n))
    assert len(state.new_item_times) == RHYTHM_KEPT
    assert state.new_item_times[-1] == NOW + timedelta(hours=RHYTHM_KEPT + 9)
    uneven = (*rhythm(timedelta(hours=1), 8, NOW), NOW + timedelta(days=3))
    assert usual_gap(uneven) == 3600.0


def test_durations_in_words() -> None:
    spans = (45, 2400, 3600, 7 * 3600, 3 * 86400)
    assert [duration_words(s) for s in spans] == ["45 s", "40 min", "60 min", "7 h", "3 d"]


def test_a_feeds_rhythm_and_failing_time_survive_the_store(tmp_path: Path) -> None:
    from desk.core.store.tinystore import TinyStore

    times = rhythm(timedelta(hours=1), 7, NOW)
    state = FeedState(FEED.url, new_item_times=times, failing_since=NOW - timedelta(hours=2))
    store = TinyStore(tmp_path / "data")
    store.commit_cycle([], {}, [], [state])
    store.close()
    store = TinyStore(tmp_path / "data")
    try:
        assert store.feed_states()[FEED.url] == state
    finally:
        store.close()
