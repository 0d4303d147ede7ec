"""Pilot tests of the desk's keys over a store of many alerts: paging, views, search, undo.

The stores are filled directly (no poll), so each test is about the keys alone.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from desk.core.models import Alert, AlertState, Article, Hit, Severity
from desk.core.settings.config import Locations, Settings, shipped_watchlists_dir
from desk.core.store.contract import MemoryStore, Store
from desk.core.store.tinystore import TinyStore
from desk.core.view import StateView
from desk.ui.app import DeskApp
from desk.ui.dialogs import ConfirmScreen
from desk.ui.screens import MainScreen
from desk.ui.widgets.alert_list import AlertList
from desk.ui.widgets.article_view import ArticleView

NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
SIZE = (140, 40)


def numbered(n: int, **changes: object) -> Alert:
    """Alert number `n`, published `n` minutes before NOW: number 0 is listed first."""
    made = Alert(
        id=f"alert-{n:05d}",
        title=f"Story {n:05d}: " + ("troops move" if n % 2 else "missile test"),
        url=f"https://news.example/{n}",
        sources=("Wire",),
        published=NOW - timedelta(minutes=n),
        watchlists=("troop-deployment",),
        severity=Severity.HIGH,
        score=90.0,
        hits=(),
        created=NOW - timedelta(minutes=n),
        article_key=f"k{n}",
    )
    return replace(made, **changes)  # type: ignore[arg-type]


def fill(store: Store, count: int, **changes: object) -> list[Alert]:
    """`count` alerts (and a short article each) committed to `store`."""
    alerts = [numbered(n, **changes) for n in range(count)]
    articles = {a.article_key: Article(a.url, a.title, f"{a.title}\n\nBody.") for a in alerts}
    store.commit_cycle([], articles, alerts, [])
    return alerts


def desk_on(store: Store, root: Path) -> DeskApp:
    """A desk that does not poll, on `store`."""
    where = Locations(root / "config", root / "data", shipped_watchlists_dir())
    return DeskApp(store, Settings(), [], where, now=lambda: NOW, autopoll=False)


def drive(
    app: DeskApp, body: Callable[[Pilot[None], MainScreen, AlertList], Awaitable[None]]
) -> None:
    """Run `app` headless and hand `body` the main screen and its list."""

    async def main() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, MainScreen)
            await body(pilot, screen, screen.query_one(AlertList))

    asyncio.run(main())


def test_paging_reaches_every_alert_and_g_G_go_to_the_ends(tmp_path: Path) -> None:
    store = MemoryStore()
    fill(store, 1234)

    async def body(pilot: Pilot[None], screen: MainScreen, table: AlertList) -> None:
        assert table.row_count == 500 and "page 1/3" in str(table.border_title)
        await pilot.press("right_square_bracket")
        assert table.current_alert is not None and table.current_alert.id == "alert-00500"
        await pilot.press("j", "j")
        assert screen.cursor_index == 502
        await pilot.press("right_square_bracket")
        assert table.row_count == 234 and "1,001-1,234 of 1,234" in str(table.border_title)
        await pilot.press("left_square_bracket")
        assert table.current_alert is not None and table.current_alert.id == "alert-00500"
        await pilot.press("G")
        assert table.current_alert is not None and table.current_alert.id == "alert-01233"
        article = screen.query_one(ArticleView)
        assert article.shown_alert_id == "alert-01233"
        await pilot.press("g")
        assert screen.page.number == 0 and table.cursor_row == 0

    drive(desk_on(store, tmp_path), body)


class ReadCountingStore(MemoryStore):
    """A MemoryStore that remembers which alerts were asked for in full."""

    def __init__(self) -> None:
        super().__init__()
        self.read: set[str] = set()

    def get_alert(self, alert_id: str) -> Alert | None:
        """One alert by id, noted as read."""
        self.read.add(alert_id)
        return super().get_alert(alert_id)

    def alerts(self) -> list[Alert]:
        """Every alert, noted as `every` read."""
        self.read.add("every")
        return super().alerts()


def test_a_page_turn_reads_in_full_only_the_alert_under_the_cursor(tmp_path: Path) -> None:
    """The list draws from the store's rows; only the article pane's alert is read whole."""
    store = ReadCountingStore()
    fill(store, 1200, sources=("Wire", "World Desk"))

    async def body(pilot: Pilot[None], screen: MainScreen, table: AlertList) -> None:
        store.read.clear()
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert table.row_count == 500 and store.read == {"alert-00500"}
        assert str(table.get_row_at(499)[4]) == "troop-deployment · 2 sources"
        assert str(table.get_row_at(499)[3]) == "Story 00999: troops move"

    drive(desk_on(store, tmp_path), body)


def test_W_counts_hits_from_the_rows_without_reading_the_alerts(tmp_path: Path) -> None:
    """The watchlists screen sums each watchlist's alerts and hits from the store's rows."""
    from desk.ui.panels import WatchlistsScreen

    store = ReadCountingStore()
    hit = Hit("troop-deployment", "troops", "troops", 0, 6, 90.0)
    fill(store, 700, hits=(hit, hit))

    async def body(pilot: Pilot[None], screen: MainScreen, table: AlertList) -> None:
        store.read.clear()
        await pilot.press("W")
        await pilot.pause()
        shown = pilot.app.screen
        assert isinstance(shown, WatchlistsScreen)
        troops = next(row for row in shown.load() if row.id == "troop-deployment")
        assert (troops.alerts, troops.hits) == (700, 1400)
        assert store.read == set()

    drive(desk_on(store, tmp_path), body)


def test_A_asks_from_the_rows_and_reads_only_what_a_yes_changes(tmp_path: Path) -> None:
    """The question counts the view's new rows; a yes reads those alerts, not the others."""
    store = ReadCountingStore()
    fill(store, 900)
    for n in range(0, 900, 3):
        store.update_alert(replace(numbered(n), state=AlertState.ACKNOWLEDGED))

    async def body(pilot: Pilot[None], screen: MainScreen, table: AlertList) -> None:
        store.read.clear()
        await pilot.press("A")
        assert isinstance(pilot.app.screen, ConfirmScreen)
        assert "Acknowledge 600 alerts" in str(pilot.app.screen.question)
        assert store.read == set()
        await pilot.press("y")
        await pilot.pause()
        assert {a.state for a in store.alerts()} == {AlertState.ACKNOWLEDGED}
        changed = {f"alert-{n:05d}" for n in range(900) if n % 3}
        assert changed <= store.read
        assert len(store.read - changed - {"every"}) <= 1  # the cursor's, for the article pane

    drive(desk_on(store, tmp_path), body)


