"""The desk says a store repair in a toast and keeps it in the status line (issue 13)."""

from __future__ import annotations

from pathlib import Path

from textual.notifications import Notify
from textual.pilot import Pilot

from desk.demo.server import DemoServer
from tests.ui.test_app import demo_app, run, status_of, wait_for_poll, wait_until


def test_a_body_lost_in_a_damaged_segment_is_toasted_and_kept_in_the_status(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    """The article pane finds the segment damaged; the next poll says so, once."""
    app = demo_app(demo_server, tmp_path)
    toasts: list[str] = []

    def hook(message: object) -> None:
        if isinstance(message, Notify):
            toasts.append(f"{message.notification.title}: {message.notification.message}")

    async def body(pilot: Pilot[None]) -> None:
        await wait_for_poll(pilot)
        for segment in (tmp_path / "data" / "articles").glob("*.jsonl"):
            segment.write_bytes(b"\0" * segment.stat().st_size)
        await pilot.press("j", "r")  # show another article, then poll again
        await wait_until(pilot, lambda: "store repaired" in status_of(pilot), "repair said")
        assert "the bodies in it are lost" in status_of(pilot)
        lost = [t for t in toasts if t.startswith("Store repaired") and "bodies" in t]
        assert len(lost) == 1
        await pilot.press("k", "r")
        await wait_until(pilot, lambda: "store repaired" not in status_of(pilot), "next poll")
        assert len([t for t in toasts if "bodies" in t]) == 1  # said once

    run(app, body, message_hook=hook)
