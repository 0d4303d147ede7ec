"""The desk notifies after a poll, and keeps a failing channel and blind spots in view."""

from __future__ import annotations

import json
import re
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


async def poll_and_deliver(pilot: Pilot[None], app: DeskApp) -> None:
    """Press r; wait for the poll and for its worker to end (the delivery round's report may
    still be on its way to the status line: wait for it too)."""
    await pilot.press("r")
    await wait_until(
        pilot, lambda: "Polled" in status_of(pilot) and not app._polling, "poll and delivery"
    )


def test_each_demo_alert_reaches_the_command_once(demo_server: DemoServer, tmp_path: Path) -> None:
    out = tmp_path / "notified.jsonl"
    app = notifying_app(demo_server, tmp_path, f'body=$(cat); printf "%s\\n" "$body" >> {out}')

    async def body(pilot: Pilot[None]) -> None:
        await poll_and_deliver(pilot, app)
        await wait_until(pilot, lambda: "[ok] notify: " in status_of(pilot), "delivery report")
        await poll_and_deliver(pilot, app)  # nothing new: nothing notified twice
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
        await poll_and_deliver(pilot, app)
        failed = "[x] notify: the command exited with status 3: no display; "
        await wait_until(pilot, lambda: failed in status_of(pilot), "delivery report")
        await pilot.press("r")  # the next poll, until its own round: the failure kept in the store
        await wait_until(pilot, lambda: "Polled" in status_of(pilot), "second poll")
        said = status_of(pilot)
        assert "notify failing (the command exited with status 3: no display)" in said or (
            failed in said
        )

    run(app, body)