def test_A_says_how_many_of_its_alerts_are_snoozed(tmp_path: Path) -> None:
    """A snoozed alert is acknowledged too, and the question counts it apart from the new ones."""
    store = MemoryStore()
    alerts = fill(store, 12)
    store.update_alert(replace(alerts[3], state=AlertState.SNOOZED))
    store.update_alert(replace(alerts[4], state=AlertState.ACKNOWLEDGED))

    async def body(pilot: Pilot[None], screen: MainScreen, table: AlertList) -> None:
        await pilot.press("A")
        assert isinstance(pilot.app.screen, ConfirmScreen)
        assert "Acknowledge 11 alerts: 10 new, 1 snoozed" in str(pilot.app.screen.question)
        await pilot.press("y")
        await pilot.pause()
        assert {a.state for a in store.alerts()} == {AlertState.ACKNOWLEDGED}

    drive(desk_on(store, tmp_path), body)


def test_space_goes_to_the_next_new_alert_past_the_page(tmp_path: Path) -> None:
    store = MemoryStore()
    alerts = fill(store, 700, state=AlertState.ACKNOWLEDGED)
    store.update_alert(replace(alerts[650], state=AlertState.NEW))

    async def body(pilot: Pilot[None], screen: MainScreen, table: AlertList) -> None:
        await pilot.press("space")
        assert table.current_alert is not None and table.current_alert.id == "alert-00650"
        await pilot.press("enter")
        assert pilot.app.focused is screen.query_one(ArticleView)

    drive(desk_on(store, tmp_path), body)


