"""`desk poll` left running: one long-lived Poller that follows its config as the analyst edits it.

Between cycles it sleeps until the next feed is due (1 s to 1 h) and looks at
the config every half second. Watchlists hot-reload as they do in the TUI: a
new or changed one is run over the stored articles at once, a broken one
keeps its last good version. An edit to feeds.yaml or settings.yaml wakes it
early; both are re-read before each cycle, and one that no longer loads is
reported in one line while its last good version stays in force.

A cycle that fails (a full disk, a bug) is reported in one line and tried
again after a back-off of a minute, doubling to an hour, so that the due
feeds are not fetched again every second; a good cycle resets it. A failed
look at the watchlists or the due times is one line too, and the poll goes on.

Alerts go to stdout (JSON lines with --json), everything else to stderr.
Ctrl-C and SIGTERM end it quietly, after the extraction workers are stopped;
so does a closed stdout (`desk poll --json | notifier` whose notifier died).
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import stat
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO, TypeVar

from desk.core.article.extract import headless_worker_count
from desk.core.attention import Surge, blind_spots, duration_words, source_names, surges
from desk.core.errors import DeskError, plural
from desk.core.match.reload import LiveWatchlists, Settling
from desk.core.match.rematch import find_hits, raise_alerts
from desk.core.match.semantic import said_of
from desk.core.models import HANDLED_STATES, Alert, Feed, FeedState, Watchlist, short_hash
from desk.core.notify.deliver import deliver_alerts, open_channels
from desk.core.pipeline import CycleResult, Poller, utc_now
from desk.core.safetext import safe_line
from desk.core.settings.config import Locations, Settings, load_feeds, load_settings
from desk.core.store.contract import Store
from desk.core.store.serial import alert_to_dict, content_key

MAX_READ_BACK = 64 << 20
"""How much of a killed run's report is read back from its output file."""
WAKE_CHECK_SECONDS = 0.5
"""How often a sleeping poll looks at the watchlists and config files (a stat per file)."""
SHORTEST_SLEEP, LONGEST_SLEEP = 1.0, 3600.0
"""Bounds on the sleep between cycles, whatever the feeds' due times say."""
IDLE_SLEEP = 60.0
"""The sleep when no feed has a due time yet (or the due times cannot be read)."""
FIRST_BACKOFF, LONGEST_BACKOFF = 60.0, 3600.0
"""The sleep after a failed cycle: the first, doubling with each failure in a row, up to the last."""

Loaded = TypeVar("Loaded")
FileStamp = tuple[int, int] | None


def say(message: str) -> None:
    """One safe line to the analyst on stderr, prefixed like every desk message.

    Made safe here: it may carry any exception's text, which crossed no boundary.
    """
    print(f"desk: {safe_line(message)}", file=sys.stderr, flush=True)


def print_cycle(result: CycleResult) -> None:
    """A cycle's per-feed summary on stderr (its alerts are reported by `report_alerts`)."""
    for note in result.notes + result.warnings:
        say(note)
    for outcome in result.outcomes:
        mark = "x" if outcome.state.error else "ok"
        print(f"[{mark}] {outcome.name}: {outcome.summary}", file=sys.stderr)
    print(
        f"{plural(result.new_items, 'new item')}, {plural(len(result.alerts), 'alert')}",
        file=sys.stderr,
    )
    sys.stderr.flush()


def report_alerts(store: Store, as_json: bool, out: TextIO | None = None) -> list[Alert]:
    """Every alert raised or grown and not yet reported, on stdout, exactly once.

    The store's outbox holds what is due, whichever run (or the TUI) raised
    it, so a run killed before it reported, or after a full disk, leaves it
    for the next. When stdout is a file (cron's `>> alerts.jsonl`) the run
    first notes where it will write; the next run reads that place back and
    counts what got there, so a kill between writing and noting it duplicates
    nothing. On a pipe or a terminal a kill in that instant may repeat a line.
    """
    out = out or sys.stdout
    due = store.reports_due()
    written = _written_before(store, out, due, as_json)
    handled = {a.id for a in due if a.state in HANDLED_STATES}  # an outbox a failed write left
    if written or handled:
        store.reports_done(written | handled)
        due = [alert for alert in due if alert.id not in written | handled]
    if not due:
        return []
    lines = "".join(f"{_report_line(alert, as_json)}\n" for alert in due)
    where = _file_of(out)
    if where is not None:
        lines_of = {a.id: [content_key(a), short_hash(_report_line(a, as_json))] for a in due}
        store.begin_report({"file": where[:2], "offset": where[2], "lines": lines_of})
    out.write(lines)
    out.flush()
    store.reports_done(alert.id for alert in due)
    return due