def test_a_blind_spot_is_in_the_status_line_and_on_the_feed_health_screen(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from textual.widgets import DataTable

    from desk.core.models import Feed, FeedState
    from desk.ui.panels import FeedHealthScreen

    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    gone = Feed("http://127.0.0.9:9/gone.xml", "Gone Wire", interval=900.0)
    where = Locations(tmp_path / "config", tmp_path / "data", shipped_watchlists_dir())
    store = TinyStore(where.data_dir)
    earlier = FeedState(
        gone.url, error="refused", failures=30, failing_since=now - timedelta(hours=9)
    )
    store.commit_cycle([], {}, [], [earlier])
    app = DeskApp(store, Settings(), [gone], where, now=lambda: now, autopoll=False)

    async def body(pilot: Pilot[None]) -> None:
        await pilot.press("r")
        await wait_until(pilot, lambda: "Polled" in status_of(pilot), "a poll")
        assert "1 blind spot (Gone Wire: failing for 9 h (" in status_of(pilot)
        await pilot.press("F")
        await wait_until(pilot, lambda: isinstance(app.screen, FeedHealthScreen), "feed health")
        table = app.screen.query_one(DataTable)
        cells = [str(cell) for cell in table.get_row_at(0)]
        assert cells[0] == "Gone Wire" and cells[7].startswith("failing for 9 h")

    run(app, body)


def test_a_surge_is_in_the_status_line(tmp_path: Path) -> None:
    from dataclasses import replace
    from datetime import UTC, datetime, timedelta

    from desk.core.models import Feed
    from tests.core.test_notify import alert

    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    where = Locations(tmp_path / "config", tmp_path / "data", shipped_watchlists_dir())
    store = TinyStore(where.data_dir)
    history = [replace(alert(100 + n), created=now - timedelta(hours=5 * n + 2)) for n in range(10)]
    burst = [replace(alert(n), created=now - timedelta(minutes=30 - n)) for n in range(7)]
    store.commit_cycle([], {}, history + burst, [])
    feed = Feed("http://127.0.0.9:9/feed.xml", "Unreachable")
    app = DeskApp(store, Settings(), [feed], where, now=lambda: now, autopoll=False)

    async def body(pilot: Pilot[None]) -> None:
        await pilot.press("r")
        await wait_until(pilot, lambda: "Polled" in status_of(pilot), "a poll")
        assert "surge: troop-deployment: 7 alerts in the last hour (usually 0." in status_of(pilot)

    run(app, body)


def test_polled_is_said_before_the_delivery_round_whose_report_follows_as_text(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    """The status says "Polled" while the webhook is still held, then the round's own line.

    The endpoint holds its first POST until the test has seen "Polled", then
    answers each in 1.2 s: with a 3 s timeout the round's 6 s run out with
    alerts left, and its `[ok] ... wait for the next cycle` line reaches the
    status line, shown as text (markup would have eaten "[ok]").
    """
    import threading
    import time
    from http.server import BaseHTTPRequestHandler

    from textual.widgets import Static

    from desk.core.models import Severity
    from desk.core.settings.config import WebhookSettings
    from tests.served import serving

    release = threading.Event()
    posts: list[float] = []

    class Held(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            posts.append(time.monotonic())
            if not release.wait(timeout=30):
                return
            time.sleep(1.2)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    where = Locations(tmp_path / "config", tmp_path / "data", shipped_watchlists_dir())
    with serving(Held) as base:
        hook = WebhookSettings(f"{base}/hook", min_severity=Severity.INFO, timeout=3.0)
        settings = Settings(default_interval=60.0, webhook=hook)
        feeds = demo_feeds(demo_server)
        app = DeskApp(TinyStore(where.data_dir), settings, feeds, where, autopoll=False)

        async def body(pilot: Pilot[None]) -> None:
            await pilot.press("r")
            await wait_until(pilot, lambda: "Polled" in status_of(pilot), "the poll")
            assert "webhook" not in status_of(pilot) and app._delivering  # the POST is held
            release.set()
            await wait_until(pilot, lambda: not app._polling, "the delivery round")
            shown = str(app.screen.query_one("#status", Static).visual)
            assert shown.startswith("Polled "), shown
            line = re.search(r"\[ok\] webhook: (\d+) alerts? sent; (\d+) alerts? wait", shown)
            assert line, shown
            assert int(line[1]) + int(line[2]) == DEMO_ALERTS
            assert "wait for the next cycle (this round's 6 s are up)" in shown

        try:
            run(app, body)
        finally:
            release.set()
    assert 1 <= len(posts) < DEMO_ALERTS


class OutboxDiskFull(TinyStore):
    """A store whose `fail_at`-th outbox write fails as a full disk would (OSError ENOSPC)."""

    fail_at = 0
    writes = 0

    def save_outbox(self, channel: str, data: dict[str, object]) -> None:
        self.writes += 1
        if self.writes == self.fail_at:
            raise OSError(28, "No space left on device")
        super().save_outbox(channel, data)


def test_a_delivery_round_that_fails_is_said_and_the_poll_stands(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    """The round after a poll raised: the status said "Poll failed" though the poll had
    committed its alerts. Now the poll's line stays and the round's failure joins it."""
    where = Locations(tmp_path / "config", tmp_path / "data", shipped_watchlists_dir())
    store = OutboxDiskFull(where.data_dir)
    store.fail_at = 2  # the first write opens the channel before the poll; the round's fails
    notify = NotifySettings("cat > /dev/null", digest_over=100)
    settings = Settings(default_interval=60.0, notify=notify)
    app = DeskApp(store, settings, demo_feeds(demo_server), where, autopoll=False)

    async def body(pilot: Pilot[None]) -> None:
        await poll_and_deliver(pilot, app)
        full = "notifying failed (OSError: [Errno 28] No space left on device)"
        await wait_until(pilot, lambda: full in status_of(pilot), "the round's failure")
        said = status_of(pilot)
        assert "Poll failed" not in said and "Polled" in said
        assert any("No space left" in n.message for n in app._notifications)
        assert store.alert_rows()  # the poll's alerts were kept

    run(app, body, notifications=True)
