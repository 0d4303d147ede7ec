"""SVG snapshot of the main screen on fixed data: no network, a fixed clock, UTC.

The store is a MemoryStore filled with a handful of hand-written alerts and
their articles, so the picture depends on nothing but the code. Regenerate
the baseline with `pytest --snapshot-update tests/ui/test_snapshots.py` and
look at the SVG before committing it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot

from desk.core.models import Alert, AlertState, Article, Hit, Severity
from desk.core.settings.config import Locations, Settings, shipped_watchlists_dir
from desk.core.store.contract import MemoryStore
from desk.ui.app import DeskApp

NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
SIZE = (140, 40)

# (key, severity, watchlists, sources, hours before NOW, state, title, body, hit phrases)
STORIES = [
    (
        "nk-troops",
        Severity.CRITICAL,
        ("troop-deployment", "technology-transfer", "icbm-reentry"),
        ("Meridian Wire", "Northline World Desk"),
        1,
        AlertState.NEW,
        "Seoul and Tokyo warn of Russian missile help as North Korea sends more troops",
        "Seoul and Tokyo warn of Russian missile help as North Korea sends more troops\n\n"
        "North Korea has sent around 6,000 more troops to Russia's Kursk region, South "
        "Korean intelligence said on Friday, and officials fear Moscow has transferred "
        "satellite and air-defence technology in return.\n\n"
        "Analysts said help with re-entry vehicles would bring Pyongyang closer to an "
        "intercontinental ballistic missile able to strike the US mainland.",
        (
            ("troop-deployment", "sends more troops", "send|sent troops|soldiers"),
            ("troop-deployment", "sent around 6,000 more troops", "send|sent troops|soldiers"),
            (
                "technology-transfer",
                "transferred satellite and air-defence technology",
                "transfer technology",
            ),
            ("icbm-reentry", "re-entry", "reentry|re-entry"),
        ),
    ),
    (
        "agni",
        Severity.CRITICAL,
        ("icbm-reentry",),
        ("Harbour Briefing",),
        3,
        AlertState.NEW,
        "India tests Agni-V with multiple warheads for a second time",
        "India tests Agni-V with multiple warheads for a second time\n\n"
        "India flight-tested an Agni-V missile carrying multiple independently targetable "
        "re-entry vehicles (MIRVs), the defence ministry said.",
        (
            (
                "icbm-reentry",
                "multiple independently targetable",
                "multiple independently targetable",
            ),
            ("icbm-reentry", "re-entry", "reentry|re-entry"),
        ),
    ),
    (
        "drones",
        Severity.HIGH,
        ("technology-transfer",),
        ("Meridian Wire",),
        5,
        AlertState.ACKNOWLEDGED,
        "EU sanctions 14 firms over transfer of drone technology to Russia",
        "EU sanctions 14 firms over transfer of drone technology to Russia\n\n"
        "The European Union sanctioned 14 companies accused of supplying Russia with drone "
        "technology and dual-use goods.",
        (("technology-transfer", "transfer of drone technology", "transfer technology"),),
    ),
    (
        "estonia",
        Severity.HIGH,
        ("troop-deployment",),
        ("Northline World Desk",),
        26,
        AlertState.NEW,
        "UK to redeploy 900 soldiers from Cyprus to Estonia ahead of winter exercises",
        "UK to redeploy 900 soldiers from Cyprus to Estonia ahead of winter exercises\n\n"
        "Britain will redeploy around 900 soldiers to Estonia next month.",
        (("troop-deployment", "redeploy 900 soldiers", "deploy troops|soldiers"),),
    ),
]


def hits_in(text: str, phrases: tuple[tuple[str, str, str], ...]) -> tuple[Hit, ...]:
    """A Hit for the first place each phrase occurs in `text`."""
    found = []
    for watchlist, phrase, term in phrases:
        start = text.index(phrase)
        found.append(Hit(watchlist, term, phrase, start, start + len(phrase), 95.0))
    return tuple(found)


def story(row: tuple) -> tuple[Alert, Article]:  # type: ignore[type-arg]
    """One hand-written story as the alert and article a poll would have stored."""
    key, severity, watchlists, sources, hours, state, title, body, phrases = row
    published = NOW - timedelta(hours=hours)
    url = f"https://news.example/{key}"
    article = Article(url=url, title=title, text=body, byline="Staff", published=published)
    alert = Alert(
        id=f"alert-{key}",
        title=title,
        url=url,
        sources=sources,
        published=published,
        watchlists=watchlists,
        severity=severity,
        score=95.0,
        hits=hits_in(body, phrases),
        created=published + timedelta(minutes=2),
        article_key=key,
        state=state,
        acknowledged_at=NOW if state is AlertState.ACKNOWLEDGED else None,
    )
    return alert, article


def filled_store() -> MemoryStore:
    """A MemoryStore holding the fixed stories."""
    store = MemoryStore()
    pairs = [story(row) for row in STORIES]
    store.commit_cycle([], {a.article_key: art for a, art in pairs}, [a for a, _ in pairs], [])
    return store


@pytest.fixture
def utc() -> Iterator[None]:
    """Local time is UTC for the test, so the Published column reads the same anywhere."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "UTC")
        time.tzset()
        yield
    time.tzset()