def notify_alerts(
    store: Store, settings: Settings, data_dir: Path, surging: Iterable[Surge] = ()
) -> None:
    """One round of the notify command and the webhook, each channel's outcome in one line on stderr.

    Runs after the alerts are stored (and reported); a channel that fails is
    said here and tried again after the next cycle. Deliveries carry `surging`.
    """
    folder = data_dir / "notify"
    for report in deliver_alerts(store, settings, folder, utc_now(), surging=surging):
        if report.worth_saying:
            print(safe_line(report.line()), file=sys.stderr, flush=True)


BLIND_SPOTS_SAID, SURGES_SAID = "blindspots", "surges"
"""Store records of what was last said on stderr, so that each change is said once."""


def say_blind_spots(store: Store, settings: Settings, feeds: list[Feed], now: datetime) -> None:
    """Each feed that became a blind spot, or stopped being one, in one line on stderr: once per change."""
    spots = blind_spots(feeds, store.feed_states(), now, settings.blind_after)
    current = {s.url: (s.kind, f"blind spot: {s.line()}", s.name) for s in spots}
    say_changes(store, BLIND_SPOTS_SAID, current, "{} is no longer a blind spot")


def say_surges(store: Store, surging: Iterable[Surge]) -> None:
    """Each watchlist whose alerts surged, or stopped surging, in one line on stderr: once per change.

    `surging`: the surges of the moment (attention.surges, judged once a cycle).
    """
    current = {s.watchlist: ("surge", s.line(), s.watchlist) for s in surging}
    say_changes(store, SURGES_SAID, current, "the surge of {} is over")


def say_changes(
    store: Store, record: str, current: dict[str, tuple[str, str, str]], ended: str
) -> None:
    """Say what is new in `current` (key -> kind, line, name) and what left it, since last said.

    What was said is kept in the store, so a cron job of `desk poll --once` says it once too.
    """
    said: dict[str, list[str]] = store.outbox(record).get("said") or {}
    fresh = [line for key, (kind, line, _) in current.items() if said.get(key, [""])[0] != kind]
    gone = [said[key][1] for key in said if key not in current]
    for line in fresh:
        say(line)
    for name in gone:
        say(ended.format(name))
    if fresh or gone:
        kept = {key: [kind, name] for key, (kind, _, name) in current.items()}
        store.save_outbox(record, {"said": kept})


def after_cycle(
    store: Store,
    settings: Settings,
    feeds: list[Feed],
    data_dir: Path,
    now: datetime,
    as_json: bool,
    cycle_failure: str = "",
) -> bool:
    """What follows every cycle of `desk poll`, with --once or not, good or failed.

    The alerts due go to stdout (report_alerts), the surges are judged once,
    a delivery round carries them, and each blind spot and surge that changed
    is said on stderr. What a failed cycle committed before it failed is
    reported and delivered too. Each step that fails is said in one line
    (unless in the words of the cycle's own failure, `cycle_failure`, which
    the caller says, or of an earlier step's) and the next step runs.
    True when the alerts due were reported.
    """
    said = {cycle_failure} if cycle_failure else set()
    reported = False
    with carrying_on("reporting the new alerts", said):
        report_alerts(store, as_json)
        reported = True
    found: list[Surge] | None = None
    with carrying_on("looking for surges", said):
        found = surges(store.alert_rows(), now)
    with carrying_on("notifying", said):
        notify_alerts(store, settings, data_dir, found or [])
    with carrying_on("looking for blind spots", said):
        say_blind_spots(store, settings, feeds, now)
    if found is not None:  # not judged: no surge is said to be over
        with carrying_on("saying the surges", said):
            say_surges(store, found)
    return reported


