"""Save screenshots of desk for the README: the app headless on the served demo.

Runs the real pipeline (the demo feeds served on 127.0.0.1, the shipped
watchlists, a store in a temp dir), waits for the first poll, opens the alert
that fired all three watchlists and saves `screenshots/desk-main.svg`; then
the article at its first hit, a search (titles and article text), feed health, the watchlists,
the key help and the narrow layout at 80×24, one SVG each.

    .venv/bin/python scripts/screenshots.py [--out DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from textual.pilot import Pilot

from desk.core.models import Feed
from desk.core.settings.config import Locations, Settings, shipped_watchlists_dir
from desk.core.store.tinystore import TinyStore
from desk.demo.server import DemoServer
from desk.ui.app import DeskApp
from desk.ui.widgets.alert_list import AlertList

OUT_DIR = Path(__file__).resolve().parent.parent / "screenshots"
SIZE = (140, 40)
FEATURED_TITLE = "North Korea sends more troops"
POLL_TIMEOUT = 30.0
SHOTS = [
    ("article", ["n"]),
    ("search", ["slash", *"troops", "enter"]),
    ("feed-health", ["escape", "F"]),
    ("watchlists", ["escape", "W"]),
    ("help", ["escape", "question_mark"]),
]
"""(name, keys pressed from the previous shot) for each screenshot after the main one."""


async def wait_for_alerts(pilot: Pilot[None]) -> AlertList:
    """The alert list once the first poll has filled it; SystemExit after POLL_TIMEOUT."""
    table = pilot.app.screen.query_one(AlertList)
    deadline = time.monotonic() + POLL_TIMEOUT
    while time.monotonic() < deadline:
        await pilot.pause(0.1)
        busy = any(w.group == "poll" and not w.is_finished for w in pilot.app.workers)
        if table.row_count and not busy:
            return table
    raise SystemExit(f"screenshots: no alerts after {POLL_TIMEOUT:.0f}s")


async def open_alert(pilot: Pilot[None], table: AlertList, title: str) -> None:
    """Move the cursor down to the first alert whose title contains `title`."""
    titles = [alert.title for alert in table.alerts]
    row = next((i for i, t in enumerate(titles) if title in t), None)
    if row is None:
        raise SystemExit(f"screenshots: no alert titled like {title!r}")
    await pilot.press(*["j"] * (row - table.cursor_row))
    await pilot.pause()


async def settle(pilot: Pilot[None]) -> None:
    """Let the screen take the keys, and a search of the article text finish (up to 10 s)."""
    await pilot.pause()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        searching = any(w.group == "search" and not w.is_finished for w in pilot.app.workers)
        lists = pilot.app.screen.query(AlertList)
        if not searching and not any("searching" in str(t.border_title) for t in lists):
            return
        await pilot.pause(0.1)


async def save_main(app: DeskApp, out_dir: Path) -> Path:
    """Run `app`, open the featured alert and save the main screen and the others as SVG."""
    async with app.run_test(size=SIZE) as pilot:
        table = await wait_for_alerts(pilot)
        await open_alert(pilot, table, FEATURED_TITLE)
        main = Path(app.save_screenshot("desk-main.svg", path=str(out_dir)))
        for name, keys in SHOTS:
            await pilot.press(*keys)
            await settle(pilot)
            app.save_screenshot(f"desk-{name}.svg", path=str(out_dir))
        await pilot.press("escape")  # the narrow shot is of the main screen
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        app.save_screenshot("desk-80x24.svg", path=str(out_dir))
        return main


def screenshot_demo(out_dir: Path) -> Path:
    """Serve the demo, poll it for real in a headless desk and save its screenshot."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with DemoServer() as server, tempfile.TemporaryDirectory(prefix="desk-shots-") as temp:
        root = Path(temp)
        where = Locations(root / "config", root / "data", shipped_watchlists_dir())
        feeds = [Feed(url=url, interval=60.0) for _, url in server.feed_urls()]
        store = TinyStore(where.data_dir)
        try:
            app = DeskApp(store, Settings(default_interval=60.0), feeds, where, title="desk demo")
            return asyncio.run(save_main(app, out_dir))
        finally:
            store.close()


def main(argv: list[str] | None = None) -> int:
    """Save the screenshots and print where they went."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="folder for the SVGs")
    args = parser.parse_args(argv)
    print(screenshot_demo(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