def test_a_snoozed_alert_wakes_at_its_time_without_a_poll(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A snooze ran until the next poll, a feed's interval later; now the desk wakes it."""
    from desk.ui import screens

    monkeypatch.setattr(screens, "WAKE_CHECK_SECONDS", 0.05)
    store = MemoryStore()
    fill(store, 2)
    store.update_alerts(
        [
            replace(
                numbered(0), state=AlertState.SNOOZED, snoozed_until=NOW - timedelta(seconds=1)
            ),
            replace(numbered(1), state=AlertState.SNOOZED, snoozed_until=NOW + timedelta(hours=1)),
        ]
    )

    async def body(pilot: Pilot[None], screen: MainScreen, table: AlertList) -> None:
        for _ in range(40):
            if (alert := store.get_alert("alert-00000")) and alert.state is AlertState.NEW:
                break
            await pilot.pause(0.05)
        woke, still = store.get_alert("alert-00000"), store.get_alert("alert-00001")
        assert woke is not None and woke.state is AlertState.NEW and woke.snoozed_until is None
        assert still is not None and still.state is AlertState.SNOOZED
        assert [a.id for a in table.alerts if a.state is AlertState.NEW] == ["alert-00000"]

    drive(desk_on(store, tmp_path), body)


def test_a_narrowed_view_says_how_many_new_alerts_it_does_not_show(tmp_path: Path) -> None:
    """The acknowledged view said '0 new · 1 alert' while 2 new alerts waited elsewhere."""
    store = MemoryStore()
    fill(store, 3)
    store.update_alert(replace(numbered(2), state=AlertState.ACKNOWLEDGED))

    async def body(pilot: Pilot[None], screen: MainScreen, table: AlertList) -> None:
        assert screen.sub_title == "2 new (2 high) · 3 alerts"  # the whole desk: nothing more
        await pilot.press("f", "f")  # new, then acknowledged
        assert screen.sub_title == "0 new · 1 alert · 2 new outside this view"
        await pilot.press("x")  # archived: it leaves the view, no new alert with it
        assert screen.sub_title == "0 new · 0 alerts · 2 new outside this view"
        await pilot.press("f", "f")  # snoozed, then the archive
        assert screen.sub_title == "0 new · 1 alert · 2 new outside this view"
        await pilot.press("u")  # restored: new, and outside the archive
        assert screen.sub_title == "0 new · 0 alerts · 3 new outside this view"
        await pilot.press("f")  # every alert
        assert screen.sub_title == "3 new (3 high) · 3 alerts"

    drive(desk_on(store, tmp_path), body)


def test_f_shows_the_archive_where_u_restores_an_alert(tmp_path: Path) -> None:
    store = MemoryStore()
    fill(store, 5)

    async def body(pilot: Pilot[None], screen: MainScreen, table: AlertList) -> None:
        await pilot.press("j", "x")
        assert "alert-00001" not in [a.id for a in table.alerts]
        for _ in range(4):  # active -> new -> acknowledged -> snoozed -> archived
            await pilot.press("f")
        assert screen.alert_query.view is StateView.ARCHIVED
        assert [a.id for a in table.alerts] == ["alert-00001"]
        assert str(table.border_title).startswith("archived")
        await pilot.press("u")
        assert store.get_alert("alert-00001").state is AlertState.NEW  # type: ignore[union-attr]
        assert table.row_count == 0
        await pilot.press("f", "f")  # all, then active again
        assert "alert-00001" in [a.id for a in table.alerts]

    drive(desk_on(store, tmp_path), body)


def test_slash_filters_titles_and_escape_clears(tmp_path: Path) -> None:
    store = MemoryStore()
    fill(store, 40)

    async def body(pilot: Pilot[None], screen: MainScreen, table: AlertList) -> None:
        await pilot.press("slash")
        search = screen.query_one("#search", Input)
        assert pilot.app.focused is search
        await pilot.press(*"troops", "enter")
        await pilot.pause()
        assert table.row_count == 20 and all("troops" in a.title for a in table.alerts)
        assert "“troops”" in str(table.border_title)
        assert pilot.app.focused is table
        await pilot.press("escape")
        assert table.row_count == 40 and search.value == ""
        await pilot.press("slash", "S", "t")  # too short to read the article bodies: said
        assert "titles only (article text from 3 characters)" in str(table.border_title)
        await pilot.press("o")
        assert "titles only" not in str(table.border_title)

    drive(desk_on(store, tmp_path), body)


def test_acknowledge_all_asks_and_one_undo_reverts_it(tmp_path: Path) -> None:
    store = MemoryStore()
    fill(store, 900)

    async def body(pilot: Pilot[None], screen: MainScreen, table: AlertList) -> None:
        await pilot.press("A")
        assert isinstance(pilot.app.screen, ConfirmScreen)
        await pilot.press("n")
        assert all(a.state is AlertState.NEW for a in store.alerts())
        await pilot.press("A", "y")
        await pilot.pause()
        assert all(a.state is AlertState.ACKNOWLEDGED for a in store.alerts())  # every page
        await pilot.press("u")
        assert all(a.state is AlertState.NEW for a in store.alerts())

    drive(desk_on(store, tmp_path), body)


def test_an_acknowledgement_and_its_undo_survive_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = TinyStore(data)
    fill(store, 3)

    async def acknowledge_two_undo_one(
        pilot: Pilot[None], screen: MainScreen, table: AlertList
    ) -> None:
        await pilot.press("a", "a", "u")

    try:
        drive(desk_on(store, tmp_path), acknowledge_two_undo_one)
    finally:
        store.close()
    again = TinyStore(data)
    try:
        states = [again.get_alert(f"alert-{n:05d}").state for n in range(3)]  # type: ignore[union-attr]
    finally:
        again.close()
    assert states == [AlertState.ACKNOWLEDGED, AlertState.NEW, AlertState.NEW]


def test_w_and_v_narrow_the_list_by_watchlist_and_severity(tmp_path: Path) -> None:
    store = MemoryStore()
    fill(store, 4)
    store.update_alert(replace(numbered(1), watchlists=("icbm-reentry",), severity=Severity.LOW))

    async def body(pilot: Pilot[None], screen: MainScreen, table: AlertList) -> None:
        await pilot.press("w")
        assert [a.id for a in table.alerts] == ["alert-00001"]
        await pilot.press("w", "w")  # troop-deployment, then every watchlist
        assert table.row_count == 4
        await pilot.press("v", "v")  # at least low, then at least medium
        assert "alert-00001" not in [a.id for a in table.alerts] and table.row_count == 3
        assert "≥medium" in str(table.border_title)

    drive(desk_on(store, tmp_path), body)


def test_the_article_is_the_highlighted_alerts_however_fast_the_keys_come(
    tmp_path: Path,
) -> None:
    """A move's message may arrive after a filter has changed the list again: the pane must
    still show the row under the cursor, the one a key will act on (it showed the stale one,
    and `s` then snoozed an alert other than the article being read)."""
    store = MemoryStore()
    fill(store, 6)
    for n in (1, 3):
        store.update_alert(replace(numbered(n), watchlists=("icbm-reentry",)))

    async def body(pilot: Pilot[None], screen: MainScreen, table: AlertList) -> None:
        article = screen.query_one(ArticleView)
        table.move_cursor(row=4)
        screen.action_cycle_watchlist()  # icbm-reentry: its moves' messages wait in the queue
        screen.action_cycle_watchlist()  # troop-deployment: the cursor stays on row 0, unsaid
        await pilot.pause()
        assert table.current_alert is not None and table.current_alert.id == "alert-00000"
        assert article.shown_alert_id == "alert-00000"

    drive(desk_on(store, tmp_path), body)


def test_the_hit_counter_is_the_shown_articles(tmp_path: Path) -> None:
    """'hit 2/2' belonged to the alert `n` was pressed on, not to the next one shown."""
    store = MemoryStore()
    hits = (
        Hit("troop-deployment", "story", "Story", 0, 5, 100.0),
        Hit("troop-deployment", "body", "Body", 27, 31, 100.0),
    )
    fill(store, 2, hits=hits)

    async def body(pilot: Pilot[None], screen: MainScreen, table: AlertList) -> None:
        article = screen.query_one(ArticleView)
        await pilot.press("n", "n")
        assert article.border_subtitle == "hit 2/2"
        await pilot.press("j")
        assert article.shown_alert_id == "alert-00001"
        assert article.border_subtitle == ""

    drive(desk_on(store, tmp_path), body)


def test_ctrl_c_says_which_key_quits_in_plain_words(tmp_path: Path) -> None:
    """Textual's own toast is markup ('Press [b]q[/b]'), which the desk's toasts show as is."""
    from textual.notifications import Notify

    toasts: list[tuple[str, bool]] = []
    app = desk_on(MemoryStore(), tmp_path)

    async def main() -> None:
        def hook(message: object) -> None:
            if isinstance(message, Notify):
                toasts.append((message.notification.message, message.notification.markup))

        async with app.run_test(size=SIZE, message_hook=hook) as pilot:
            await pilot.press("ctrl+c")
            await pilot.pause()

    asyncio.run(main())
    assert toasts == [("Press q or ctrl+q to quit the desk", False)]


def test_question_mark_lists_every_key_and_the_palette_holds_the_desks_commands(
    tmp_path: Path,
) -> None:
    from textual.widgets import DataTable

    from desk.core.settings.config import DEFAULT_KEYS
    from desk.ui.dialogs import HelpScreen
    from desk.ui.keys import shown_keys

    app = desk_on(MemoryStore(), tmp_path)

    async def body(pilot: Pilot[None], screen: MainScreen, table: AlertList) -> None:
        titles = [c.title for c in app.get_system_commands(screen)]
        assert "Ack all (A)" in titles and "Poll (r)" in titles and "Next page (])" in titles
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        keys = app.screen.query_one(DataTable)
        listed = {str(keys.get_row_at(i)[0]) for i in range(keys.row_count)}
        assert listed == {shown_keys(k) for k in DEFAULT_KEYS.values()}
        await pilot.press("escape")
        assert app.screen is screen

    drive(app, body)


def test_a_palette_command_runs_on_the_main_screen(tmp_path: Path) -> None:
    store = MemoryStore()
    fill(store, 3)
    app = desk_on(store, tmp_path)

    async def body(pilot: Pilot[None], screen: MainScreen, table: AlertList) -> None:
        (ack,) = [c for c in app.get_system_commands(screen) if c.title == "Ack (a)"]
        await ack.callback()
        await pilot.pause()
        assert store.get_alert("alert-00000").state is AlertState.ACKNOWLEDGED  # type: ignore[union-attr]

    drive(app, body)


def test_F_shows_each_feeds_health(tmp_path: Path) -> None:
    from textual.widgets import DataTable

    from desk.core.models import Feed, FeedState
    from desk.ui.panels import FeedHealthScreen

    store = MemoryStore()
    bad = FeedState("https://b.example/rss", status=503, error="HTTP 503 Service Unavailable")
    store.commit_cycle([], {}, [], [bad])
    app = desk_on(store, tmp_path)
    app.feeds = [Feed("https://a.example/rss", "Alpha"), Feed("https://b.example/rss", "Bravo")]

    async def body(pilot: Pilot[None], screen: MainScreen, table: AlertList) -> None:
        await pilot.press("F")
        assert isinstance(app.screen, FeedHealthScreen)
        rows = app.screen.query_one(DataTable)
        first = [str(cell) for cell in rows.get_row_at(0)]
        assert first[:3] == ["Bravo", "HTTP 503", "503"]
        assert first[6] == "HTTP 503 Service Unavailable"
        assert [str(c) for c in rows.get_row_at(1)][:3] == ["Alpha", "never polled", "-"]
        labels = [str(column.label) for column in rows.columns.values()]
        assert labels[-1] == "Blind spot"  # in view: the error column no longer takes its room
        widths = sum(column.get_render_width(rows) for column in rows.columns.values())
        assert widths <= app.size.width
        await pilot.press("question_mark")  # the panel's own keys first: the list's act elsewhere
        title = str(app.screen.query_one("#help-title", Static).render())
        assert title.startswith("On this screen: escape or q goes back, r polls now.")
        await pilot.press("escape", "escape")
        assert app.screen is screen
        await pilot.press("question_mark")
        title = str(app.screen.query_one("#help-title", Static).render())
        assert title.startswith("Keys (remap them")

    drive(app, body)


def test_a_broken_watchlist_shows_on_W_and_stays_in_the_status_until_fixed(
    tmp_path: Path,
) -> None:
    import shutil

    from textual.widgets import DataTable, Static

    from desk.ui.panels import WatchlistsScreen

    folder = tmp_path / "watchlists"
    shutil.copytree(shipped_watchlists_dir(), folder)
    (folder / "weather.yaml").write_text("name: Weather\nterms: [storm]\n", encoding="utf-8")
    where = Locations(tmp_path / "config", tmp_path / "data", folder)
    store = MemoryStore()
    fill(store, 3)
    app = DeskApp(store, Settings(), [], where, now=lambda: NOW, autopoll=False)

    def status() -> str:
        return str(app.screen.query_one("#status", Static).content)

    async def wait_for(done: Callable[[], bool], pilot: Pilot[None]) -> None:
        for _ in range(50):
            await pilot.pause(0.1)
            if done():
                return
        raise AssertionError(status())

    async def body(pilot: Pilot[None], screen: MainScreen, table: AlertList) -> None:
        assert "broken" not in status()
        (folder / "weather.yaml").write_text("name: Weather\nterms: storm\n", encoding="utf-8")
        await wait_for(lambda: "watchlist broken: weather" in status(), pilot)
        screen.set_status("Polled 3 feeds")  # a later poll does not hide it
        assert "watchlist broken: weather (last good version in force)" in status()
        await pilot.press("W")
        assert isinstance(app.screen, WatchlistsScreen)
        rows = app.screen.query_one(DataTable)
        cells = {str(rows.get_row_at(i)[0]): rows.get_row_at(i) for i in range(rows.row_count)}
        assert str(cells["troop-deployment"][2]) == "3"  # every stored alert fired it
        assert str(cells["weather"][4]).startswith("✗ ") and "weather.yaml" in str(
            cells["weather"][4]
        )
        assert "last good version in force" in str(cells["weather"][4])
        (folder / "weather.yaml").write_text(  # fixed while W is open: it follows the edit
            "name: Weather\nterms: [storm, gale]\n", encoding="utf-8"
        )

        def weather_terms() -> str:
            found = [rows.get_row_at(i) for i in range(rows.row_count)]
            return next(str(row[4]) for row in found if str(row[0]) == "weather")

        await wait_for(lambda: weather_terms() == "storm, gale", pilot)
        await pilot.press("escape")
        await wait_for(lambda: "broken" not in status(), pilot)

    drive(app, body)


def test_at_80_by_24_the_article_goes_under_the_list_and_the_columns_fit(tmp_path: Path) -> None:
    store = MemoryStore()
    fill(store, 30)
    app = desk_on(store, tmp_path)

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            screen = app.screen
            table = screen.query_one(AlertList)
            article = screen.query_one(ArticleView)
            assert screen.query_one("#panes").has_class("narrow")
            assert article.region.y >= table.region.bottom and article.region.height >= 6
            assert table.region.right <= 80 and table.row_count == 30
            widths = table.widths
            assert widths["title"] >= 30 and widths["watchlists"] >= len("troop-deployment") - 4
            await pilot.resize_terminal(200, 50)
            await pilot.pause()
            assert not screen.query_one("#panes").has_class("narrow")

    asyncio.run(main())


def test_a_snoozed_alert_says_until_when_and_sources_are_counted_in_words(tmp_path: Path) -> None:
    store = MemoryStore()
    fill(store, 2, sources=("Wire", "World Desk"))

    async def body(pilot: Pilot[None], screen: MainScreen, table: AlertList) -> None:
        assert str(table.get_row_at(0)[4]) == "troop-deployment · 2 sources"
        await pilot.press("s")
        until = store.get_alert("alert-00000").snoozed_until  # type: ignore[union-attr]
        assert until is not None
        wake = until.astimezone().strftime("%d %b %H:%M")
        assert str(table.get_row_at(0)[3]).startswith(f"[until {wake}] Story 00000")
        await pilot.press("k")
        why = str(screen.query_one("#article-why").content)  # type: ignore[attr-defined]
        assert f"Snoozed until {wake}" in why

    drive(desk_on(store, tmp_path), body)


def test_o_opens_the_link_y_copies_it_and_ctrl_l_redraws(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import webbrowser

    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url) or True)
    store = MemoryStore()
    fill(store, 2)
    app = desk_on(store, tmp_path)

    async def body(pilot: Pilot[None], screen: MainScreen, table: AlertList) -> None:
        assert opened == [] and app.clipboard == ""  # nothing happens before the key press
        await pilot.press("j", "o")
        await pilot.pause()
        assert opened == ["https://news.example/1"]
        await pilot.press("y")
        assert app.clipboard == "https://news.example/1"
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert table.row_count == 2

    drive(app, body)