def _report_line(alert: Alert, as_json: bool) -> str:
    return json.dumps(alert_to_dict(alert)) if as_json else alert_line(alert)


def _file_of(out: TextIO) -> tuple[int, int, int] | None:
    """(device, inode, size) of the regular file `out` writes to, else None."""
    try:
        info = os.fstat(out.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        return None
    return (info.st_dev, info.st_ino, info.st_size) if stat.S_ISREG(info.st_mode) else None


def _written_before(store: Store, out: TextIO, due: list[Alert], as_json: bool) -> set[str]:
    """The due alerts a killed run had already written to this same file (read back)."""
    note = store.report_note()
    where = _file_of(out)
    if not note or where is None or list(note["file"]) != list(where[:2]):
        return set()
    try:
        with open(f"/proc/self/fd/{out.fileno()}", "rb") as handle:
            handle.seek(note["offset"])
            tail = handle.read(MAX_READ_BACK).decode("utf-8", "replace")
    except OSError:  # no /proc (not Linux): report again rather than risk a loss
        return set()
    written = {short_hash(line) for line in tail.splitlines()}
    noted: dict[str, list[str]] = note.get("lines", {})
    return {
        a.id
        for a in due
        if a.id in noted and noted[a.id][0] == content_key(a) and noted[a.id][1] in written
    }


def alert_line(alert: Alert) -> str:
    """An alert as one readable line: severity, title, watchlists and the matched words."""
    matched: dict[str, str] = {}  # each matched text once, whatever its case, in order
    for hit in alert.hits:
        said = said_of(hit.term, hit.text)
        matched.setdefault(said.casefold(), said)
    terms = ", ".join(matched.values())
    line = (
        f"{alert.severity.value.upper():8} {alert.title}  [{', '.join(alert.watchlists)}]  {terms}"
    )
    return f"{line}  ({alert.reason})" if alert.reason and alert.state == "new" else line


def seconds_until_due(states: dict[str, FeedState], feeds: list[Feed], now: datetime) -> float:
    """How long to sleep until the first feed is due, kept within 1 s and 1 h."""
    dues = [s.next_due for f in feeds if (s := states.get(f.url)) and s.next_due]
    wait = (min(dues) - now).total_seconds() if dues else IDLE_SLEEP
    return min(max(wait, SHORTEST_SLEEP), LONGEST_SLEEP)


def backoff_after(failures: int) -> float:
    """The least sleep after `failures` failed cycles in a row: none, then 1 min doubling to 1 h."""
    if failures <= 0:
        return 0.0
    return min(FIRST_BACKOFF * (1 << min(failures - 1, 16)), LONGEST_BACKOFF)


def failure_line(what: str, exc: Exception) -> str:
    """`what` failed, in one line: a DeskError in its own words, anything else with its type."""
    if isinstance(exc, DeskError):
        return f"{what} failed: {exc}"
    return f"{what} failed ({type(exc).__name__}: {exc})"


def file_stamp(path: Path) -> FileStamp:
    """A file's mtime and size (None when it is missing): changes whenever the file does."""
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size)


@contextmanager
def carrying_on(what: str, said: set[str] | None = None) -> Iterator[None]:
    """Report a failure of `what` in one line and carry on, as the TUI does with a failed poll.

    A failure in words already in `said` (the same full disk met by each
    step) is not said again; what is said is added to it. A BrokenPipeError
    goes through: stdout's reader has gone, so the poll ends (quietly:
    `desk.cli.main` sees to that) rather than hold the store for nobody.
    """
    try:
        yield
    except BrokenPipeError:
        raise
    except Exception as exc:  # a days-long poll must outlive one bad step
        if said is None or str(exc) not in said:
            say(failure_line(what, exc))
        if said is not None:
            said.add(str(exc))