def test_main_screen(utc: None, tmp_path: Path, snap_compare: Callable[..., bool]) -> None:
    """The list with one alert of each kind, the second one open in the article pane."""
    where = Locations(tmp_path / "config", tmp_path / "data", shipped_watchlists_dir())
    app = DeskApp(filled_store(), Settings(), [], where, now=lambda: NOW, autopoll=False)

    async def open_second(pilot: Pilot[None]) -> None:
        await pilot.press("j")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=open_second)


def test_help_screen(utc: None, tmp_path: Path, snap_compare: Callable[..., bool]) -> None:
    """`?` lists every key of the desk with what it does."""
    where = Locations(tmp_path / "config", tmp_path / "data", shipped_watchlists_dir())
    app = DeskApp(filled_store(), Settings(), [], where, now=lambda: NOW, autopoll=False)
    assert snap_compare(app, terminal_size=SIZE, press=["question_mark"])


def test_feed_health_screen(utc: None, tmp_path: Path, snap_compare: Callable[..., bool]) -> None:
    """`F`: a failing feed first with its error, then a healthy one and one never polled."""
    from desk.core.models import Feed, FeedState

    store = filled_store()
    store.commit_cycle(
        [],
        {},
        [],
        [
            FeedState("https://wire.example/rss", last_success=NOW, status=200),
            FeedState(
                "https://gone.example/rss",
                status=404,
                error="HTTP 404 Not Found",
                failures=4,
                last_success=NOW - timedelta(days=2),
            ),
        ],
    )
    feeds = [
        Feed("https://wire.example/rss", "Meridian Wire"),
        Feed("https://gone.example/rss", "Harbour Briefing"),
        Feed("https://new.example/atom", "Northline World Desk"),
    ]
    where = Locations(tmp_path / "config", tmp_path / "data", shipped_watchlists_dir())
    app = DeskApp(store, Settings(), feeds, where, now=lambda: NOW, autopoll=False)
    assert snap_compare(app, terminal_size=SIZE, press=["F"])


def test_watchlists_screen(utc: None, tmp_path: Path, snap_compare: Callable[..., bool]) -> None:
    """`W`: hand-written watchlists with their hits in the store; a broken file's error in place."""
    folder = tmp_path / "watchlists"
    folder.mkdir()
    (folder / "troop-deployment.yaml").write_text(
        "name: Troops\nseverity: high\nterms: [send troops, deploy soldiers, troops to the border]\n"
    )
    (folder / "icbm-reentry.yaml").write_text("name: ICBM\nseverity: critical\nterms: [re-entry]\n")
    (folder / "weather.yaml").write_text("name: Weather\nterms: storm\n")
    where = Locations(tmp_path / "config", tmp_path / "data", folder)
    app = DeskApp(filled_store(), Settings(), [], where, now=lambda: NOW, autopoll=False)

    async def open_watchlists(pilot: Pilot[None]) -> None:
        await pilot.pause()
        pilot.app.clear_notifications()  # the start-up toast names the temp dir
        await pilot.press("W")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=open_watchlists)


@pytest.mark.parametrize("size", [(80, 24), (200, 50)], ids=["80x24", "200x50"])
def test_main_screen_at_size(
    utc: None, tmp_path: Path, snap_compare: Callable[..., bool], size: tuple[int, int]
) -> None:
    """Narrow: the article under the list; wide: side by side. The first alert open."""
    where = Locations(tmp_path / "config", tmp_path / "data", shipped_watchlists_dir())
    app = DeskApp(filled_store(), Settings(), [], where, now=lambda: NOW, autopoll=False)
    assert snap_compare(app, terminal_size=size)