def test_n_and_N_go_from_hit_to_hit_in_the_article(tmp_path: Path) -> None:
    from desk.core.models import Hit

    body_text = "Headline\n\n" + "\n\n".join(f"Paragraph {n} of filler." for n in range(60))
    body_text += "\n\nThen troops were sent.\n\n" + "More filler.\n\n" * 20 + "Troops again."
    first, second = body_text.index("troops were sent"), body_text.index("Troops again")
    hits = (
        Hit("troop-deployment", "troops", "troops", first, first + 6, 95.0),
        Hit("troop-deployment", "troops", "Troops", second, second + 6, 95.0),
    )
    alert = numbered(0, hits=hits)
    store = MemoryStore()
    store.commit_cycle([], {"k0": Article(alert.url, alert.title, body_text)}, [alert], [])

    async def body(pilot: Pilot[None], screen: MainScreen, table: AlertList) -> None:
        article = screen.query_one(ArticleView)
        assert article.scroll_y == 0 and article.spans == [(first, first + 6), (second, second + 6)]
        await pilot.press("n")
        await pilot.pause()
        near_first = article.scroll_y
        assert near_first > 60 and article.border_subtitle == "hit 1/2"
        await pilot.press("n")
        await pilot.pause()
        assert article.scroll_y > near_first and article.border_subtitle == "hit 2/2"
        await pilot.press("N")
        await pilot.pause()
        assert article.scroll_y == near_first

    drive(desk_on(store, tmp_path), body)


