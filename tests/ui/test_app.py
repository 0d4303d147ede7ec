"""Pilot tests of the desk on the served demo: a real poll over loopback, real keys.

Each test builds the app the way `desk demo` does (the demo feeds served on
127.0.0.1, the shipped watchlists, a TinyStore in a temp dir), lets it poll,
and then drives it with the keys an analyst would press.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.text import Text
from textual.notifications import Notify
from textual.pilot import Pilot
from textual.widgets import DataTable, Static
from textual.widgets._footer import FooterKey

from desk.core.models import AlertState, Feed, FeedState
from desk.core.settings.config import Locations, Settings, shipped_watchlists_dir
from desk.core.store.contract import MemoryStore
from desk.core.store.tinystore import TinyStore
from desk.core.view import AlertQuery
from desk.demo.server import DemoServer
from desk.ui.app import DeskApp
from desk.ui.panels import FeedHealthScreen
from desk.ui.widgets.alert_list import AlertList
from desk.ui.widgets.article_view import HIT_STYLE, ArticleView

SIZE = (140, 40)
POLL_TIMEOUT = 15.0
DEMO_ALERTS = 13


def demo_feeds(server: DemoServer) -> list[Feed]:
    """The demo's feeds, as `desk.cli.demo_workspace` builds them."""
    return [Feed(url=url, interval=60.0) for _, url in server.feed_urls()]


def demo_app(server: DemoServer, root: Path, watchlists: Path | None = None) -> DeskApp:
    """A polling desk on the served demo, its store in `root`/data."""
    where = Locations(root / "config", root / "data", watchlists or shipped_watchlists_dir())
    store = TinyStore(where.data_dir)
    settings = Settings(default_interval=60.0)
    return DeskApp(store, settings, demo_feeds(server), where, title="desk demo", autopoll=True)


def run(app: DeskApp, body: Callable[[Pilot[None]], Awaitable[None]], **options: object) -> None:
    """Drive `app` headless with `body`, then close its store."""

    async def main() -> None:
        size = options.pop("size", SIZE)
        async with app.run_test(size=size, **options) as pilot:  # type: ignore[arg-type]
            await body(pilot)

    try:
        asyncio.run(main())
    finally:
        app.store.close()


def polling(app: DeskApp) -> bool:
    """Whether a poll worker is still at work."""
    return any(w.group == "poll" and not w.is_finished for w in app.workers)


async def wait_until(pilot: Pilot[None], done: Callable[[], bool], what: str) -> None:
    """Let the app run until `done()` holds; fail after POLL_TIMEOUT seconds."""
    deadline = time.monotonic() + POLL_TIMEOUT
    while time.monotonic() < deadline:
        await pilot.pause(0.1)
        if done():
            return
    pytest.fail(f"no {what} after {POLL_TIMEOUT:.0f}s; status: {status_of(pilot)!r}")


async def wait_for_poll(pilot: Pilot[None]) -> AlertList:
    """Wait until the first poll is done and its alerts are listed."""
    app = pilot.app
    table = app.screen.query_one(AlertList)

    def listed() -> bool:
        return bool(table.row_count) and not polling(app) and "Polled" in status_of(pilot)  # type: ignore[arg-type]

    await wait_until(pilot, listed, "alerts listed")
    return table


def status_of(pilot: Pilot[None]) -> str:
    """The status line's text."""
    return str(pilot.app.screen.query_one("#status", Static).content)


def article_text(pilot: Pilot[None]) -> Text:
    """The article pane's body, as the rich Text it renders."""
    content = pilot.app.screen.query_one("#article-text", Static).content
    assert isinstance(content, Text)
    return content


def listed_state(table: AlertList, row: int) -> AlertState:
    """The state of the alert on `row` as the list holds it."""
    return table.alerts[row].state


def stored_state(data_dir: Path, alert_id: str) -> AlertState | None:
    """The alert's state as a second, read-only look at the disk sees it."""
    store = TinyStore(data_dir, read_only=True)
    try:
        alert = store.get_alert(alert_id)
    finally:
        store.close()
    return alert.state if alert else None


