"""`desk poll` left running, as a supervisor runs it: a real process against loopback feeds.

The analyst edits watchlists, feeds.yaml and settings.yaml while it runs; it
must pick the edits up, say what went wrong in one line, back off when a
cycle fails, and never stop until it is told to (Ctrl-C or SIGTERM) or its
stdout's reader goes away, quietly and with its workers ended.
"""

from __future__ import annotations

import asyncio
import json
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

import pytest

from desk.core.models import Feed, FeedState
from desk.core.pipeline import Poller
from desk.core.settings.config import Locations, Settings, load_feeds
from desk.core.store.contract import MemoryStore
from desk.core.store.tinystore import TinyStore
from desk.demo.server import DemoServer
from desk.headless import (
    IDLE_SLEEP,
    ContinuousPoll,
    LiveConfig,
    backoff_after,
    seconds_until_due,
)
from tests.served import Site, served_site

DEADLINE = 20.0
"""Seconds a running desk gets to show what a test waits for (the machine is shared)."""

FEED = """\
<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>{title}</title><link>{{{{BASE}}}}/</link>
<item><title>{item}</title><link>{{{{BASE}}}}/{slug}.html</link><guid>{slug}</guid>
<pubDate>Tue, 24 Nov 2026 08:00:00 GMT</pubDate>
<description>{text}</description></item>
</channel></rss>
"""
SEIZURE = FEED.format(
    title="Harbour Log",
    item="Port seizes centrifuge parts",
    slug="seizure",
    text="Customs seized a shipment of maraging steel centrifuge rotors bound for Karaj.",
)
WEATHER = FEED.format(
    title="Weather Desk",
    item="Mild week ahead",
    slug="weather",
    text="Light winds and sunshine are forecast for the coast all week.",
)
ROTORS = "name: Rotors\nseverity: high\nterms:\n  - centrifuge rotors\n"
STEEL = "name: Steel\nseverity: low\nterms:\n  - maraging steel\n"
SUBMARINES = "name: Submarines\nseverity: medium\nterms:\n  - ballistic missile submarine\n"


class RunningDesk:
    """A `desk poll` process whose output lines are read into a queue as they come.

    With `hang_up_after`, the test closes its end of stdout after that many
    lines, as a notifier reading `desk poll --json` does when it dies.
    """

    def __init__(
        self, config: Path, data: Path, *flags: str, hang_up_after: int | None = None
    ) -> None:
        self.hang_up_after = hang_up_after
        self.lines: queue.Queue[tuple[str, str]] = queue.Queue()
        self.seen: dict[str, list[str]] = {"stdout": [], "stderr": []}
        self.cursor = {"stdout": 0, "stderr": 0}
        locations = ("--config", str(config), "--data", str(data))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "desk", *locations, "poll", *flags],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_default_sigint,
        )
        self.readers = [
            threading.Thread(target=self._read, args=(name, stream), daemon=True)
            for name, stream in (("stdout", self.process.stdout), ("stderr", self.process.stderr))
        ]
        for reader in self.readers:
            reader.start()

    def _read(self, name: str, stream: IO[str]) -> None:
        for count, line in enumerate(stream, start=1):
            self.lines.put((name, line.rstrip("\n")))
            if name == "stdout" and count == self.hang_up_after:
                stream.close()
                return

    def wait_for(self, stream: str, wanted: Callable[[str], bool] | str) -> str:
        """The next line on `stream` (after the last one waited for) that is or contains `wanted`."""
        test = wanted if callable(wanted) else lambda line: wanted in line
        end = time.monotonic() + DEADLINE
        while True:
            lines = self.seen[stream]
            for index in range(self.cursor[stream], len(lines)):
                if test(lines[index]):
                    self.cursor[stream] = index + 1
                    return lines[index]
            self.cursor[stream] = len(lines)
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    f"no {wanted!r} on {stream} within {DEADLINE} s:\n{self.transcript()}"
                )
            try:
                name, line = self.lines.get(timeout=min(left, 0.2))
            except queue.Empty:
                continue
            self.seen[name].append(line)

    def read_to_the_end(self) -> None:
        """Wait until every process writing to the pipes (helpers included) has closed them."""
        for reader in self.readers:
            reader.join(timeout=DEADLINE)
        self.drain()

    def drain(self) -> None:
        """Move whatever has been read so far into `seen`."""
        while not self.lines.empty():
            name, line = self.lines.get_nowait()
            self.seen[name].append(line)

    def transcript(self) -> str:
        """Everything read so far, for a failure message."""
        self.drain()
        return "\n".join(
            f"{name}: {line}" for name in ("stderr", "stdout") for line in self.seen[name]
        )

    def assert_running(self) -> None:
        """The process is still alive and has printed no traceback."""
        assert self.process.poll() is None, self.transcript()
        assert not any("Traceback" in line for line in self.seen["stderr"]), self.transcript()

    def stop(self, signum: int) -> int:
        """Send `signum` and wait for the exit status."""
        self.process.send_signal(signum)
        return self.process.wait(timeout=DEADLINE)

    def kill(self) -> None:
        """End the process whatever state it is in."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=DEADLINE)


def _default_sigint() -> None:
    """In the child: let Ctrl-C work even when the test runner was started with it ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def site() -> Iterator[Site]:
    """Two served feeds: the harbour one has an item ROTORS matches, the weather one does not."""
    with served_site() as site:
        site.put("/harbour.xml", SEIZURE, "application/rss+xml")
        site.put("/weather.xml", WEATHER, "application/rss+xml")
        yield site