def test_ctrl_a_acknowledges_with_a_note_and_escape_changes_nothing(tmp_path: Path) -> None:
    from desk.ui.dialogs import NoteScreen

    store = MemoryStore()
    fill(store, 2)

    async def body(pilot: Pilot[None], screen: MainScreen, table: AlertList) -> None:
        await pilot.press("ctrl+a")
        assert isinstance(pilot.app.screen, NoteScreen)
        await pilot.press("escape")
        assert store.get_alert("alert-00000").state is AlertState.NEW  # type: ignore[union-attr]
        await pilot.press("ctrl+a", *"called <b>[red]desk 2", "enter")
        await pilot.pause()
        acked = store.get_alert("alert-00000")
        assert acked is not None and acked.state is AlertState.ACKNOWLEDGED
        assert acked.note == "called <b>[red]desk 2"
        await pilot.press("k")
        why = screen.query_one("#article-why").content  # type: ignore[attr-defined]
        assert "Note: called <b>[red]desk 2" in str(why)

    drive(desk_on(store, tmp_path), body)


def test_e_opens_the_alerts_watchlist_in_the_editor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil
    import sys

    folder = tmp_path / "watchlists"
    shutil.copytree(shipped_watchlists_dir(), folder)
    log = tmp_path / "edited.txt"
    editor = tmp_path / "editor.py"
    editor.write_text(f"import sys\nopen({str(log)!r}, 'a').write(sys.argv[1])\n")
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    monkeypatch.delenv("VISUAL", raising=False)
    store = MemoryStore()
    fill(store, 1)
    where = Locations(tmp_path / "config", tmp_path / "data", folder)
    app = DeskApp(store, Settings(), [], where, now=lambda: NOW, autopoll=False)

    async def body(pilot: Pilot[None], screen: MainScreen, table: AlertList) -> None:
        await pilot.press("e")
        await pilot.pause()
        assert log.read_text() == str(folder / "troop-deployment.yaml")

    drive(app, body)