class LiveConfig:
    """settings.yaml and feeds.yaml as last read well, re-read before each cycle."""

    def __init__(self, where: Locations, settings: Settings, feeds: list[Feed]) -> None:
        self.where = where
        self.settings = settings
        self.feeds = feeds
        self._files = Settling(self._stamps)
        self._errors: dict[Path, str] = {}
        self._said_no_feeds = False

    def _stamps(self) -> tuple[FileStamp, FileStamp]:
        return file_stamp(self.where.settings_file), file_stamp(self.where.feeds_file)

    def edited(self, now: float) -> bool:
        """True when a file changed since it was read and has been still for the debounce delay."""
        return self._files.settled(now) is not None

    def reload(self) -> None:
        """Re-read both files, keeping the last good version of one that no longer loads."""
        self._files.accept()
        settings_file, feeds_file = self.where.settings_file, self.where.feeds_file
        self.settings = self._read(
            settings_file, lambda: load_settings(settings_file), self.settings
        )
        feeds = self._read(feeds_file, lambda: load_feeds(feeds_file, self.settings), self.feeds)
        if feeds != self.feeds and feeds:
            say(f"{feeds_file} reloaded: {plural(len(feeds), 'feed')}")
        self.feeds = feeds
        self._say_once_if_no_feeds()

    def _read(self, path: Path, load: Callable[[], Loaded], last_good: Loaded) -> Loaded:
        """What `load` gives, or `last_good` after saying (once per distinct error) why not."""
        try:
            loaded = load()
        except DeskError as exc:
            message = f"{exc}; the last good version stays in force"
            if self._errors.get(path) != message:
                say(message)
            self._errors[path] = message
            return last_good
        if self._errors.pop(path, None):
            say(f"{path} loads again")
        return loaded

    def _say_once_if_no_feeds(self) -> None:
        if self.feeds:
            self._said_no_feeds = False
        elif not self._said_no_feeds:
            say(f"no feeds in {self.where.feeds_file} now; polling nothing until some are added")
            self._said_no_feeds = True


