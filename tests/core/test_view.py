"""The list's query, order and pages (desk.core.view) and the undo stack (desk.core.undo)."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from desk.core.models import Alert, AlertState, Severity
from desk.core.undo import UndoStack
from desk.core.view import (
    PAGE_SIZE,
    AlertQuery,
    StateView,
    listed_order,
    next_new,
    page_count,
    page_holding,
    page_of,
    select,
)

NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
STATES = list(AlertState)
SEVERITIES = list(Severity)


def alert(n: int, **changes: object) -> Alert:
    """Alert number `n`: published n minutes before NOW, raised in the reverse order."""
    made = Alert(
        id=f"a{n}",
        title=f"Story {n} about troops" if n % 3 == 0 else f"Story {n} about missiles",
        url=f"https://news.example/{n}",
        sources=("Wire",),
        published=NOW - timedelta(minutes=n),
        watchlists=("troop-deployment",) if n % 2 else ("icbm-reentry",),
        severity=SEVERITIES[n % len(SEVERITIES)],
        score=90.0,
        hits=(),
        created=NOW - timedelta(days=1) + timedelta(minutes=n),
        article_key=f"k{n}",
        state=STATES[n % len(STATES)],
    )
    return replace(made, **changes)  # type: ignore[arg-type]


def test_the_order_is_the_published_column_newest_first_not_the_raised_time() -> None:
    alerts = [alert(n) for n in range(10)]
    assert [a.id for a in listed_order(alerts)] == [f"a{n}" for n in range(10)]


def test_an_alert_without_a_published_time_sorts_by_when_it_was_raised() -> None:
    undated = alert(99, published=None, created=NOW - timedelta(minutes=5, seconds=30))
    ordered = listed_order([alert(n) for n in range(10)] + [undated])
    assert [a.id for a in ordered][5:7] == ["a5", "a99"]


def test_each_state_view_lets_through_its_states() -> None:
    alerts = [alert(n) for n in range(8)]

    def states(view: StateView) -> set[AlertState]:
        return {a.state for a in select(alerts, AlertQuery(view))}

    assert states(StateView.ACTIVE) == {
        AlertState.NEW,
        AlertState.ACKNOWLEDGED,
        AlertState.SNOOZED,
    }
    assert states(StateView.ARCHIVED) == {AlertState.ARCHIVED}
    assert states(StateView.NEW) == {AlertState.NEW}
    assert states(StateView.ALL) == set(AlertState)
    assert len(select(alerts, AlertQuery(StateView.ALL))) == 8


def test_the_views_cycle_back_to_active() -> None:
    view, seen = StateView.ACTIVE, []
    for _ in StateView:
        seen.append(view)
        view = view.following()
    assert view is StateView.ACTIVE and seen == list(StateView)


def test_watchlist_severity_and_text_narrow_the_view() -> None:
    alerts = [alert(n) for n in range(40)]
    query = AlertQuery(StateView.ALL, watchlist="troop-deployment", severity=Severity.HIGH)
    chosen = select(alerts, query.with_text("  TROOPS "))
    assert chosen and all(
        "troop-deployment" in a.watchlists
        and a.severity in (Severity.HIGH, Severity.CRITICAL)
        and "troops" in a.title
        for a in chosen
    )
    assert [a.id for a in chosen] == [
        a.id for a in listed_order(alerts) if query.with_text("troops").matches(a)
    ]
    assert query.with_text("troops").describe() == "all · troop-deployment · ≥high · “troops”"


def test_pages_cover_the_selection_and_clamp() -> None:
    alerts = listed_order(alert(n) for n in range(1234))
    assert page_count(len(alerts)) == 3 and page_count(0) == 1
    last = page_of(alerts, 2)
    assert (last.number, last.pages, last.first, len(last.alerts)) == (2, 3, 1000, 234)
    assert page_of(alerts, 99).number == 2 and page_of(alerts, -1).number == 0
    assert last.describe() == "page 3/3 · 1,001-1,234 of 1,234"
    assert page_of(alerts[:3], 0).describe() == "3 alerts"
    assert page_of(alerts[:1], 0).describe() == "1 alert"
    assert page_holding(PAGE_SIZE) == 1 and page_holding(PAGE_SIZE - 1) == 0


def test_next_new_wraps_round_and_says_when_there_is_none() -> None:
    alerts = [alert(n) for n in range(8)]  # new at 0 and 4
    assert next_new(alerts, 0) == 4 and next_new(alerts, 4) == 0
    assert next_new([alert(1), alert(2)], 0) is None


def test_select_from_100k_alerts_is_fast() -> None:
    alerts = [alert(n) for n in range(100_000)]
    started = time.perf_counter()
    chosen = select(alerts, AlertQuery())
    searched = select(alerts, AlertQuery(StateView.ALL, text="troops"))
    took = time.perf_counter() - started
    assert len(chosen) == 75_000 and len(searched) == 33_334
    assert took < 1.0, f"{took:.2f} s"


def test_one_undo_reverts_a_whole_change_and_the_stack_is_bounded() -> None:
    undo = UndoStack(depth=2)
    undo.push("nothing", [])
    assert len(undo) == 0 and undo.pop() is None
    for label in ("ack", "archive", "ack all"):
        undo.push(label, [alert(1), alert(2)])
    assert len(undo) == 2
    change = undo.pop()
    assert change is not None and change.label == "ack all" and len(change.before) == 2
    last = undo.pop()
    assert last is not None and last.label == "archive"
    assert undo.pop() is None


def test_the_watchlist_and_severity_filters_cycle_back_to_any() -> None:
    from desk.core.view import following_severity, following_watchlist

    alerts = [alert(n) for n in range(4)]
    seen, current = [], ""
    for _ in range(3):
        current = following_watchlist(current, alerts)
        seen.append(current)
    assert seen == ["icbm-reentry", "troop-deployment", ""]
    assert following_watchlist("gone", alerts) == "icbm-reentry"
    floors, floor = [], None
    for _ in range(5):
        floor = following_severity(floor)
        floors.append(floor)
    assert floors == [Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL, None]


def test_feed_health_puts_failing_feeds_first_and_names_them() -> None:
    from desk.core.models import Feed, FeedState
    from desk.core.view import feed_health

    feeds = [
        Feed("https://a.example/rss", "Alpha"),
        Feed("https://b.example/rss"),
        Feed("https://c.example/rss"),
    ]
    states = {
        "https://a.example/rss": FeedState("https://a.example/rss", last_success=NOW, status=200),
        "https://b.example/rss": FeedState(
            "https://b.example/rss",
            title="Bravo",
            status=404,
            error="HTTP 404 Not Found",
            failures=3,
        ),
    }
    rows = feed_health(feeds, states)
    assert [(r.name, r.status) for r in rows] == [
        ("Bravo", "HTTP 404"),
        ("https://c.example/rss", "never polled"),
        ("Alpha", "ok"),
    ]
    assert rows[0].failures == 3 and rows[0].error == "HTTP 404 Not Found"
    assert rows[2].last_success == NOW


def test_failing_feeds_are_those_whose_last_fetch_failed_in_feed_order() -> None:
    """What the status line names: every failing feed (an HTTP error or another), as configured."""
    from desk.core.models import Feed, FeedState
    from desk.core.view import failing_feeds, feed_health

    urls = [f"https://{name}.example/rss" for name in ("a", "b", "c", "d")]
    feeds = [Feed(url, name.upper()) for url, name in zip(urls, "abcd", strict=True)]
    states = {
        urls[0]: FeedState(urls[0], error="connection refused", failures=1),
        urls[1]: FeedState(urls[1], last_success=NOW, status=200),
        urls[2]: FeedState(urls[2], status=410, error="HTTP 410 Gone", failures=2),
    }
    failing = failing_feeds(feed_health(feeds, states))
    assert [(f.name, f.status, f.error) for f in failing] == [
        ("A", "failing", "connection refused"),
        ("C", "HTTP 410", "HTTP 410 Gone"),
    ]


def test_watchlist_summaries_count_hits_and_keep_a_broken_files_error() -> None:
    from desk.core.models import Hit, Term, Watchlist, alert_row
    from desk.core.view import watchlist_summaries

    troops = Watchlist("troop-deployment", "Troops", (Term("send troops"), Term("deploy")))
    hit = Hit("troop-deployment", "send troops", "sent troops", 0, 11, 95.0)
    alerts = [alert(1, hits=(hit, hit)), alert(3, hits=(hit,)), alert(2)]
    rows = watchlist_summaries(
        [troops], {"weather": "weather.yaml:2:8: terms: expected a list"}, map(alert_row, alerts)
    )
    assert [r.id for r in rows] == ["troop-deployment", "weather"]
    assert (rows[0].terms, rows[0].alerts, rows[0].hits, rows[0].error) == (
        ("send troops", "deploy"),
        2,
        3,
        "",
    )
    assert rows[1].error.startswith("weather.yaml:2:8") and rows[1].terms == ()


def test_next_poll_is_the_soonest_due_configured_feed() -> None:
    from desk.core.models import Feed, FeedState
    from desk.core.view import next_poll

    feeds = [Feed("https://a.example/rss"), Feed("https://b.example/rss")]
    soon, later = NOW + timedelta(minutes=5), NOW + timedelta(minutes=50)
    states = {
        "https://a.example/rss": FeedState("https://a.example/rss", next_due=later),
        "https://b.example/rss": FeedState("https://b.example/rss", next_due=soon),
        "https://gone.example/rss": FeedState("https://gone.example/rss", next_due=NOW),
    }
    assert next_poll(feeds, states) == soon
    assert next_poll(feeds, {}) is None


def test_every_place_that_names_a_feed_names_it_alike() -> None:
    """Feed health, blind spots, alert sources and the cycle summary all call a feed by feed_name."""
    from desk.core.attention import blind_spot, source_names
    from desk.core.models import Feed, FeedState, feed_name
    from desk.core.pipeline import FeedOutcome
    from desk.core.view import feed_health

    long_ago = NOW - timedelta(days=2)
    named = Feed("https://a.example/rss", "Alpha")
    titled = Feed("https://b.example/rss")
    bare = Feed("https://c.example/rss")
    states = {
        feed.url: FeedState(feed.url, title="Own title", error="refused", failing_since=long_ago)
        for feed in (named, titled)
    }
    states[bare.url] = FeedState(bare.url, error="refused", failing_since=long_ago)
    feeds = [named, titled, bare]
    expected = ["Alpha", "Own title", "https://c.example/rss"]
    assert [feed_name(feed, states[feed.url]) for feed in feeds] == expected
    assert [row.name for row in feed_health(feeds, states)] == expected
    spots = [blind_spot(feed, states[feed.url], NOW, 3600.0) for feed in feeds]
    assert [spot.name if spot else None for spot in spots] == expected
    assert list(source_names(feeds, states).values()) == expected
    assert [FeedOutcome(feed, states[feed.url]).name for feed in feeds] == expected
    assert feed_name(titled, None) == titled.url  # never polled: no title of its own yet


def test_a_blind_spot_is_on_its_own_feeds_row_when_two_feeds_share_a_name() -> None:
    """The F screen looked blind spots up by name: a healthy namesake showed the other's."""
    from desk.core.attention import blind_spots
    from desk.core.models import Feed, FeedState
    from desk.core.view import feed_health

    dead, alive = Feed("https://a.example/rss"), Feed("https://b.example/rss")
    states = {
        dead.url: FeedState(dead.url, title="World News", error="refused", failing_since=NOW),
        alive.url: FeedState(alive.url, title="World News", last_success=NOW),
    }
    spots = blind_spots([dead, alive], states, NOW + timedelta(days=1), 3600.0)
    rows = {row.url: row for row in feed_health([dead, alive], states, spots)}
    assert [spot.url for spot in spots] == [dead.url]
    assert rows[dead.url].blind_spot == spots[0] and rows[alive.url].blind_spot is None
    assert rows[dead.url].name == rows[alive.url].name == "World News"