def test_a_feed_added_to_feeds_yaml_while_running_is_polled(tmp_path: Path) -> None:
    from desk.core.models import Feed
    from desk.demo.server import DemoServer

    with DemoServer() as server:
        urls = [url for _, url in server.feed_urls()]
        where = Locations(tmp_path / "config", tmp_path / "data", shipped_watchlists_dir())
        where.config_dir.mkdir(parents=True)
        where.feeds_file.write_text(f"feeds:\n  - url: {urls[0]}\n", encoding="utf-8")
        store = MemoryStore()
        app = DeskApp(store, Settings(), [Feed(urls[0])], where, autopoll=False)

        async def body(pilot: Pilot[None], screen: MainScreen, table: AlertList) -> None:
            assert store.feed_states() == {}
            where.feeds_file.write_text(
                f"feeds:\n  - url: {urls[0]}\n  - url: {urls[1]}\n    name: Added\n",
                encoding="utf-8",
            )
            for _ in range(100):
                await pilot.pause(0.1)
                if urls[1] in store.feed_states() and table.row_count:
                    break
            assert [f.url for f in app.feeds] == urls[:2]
            assert urls[1] in store.feed_states()
            where.feeds_file.write_text("feeds: [{url: }\n", encoding="utf-8")  # broken
            for _ in range(20):
                await pilot.pause(0.1)
            assert [f.url for f in app.feeds] == urls[:2]  # the last good version

        drive(app, body)


