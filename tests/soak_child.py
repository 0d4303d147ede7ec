"""`desk poll --all` left running against the chaos demo, its files edited between cycles.

python -m tests.soak_child CONFIG_DIR DATA_DIR SECONDS REPORT.json

The loop is desk's own (desk.headless.ContinuousPoll, as `desk poll --all
--json` runs it): after each cycle this child notes the cycle's seconds and
the resident memory of the process and of its extraction workers, then
rewrites feeds.yaml and a watchlist, valid or broken in turn, which wakes
the loop as an analyst's edit would. Alerts go to stdout; the notes go to
REPORT.json when the time is up.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

from desk.cli.common import open_store
from desk.core.pipeline import Poller
from desk.core.settings.config import load_feeds, load_settings, resolve_locations
from desk.headless import ContinuousPoll, LiveConfig, poll_until_stopped

BROKEN_FEEDS = [
    "feeds: [url: {\n",  # not YAML
    "feeds:\n  - url: http://127.0.0.1:9/x.xml\n    interval: whenever\n",  # a bad interval
]
BROKEN_WATCHLIST = "name: Troop deployment\nterms: [troops deployed\n"
EXTRA_WATCHLIST = "name: Airships\nseverity: low\nterms: [zeppelin sabotage]\n"
BROKEN_EXTRA = "name: Airships\nthreshold: high\nterms: [zeppelin sabotage]\n"


def rss_mb(pid: str = "self") -> float:
    """A process's resident memory now (VmRSS), in MB; 0 when it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children_of(pid: str) -> list[str]:
    """A process's children (every thread's), by pid; none when it is gone."""
    found = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += (task / "children").read_text().split()
    except OSError:
        return []
    return found


def workers_mb() -> float:
    """The resident memory of every process below this one together: the forkserver and
    the extraction workers it forked, the resource tracker."""
    total, todo = 0.0, children_of("self")
    while todo:
        pid = todo.pop()
        total += rss_mb(pid)
        todo += children_of(pid)
    return total


class Edits:
    """The edits made after each cycle: feeds.yaml and the watchlists, valid and broken in turn."""

    def __init__(self, config_dir: Path, watchlists_dir: Path) -> None:
        self.feeds_file = config_dir / "feeds.yaml"
        self.good_feeds = self.feeds_file.read_text()
        self.watchlists = watchlists_dir
        self.troops = watchlists_dir / "troop-deployment.yaml"
        self.good_troops = self.troops.read_text()
        self.made = 0

    def next(self) -> None:
        """Make the next edit; feeds.yaml is always rewritten, so the loop wakes."""
        step = self.made % 6
        self.made += 1
        feeds = self.good_feeds + f"# edit {self.made}\n"
        if step in (1, 4):
            feeds = BROKEN_FEEDS[step % 2]
        elif step == 2:  # valid: the slowest feeds dropped for a cycle
            feeds = "".join(
                line for line in feeds.splitlines(keepends=True) if "slow.xml" not in line
            )
        self.feeds_file.write_text(feeds)
        self._edit_watchlists(step)

    def _edit_watchlists(self, step: int) -> None:
        extra = self.watchlists / "extra.yaml"
        if step == 0:
            self.troops.write_text(BROKEN_WATCHLIST)  # the last good version stays in force
        elif step == 1:
            self.troops.write_text(self.good_troops + f"# edited {self.made}\n")
            extra.write_text(EXTRA_WATCHLIST)  # new: run over every stored article
        elif step == 3:
            extra.write_text(BROKEN_EXTRA)
        elif step == 5:
            extra.unlink(missing_ok=True)


class SoakPoll(ContinuousPoll):
    """desk poll's own loop; after each cycle, a note of its time and memory, then an edit."""

    def __init__(self, *args: object, edits: Edits, seconds: float, **options: object) -> None:
        super().__init__(*args, **options)  # type: ignore[arg-type]
        self.edits = edits
        self.ends_at = time.monotonic() + seconds
        self.cycles: list[dict[str, float]] = []

    async def _cycle(self, poller: Poller) -> float:
        started = time.monotonic()
        wait = await super()._cycle(poller)
        self.cycles.append(
            {
                "seconds": time.monotonic() - started,
                "rss_mb": rss_mb(),
                "workers_mb": workers_mb(),
                "failures": self.failures,
            }
        )
        if time.monotonic() >= self.ends_at:
            task = asyncio.current_task()
            assert task is not None
            task.cancel()  # as SIGTERM does: the loop ends quietly
        self.edits.next()
        return wait


def main() -> None:
    """Run the soak for SECONDS, then write the cycles' notes."""
    config_dir, data_dir, seconds, report = sys.argv[1:5]
    where = resolve_locations(config_dir, data_dir, None)
    settings = load_settings(where.settings_file)
    config = LiveConfig(where, settings, load_feeds(where.feeds_file, settings))
    store = open_store(where.data_dir)
    edits = Edits(where.config_dir, where.watchlists_dir)
    poll = SoakPoll(store, config, True, every_feed=True, edits=edits, seconds=float(seconds))
    try:
        poll_until_stopped(poll)
    finally:
        store.close()
    Path(report).write_text(json.dumps({"cycles": poll.cycles, "edits": edits.made}))


if __name__ == "__main__":
    main()
