"""Hot reload in a running desk: edit, add and break watchlist files while it runs."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from textual.notifications import Notify
from textual.pilot import Pilot

from desk.core.settings.config import shipped_watchlists_dir
from desk.demo.server import DemoServer
from tests.ui.test_app import demo_app, run, wait_for_poll, wait_until

RELOAD_WITHIN = 2.0


def test_a_new_watchlist_raises_alerts_from_stored_articles(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    folder = tmp_path / "watchlists"
    shutil.copytree(shipped_watchlists_dir(), folder)
    app = demo_app(demo_server, tmp_path, folder)
    notes: list[str] = []

    async def body(pilot: Pilot[None]) -> None:
        table = await wait_for_poll(pilot)
        before = len(table.alerts)
        (folder / "weather.yaml").write_text("name: Weather\nterms: [storm warning|surge]\n")
        started = time.monotonic()
        await wait_until(pilot, lambda: len(table.alerts) > before, "alert from the new watchlist")
        assert time.monotonic() - started < RELOAD_WITHIN + 1.0
        assert any("weather" in a.watchlists for a in table.alerts)
        assert any("Watchlist reloaded" in n for n in notes)

        (folder / "weather.yaml").write_text("name: Weather\nterms: storm\n")  # broken
        await wait_until(pilot, lambda: any("not reloaded" in n for n in notes), "error notice")
        assert "weather" in app.poller.watchlists  # the last good version stays
        count = len(table.alerts)
        (folder / "weather.yaml").write_text("name: Weather\nterms: [storm warning|surge, surge]\n")
        await wait_until(
            pilot, lambda: sum("Watchlist reloaded" in n for n in notes) >= 2, "reload"
        )
        assert len(table.alerts) == count  # the same stories: no duplicate alerts

        (folder / "weather.yaml").unlink()
        await wait_until(pilot, lambda: "weather" not in app.poller.watchlists, "removal")

    def record(message: object) -> None:
        if isinstance(message, Notify):
            notes.append(f"{message.notification.title}: {message.notification.message}")

    run(app, body, message_hook=record)