def configure(config: Path, site: Site) -> None:
    """A config with the harbour feed, no watchlists and no page fetching.

    The feed is due every 15 minutes, so all a test sees after the first cycle
    comes from reloads and early wake-ups, never from the feed falling due.
    """
    (config / "watchlists").mkdir(parents=True)
    (config / "settings.yaml").write_text("fetch_articles: false\n")
    (config / "feeds.yaml").write_text(
        f"feeds:\n  - url: {site.base}/harbour.xml\n    interval: 15m\n"
    )


@pytest.fixture
def start_desk(isolated_dirs: Path) -> Iterator[Callable[..., RunningDesk]]:
    """Starts `desk poll` on the test's config; every process started is killed at the end."""
    started: list[RunningDesk] = []

    def start(*flags: str, hang_up_after: int | None = None) -> RunningDesk:
        running = RunningDesk(
            isolated_dirs / "config", isolated_dirs / "data", *flags, hang_up_after=hang_up_after
        )
        started.append(running)
        return running

    try:
        yield start
    finally:
        for running in started:
            running.kill()


@pytest.mark.parametrize("flags", [(), ("--json",)], ids=["lines", "json"])
def test_a_new_watchlist_runs_over_stored_articles_at_once(
    isolated_dirs: Path, site: Site, start_desk: Callable[..., RunningDesk], flags: tuple[str, ...]
) -> None:
    configure(isolated_dirs / "config", site)
    desk = start_desk(*flags)
    desk.wait_for("stderr", "1 new item, 0 alerts")
    (isolated_dirs / "config" / "watchlists" / "rotors.yaml").write_text(ROTORS)
    alert = desk.wait_for("stdout", "Port seizes centrifuge parts")
    if flags:
        assert json.loads(alert)["watchlists"] == ["rotors"]
    else:
        assert alert.startswith("HIGH") and "[rotors]" in alert and "centrifuge rotors" in alert
    reloaded = desk.wait_for("stderr", "reloaded and run over")
    assert reloaded == (
        "desk: rotors reloaded and run over 1 stored article; 1 alert raised or grown"
    )
    desk.assert_running()


def test_a_broken_watchlist_is_one_line_and_the_poll_goes_on(
    isolated_dirs: Path, site: Site, start_desk: Callable[..., RunningDesk]
) -> None:
    configure(isolated_dirs / "config", site)
    watchlists = isolated_dirs / "config" / "watchlists"
    (watchlists / "rotors.yaml").write_text(ROTORS)
    desk = start_desk()
    desk.wait_for("stdout", "Port seizes centrifuge parts")
    (watchlists / "rotors.yaml").write_text(ROTORS + "context: [\n")
    broken = desk.wait_for("stderr", "rotors.yaml")
    assert broken.startswith(f"desk: {watchlists / 'rotors.yaml'}:6:1: invalid YAML")
    assert broken.endswith("; the last good version stays in force")
    (watchlists / "submarines.yaml").write_text("name: [\n")
    never_good = desk.wait_for("stderr", "submarines.yaml")
    assert never_good.endswith("; it is not in use")
    (watchlists / "submarines.yaml").write_text(SUBMARINES)
    desk.wait_for("stderr", "desk: submarines reloaded and run over 1 stored article; 0 alerts")
    (watchlists / "submarines.yaml").unlink()
    desk.wait_for("stderr", "desk: watchlist submarines was removed; its alerts stay")
    desk.assert_running()