def test_the_header_counts_new_alerts_by_severity() -> None:
    from desk.ui.screens import new_by_severity

    alerts = [
        numbered(0, severity=Severity.LOW),
        numbered(1, severity=Severity.CRITICAL),
        numbered(2),
        numbered(3),
        numbered(4, state=AlertState.ACKNOWLEDGED),
    ]
    assert new_by_severity(alerts) == "4 new (1 critical, 2 high, 1 low)"
    many = [numbered(n) for n in range(1155)]
    assert new_by_severity(many) == "1,155 new (1,155 high)"
    assert new_by_severity(alerts[4:]) == "0 new"


def test_raised_alerts_are_toasted_and_ring_the_bell_when_urgent_and_wanted(
    tmp_path: Path,
) -> None:
    from textual.notifications import Notify

    rings: list[bool] = []
    toasts: list[str] = []
    app = desk_on(MemoryStore(), tmp_path)
    app.bell = lambda: rings.append(True)  # type: ignore[method-assign]

    async def main() -> None:
        def hook(message: object) -> None:
            if isinstance(message, Notify):
                toasts.append(f"{message.notification.title}: {message.notification.message}")

        async with app.run_test(size=SIZE, message_hook=hook) as pilot:
            app._announce([numbered(0, severity=Severity.LOW)])
            app._announce(
                [numbered(1, severity=Severity.CRITICAL, title="[b]Big[/b]"), numbered(2)]
            )
            assert rings == []  # bell is off by default
            app.settings = Settings(bell=True)
            app._announce([numbered(3, severity=Severity.LOW)])
            app._announce([numbered(4, severity=Severity.HIGH)])
            await pilot.pause()

    asyncio.run(main())
    assert rings == [True]
    assert toasts[1] == "2 alerts raised or grown: critical: [b]Big[/b] (+1 more)"


def test_e_leaves_the_shipped_watchlists_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDITOR", "false-editor-that-must-not-run")
    store = MemoryStore()
    fill(store, 1)
    app = desk_on(store, tmp_path)  # on the shipped watchlists, as `desk demo` is

    async def body(pilot: Pilot[None], screen: MainScreen, table: AlertList) -> None:
        await pilot.press("e")
        await pilot.pause()
        assert any("shipped with desk" in n.message for n in app._notifications)

    drive(app, body)


def test_an_alert_grown_since_acknowledged_says_so_in_the_list_and_the_pane(
    tmp_path: Path,
) -> None:
    """Not only the reason line: a ▲ in the state column and the pane's title say it grew."""
    from desk.core import decide
    from desk.ui.widgets.article_view import ArticleView
    from tests.core.test_stories import WATCHLISTS, WIRE, item, raise_alert

    acked = decide.acknowledge(raise_alert(1, "Iran fires missiles at Israel", WIRE), NOW)
    copy = Article(url="https://other.example/x", title="Iran fires missiles at Israel", text=WIRE)
    more = [Hit("troops", "t", "missiles", 0, 8, 100.0), Hit("icbm", "r", "re-entry", 20, 28, 99.0)]
    grown = decide.decide_alert(item(3), "Feed 3", copy, more, WATCHLISTS, acked, NOW)
    assert grown is not None and grown.reason
    store = MemoryStore()
    plain = fill(store, 1)[0]
    store.commit_cycle([], {grown.article_key: copy}, [grown], [])
    app = desk_on(store, tmp_path)

    async def body(pilot: Pilot[None], screen: MainScreen, table: AlertList) -> None:
        marks = {a.id: str(table.get_row_at(i)[0]) for i, a in enumerate(table.alerts)}
        assert marks == {grown.id: "▲", plain.id: "●"}
        article = screen.query_one(ArticleView)
        table.move_cursor(row=[a.id for a in table.alerts].index(grown.id))
        await pilot.pause()
        assert str(article.border_title) == "▲ grew since acknowledged"
        table.move_cursor(row=[a.id for a in table.alerts].index(plain.id))
        await pilot.pause()
        assert not article.border_title

    drive(app, body)


def test_slash_finds_words_in_the_article_text_not_only_titles(tmp_path: Path) -> None:
    """Titles at once; alerts whose stored body holds the words stream in from a worker."""
    from textual.widgets import Input

    from desk.core.models import SeenItem
    from desk.core.store.tinystore import TinyStore

    alerts = [numbered(n) for n in range(30)]
    inland = {a.id for a in alerts[::7]}

    def body_of(alert: Alert) -> str:
        place = "the Kaliningrad exclave" if alert.id in inland else "the border"
        return f"{alert.title}\n\nUnits moved towards {place} overnight."

    articles = {a.article_key: Article(a.url, a.title, body_of(a)) for a in alerts}
    seen = [SeenItem(a.article_key, "f", a.url, "fp", NOW, a.id) for a in alerts]
    store = TinyStore(tmp_path / "data")
    store.commit_cycle(seen, articles, alerts, [])
    store.close()
    store = TinyStore(tmp_path / "data")  # reopened: rows from the index, bodies from disk
    titled = numbered(99, title="Kaliningrad drills announced")
    store.commit_cycle([], {}, [titled], [])
    app = desk_on(store, tmp_path)

    async def body(pilot: Pilot[None], screen: MainScreen, table: AlertList) -> None:
        await pilot.press("slash", *"kaliningrad")
        assert [a.id for a in table.alerts] == [titled.id]  # the title, before any body
        for _ in range(50):
            await pilot.pause(0.1)
            if "searching" not in str(table.border_title):
                break
        assert {a.id for a in table.alerts} == inland | {titled.id}
        assert screen.query_one("#search", Input).value == "kaliningrad"
        await pilot.press("enter", "escape")
        assert table.row_count == 31

    try:
        drive(app, body)
    finally:
        store.close()


