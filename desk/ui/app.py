"""The Textual app: owns the store, runs the poller in a worker, hosts the main screen."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from textual import on, work
from textual.app import App
from textual.binding import Binding
from textual.worker import Worker, WorkerState

from desk.core.config import Locations, Settings
from desk.core.models import Feed
from desk.core.pipeline import Poller, utc_now
from desk.core.store import Store
from desk.core.watchlists import load_watchlists
from desk.ui.messages import CycleFailed, CycleFinished
from desk.ui.screens import MainScreen


class DeskApp(App[None]):
    """The monitoring desk."""

    CSS_PATH = Path(__file__).with_name("desk.tcss")
    TITLE = "desk"
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit", tooltip="Leave the desk"),
        Binding("r", "poll_now", "Poll", id="poll", tooltip="Poll every feed now"),
    ]

    def __init__(
        self,
        store: Store,
        settings: Settings,
        feeds: list[Feed],
        locations: Locations,
        title: str = "desk",
        now: Callable[[], datetime] = utc_now,
        autopoll: bool = True,
    ) -> None:
        super().__init__()
        self.store = store
        self.settings = settings
        self.feeds = feeds
        self.locations = locations
        self.now = now
        self.autopoll = autopoll
        self.title = title
        self.poller = Poller(store, settings, self._load_watchlists(), now=now)

    def _load_watchlists(self) -> list:  # type: ignore[type-arg]
        result = load_watchlists(self.locations.watchlists_dir)
        self._watchlist_errors = [str(e) for e in result.errors]
        return list(result.watchlists)

    def get_default_screen(self) -> MainScreen:
        """The main screen is the desk's first and lowest screen."""
        status = "Starting…" if self.autopoll else "Automatic polling is off; press r to poll now"
        return MainScreen(self.store, status)

    def on_mount(self) -> None:
        """Apply key remaps, report bad watchlists and start polling."""
        if self.settings.keys:
            self.set_keymap(self.settings.keys)
        for error in self._watchlist_errors:
            self.notify(error, title="Watchlist skipped", severity="error", timeout=15)
        if self.autopoll:
            self.call_after_refresh(self.action_poll_now)
            interval = min((f.interval for f in self.feeds), default=900.0)
            self.set_interval(max(interval, 30.0), self._poll_due)

    async def on_unmount(self) -> None:
        """Stop the extraction workers and keep what the poller learned."""
        await self.poller.aclose()

    def action_poll_now(self) -> None:
        """Poll every feed now."""
        self._main().set_status("Polling…")
        self.poll(force=True)

    def _poll_due(self) -> None:
        if not any(w.group == "poll" and w.is_running for w in self.workers):
            self.poll(force=False)

    @work(exclusive=True, group="poll", exit_on_error=False)
    async def poll(self, force: bool) -> None:
        """One poll cycle in the background; the result comes back as a message."""
        result = await self.poller.run_once(self.feeds, force=force)
        self.post_message(CycleFinished(result))

    @on(CycleFinished)
    def _cycle_finished(self, message: CycleFinished) -> None:
        result = message.result
        failed = [o for o in result.outcomes if o.state.error]
        when = self.now().astimezone().strftime("%H:%M:%S")
        status = f"Polled {len(result.outcomes)} feeds at {when}: {result.new_items} new items, {len(result.alerts)} alerts"
        if failed:
            status += f" · {len(failed)} feeds failing ({failed[0].name}: {failed[0].state.error})"
        main = self._main()
        main.set_status(status)
        main.refresh_alerts()

    @on(CycleFailed)
    def _cycle_failed(self, message: CycleFailed) -> None:
        self._main().set_status(f"Poll failed: {message.error}")

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker failures are turned into words for the analyst."""
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            self.post_message(CycleFailed(f"{type(error).__name__}: {error}"))

    def _main(self) -> MainScreen:
        """The main screen, even when a dialog is on top of it."""
        return next(s for s in self.screen_stack if isinstance(s, MainScreen))