def test_a_broken_feeds_file_is_one_line_and_the_last_good_feeds_stay(
    isolated_dirs: Path, site: Site, start_desk: Callable[..., RunningDesk]
) -> None:
    config = isolated_dirs / "config"
    configure(config, site)
    desk = start_desk()
    desk.wait_for("stderr", "1 new item, 0 alerts")
    (config / "feeds.yaml").write_text("feeds:\n  - url: https://a.example/\n    intervl: 5m\n")
    broken = desk.wait_for("stderr", "feeds.yaml")
    assert broken == (
        f"desk: {config / 'feeds.yaml'}:3:5: unknown feed key 'intervl'; did you mean "
        "'interval'?; the last good version stays in force"
    )
    desk.assert_running()
    both = "".join(f"  - url: {site.base}/{name}.xml\n" for name in ("harbour", "weather"))
    (config / "feeds.yaml").write_text("feeds:\n" + both)
    desk.wait_for("stderr", f"desk: {config / 'feeds.yaml'} loads again")
    desk.wait_for("stderr", "reloaded: 2 feeds")
    desk.wait_for("stderr", "[ok] Weather Desk: 1 item, 1 new")  # polled as soon as it is added
    desk.assert_running()


def test_a_broken_settings_file_is_one_line(
    isolated_dirs: Path, site: Site, start_desk: Callable[..., RunningDesk]
) -> None:
    config = isolated_dirs / "config"
    configure(config, site)
    desk = start_desk()
    desk.wait_for("stderr", "1 new item, 0 alerts")
    (config / "settings.yaml").write_text("fetch_articles: false\nretention_dayz: 3\n")
    broken = desk.wait_for("stderr", "settings.yaml")
    assert "settings.yaml:2:1: unknown setting 'retention_dayz'" in broken
    assert broken.endswith("; the last good version stays in force")
    desk.assert_running()