def test_keys_typed_in_a_burst_after_slash_land_in_the_search(tmp_path: Path) -> None:
    """`/` then `sxa` at once (a fast typist, tmux send-keys): typed into the search, in order,
    none taken as a command (they were queued for the list before the search had the focus)."""
    from textual import events
    from textual.widgets import Input

    store = MemoryStore()
    fill(store, 5)
    app = desk_on(store, tmp_path)

    async def body(pilot: Pilot[None], screen: MainScreen, table: AlertList) -> None:
        for key, character in (("slash", "/"), ("s", "s"), ("x", "x"), ("a", "a")):
            app.post_message(events.Key(key, character))
        await pilot.pause()
        await pilot.pause()
        search = screen.query_one("#search", Input)
        assert app.focused is search
        assert search.value == "sxa"
        assert {a.state for a in store.alerts()} == {AlertState.NEW}
        await pilot.press("slash")  # in the search line, `/` is typed
        assert search.value == "sxa/"

    drive(app, body)


class HeldStore(TinyStore):
    """A TinyStore whose cycle commits wait, holding the alert-content lock as a rewrite of
    alerts.json does, until the test lets them go (at most HOLD seconds)."""

    HOLD = 4.0

    def __init__(self, data_dir: Path) -> None:
        super().__init__(data_dir)
        self.committing = threading.Event()
        self.go_on = threading.Event()

    def commit_cycle(self, *args: Any, **kwargs: Any) -> None:
        """Wait for go_on (or HOLD seconds), then commit."""
        with self._content_lock:
            self.committing.set()
            self.go_on.wait(self.HOLD)
            super().commit_cycle(*args, **kwargs)


def test_keys_and_acknowledgements_answer_while_a_poll_commits(tmp_path: Path) -> None:
    """A cycle's commit (alerts.json rewritten: a second at 100k alerts) runs off the
    screen's loop: the list moves and an acknowledgement is saved meanwhile."""
    filled = TinyStore(tmp_path / "data")
    fill(filled, 30)
    filled.close()
    store = HeldStore(tmp_path / "data")
    app = desk_on(store, tmp_path)

    async def body(pilot: Pilot[None], screen: MainScreen, table: AlertList) -> None:
        await pilot.press("r")
        for _ in range(100):
            if store.committing.is_set():
                break
            await pilot.pause(0.02)
        assert store.committing.is_set()
        await pilot.press("j", "j", "a")
        assert not store.go_on.is_set() and any(w.group == "poll" for w in app.workers)
        assert table.cursor_row == 3  # moved, and moved on past the acknowledged alert
        assert store.get_alert("alert-00002").state is AlertState.ACKNOWLEDGED  # type: ignore[union-attr]
        store.go_on.set()
        for _ in range(100):
            if not any(w.group == "poll" and w.is_running for w in app.workers):
                break
            await pilot.pause(0.05)
        assert store.get_alert("alert-00002").state is AlertState.ACKNOWLEDGED  # type: ignore[union-attr]

    try:
        drive(app, body)
    finally:
        store.go_on.set()
        store.close()


def test_a_page_turn_past_either_end_says_so(tmp_path: Path) -> None:
    """`]` on the last page (or a view of one page) and `[` on the first used to do nothing."""
    store = MemoryStore()
    fill(store, 600)

    async def body(pilot: Pilot[None], screen: MainScreen, table: AlertList) -> None:
        app = pilot.app
        await pilot.press("left_square_bracket")
        assert [n.message for n in app._notifications] == [
            "This is the first page (page 1/2 · 1-500 of 600)"
        ]
        app.clear_notifications()
        await pilot.press("right_square_bracket", "right_square_bracket")
        assert screen.page.number == 1
        assert [n.message for n in app._notifications] == [
            "This is the last page (page 2/2 · 501-600 of 600)"
        ]
        app.clear_notifications()
        screen.alert_query = replace(screen.alert_query, text="Story 00001")  # one alert
        screen.refresh_alerts()
        await pilot.press("right_square_bracket")
        assert [n.message for n in app._notifications] == ["1 alert in this view, all on one page"]
        app.clear_notifications()
        screen.alert_query = replace(screen.alert_query, text="no such story")
        screen.refresh_alerts()
        await pilot.press("right_square_bracket")
        assert [n.message for n in app._notifications] == ["No alert in this view"]

    drive(desk_on(store, tmp_path), body)