class ContinuousPoll:
    """Cycles, sleeps and reloads until stopped; owns one Poller for its whole life."""

    def __init__(
        self, store: Store, config: LiveConfig, as_json: bool, every_feed: bool = False
    ) -> None:
        self.store = store
        self.config = config
        self.as_json = as_json
        self.every_feed = every_feed
        self.live_watchlists = LiveWatchlists(config.where.watchlists_dir)
        self.failures = 0
        """Cycles failed in a row: the back-off grows with them."""
        self._check_failure: str | None = None

    async def run(self) -> None:
        """Poll until cancelled (Ctrl-C or SIGTERM); the Poller is closed on the way out."""
        poller = Poller(
            self.store,
            self.config.settings,
            self._first_watchlists(),
            extract_workers=headless_worker_count(),
        )
        try:
            say(
                f"polling {plural(len(self.config.feeds), 'feed')} with "
                f"{plural(len(poller.watchlists), 'watchlist')} "
                f"from {self.config.where.watchlists_dir}; Ctrl-C stops"
            )
            while True:
                await self._sleep(poller, await self._cycle(poller))
                with carrying_on("reloading the config"):
                    self.config.reload()
        finally:
            await poller.aclose()

    def _first_watchlists(self) -> list[Watchlist]:
        loaded = self.live_watchlists.load()
        for error in loaded.errors:
            say(f"{error} (skipped)")
        if not loaded.watchlists and not loaded.errors:
            say(
                f"no watchlists in {self.live_watchlists.folder}; "
                "`desk init` copies the shipped ones, and new files are picked up as they appear"
            )
        return list(loaded.watchlists)

    async def _cycle(self, poller: Poller) -> float:
        """One cycle; then the seconds to sleep, backing off after a failed one."""
        poller.settings = self.config.settings
        try:
            await self._run_and_print(poller)
        except BrokenPipeError:
            raise
        except Exception as exc:  # a days-long poll must outlive one bad cycle
            self.failures += 1
            wait = self._seconds_to_sleep()
            say(f"{failure_line('the poll cycle', exc)}; trying again in {duration_words(wait)}")
            return wait
        self.failures = 0
        return self._seconds_to_sleep()

    async def _run_and_print(self, poller: Poller) -> None:
        """Poll the due feeds; say what came of it unless nothing was due; then after_cycle."""
        open_channels(self.store, self.config.settings, utc_now())
        try:
            result = await poller.run_once(self.config.feeds, force=self.every_feed)
        except Exception as exc:  # what it committed before it failed is reported too
            await self._after_cycle(poller, str(exc))
            raise
        if result.outcomes:
            print_cycle(result)
        await self._after_cycle(poller)

    async def _after_cycle(self, poller: Poller, cycle_failure: str = "") -> None:
        """after_cycle, in a thread (a delivery round may wait on a command or a webhook)."""
        config = self.config
        await asyncio.to_thread(
            after_cycle,
            self.store,
            config.settings,
            config.feeds,
            config.where.data_dir,
            poller.now(),
            self.as_json,
            cycle_failure,
        )

    def _seconds_to_sleep(self) -> float:
        """Until the first feed is due, but no less than the back-off after failed cycles."""
        due = IDLE_SLEEP
        with carrying_on("reading when the feeds are due"):
            due = seconds_until_due(self.store.feed_states(), self.config.feeds, utc_now())
        return max(due, backoff_after(self.failures))

    async def _sleep(self, poller: Poller, seconds: float) -> None:
        """Sleep `seconds`; reload watchlists meanwhile, wake early on a config edit."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            await asyncio.sleep(min(WAKE_CHECK_SECONDS, left))
            now = time.monotonic()
            await self._check_watchlists_quietly(poller, now)
            if self.config.edited(now):
                return

    async def _check_watchlists_quietly(self, poller: Poller, now: float) -> None:
        """_check_watchlists; a failure is one line (said again only once it changes)."""
        try:
            await self._check_watchlists(poller, now)
        except BrokenPipeError:
            raise
        except Exception as exc:  # an unreadable folder must not end the poll
            line = failure_line(f"looking at {self.live_watchlists.folder}", exc)
            if line != self._check_failure:
                say(f"{line}; the watchlists in force stay")
            self._check_failure = line
        else:
            self._check_failure = None

    async def _check_watchlists(self, poller: Poller, now: float) -> None:
        """Pick up edited, added and removed watchlist files, as the TUI does."""
        reloaded = self.live_watchlists.poll(now)
        if reloaded is None:
            return
        poller.set_watchlists(list(reloaded.watchlists))
        for watchlist_id in reloaded.failed:
            error = self.live_watchlists.errors[watchlist_id]
            kept = watchlist_id in poller.watchlists
            say(
                f"{error}; {'the last good version stays in force' if kept else 'it is not in use'}"
            )
        for removed in reloaded.removed:
            say(f"watchlist {removed} was removed; its alerts stay")
        if reloaded.changed:
            with carrying_on(f"running {', '.join(reloaded.changed)} over the stored articles"):
                await self._rematch(poller, reloaded.changed)

    async def _rematch(self, poller: Poller, watchlist_ids: tuple[str, ...]) -> None:
        """Run new or changed watchlists over the stored articles of the retention window."""
        chosen = [poller.watchlists[w] for w in watchlist_ids if w in poller.watchlists]
        since = poller.now() - timedelta(days=self.config.settings.retention_days)
        records = self.store.seen_since(since)
        found = await asyncio.to_thread(find_hits, self.store, records, chosen)
        sources = source_names(self.config.feeds, self.store.feed_states())
        raised = raise_alerts(self.store, found, poller.watchlists, poller.now(), sources)
        say(
            f"{', '.join(watchlist_ids)} reloaded and run over {plural(len(records), 'stored article')}; "
            f"{plural(len(raised), 'alert')} raised or grown"
        )
        report_alerts(self.store, self.as_json)


def poll_until_stopped(poll: ContinuousPoll) -> None:
    """Run `poll` in one event loop; Ctrl-C raises KeyboardInterrupt, SIGTERM returns quietly."""
    try:
        asyncio.run(_stoppable(poll))
    except asyncio.CancelledError:  # SIGTERM: a supervisor asked desk to stop
        return


async def _stoppable(poll: ContinuousPoll) -> None:
    """`poll.run()`, cancelled by SIGTERM the way asyncio.run cancels it on Ctrl-C."""
    task = asyncio.current_task()
    if task is not None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    await poll.run()
