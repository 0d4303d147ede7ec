"""Snooze, archive and acknowledge-all from the keyboard, each on disk before it shows."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from desk.core.models import AlertState
from desk.demo.server import DemoServer
from tests.ui.test_app import demo_app, run, stored_state, wait_for_poll


def test_snooze_archive_and_acknowledge_all(demo_server: DemoServer, tmp_path: Path) -> None:
    app = demo_app(demo_server, tmp_path)
    data = tmp_path / "data"

    async def body(pilot: Pilot[None]) -> None:
        table = await wait_for_poll(pilot)
        total = len(table.alerts)
        first = table.alerts[0]
        await pilot.press("s")
        assert stored_state(data, first.id) is AlertState.SNOOZED
        assert table.alerts[0].state is AlertState.SNOOZED and table.cursor_row == 1
        snoozed = app.store.get_alert(first.id)
        assert snoozed is not None and snoozed.snoozed_until is not None
        assert snoozed.snoozed_until > app.now()

        second = table.alerts[1]
        await pilot.press("x")
        assert stored_state(data, second.id) is AlertState.ARCHIVED
        assert second.id not in {a.id for a in table.alerts} and len(table.alerts) == total - 1

        await pilot.press("A")
        await pilot.pause()
        assert {a.state for a in table.alerts} != {AlertState.ACKNOWLEDGED}  # asks first
        await pilot.press("y")
        await pilot.pause()
        for alert in table.alerts:
            assert stored_state(data, alert.id) is AlertState.ACKNOWLEDGED
        assert {a.state for a in table.alerts} == {AlertState.ACKNOWLEDGED}
        assert stored_state(data, second.id) is AlertState.ARCHIVED  # archived stays archived

    run(app, body)
