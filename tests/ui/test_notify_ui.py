"""The desk runs the notify command after a poll, and keeps a failing channel in the status line."""

from __future__ import annotations

import json
from pathlib import Path

from textual.pilot import Pilot

from desk.core.settings.config import Locations, NotifySettings, Settings, shipped_watchlists_dir
from desk.core.store.tinystore import TinyStore
from desk.demo.server import DemoServer
from desk.ui.app import DeskApp
from tests.ui.test_app import DEMO_ALERTS, demo_feeds, run, status_of, wait_until


def notifying_app(server: DemoServer, root: Path, command: str) -> DeskApp:
    where = Locations(root / "config", root / "data", shipped_watchlists_dir())
    notify = NotifySettings(command, digest_over=100)
    settings = Settings(default_interval=60.0, notify=notify)
    return DeskApp(TinyStore(where.data_dir), settings, demo_feeds(server), where, autopoll=False)


def test_each_demo_alert_reaches_the_command_once(demo_server: DemoServer, tmp_path: Path) -> None:
    out = tmp_path / "notified.jsonl"
    app = notifying_app(demo_server, tmp_path, f'body=$(cat); printf "%s\\n" "$body" >> {out}')

    async def body(pilot: Pilot[None]) -> None:
        await pilot.press("r")
        await wait_until(pilot, lambda: "Polled" in status_of(pilot), "first poll")
        await pilot.press("r")  # nothing new: nothing notified twice
        await wait_until(pilot, lambda: "Polled" in status_of(pilot), "second poll")
        assert "failing" not in status_of(pilot)

    run(app, body)
    notified = [json.loads(line) for line in out.read_text().splitlines()]
    high = [a for a in notified if a["severity"] in ("high", "critical")]
    assert len(high) == len(notified) and len({a["id"] for a in notified}) == len(notified)
    assert 0 < len(notified) <= DEMO_ALERTS


def test_a_failing_command_stays_in_the_status_line(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    app = notifying_app(demo_server, tmp_path, "echo 'no display' >&2; exit 3")

    async def body(pilot: Pilot[None]) -> None:
        await pilot.press("r")
        await wait_until(pilot, lambda: "Polled" in status_of(pilot), "first poll")
        assert "notify failing (the command exited with status 3: no display)" in status_of(pilot)

    run(app, body)
