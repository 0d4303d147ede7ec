"""The Textual app: owns the store, runs the poller in a worker, hosts the main screen.

Text from feeds, servers and files is never given to Textual's markup
parser: widgets that show it are built with `markup=False` or given `Text`,
and every notification is plain text (`DeskApp.notify`).
"""

from __future__ import annotations

import asyncio
import errno
import gc
import os
import shlex
import shutil
import subprocess
import sys
import threading
import time
import webbrowser
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import App, SuspendNotSupported, SystemCommand
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from desk.core.attention import Surge, blind_spots, source_names, surges
from desk.core.errors import DeskError, plural
from desk.core.match.reload import LiveWatchlists, Settling
from desk.core.match.rematch import find_hits, raise_alerts
from desk.core.models import Alert, Feed, Severity
from desk.core.notify.deliver import (
    ChannelReport,
    channel_failures,
    configured_channels,
    deliver_alerts,
    open_channels,
)
from desk.core.pipeline import Poller, utc_now
from desk.core.safetext import safe_line, safe_text
from desk.core.settings.config import (
    Locations,
    Settings,
    load_feeds,
    load_settings,
    shipped_watchlists_dir,
)
from desk.core.store.contract import Store
from desk.core.view import (
    FeedHealth,
    WatchlistSummary,
    failing_feeds,
    feed_health,
    next_poll,
    shorten,
    watchlist_summaries,
)
from desk.headless import FileStamp, failure_line, file_stamp
from desk.ui.dialogs import HelpScreen
from desk.ui.keys import KeyRow, key_rows
from desk.ui.messages import (
    CycleFailed,
    CycleFinished,
    DeliveryFailed,
    DeliveryFinished,
    LinkOpened,
    WatchlistEditRequested,
    WatchlistsRematched,
)
from desk.ui.panels import FeedHealthScreen, PanelScreen, WatchlistsScreen
from desk.ui.screens import MainScreen

FAILING_ERROR_ROOM = 48
"""Characters of a failing feed's error the status line quotes: the line's first part, a
whole error ('Connect call failed ...') pushed the poll's time and the next poll off it."""
DUE_CHECK_SECONDS = 15.0
"""How often the desk asks which feeds are due (cheap; each feed keeps its own interval)."""
WATCHLIST_CHECK_SECONDS = 0.25
"""How often the watchlist folder is looked at (a stat per file); reloads are debounced."""
TERMINAL_CHECK_SECONDS = 1.0
"""How often the desk asks whether its terminal is still there (see `terminal_gone`)."""
TERMINAL_GONE_GRACE = 3.0
"""Seconds the poller has to stop its workers and keep what it learnt, the terminal gone."""

SWITCH_INTERVAL = 0.001
"""Seconds a thread may keep the GIL while another waits for it (Python's default: 5 ms).
A poll's commit and the warm-up run in threads; each time the screen's loop wakes
(a key, a socket) it waited up to that for the GIL. 2,000 items polled with keys
pressed: median 22 ms, P90 44 ms a key with 1 ms; 41 and 103 ms with 5 ms."""

PALETTE_SKIPS = {"down", "up", "pane", "read"}
"""Keys that only move the cursor or the focus: no use from the command palette."""


def _remove_folder(folder: Path, seconds: float) -> None:
    """Remove a folder that others may still be writing into (a poll that did not stop in
    time writes the store while it goes): again until it is gone, for up to `seconds`."""
    until = time.monotonic() + seconds
    shutil.rmtree(folder, ignore_errors=True)
    while folder.exists() and time.monotonic() < until:
        time.sleep(0.05)
        shutil.rmtree(folder, ignore_errors=True)


def terminal_gone(stream: Any) -> bool:
    """Whether `stream` is a controlling terminal that was hung up (asking it who is in front
    then fails with EIO). Not for a stream that is no terminal, or not the controlling one."""
    try:
        os.tcgetpgrp(stream.fileno())
    except OSError as exc:
        return exc.errno in (errno.EIO, errno.ENXIO)
    except (AttributeError, ValueError):  # no stream, or a closed one
        return False
    return False