def test_poll_lists_the_demo_alerts(demo_server: DemoServer, tmp_path: Path) -> None:
    """The first poll fills the list with every alert the store holds, newest first."""
    app = demo_app(demo_server, tmp_path)

    async def body(pilot: Pilot[None]) -> None:
        table = await wait_for_poll(pilot)
        stored = app.store.alerts()
        assert len(stored) == DEMO_ALERTS
        assert table.row_count == len(stored)
        assert [a.id for a in table.alerts] == [a.id for a in stored]
        listed = [str(table.get_row_at(i)[3]) for i in range(table.row_count)]
        assert listed == [a.title for a in stored]
        assert str(pilot.app.screen.sub_title).startswith(f"{DEMO_ALERTS} new (")
        assert str(pilot.app.screen.sub_title).endswith(f" · {DEMO_ALERTS} alerts")
        assert f"{DEMO_ALERTS} alerts" in status_of(pilot)

    run(app, body)


def test_article_shows_the_highlighted_alert_with_its_hits(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    """The article pane holds the current alert's text, each hit styled in place."""
    app = demo_app(demo_server, tmp_path)

    async def body(pilot: Pilot[None]) -> None:
        table = await wait_for_poll(pilot)
        for _ in range(2):
            row = table.current_alert
            alert = app.store.get_alert(row.id) if row is not None else None
            assert alert is not None
            article = app.store.get_article(alert.article_key)
            assert article is not None
            text = article_text(pilot)
            assert text.plain == article.text
            styled = {(s.start, s.end) for s in text.spans if str(s.style) == HIT_STYLE}
            assert alert.hits
            for hit in alert.hits:
                assert (hit.start, hit.end) in styled
                assert text.plain[hit.start : hit.end] == hit.text
            await pilot.press("j")

    run(app, body)


def test_acknowledge_saves_to_disk_and_moves_on(demo_server: DemoServer, tmp_path: Path) -> None:
    """`a` acknowledges on disk and moves down; `k` goes back; `u` makes it new again."""
    app = demo_app(demo_server, tmp_path)
    data_dir = tmp_path / "data"

    async def body(pilot: Pilot[None]) -> None:
        table = await wait_for_poll(pilot)
        first = table.current_alert
        assert first is not None and table.cursor_row == 0
        await pilot.press("a")
        assert table.cursor_row == 1
        assert listed_state(table, 0) is AlertState.ACKNOWLEDGED
        assert stored_state(data_dir, first.id) is AlertState.ACKNOWLEDGED
        assert str(table.get_row_at(0)[0]) == "✓"
        assert "bold" not in str(table.get_row_at(0)[3].style)
        following = app.store.get_article(table.alerts[1].article_key)
        assert following is not None and article_text(pilot).plain == following.text
        assert str(pilot.app.screen.sub_title).startswith(f"{DEMO_ALERTS - 1} new")
        await pilot.press("k")
        assert table.cursor_row == 0
        await pilot.press("u")
        assert table.cursor_row == 0
        assert listed_state(table, 0) is AlertState.NEW
        assert "bold" in str(table.get_row_at(0)[3].style)
        assert stored_state(data_dir, first.id) is AlertState.NEW
        assert str(pilot.app.screen.sub_title).startswith(f"{DEMO_ALERTS} new")

    run(app, body)


def test_keys_move_the_cursor_and_quit(demo_server: DemoServer, tmp_path: Path) -> None:
    """`j` and `k` move through the list and the article follows; tab swaps panes; `q` quits."""
    app = demo_app(demo_server, tmp_path)

    async def body(pilot: Pilot[None]) -> None:
        table = await wait_for_poll(pilot)
        await pilot.press("j", "j")
        assert table.cursor_row == 2
        alert = table.alerts[2]
        article = app.store.get_article(alert.article_key)
        assert article is not None and article_text(pilot).plain == article.text
        await pilot.press("k")
        assert table.cursor_row == 1
        await pilot.press("k", "k")
        assert table.cursor_row == 0
        await pilot.press("tab")
        assert app.focused is not None and app.focused.id == "article"
        await pilot.press("tab")
        assert app.focused is table
        assert app.is_running
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running

    run(app, body)


def test_poll_again_keeps_the_list_and_the_cursor(demo_server: DemoServer, tmp_path: Path) -> None:
    """`r` polls again: the feeds answer 304, nothing new, the analyst's place is kept."""
    app = demo_app(demo_server, tmp_path)

    async def body(pilot: Pilot[None]) -> None:
        table = await wait_for_poll(pilot)
        before = [a.id for a in table.alerts]
        await pilot.press("j", "j", "r")
        await wait_until(pilot, lambda: "0 new items" in status_of(pilot), "second poll")
        assert "0 new items, 0 alerts · next poll " in status_of(pilot)
        assert [a.id for a in table.alerts] == before
        assert table.cursor_row == 2

    run(app, body)


def test_bad_watchlist_is_reported_and_the_rest_still_run(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    """A broken watchlist file is named in a notification; the good ones still alert."""
    folder = tmp_path / "watchlists"
    shutil.copytree(shipped_watchlists_dir(), folder)
    (folder / "troop-deployment.yaml").unlink()
    (folder / "broken.yaml").write_text("name: Broken\nterms: [unclosed\n", encoding="utf-8")
    app = demo_app(demo_server, tmp_path, watchlists=folder)
    notes: list[Notify] = []

    def hook(message: object) -> None:
        if isinstance(message, Notify):
            notes.append(message)

    async def body(pilot: Pilot[None]) -> None:
        table = await wait_for_poll(pilot)
        fired = {w for a in table.alerts for w in a.watchlists}
        assert fired == {"icbm-reentry", "technology-transfer"}
        errors = [n.notification for n in notes if n.notification.severity == "error"]
        assert len(errors) == 1
        assert "broken.yaml" in errors[0].message
        assert errors[0].title == "Watchlist skipped"

    run(app, body, message_hook=hook)


def test_archive_keeps_the_cursor_in_place(demo_server: DemoServer, tmp_path: Path) -> None:
    """`x` takes the alert off the list; the cursor stays on its row, now the next alert."""
    app = demo_app(demo_server, tmp_path)

    async def body(pilot: Pilot[None]) -> None:
        table = await wait_for_poll(pilot)
        await pilot.press("j", "j", "j")
        archived, following = table.alerts[3], table.alerts[4]
        await pilot.press("x")
        await pilot.pause()
        assert archived.id not in [a.id for a in table.alerts]
        assert table.cursor_row == 3
        assert table.current_alert is not None and table.current_alert.id == following.id
        article = app.store.get_article(following.article_key)
        assert article is not None and article_text(pilot).plain == article.text

    run(app, body)


def test_archive_of_the_last_row_keeps_the_cursor_at_the_end(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    """Archiving the bottom alert leaves the cursor on the new bottom row."""
    app = demo_app(demo_server, tmp_path)

    async def body(pilot: Pilot[None]) -> None:
        table = await wait_for_poll(pilot)
        last = table.row_count - 1
        table.move_cursor(row=last)
        await pilot.pause()
        await pilot.press("x")
        await pilot.pause()
        assert table.row_count == last
        assert table.cursor_row == last - 1

    run(app, body)


def test_failing_feeds_stay_in_the_status_after_a_poll_of_the_due_feeds(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    """The failing count comes from every configured feed's stored health, not the last cycle."""
    clock = [datetime(2025, 3, 14, 9, 0, tzinfo=UTC)]
    where = Locations(tmp_path / "config", tmp_path / "data", shipped_watchlists_dir())
    gone = [
        Feed(url=f"{demo_server.base_url}/feeds/gone-{n}.xml", name=f"Gone {n}", interval=3600.0)
        for n in (1, 2)
    ]
    feeds = [*gone, *demo_feeds(demo_server)]
    store = TinyStore(where.data_dir)
    stale = FeedState(url=f"{demo_server.base_url}/feeds/dropped.xml", error="HTTP 500")
    store.commit_cycle([], {}, [], [stale])  # a feed no longer configured: not counted
    settings = Settings(default_interval=60.0)
    app = DeskApp(store, settings, feeds, where, now=lambda: clock[0], autopoll=False)

    async def body(pilot: Pilot[None]) -> None:
        await pilot.press("r")
        await wait_until(pilot, lambda: "Polled" in status_of(pilot), "first poll")
        assert "Polled 5 feeds" in status_of(pilot)
        # the warning leads the line: at 80 columns its end is cut
        assert status_of(pilot).startswith("2 feeds failing (Gone 1: HTTP 404")
        clock[0] += timedelta(minutes=2)  # the demo feeds are due again, the failing ones not
        app.poll(force=False)
        await wait_until(pilot, lambda: "Polled 3 feeds" in status_of(pilot), "due poll")
        assert status_of(pilot).startswith("2 feeds failing (Gone 1: HTTP 404")
        (state,) = [s for s in store.feed_states().values() if s.url == gone[0].url]
        long_error = "Connect call failed " + "('127.0.0.1', 9) " * 20
        store.commit_cycle([], {}, [], [replace(state, error=long_error)])
        clock[0] += timedelta(minutes=2)
        app.poll(force=False)
        await wait_until(pilot, lambda: "Polled 3 feeds" in status_of(pilot), "another poll")
        line = status_of(pilot)  # the error is cut: the poll's own words stay in view
        assert line.startswith("2 feeds failing (Gone 1: Connect call failed ")
        assert line.index("Polled 3 feeds") < 100

    run(app, body)


def feed_table_rows(app: DeskApp) -> list[list[str]]:
    """The feed health screen's rows as the cells' plain text."""
    table = app.screen.query_one(DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def test_an_open_feed_health_screen_follows_the_polls(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    """F opened before the first poll says 'never polled'; the poll's end updates it in place."""
    where = Locations(tmp_path / "config", tmp_path / "data", shipped_watchlists_dir())
    gone = Feed(url=f"{demo_server.base_url}/feeds/gone.xml", name="Gone " + "x" * 150)
    feeds = [gone, *demo_feeds(demo_server)]
    app = DeskApp(TinyStore(where.data_dir), Settings(), feeds, where, autopoll=False)

    async def body(pilot: Pilot[None]) -> None:
        await pilot.press("F")
        await pilot.pause()
        assert isinstance(app.screen, FeedHealthScreen)
        assert {row[1] for row in feed_table_rows(app)} == {"never polled"}
        await pilot.press("r")
        await wait_until(pilot, lambda: "ok" in {row[1] for row in feed_table_rows(app)}, "poll")
        assert isinstance(app.screen, FeedHealthScreen)  # still open, now up to date
        statuses = [row[1] for row in feed_table_rows(app)]
        assert statuses.count("ok") == 3 and len(statuses) == 4, statuses
        # a 155-character name is cut, so the status column stays on screen
        table = app.screen.query_one(DataTable)
        assert table.columns[table.ordered_columns[0].key].width <= 32

    run(app, body, size=(80, 24))


def test_an_empty_view_clears_the_article_pane(demo_server: DemoServer, tmp_path: Path) -> None:
    """Filtering down to no alert leaves no article of the last view on show."""
    app = demo_app(demo_server, tmp_path)

    async def body(pilot: Pilot[None]) -> None:
        await wait_for_poll(pilot)
        pane = app.screen.query_one(ArticleView)
        assert pane.shown_alert_id is not None
        main = app.screen
        main.set_query(AlertQuery(text="no alert has this in its title or text"))
        await pilot.pause()
        assert pane.shown_alert_id is None
        assert "No alert in this view" in str(pane.query_one("#article-text", Static).render())

    run(app, body)


def test_a_poll_with_nothing_due_leaves_the_last_status_not_polling(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    """The desk's timer polls when nothing is due too: its progress must not stay in the status."""
    clock = [datetime(2025, 3, 14, 9, 0, tzinfo=UTC)]
    where = Locations(tmp_path / "config", tmp_path / "data", shipped_watchlists_dir())
    store = TinyStore(where.data_dir)
    settings = Settings(default_interval=3600.0)
    app = DeskApp(
        store, settings, demo_feeds(demo_server), where, now=lambda: clock[0], autopoll=False
    )

    async def body(pilot: Pilot[None]) -> None:
        await pilot.press("r")
        await wait_until(pilot, lambda: "Polled" in status_of(pilot), "first poll")
        first = status_of(pilot)
        clock[0] += timedelta(seconds=10)  # the next feed is due in about a minute
        app.poll(force=False)
        await wait_until(pilot, lambda: not polling(app), "the poll with nothing due")
        await pilot.pause()
        assert status_of(pilot) == first

    run(app, body)


def test_j_and_k_scroll_the_article_when_it_has_focus(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    """In the article pane j/k scroll one line, like the arrows; in the list they move the cursor."""
    app = demo_app(demo_server, tmp_path)

    async def body(pilot: Pilot[None]) -> None:
        table = await wait_for_poll(pilot)
        article = app.screen.query_one(ArticleView)
        await pilot.press("tab")
        assert app.focused is article
        assert article.max_scroll_y > 2, "the test needs an article taller than its pane"
        await pilot.press("j", "j")
        await pilot.pause()
        assert article.scroll_y == 2
        assert table.cursor_row == 0
        await pilot.press("k")
        await pilot.pause()
        assert article.scroll_y == 1
        await pilot.press("down")
        await pilot.pause()
        assert article.scroll_y == 2
        assert table.cursor_row == 0
        await pilot.press("tab", "j")
        assert table.cursor_row == 1
        await pilot.press("tab")
        assert app.focused is article
        await pilot.press("escape")  # leaves the pane for the list, as tab does
        assert app.focused is table

    run(app, body)


def test_remapped_down_key_scrolls_the_article_too(demo_server: DemoServer, tmp_path: Path) -> None:
    """A `keys: {down: J}` remap moves the list cursor and scrolls the focused article alike."""
    app = demo_app(demo_server, tmp_path)
    app.settings = Settings(default_interval=60.0, keys={"down": "J"})

    async def body(pilot: Pilot[None]) -> None:
        table = await wait_for_poll(pilot)
        article = app.screen.query_one(ArticleView)
        await pilot.press("J")
        assert table.cursor_row == 1
        await pilot.press("tab", "J")
        await pilot.pause()
        assert article.scroll_y == 1
        assert table.cursor_row == 1

    run(app, body)


def test_footer_shows_undo_and_pane_and_fits_100_columns(tmp_path: Path) -> None:
    """`u` and `tab` are in the footer with the core keys, all within 100 columns."""
    where = Locations(tmp_path / "config", tmp_path / "data", shipped_watchlists_dir())
    app = DeskApp(MemoryStore(), Settings(), [], where, autopoll=False)

    async def main() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            keys = {k.key: k.description for k in app.screen.query(FooterKey)}
            assert {"a", "u", "A", "s", "x", "tab", "r", "q"} <= set(keys)
            assert keys["u"] == "Undo" and keys["tab"] == "Pane"
            assert "j" not in keys and "k" not in keys
            right = max(k.region.right for k in app.screen.query(FooterKey))
            assert right <= 100

    asyncio.run(main())


def test_at_80_columns_the_footer_keys_fit_and_help_is_among_them(tmp_path: Path) -> None:
    """A cramped footer tightens and leaves out tab: `?` (which lists every key) still shows."""
    where = Locations(tmp_path / "config", tmp_path / "data", shipped_watchlists_dir())
    app = DeskApp(MemoryStore(), Settings(), [], where, autopoll=False)

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            keys = {k.key: k for k in app.screen.query(FooterKey)}
            assert {"a", "u", "A", "s", "x", "f", "slash", "q", "r", "question_mark"} <= set(keys)
            assert "tab" not in keys
            assert all(k.region.width > 0 and k.region.right <= 80 for k in keys.values())
            await pilot.resize_terminal(140, 30)
            await pilot.pause()
            assert "tab" in {k.key for k in app.screen.query(FooterKey)}

    asyncio.run(main())


def test_a_running_poll_says_its_progress_in_the_status_line(
    demo_server: DemoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`Polling: 2/3 feeds answered…`, then the article pages, then the cycle's summary."""
    from desk.ui.screens import MainScreen

    said: list[str] = []
    set_status = MainScreen.set_status

    def recorded(screen: MainScreen, text: str) -> None:
        said.append(text)
        set_status(screen, text)

    monkeypatch.setattr(MainScreen, "set_status", recorded)
    app = demo_app(demo_server, tmp_path)

    async def body(pilot: Pilot[None]) -> None:
        await wait_for_poll(pilot)
        feeds = len(demo_feeds(demo_server))
        answered = [s for s in said if s.endswith("feeds answered…")]
        assert answered == [f"Polling: {n}/{feeds} feeds answered…" for n in range(feeds + 1)]
        pages = [s for s in said if s.endswith("article pages fetched…")]
        assert (
            pages
            and pages[-1].startswith("Polling: ")
            and said.index(pages[0]) > said.index(answered[-1])
        )
        assert said[-1].startswith("Polled ")

    run(app, body)


def test_poll_progress_changes_the_status_line_without_laying_out_the_screen(
    tmp_path: Path,
) -> None:
    """A poll says its progress ten times a second: each used to lay the whole screen out
    again (a third of the event loop's time during a 2,000-page poll, keys waiting)."""
    where = Locations(tmp_path / "config", tmp_path / "data", shipped_watchlists_dir())
    app = DeskApp(MemoryStore(), Settings(), [], where, autopoll=False)

    async def body(pilot: Pilot[None]) -> None:
        await pilot.pause()
        screen = app.screen
        layouts = []
        laid_out = screen._refresh_layout

        def counted(*args: object, **kwargs: object) -> None:
            layouts.append(1)
            laid_out(*args, **kwargs)  # type: ignore[arg-type]

        screen._refresh_layout = counted  # type: ignore[method-assign]
        for done in range(1, 11):
            screen.say_poll_progress("articles", done * 150, 1500)  # type: ignore[attr-defined]
            await pilot.pause()
        assert status_of(pilot) == "Polling: 1500/1500 article pages fetched…"
        assert layouts == []

    run(app, body)
