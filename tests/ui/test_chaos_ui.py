"""The desk driven by Pilot on the chaos demo (`desk demo --chaos`).

While the hostile feeds stall the first poll the desk still answers keys;
when it is done the good alerts are listed, every hostile feed's failure
is explained on the feed health screen (F), and the screen holds no control
character, no escape residue, and markup only as text a click cannot act on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from desk.cli.start import demo_settings, demo_workspace
from desk.core.store.tinystore import TinyStore
from desk.demo.chaos import CHAOS_FEEDS, HOSTILE_ITEMS
from desk.demo.server import demo_manifest
from desk.ui.app import DeskApp
from desk.ui.panels import FeedHealthScreen
from desk.ui.widgets.alert_list import AlertList
from tests.ui.test_app import polling, run, status_of
from tests.ui.test_hostile_ui import assert_screen_safe, click_on_text, visit_every_alert

CHAOS_POLL_TIMEOUT = 90.0
"""The first chaos poll waits out two 5 s deadlines and a million-element page: bounded well above."""


async def wait_long(pilot: Pilot[None], done: Callable[[], bool], what: str) -> None:
    """Let the app run until `done()` holds; fail after CHAOS_POLL_TIMEOUT seconds."""
    deadline = time.monotonic() + CHAOS_POLL_TIMEOUT
    while time.monotonic() < deadline:
        await pilot.pause(0.1)
        if done():
            return
    pytest.fail(f"no {what} after {CHAOS_POLL_TIMEOUT:.0f}s; status: {status_of(pilot)!r}")


def health_rows(pilot: Pilot[None]) -> list[tuple[str, str, str]]:
    """The feed health screen's rows: (name, status, error), a chaos URL by its file name."""
    table: DataTable[object] = pilot.app.screen.query_one(DataTable)
    rows = []
    for index in range(table.row_count):
        cells = [str(cell) for cell in table.get_row_at(index)]
        name, status, error = cells[0], cells[1], cells[6]
        rows.append((name.rsplit("/chaos/feeds/", 1)[-1], status, error))
    return rows


async def check_feed_health(pilot: Pilot[None]) -> None:
    """F explains every failing chaos feed in words, safely; escape goes back."""
    await pilot.press("F")
    await pilot.pause()
    assert isinstance(pilot.app.screen, FeedHealthScreen)
    rows = health_rows(pilot)
    by_name = {name: (status, error) for name, status, error in rows}
    for name, (_, words) in CHAOS_FEEDS.items():
        if words:  # a feed that never loaded goes by its URL
            status, error = by_name[name]
            assert status != "ok" and words in error, (name, status, error)
    readable = sum(1 for _, words in CHAOS_FEEDS.values() if not words)
    oks = [name for name, status, _ in rows if status == "ok"]
    assert len(oks) == 3 + readable + 1, rows  # the demo's, the readable chaos feeds, the newsroom
    assert_screen_safe(pilot)
    await pilot.press("escape")
    await pilot.pause()


def test_the_desk_holds_on_the_chaos_demo(tmp_path: Path) -> None:
    with demo_workspace(chaos=True) as (where, feeds):
        app = DeskApp(TinyStore(where.data_dir), demo_settings(chaos=True), feeds, where)

        async def body(pilot: Pilot[None]) -> None:
            table = pilot.app.screen.query_one(AlertList)
            await wait_long(pilot, lambda: polling(app), "poll under way")
            await pilot.press("F")  # usable while the slow feeds hold the poll
            await pilot.pause()
            assert isinstance(pilot.app.screen, FeedHealthScreen) and polling(app)
            await pilot.press("escape")
            await wait_long(pilot, lambda: table.row_count > 0 and not polling(app), "alerts")
            shown = [app.store.get_alert(row.id) for row in table.alerts]
            listed = {alert.url.rsplit("/", 1)[-1] for alert in shown if alert is not None}
            positives = {s for s, e in demo_manifest().items() if e["kind"] == "positive"}
            assert {f"{slug}.html" for slug in positives} <= listed  # the good alerts arrived
            titles = " ".join(alert.title for alert in table.alerts)
            for item in HOSTILE_ITEMS:
                assert (item.title.split()[0] in titles) == bool(item.expect), item.slug
            assert_screen_safe(pilot)
            await visit_every_alert(pilot)
            await check_feed_health(pilot)
            pilot.app.clear_notifications()  # a toast of new alerts would take the click
            row = next(n for n, a in enumerate(table.alerts) if "[@click=quit]" in a.title)
            table.move_cursor(row=row)
            await pilot.pause()
            await click_on_text(pilot, table, "[@click=quit]")  # text: the desk runs on
            assert_screen_safe(pilot)
            await pilot.press("q")

        run(app, body, notifications=True)
        assert app.return_code == 0