class DeskApp(App[None]):
    """The monitoring desk."""

    CSS_PATH = Path(__file__).with_name("desk.tcss")
    TITLE = "desk"
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit", tooltip="Leave the desk"),
        Binding("r", "poll_now", "Poll", id="poll", tooltip="Poll every feed now"),
        Binding(
            "F", "feed_health", "Feeds", id="feed_health", show=False, tooltip="Each feed's health"
        ),
        Binding(
            "W",
            "watchlists",
            "Watchlists",
            id="watchlists",
            show=False,
            tooltip="Each watchlist: terms, hits in the store, a broken file's error",
        ),
        Binding("question_mark", "help", "Help", id="help", tooltip="Every key of the desk"),
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
        self.live_watchlists = LiveWatchlists(locations.watchlists_dir)
        loaded = self.live_watchlists.load()
        self._watchlist_errors = [str(e) for e in loaded.errors]
        self.poller = Poller(store, settings, list(loaded.watchlists), now=now)
        self._config_files = Settling(self._config_stamps)
        self._poll_status: tuple[list[str], str, list[str]] | None = None
        """The status the last cycle that polled something left, before and after what the channels
        did (a cycle with nothing due shows it again); None until a cycle polled something."""
        self._channel_status: list[str] = []
        """What the last delivery round said, or each channel's kept failure (one line each)."""
        self._delivering = False
        """A poll worker is running the delivery round that follows its cycle."""
        self._mounted_on: asyncio.AbstractEventLoop | None = None
        """The event loop the app runs on, once mounted (see `watch_terminal`)."""

    def get_default_screen(self) -> MainScreen:
        """The main screen is the desk's first and lowest screen."""
        status = "Starting…" if self.autopoll else "Automatic polling is off; press r to poll now"
        return MainScreen(self.store, status)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """A toast whose message is plain, safe text, always: it quotes feeds, servers and files.

        Made safe here too: a worker's exception text has crossed no boundary.
        """
        message, title = safe_text(message), safe_line(title)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def action_help_quit(self) -> None:
        """ctrl+c does not quit (it copies in a text field): say which key does, as plain text
        (Textual's own words are markup, which this app's toasts show as it is)."""
        keys = [
            key
            for key, bound in self.active_bindings.items()
            if bound.binding.action in ("quit", "app.quit")
        ]
        if keys:  # the desk's own key first: q, then ctrl+q
            said = " or ".join(sorted(keys, key=len))
            self.notify(f"Press {said} to quit the desk", title="Do you want to quit?")

    def on_mount(self) -> None:
        """Apply key remaps, report bad watchlists and start polling."""
        self._mounted_on = asyncio.get_running_loop()  # for watch_terminal's last words
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
        if self.settings.keys:
            self.set_keymap(self.settings.keys)
        for note in self.store.recovered:
            self.notify(note, title="Store repaired", severity="warning", timeout=30)
        for error in self._watchlist_errors:
            self.notify(error, title="Watchlist skipped", severity="error", timeout=15)
        self._say_watchlist_problems()
        self.set_interval(WATCHLIST_CHECK_SECONDS, self._check_watchlists)
        self.set_interval(WATCHLIST_CHECK_SECONDS, self._check_config)
        if self.autopoll:
            self.call_after_refresh(self.warm_store)
            self.call_after_refresh(self.action_poll_now)
            self.set_interval(DUE_CHECK_SECONDS, self._poll_due)

    def watch_terminal(self, temporary: Path | None = None) -> None:
        """When stdin is a terminal, watch it from a thread of its own (started before the app
        runs: a terminal hung up while the app starts leaves it stuck before it mounts).

        Once the terminal is gone the process ends, keeping what the poller learnt if the
        event loop can still run it. A closed window or a killed tmux session hangs the
        terminal up, and when no hang-up signal reaches the desk (`make run`: make holds the
        session and waits), its input at end of file would spin a core. Not through Textual's
        exit, nor from the event loop: Textual's writer thread has died on the terminal's EIO,
        and the next screen write waits for its queue to drain, for ever. `temporary` (the
        demo's folder) is removed first: the process ends before its own cleanup would run.
        """
        stdin = sys.__stdin__
        if stdin is not None and (stdin.isatty() or terminal_gone(stdin)):  # gone: hung up
            threading.Thread(
                target=self._end_when_terminal_gone,
                args=(temporary,),
                name="desk-terminal",
                daemon=True,
            ).start()

    def _end_when_terminal_gone(self, temporary: Path | None) -> None:
        while not terminal_gone(sys.__stdin__):
            time.sleep(TERMINAL_CHECK_SECONDS)
        closed = threading.Event()

        async def close_poller() -> None:
            try:
                await self.poller.aclose()
            finally:
                closed.set()

        loop = self._mounted_on
        if loop is not None and loop.is_running():
            with suppress(RuntimeError):  # stopped meanwhile: nothing left to keep
                asyncio.run_coroutine_threadsafe(close_poller(), loop)
                closed.wait(TERMINAL_GONE_GRACE)
        if temporary is not None:  # the demo's folder: no one else will remove it now
            _remove_folder(temporary, TERMINAL_GONE_GRACE)
        os._exit(0)  # the store is crash-safe: what is on disk is whole

    @work(thread=True, group="warm", exit_on_error=False)
    def warm_store(self) -> None:
        """Read every stored alert in a thread once the list is up.

        The list needs only the store's rows; a poll cycle merges new items
        into every alert (decide.StoryIndex), which at 100k alerts takes
        seconds to read: done here, a first poll does not stall the screen.
        The same for the seen items (every item shard), which a poll looks up.
        Then what was read is frozen out of the garbage collector's sweeps: a
        full sweep of 100k alerts' objects held every thread for half a second.
        """
        self.store.alerts()
        self.store.seen_since(self.now())
        gc.freeze()

    async def on_unmount(self) -> None:
        """Stop the extraction workers and keep what the poller learned."""
        await self.poller.aclose()

    def key_rows(self) -> list[KeyRow]:
        """Every remappable key of the desk, as settings.yaml has them."""
        return key_rows([*MainScreen.BINDINGS, *self.BINDINGS], self.settings.keys)

    def action_help(self) -> None:
        """Show every key."""
        if isinstance(self.screen, HelpScreen):
            return
        if isinstance(self.screen, PanelScreen):  # its own keys first: the desk's act elsewhere
            title = (
                "On this screen: escape or q goes back, r polls now. The desk's keys below act "
                "on the alert list (remap them under keys: in settings.yaml; escape closes)"
            )
            self.push_screen(HelpScreen(self.key_rows(), title))
        else:
            self.push_screen(HelpScreen(self.key_rows()))

    def action_feed_health(self) -> None:
        """Show each configured feed's health (kept up to date while it is open)."""
        self.push_screen(FeedHealthScreen(self._feed_health_rows))

    def _feed_health_rows(self) -> list[FeedHealth]:
        """Each configured feed's health as the store has it now."""
        states = self.store.feed_states()
        spots = blind_spots(self.feeds, states, self.now(), self.settings.blind_after)
        return feed_health(self.feeds, states, spots)

    def _refresh_feed_health(self) -> None:
        """An open feed health screen shows the feeds as they stand now."""
        if isinstance(self.screen, FeedHealthScreen):
            self.screen.show_rows()

    def action_watchlists(self) -> None:
        """Show each watchlist with its hits in the store, or its file's error (kept up to date
        while it is open)."""
        self.push_screen(WatchlistsScreen(self._watchlist_rows))

    def _watchlist_rows(self) -> list[WatchlistSummary]:
        return watchlist_summaries(
            self.poller.watchlists.values(), self._watchlist_problems(), self.store.alert_rows()
        )

    def _watchlist_problems(self) -> dict[str, str]:
        """Each watchlist file that does not load now, with its error (paths within the folder)."""
        folder = f"{self.live_watchlists.folder}/"
        return {w: str(e).replace(folder, "") for w, e in self.live_watchlists.errors.items()}

    def _say_watchlist_problems(self) -> None:
        """Keep the broken watchlist files in the status line until they are fixed."""
        self._main().set_watchlist_problems(self._watchlist_problems(), self.poller.watchlists)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's commands, then each of desk's keys, run on the main screen."""
        yield from super().get_system_commands(screen)
        main = self._main()
        for bindings, namespace in ((MainScreen.BINDINGS, main), (self.BINDINGS, self)):
            for row in key_rows(bindings, self.settings.keys):
                if row.id not in PALETTE_SKIPS:
                    run = partial(self.run_action, row.action, namespace)
                    yield SystemCommand(f"{row.description} ({row.keys})", row.tooltip, run)

    @contextmanager
    def stepping_aside(self) -> Iterator[None]:
        """Give the terminal to another program meanwhile, where the terminal allows it."""
        with ExitStack() as stack:
            if not self.is_headless:
                with suppress(SuspendNotSupported):
                    stack.enter_context(self.suspend())
            yield

    @on(LinkOpened)
    def _open_link(self, message: LinkOpened) -> None:
        """Open a link with webbrowser; a $BROWSER (often text-mode) gets the terminal meanwhile."""
        if os.environ.get("BROWSER"):
            with self.stepping_aside():
                opened = webbrowser.open(message.url)
        else:
            opened = webbrowser.open(message.url)
        if not opened:
            self.notify(
                f"No browser could open {message.url}", title="Open link", severity="warning"
            )

    @on(WatchlistEditRequested)
    def _edit_watchlist(self, message: WatchlistEditRequested) -> None:
        """Run $VISUAL or $EDITOR on the watchlist's file; the folder watch reloads it after."""
        folder = self.live_watchlists.folder
        if folder.resolve() == shipped_watchlists_dir().resolve():
            self.notify(
                "These are the watchlists shipped with desk; edit a copy "
                "(desk demo --watchlists DIR, or your config's watchlists folder)",
                title="Edit watchlist",
                severity="warning",
            )
            return
        path = next(
            (
                p
                for p in (folder / f"{message.watchlist}.yaml", folder / f"{message.watchlist}.yml")
                if p.is_file()
            ),
            None,
        )
        if path is None:
            self.notify(
                f"{message.watchlist} has no file in {folder}",
                title="Edit watchlist",
                severity="warning",
            )
            return
        editor = shlex.split(os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi")
        try:
            with self.stepping_aside():
                subprocess.run([*editor, str(path)], check=False)
        except OSError as exc:
            self.notify(f"{editor[0]}: {exc}", title="Edit watchlist", severity="error")

    def action_poll_now(self) -> None:
        """Poll every feed now (unless a poll is already running: it would be cancelled)."""
        if self._polling:
            running = "The last poll's alerts are being delivered" if self._delivering else ""
            self.notify(running or "A poll is already running", title="Poll")
            return
        self._main().set_status("Polling…")
        self.poll(force=True)

    @property
    def _polling(self) -> bool:
        """A poll worker is at work (starting another would cancel it)."""
        return any(w.group == "poll" and w.is_running for w in self.workers)

    def _poll_due(self) -> None:
        if not self._polling:
            self.poll(force=False)

    @work(exclusive=True, group="poll", exit_on_error=False)
    async def poll(self, force: bool) -> None:
        """One poll cycle in the background; the result comes back as a message.

        Its commits run in a thread (Poller._commit): at 100k alerts each rewrites
        alerts.json for about a second, which held every key on this loop.
        """
        progress = self._main().say_poll_progress
        open_channels(self.store, self.settings, self.now())
        result = await self.poller.run_once(self.feeds, force=force, progress=progress)
        found = await asyncio.to_thread(lambda: surges(self.store.alert_rows(), self.now()))
        self.post_message(CycleFinished(result, found))  # "Polled": the round may take a while
        if not configured_channels(self.settings):
            return
        self._delivering = True
        try:
            reports = await asyncio.to_thread(self._deliver, found)
        except Exception as exc:  # the poll stands: a round that fails is said, as headless says it
            self.post_message(DeliveryFailed(failure_line("notifying", exc)))
            return
        finally:
            self._delivering = False
        self.post_message(DeliveryFinished(reports))

    def _deliver(self, found: list[Surge]) -> list[ChannelReport]:
        """In a thread, after a cycle: a round of the notify command and the webhook."""
        folder = self.locations.data_dir / "notify"
        return deliver_alerts(self.store, self.settings, folder, self.now(), surging=found)

    @on(CycleFinished)
    def _cycle_finished(self, message: CycleFinished) -> None:
        result = message.result
        for note in result.notes:
            self.notify(note, title="Store repaired", severity="warning", timeout=30)
        for warning in result.warnings:
            self.notify(warning, title="Poll", severity="warning", timeout=30)
        self._channel_status = self._channels_said([])
        self._refresh_feed_health()
        if not result.outcomes:  # nothing was due: the last cycle's status again, not "Polling…"
            self._show_poll_status()
            return
        when = self.now().astimezone().strftime("%H:%M:%S")
        head = (
            f"Polled {plural(len(result.outcomes), 'feed')} at {when}: "
            f"{plural(result.new_items, 'new item')}, {plural(len(result.alerts), 'alert')}"
        )
        states = self.store.feed_states()
        upcoming = next_poll(self.feeds, states)
        if upcoming is not None:
            head += f" · next poll {upcoming.astimezone().strftime('%H:%M:%S')}"
        warnings = []  # first in the line: at 80 columns the end is cut
        failing = failing_feeds(feed_health(self.feeds, states))
        if failing:
            first = failing[0]
            error = shorten(first.error, FAILING_ERROR_ROOM)  # F shows it whole
            warnings.append(f"{plural(len(failing), 'feed')} failing ({first.name}: {error})")
        tail = []
        spots = blind_spots(self.feeds, states, self.now(), self.settings.blind_after)
        if spots:
            tail.append(f"{plural(len(spots), 'blind spot')} ({spots[0].line()})")
        tail += [surge.line() for surge in message.surges]
        if result.notes:  # also toasted; the status keeps it in view
            more = f" (+{len(result.notes) - 1} more)" if len(result.notes) > 1 else ""
            tail.append(f"store repaired: {result.notes[0]}{more}")
        self._poll_status = (warnings, head, tail)
        self._show_poll_status()
        self._main().refresh_alerts()
        self._announce(result.alerts)

    @on(DeliveryFailed)
    def _delivery_failed(self, message: DeliveryFailed) -> None:
        """The round failed as a whole (the store could not be written): said, the poll kept."""
        self._channel_status = [message.error]
        self._show_poll_status()
        self.notify(message.error, title="Delivery failed", severity="error", timeout=20)

    @on(DeliveryFinished)
    def _delivery_finished(self, message: DeliveryFinished) -> None:
        """The round's one-line reports join the status line, in place of the channels' last state."""
        self._channel_status = self._channels_said(message.reports)
        self._show_poll_status()

    def _channels_said(self, reports: list[ChannelReport]) -> list[str]:
        """The round's reports worth a line; a channel they do not speak for, its kept failure."""
        lines = [report.line() for report in reports if report.worth_saying]
        spoken = {report.channel for report in reports if report.worth_saying}
        kept = channel_failures(self.store, self.settings)
        return lines + [f"{c} failing ({failure})" for c, failure in kept if c not in spoken]

    def _show_poll_status(self) -> None:
        """The last cycle's status (head, what the channels did, tail) in the status line, as text."""
        if self._poll_status is None:
            self._main().set_status(" · ".join(["Polled: no feed was due", *self._channel_status]))
            return
        warnings, head, tail = self._poll_status
        self._main().set_status(" · ".join([*warnings, head, *self._channel_status, *tail]))

    def _announce(self, alerts: list[Alert]) -> None:
        """A toast for alerts a poll raised or grew; the bell for high and critical, if wanted."""
        if not alerts:
            return
        urgent = [a for a in alerts if a.severity.rank >= Severity.HIGH.rank]
        first = max(alerts, key=lambda a: a.severity.rank)
        more = f" (+{len(alerts) - 1} more)" if len(alerts) > 1 else ""
        self.notify(
            f"{first.severity.value}: {first.title}{more}",
            title=f"{plural(len(alerts), 'alert')} raised or grown",
            severity="warning" if urgent else "information",
        )
        if urgent and self.settings.bell:
            self.bell()

    def _config_stamps(self) -> tuple[FileStamp, FileStamp]:
        return file_stamp(self.locations.settings_file), file_stamp(self.locations.feeds_file)

    def _check_config(self) -> None:
        """Re-read settings.yaml and feeds.yaml once an edit has settled, as `desk poll` does."""
        if self._config_files.settled(time.monotonic()) is not None:
            self._config_files.accept()
            self.reload_config()

    def reload_config(self) -> None:
        """Take the edited files; a file that no longer loads leaves the last good version."""
        where = self.locations
        try:
            settings = load_settings(where.settings_file)
            feeds = load_feeds(where.feeds_file, settings)
        except DeskError as exc:
            message = f"{exc}; the last good version stays in force"
            self.notify(message, title="Config not reloaded", severity="error", timeout=20)
            return
        added = [f for f in feeds if f.url not in {known.url for known in self.feeds}]
        self.settings, self.poller.settings, self.feeds = settings, settings, feeds
        if settings.keys:
            self.set_keymap(settings.keys)
        news = f"; polling {plural(len(added), 'new feed')} now" if added else ""
        self.notify(f"{plural(len(feeds), 'feed')}{news}", title="Config reloaded")
        self._refresh_feed_health()
        if added and not self._polling:
            self.poll(force=False)

    def _check_watchlists(self) -> None:
        """Pick up edited, added and removed watchlist files (debounced in LiveWatchlists)."""
        reloaded = self.live_watchlists.poll(time.monotonic())
        if reloaded is None:
            return
        self.poller.set_watchlists(list(reloaded.watchlists))
        self._say_watchlist_problems()
        if isinstance(self.screen, WatchlistsScreen):  # an open W screen follows the edit
            self.screen.show_rows()
        for watchlist_id in reloaded.failed:
            error = self.live_watchlists.errors[watchlist_id]
            kept = watchlist_id in self.poller.watchlists
            outcome = "the last good version stays in force" if kept else "it is not in use"
            self.notify(
                f"{error}; {outcome}", title="Watchlist not reloaded", severity="error", timeout=20
            )
        for removed in reloaded.removed:
            self.notify(f"{removed} was removed; its alerts stay", title="Watchlist removed")
        if reloaded.changed:
            self.rematch(reloaded.changed)

    @work(group="rematch", exit_on_error=False)
    async def rematch(self, watchlist_ids: tuple[str, ...]) -> None:
        """Run new or changed watchlists over the stored articles of the retention window."""
        chosen = [self.poller.watchlists[w] for w in watchlist_ids if w in self.poller.watchlists]
        since = self.now() - timedelta(days=self.settings.retention_days)
        records = self.store.seen_since(since)
        found = await asyncio.to_thread(find_hits, self.store, records, chosen)
        sources = source_names(self.feeds, self.store.feed_states())
        raised = await asyncio.to_thread(
            raise_alerts, self.store, found, self.poller.watchlists, self.now(), sources
        )  # its commit rewrites alerts.json: off the screen's loop, as a poll's is
        self.post_message(WatchlistsRematched(watchlist_ids, len(records), raised))

    @on(WatchlistsRematched)
    def _rematched(self, message: WatchlistsRematched) -> None:
        names = ", ".join(message.watchlists)
        self.notify(
            f"{names}: reloaded and run over {message.articles} stored articles; "
            f"{len(message.alerts)} alerts raised or grown",
            title="Watchlist reloaded",
        )
        if message.alerts:
            self._main().refresh_alerts()

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