@pytest.mark.parametrize(
    ("signum", "expected"), [(signal.SIGINT, 130), (signal.SIGTERM, 0)], ids=["int", "term"]
)
def test_a_signal_ends_it_quietly_with_its_workers(
    isolated_dirs: Path,
    demo_server: DemoServer,
    start_desk: Callable[..., RunningDesk],
    signum: int,
    expected: int,
) -> None:
    """With article fetching on, so that extraction workers are running when the signal comes."""
    config = isolated_dirs / "config"
    (config / "watchlists").mkdir(parents=True)
    feeds = "".join(f"  - url: {url}\n" for _, url in demo_server.feed_urls())
    (config / "feeds.yaml").write_text("feeds:\n" + feeds)
    desk = start_desk()
    desk.wait_for("stderr", lambda line: line.endswith(", 0 alerts"))
    helpers = descendants(desk.process.pid)
    workers = extraction_workers(helpers)
    assert workers, f"no extraction worker among {[cmdline(pid) for pid in helpers]}"
    started = time.monotonic()
    status = desk.stop(signum)
    assert time.monotonic() - started < 10.0
    assert status == expected, (status, desk.transcript())
    deadline = time.monotonic() + DEADLINE
    while (alive := [pid for pid in helpers if is_alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive, f"left running: {alive}"
    desk.read_to_the_end()
    assert not any("Traceback" in line for line in desk.seen["stderr"]), desk.transcript()


def test_a_failed_cycle_backs_off_instead_of_fetching_every_second(
    isolated_dirs: Path, site: Site, start_desk: Callable[..., RunningDesk]
) -> None:
    """The store cannot save a cycle: its articles folder has become a file (that stops root too).

    The weather feed was due an hour ago and stays due while its state cannot
    be saved: without a back-off it would be fetched again every second.
    """
    config, data = isolated_dirs / "config", isolated_dirs / "data"
    configure(config, site)  # the harbour feed only, for now
    now = datetime.now(UTC)
    store = TinyStore(data)
    store.commit_cycle(
        [],
        {},
        [],
        [
            FeedState(url=f"{site.base}/harbour.xml", next_due=now + timedelta(hours=1)),
            FeedState(url=f"{site.base}/weather.xml", next_due=now - timedelta(hours=1)),
        ],
    )
    store.close()
    desk = start_desk()
    desk.wait_for("stderr", "polling 1 feed with")  # the store is open; nothing is due
    (data / "articles").rmdir()
    (data / "articles").write_text("not a folder\n")
    both = "".join(f"  - url: {site.base}/{name}.xml\n" for name in ("harbour", "weather"))
    (config / "feeds.yaml").write_text("feeds:\n" + both)  # the weather feed is due at once
    failed = desk.wait_for("stderr", "the poll cycle failed")
    assert "cannot write (Not a directory); nothing was lost" in failed, desk.transcript()
    assert failed.endswith("; trying again in 60 s"), failed
    time.sleep(5.0)
    assert site.requests.count("/weather.xml") <= 2, site.requests
    assert site.requests.count("/harbour.xml") == 0, site.requests
    desk.drain()
    assert sum("the poll cycle failed" in line for line in desk.seen["stderr"]) == 1
    desk.assert_running()


def test_the_back_off_doubles_from_a_minute_to_an_hour() -> None:
    assert [backoff_after(n) for n in range(8)] == [0, 60, 120, 240, 480, 960, 1920, 3600]
    assert backoff_after(10_000) == 3600


def test_a_closed_stdout_ends_it_quietly(
    isolated_dirs: Path, site: Site, start_desk: Callable[..., RunningDesk]
) -> None:
    """`desk poll --json | notifier`: when the notifier dies, desk must not poll on for nobody."""
    configure(isolated_dirs / "config", site)
    watchlists = isolated_dirs / "config" / "watchlists"
    (watchlists / "rotors.yaml").write_text(ROTORS)
    desk = start_desk("--json", hang_up_after=1)
    desk.wait_for("stdout", "Port seizes centrifuge parts")
    desk.readers[0].join(timeout=DEADLINE)  # stdout is closed on this side now
    (watchlists / "steel.yaml").write_text(STEEL)  # grows the alert: a line to stdout
    status = desk.process.wait(timeout=DEADLINE)
    desk.read_to_the_end()
    assert status == 0, desk.transcript()
    assert not any("Traceback" in line for line in desk.seen["stderr"]), desk.transcript()
    assert not any("BrokenPipe" in line for line in desk.seen["stderr"]), desk.transcript()


def test_a_failed_look_at_the_watchlists_is_one_line_and_the_poll_goes_on(
    isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """In process: as root, no chmod makes the folder unreadable, so the failure is made up."""
    config = isolated_dirs / "config"
    (config / "watchlists").mkdir(parents=True)
    where = Locations(config, isolated_dirs / "data", config / "watchlists")
    store = MemoryStore()
    poll = ContinuousPoll(store, LiveConfig(where, Settings(), []), as_json=False)
    denied = PermissionError(13, "Permission denied", str(where.watchlists_dir))

    def unreadable(now: float) -> None:
        raise denied

    monkeypatch.setattr(poll.live_watchlists, "poll", unreadable)
    asyncio.run(poll._sleep(Poller(store, Settings(), []), 1.8))  # three or four looks
    said = capsys.readouterr().err.splitlines()
    assert said == [
        f"desk: looking at {where.watchlists_dir} failed (PermissionError: {denied}); "
        "the watchlists in force stay"
    ]

    def broken() -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(store, "feed_states", broken)
    assert poll._seconds_to_sleep() == IDLE_SLEEP
    assert capsys.readouterr().err == (
        "desk: reading when the feeds are due failed (RuntimeError: a bug)\n"
    )


def test_no_feeds_is_said_once(isolated_dirs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = isolated_dirs / "config"
    config.mkdir()
    feeds_file = config / "feeds.yaml"
    feeds_file.write_text("feeds:\n  - url: https://a.example/feed\n")
    live = LiveConfig(Locations(config, isolated_dirs / "data", config), Settings(), [])
    live.feeds = load_feeds(feeds_file)
    feeds_file.write_text("feeds: []\n")
    for _ in range(3):
        live.reload()
    assert capsys.readouterr().err.count("no feeds in") == 1
    feeds_file.write_text("feeds:\n  - url: https://b.example/feed\n")
    live.reload()
    feeds_file.write_text("feeds:\n")
    live.reload()
    assert capsys.readouterr().err.count("no feeds in") == 1
    assert [f.url for f in live.feeds] == []


def test_it_sleeps_until_the_first_feed_is_due_within_a_second_and_an_hour() -> None:
    now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    feeds = [Feed(url="a"), Feed(url="b"), Feed(url="never-polled")]

    def due_in(a: timedelta, b: timedelta) -> dict[str, FeedState]:
        return {
            "a": FeedState(url="a", next_due=now + a),
            "b": FeedState(url="b", next_due=now + b),
        }

    assert seconds_until_due(due_in(timedelta(minutes=5), timedelta(minutes=2)), feeds, now) == 120
    assert seconds_until_due(due_in(timedelta(minutes=5), timedelta(minutes=-2)), feeds, now) == 1
    assert seconds_until_due(due_in(timedelta(days=1), timedelta(days=2)), feeds, now) == 3600
    assert seconds_until_due({}, feeds, now) == 60


def descendants(pid: int) -> list[int]:
    """The live processes below `pid`, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def cmdline(pid: int) -> str:
    """A process's command line, its arguments joined by spaces ("" once it is gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def parent_of(pid: int) -> int:
    """A process's parent id (0 once it is gone)."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return 0


def extraction_workers(pids: list[int]) -> list[int]:
    """Those of `pids` that are extraction workers: forked by multiprocessing's forkserver.

    A worker inherits the forkserver's command line, so it is told apart by its
    parent; the resource tracker and the forkserver itself are not workers.
    """
    return [pid for pid in pids if "multiprocessing.forkserver" in cmdline(parent_of(pid))]


def is_alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
