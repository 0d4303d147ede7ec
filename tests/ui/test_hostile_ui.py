"""The desk driven by Pilot on hostile feeds, pages, a hostile server and an old store.

Every string a feed, a page, a server or a file sent must show as the text
it is: markup stays literal (a click on it does nothing), nothing reaches
the screen as a control character, and the desk is still running after each
render: the list, the article pane, the status line with the feed failing,
and the toasts.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rich.cells import cell_len
from textual.geometry import Offset
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets._toast import Toast

from desk.core.feeds.text import TITLE_MAX
from desk.core.models import Feed
from desk.core.settings.config import Locations, Settings, load_feeds, shipped_watchlists_dir
from desk.core.store.tinystore import TinyStore
from desk.ui.app import DeskApp
from desk.ui.widgets.alert_list import AlertList
from tests.hostile_text import (
    FEEDS_YAML,
    HostileSite,
    hostile_site,
    huge_feeds,
    payload_residue,
    unsafe_in,
    write_old_store,
)
from tests.served import served_site
from tests.ui.test_app import polling, run, status_of, wait_until

BROKEN_WATCHLIST = 'name: "[/]"\nterms: [{term: troops, label: "\\e]52;c;SGVsbG8=\\a"}, {"[/] [@click=app.quit]x[/]": 1}]\n'
"""A watchlist whose error quotes markup: the toast that says so must show it as text."""


def hostile_app(site: HostileSite, root: Path) -> DeskApp:
    """A polling desk on the hostile site, with the shipped watchlists and a broken, hostile one."""
    watchlists = root / "watchlists"
    shutil.copytree(shipped_watchlists_dir(), watchlists)
    (watchlists / "broken.yaml").write_text(BROKEN_WATCHLIST)
    where = Locations(root / "config", root / "data", watchlists)
    json_url, rss_url = site.feed_urls
    where.config_dir.mkdir()
    where.feeds_file.write_text(FEEDS_YAML.format(json=json_url, rss=rss_url))
    feeds = load_feeds(where.feeds_file, Settings())  # a hostile name, made safe on the way in
    return DeskApp(TinyStore(where.data_dir), Settings(), feeds, where, autopoll=True)


def screen_text(pilot: Pilot[None]) -> str:
    """Everything the screen shows now, as the SVG export draws it."""
    return pilot.app.export_screenshot()


def assert_screen_safe(pilot: Pilot[None]) -> None:
    """The app runs, and no control character or escape payload is on the screen."""
    assert pilot.app.is_running
    shown = screen_text(pilot)
    assert unsafe_in(shown) == []
    assert payload_residue(shown) == []


async def visit_every_alert(pilot: Pilot[None]) -> None:
    """Walk the list row by row, each alert's article shown, the screen checked each time."""
    table = pilot.app.screen.query_one(AlertList)
    for _ in range(table.row_count):
        await pilot.press("j")
        await pilot.pause()
        assert_screen_safe(pilot)


def test_hostile_feeds_pages_and_server_cannot_crash_or_drive_the_desk(tmp_path: Path) -> None:
    with hostile_site() as site:
        app = hostile_app(site, tmp_path)
        screenshot = Path("/tmp/pwned.svg")  # where MARKUP's screenshot link would write

        def written() -> float | None:
            return screenshot.stat().st_mtime if screenshot.exists() else None

        before = written()

        async def body(pilot: Pilot[None]) -> None:
            table = pilot.app.screen.query_one(AlertList)
            await wait_until(pilot, lambda: table.row_count > 0 and not polling(app), "alerts")
            await pilot.pause(0.2)
            toasts = [str(t.render()) for t in pilot.app.screen.query(Toast)]
            assert any("[/] [@click=app.quit]x[/]" in toast for toast in toasts)
            assert_screen_safe(pilot)
            assert any("[@click=app.quit]click me[/]" in a.title for a in table.alerts)
            await visit_every_alert(pilot)

            site.failing = True
            await pilot.press("r")
            await wait_until(pilot, lambda: "failing" in status_of(pilot), "failing feeds")
            status = status_of(pilot)
            assert "[@click=app.quit]click me[/]" in status  # the name, shown as text
            assert "404" in status and unsafe_in(status) == []
            assert_screen_safe(pilot)

            assert payload_residue(status) == []  # the reason phrase's 8-bit CSIs went whole
            pilot.app.clear_notifications()  # a toast of new alerts would take the click
            await pilot.pause()
            await click_on_text(pilot, pilot.app.screen.query_one("#status"), "[@click=app.quit]")
            shot = next(n for n, a in enumerate(table.alerts) if "app.screenshot(" in a.title)
            table.move_cursor(row=shot)  # the title that would write a file, in view
            await pilot.pause()
            await click_on_text(pilot, table, "[@click=app.screenshot(")
            assert_screen_safe(pilot)
            assert written() == before  # the would-be screenshot was not taken
            await pilot.press("q")

        run(app, body, notifications=True)
        assert app.return_code == 0
        assert written() == before


async def click_on_text(pilot: Pilot[None], widget: Widget, text: str) -> None:
    """Click the middle of `text` where `widget` draws it; the desk must not act on it."""
    for y in range(widget.region.height):
        line = widget.render_line(y).text
        if text in line:
            x = cell_len(line[: line.index(text)]) + len(text) // 2
            break
    else:
        pytest.fail(f"{text!r} is not drawn in {widget!r}")
    where = widget.region.offset + Offset(x, y)
    assert "@click" not in pilot.app.screen.get_style_at(*where).meta  # text, not a link
    assert await pilot.click(widget, offset=(x, y))
    await pilot.pause()
    assert pilot.app.is_running


def test_a_store_from_before_the_boundary_opens_and_shows_safe_text(tmp_path: Path) -> None:
    feed_url = "http://127.0.0.1:9/feed.xml"
    write_old_store(tmp_path / "data", feed_url)
    where = Locations(tmp_path / "config", tmp_path / "data", shipped_watchlists_dir())
    app = DeskApp(
        TinyStore(where.data_dir), Settings(), [Feed(url=feed_url)], where, autopoll=False
    )

    async def body(pilot: Pilot[None]) -> None:
        table = pilot.app.screen.query_one(AlertList)
        assert table.row_count > 0
        assert_screen_safe(pilot)
        await visit_every_alert(pilot)
        await pilot.press("a", "u", "x")
        assert_screen_safe(pilot)
        await pilot.press("q")

    run(app, body, notifications=True)
    assert app.return_code == 0


def test_megabyte_titles_show_cut_and_safe(tmp_path: Path) -> None:
    with served_site() as site:
        for path, (page, kind) in huge_feeds(site.base).items():
            site.put(path, page, kind)
        feeds = [Feed(url=f"{site.base}/huge.xml"), Feed(url=f"{site.base}/huge.json")]
        where = Locations(tmp_path / "config", tmp_path / "data", shipped_watchlists_dir())
        app = DeskApp(TinyStore(where.data_dir), Settings(), feeds, where, autopoll=True)

        async def body(pilot: Pilot[None]) -> None:
            table = pilot.app.screen.query_one(AlertList)
            await wait_until(pilot, lambda: table.row_count > 0 and not polling(app), "alerts")
            titles = [alert.title for alert in table.alerts]
            assert any(title.endswith("troops…") for title in titles), titles
            assert all(len(title) <= TITLE_MAX for title in titles)
            await visit_every_alert(pilot)
            assert "AAAA" not in screen_text(pilot)  # the clipboard megabyte is nowhere
            await pilot.press("q")

        run(app, body)
        assert app.return_code == 0
