"""The whole pipeline on real news pages: articles/s and peak memory, beside trafilatura alone.

N feed items (2,000; 20,000 with --items 20000) link to the corpus's
extraction-benchmark pages (../shared/corpus/extraction/aeb, 181 real news
pages, reused under different URLs), served gzip-compressed with their feeds
from a separate process on --hosts loopback hosts 127.0.0.2, 127.0.0.3, ...
(desk's per-host limit of 2 applies per host, as on the internet). Each
round runs `desk poll --once --json` as a command on a fresh data folder
with the shipped watchlists: fetch, extract, clean, match, store. Printed:

- desk: articles/s over the command's wall clock (start, imports and exit
  included), the peak resident memory of the desk process (VmHWM, polled)
  beside the item count, and the peak of the whole process tree (desk, its
  forkserver and extraction workers) as sampled; the CPU time a page costs
  in desk's own process and in its workers (less noisy than the wall clock
  on a shared machine);
- trafilatura alone, in the same round: `trafilatura.extract` on the same
  pages from one process per core, wall-clock articles/s: the machine's
  extraction limit that desk is set beside;
- the load average (`uptime`) beside each figure: the machine is shared.

With --tui, one more run: the desk's TUI under Pilot polls the same items in
its worker while keys are pressed, and the key press to screen times are
printed (bar: 100 ms).

    python benchmarks/bench_pipeline.py [--items 2000] [--rounds 2] [--hosts 16] [--tui]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import trafilatura

DEFAULT_AEB = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "extraction" / "aeb"
ITEMS_PER_FEED = 20
PEAK_POLL_SECONDS = 0.05
KEY_BAR_MS = 100


def load_pages(root: Path) -> list[bytes]:
    """The benchmark pages, gzip-compressed as stored (sorted by file name)."""
    return [path.read_bytes() for path in sorted((root / "html").glob("*.html.gz"))]


# -- the server: a separate process ----------------------------------------------------------


def feed_xml(feed: int, items: int, bases: list[str]) -> bytes:
    """RSS 2.0 for one feed: its ITEMS_PER_FEED items, each linking to a page on some host."""
    entries = []
    for n in range(feed * ITEMS_PER_FEED, min((feed + 1) * ITEMS_PER_FEED, items)):
        link = f"{bases[n % len(bases)]}/p/{n}.html"
        entries.append(
            f"<item><title>Story {n}</title><link>{link}</link><guid>item-{n}</guid>"
            f"<description>Item {n} of the pipeline benchmark.</description></item>"
        )
    return (
        f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>Bench feed {feed}</title>{''.join(entries)}</channel></rss>"
    ).encode()


async def _answer(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    pages: list[bytes],
    feeds: dict[str, bytes],
) -> None:
    """HTTP/1.1 with keep-alive: pages gzip-encoded, feeds as they are, else 404."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode()
            extra = b""
            if path.startswith("/p/"):
                body = pages[int(path[3:].split(".")[0]) % len(pages)]
                kind, extra = b"text/html; charset=utf-8", b"Content-Encoding: gzip\r\n"
                status = b"200 OK"
            elif path in feeds:
                body, kind, status = feeds[path], b"application/rss+xml", b"200 OK"
            else:
                body, kind, status = b"", b"text/plain", b"404 Not Found"
            writer.write(
                b"HTTP/1.1 " + status + b"\r\nContent-Type: " + kind + b"\r\n" + extra
                + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
            )  # fmt: skip
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def _serve(root: Path, items: int, hosts: int) -> None:
    """Serve pages and feeds from `hosts` loopback addresses; print the feed URLs' bases."""
    pages = load_pages(root)
    feeds: dict[str, bytes] = {}
    servers, bases = [], []
    for n in range(hosts):
        host = f"127.0.0.{2 + n}"
        server = await asyncio.start_server(
            lambda r, w: _answer(r, w, pages, feeds), host, 0, backlog=256
        )
        servers.append(server)
        bases.append(f"http://{host}:{server.sockets[0].getsockname()[1]}")
    count = -(-items // ITEMS_PER_FEED)
    for feed in range(count):
        feeds[f"/feed/{feed}.xml"] = feed_xml(feed, items, bases)
    print(" ".join(bases), flush=True)
    await asyncio.Event().wait()


def serve(root: Path, items: int, hosts: int) -> None:
    """The server process's main: serve until killed."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    asyncio.run(_serve(root, items, hosts))


@contextmanager
def served(root: Path, items: int, hosts: int) -> Iterator[list[str]]:
    """The server in its own process; yields every feed's URL."""
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(root), str(items), str(hosts)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        bases = server.stdout.readline().split() if server.stdout else []
        feeds = -(-items // ITEMS_PER_FEED)
        yield [f"{bases[f % len(bases)]}/feed/{f}.xml" for f in range(feeds)]
    finally:
        server.terminate()
        server.wait()


# -- desk as a command -----------------------------------------------------------------------


def write_config(folder: Path, feed_urls: list[str], items: int) -> Path:
    """A config folder with the feeds, page caps raised to the item count, shipped watchlists."""
    from desk.core.settings.config import shipped_watchlists_dir

    folder.mkdir(parents=True)
    (folder / "feeds.yaml").write_text(
        "feeds:\n" + "".join(f"  - url: {url}\n" for url in feed_urls)
    )
    (folder / "settings.yaml").write_text(f"max_pages_per_cycle: {max(items, 2000)}\n")
    os.symlink(shipped_watchlists_dir(), folder / "watchlists")
    return folder


def status_kb(pid: int, field: str) -> int:
    """A /proc/PID/status field in kB (0 once the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Family:
    """A process and everything it started (forkserver, workers), found in /proc.

    Each process's parent is read once, when its pid first appears: a sample
    reads only /proc's listing and the new processes' stat files, so that
    watching desk costs it little CPU (reading every process's stat each
    time took 3.7 ms a sample on this machine, 7% of a core at 20 a second,
    taken from desk but not from trafilatura alone).
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.parents: dict[int, int] = {}

    def members(self) -> list[int]:
        """The process and its descendants as of now."""
        alive = {int(entry) for entry in os.listdir("/proc") if entry.isdigit()}
        for gone in set(self.parents) - alive:
            del self.parents[gone]
        for pid in alive - set(self.parents):
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue
            self.parents[pid] = int(stat.rsplit(")", 1)[1].split()[1])
        family, grown = {self.pid}, True
        while grown:
            more = {child for child, parent in self.parents.items() if parent in family} - family
            family |= more
            grown = bool(more)
        return sorted(family)


def run_desk(config: Path, data: Path, out: Path) -> dict[str, float]:
    """`desk poll --once --json` on a fresh data folder: seconds, peak MB of desk and its tree."""
    command = [sys.executable, "-m", "desk", "--config", str(config), "--data", str(data)]
    started = time.perf_counter()
    with open(out, "wb") as sink, open(out.with_suffix(".log"), "wb") as log:
        desk = subprocess.Popen([*command, "poll", "--once", "--json"], stdout=sink, stderr=log)
        peak = tree = 0
        cpu: dict[int, float] = {}
        watched = Family(desk.pid)
        while desk.poll() is None:
            peak = max(peak, status_kb(desk.pid, "VmHWM"))
            family = watched.members()
            tree = max(tree, sum(status_kb(p, "VmRSS") for p in family))
            cpu.update({p: max(cpu.get(p, 0.0), cpu_seconds(p)) for p in family})
            time.sleep(PEAK_POLL_SECONDS)
    seconds = time.perf_counter() - started
    if desk.returncode != 0:
        raise SystemExit(f"desk failed ({desk.returncode}): {out.with_suffix('.log').read_text()}")
    return {
        "seconds": seconds,
        "peak_mb": peak / 1024,
        "tree_mb": tree / 1024,
        "cpu_desk": cpu.get(desk.pid, 0.0),
        "cpu_tree": sum(cpu.values()),
    }


def stored_articles(data: Path) -> tuple[int, int]:
    """Items the run stored, and how many of their bodies came from the page."""
    from datetime import UTC, datetime

    from desk.core.store.tinystore import TinyStore

    store = TinyStore(data, read_only=True)
    try:
        seen = store.seen_since(datetime(2000, 1, 1, tzinfo=UTC))
        pages = sum(
            1 for s in seen if (a := store.get_article(s.key)) is not None and a.source == "page"
        )
        return len(seen), pages
    finally:
        store.close()


# -- trafilatura alone ------------------------------------------------------------------------


def _trafilatura_one(page: bytes) -> int:
    return len(trafilatura.extract(gzip.decompress(page).decode(), include_comments=False) or "")


def trafilatura_rate(pages: list[bytes], count: int) -> float:
    """Articles/s, wall clock, of trafilatura.extract on `count` pages from one process per core."""
    work = [pages[n % len(pages)] for n in range(count)]
    context = multiprocessing.get_context("forkserver")
    with context.Pool(os.cpu_count() or 1) as pool:
        pool.map(_trafilatura_one, pages[: os.cpu_count() or 1])  # warm: imports done
        started = time.perf_counter()
        pool.map(_trafilatura_one, work, chunksize=4)
        return count / (time.perf_counter() - started)


def load() -> str:
    """The 1, 5 and 15 minute load averages."""
    return "load " + " ".join(f"{x:.2f}" for x in os.getloadavg())


# -- the TUI under load -----------------------------------------------------------------------


async def tui_key_times(feed_urls: list[str], items: int, root: Path) -> dict[str, float]:
    """Key press to screen (wall ms) with the desk's poll of every item running in its worker.

    The store holds 1,000 alerts first (bench_tui's), so `j`/`k` move the cursor; each press
    is checked to have moved it. Pilot's own floor (the same keys with no poll running) and the
    event loop's longest stall during the poll (a 10 ms timer's worst lateness) are measured too.
    """
    from bench_tui import build_store  # type: ignore[import-not-found]

    from desk.core.models import Feed
    from desk.core.settings.config import Locations, Settings, shipped_watchlists_dir
    from desk.core.store.tinystore import TinyStore
    from desk.ui.app import DeskApp
    from desk.ui.widgets.alert_list import AlertList

    build_store(root / "data", 1000)
    store = TinyStore(root / "data")
    where = Locations(root / "config", root / "data", shipped_watchlists_dir())
    feeds = [Feed(url=url) for url in feed_urls]
    app = DeskApp(
        store, Settings(max_pages_per_cycle=max(items, 2000)), feeds, where, autopoll=False
    )
    stalls: list[float] = []
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            table = app.screen.query_one(AlertList)
            while not table.row_count:
                await pilot.pause()
            idle = []
            for n in range(20):
                idle.append(await _press(pilot, table, n))
                await pilot.pause()
            started = time.perf_counter()
            app.action_poll_now()
            await pilot.pause()
            watch = asyncio.create_task(_watch_stalls(app, stalls))
            busy = []
            while app._polling:
                busy.append(await _press(pilot, table, len(busy)))
                await asyncio.sleep(0.1)
            polled = time.perf_counter() - started
            watch.cancel()
    finally:
        store.close()
    return {
        "keys": len(busy),
        "median": statistics.median(busy),
        "p90": statistics.quantiles(busy, n=10)[-1],
        "max": max(busy),
        "over": sum(1 for taken in busy if taken > KEY_BAR_MS),
        "idle": statistics.median(idle),
        "stall": max(stalls, default=0.0),
        "rate": items / polled,
    }


async def _press(pilot: Any, table: Any, n: int) -> float:
    """Wall ms from a key press until the alert list has moved its cursor and the screen is
    painted.

    The key goes in as `pilot.press` sends it, through the driver, but without
    its waits for the process's CPU to go idle (up to a second each), which
    never happens while a poll runs.
    """
    from textual import events

    key = "j" if n % 2 == 0 else "k"
    before = table.cursor_row
    started = time.perf_counter()
    event = events.Key(key, key)
    event.set_sender(pilot.app)
    pilot.app._driver.send_message(event)
    while table.cursor_row == before:
        assert time.perf_counter() - started < 30, "the key did not reach the alert list"
        await asyncio.sleep(0.001)
    await pilot._wait_for_screen()  # every widget has handled what the key set off
    pilot.app.screen._on_timer_update()  # and the screen is painted (as pilot.pause ends)
    return (time.perf_counter() - started) * 1000


async def _watch_stalls(app: Any, stalls: list[float]) -> None:
    """How late a 10 ms sleep on the app's loop wakes, again and again (ms)."""
    while True:
        started = time.perf_counter()
        await asyncio.sleep(0.01)
        stalls.append((time.perf_counter() - started) * 1000 - 10)


# -- the report -------------------------------------------------------------------------------


def one_round(pages: list[bytes], feeds: list[str], items: int, work: Path) -> dict[str, float]:
    """desk as a command, then trafilatura alone on as many pages (at most 2,000)."""
    config = write_config(work / "config", feeds, items)
    before = os.getloadavg()[0]
    figures = run_desk(config, work / "data", work / "alerts.jsonl")
    figures["load_desk"] = max(before, os.getloadavg()[0])
    figures["stored"], figures["from_page"] = stored_articles(work / "data")
    figures["rate"] = items / figures["seconds"]
    before = os.getloadavg()[0]
    figures["trafilatura"] = trafilatura_rate(pages, min(items, 2000))
    figures["load_traf"] = max(before, os.getloadavg()[0])
    return figures


def print_round(number: int, items: int, f: dict[str, float]) -> None:
    """One round's line pair."""
    print(
        f"round {number}: desk poll --once  {items:6,} items  {f['rate']:6.1f} articles/s "
        f"({f['seconds']:.1f} s)  peak RSS {f['peak_mb']:5.0f} MB (tree {f['tree_mb']:.0f} MB)  "
        f"[{f['stored']:.0f} stored, {f['from_page']:.0f} from the page]  load {f['load_desk']:.2f}"
    )
    print(
        f"         CPU a page: desk {f['cpu_desk'] / items * 1000:.1f} ms, its forkserver and "
        f"workers {(f['cpu_tree'] - f['cpu_desk']) / items * 1000:.1f} ms"
    )
    print(
        f"         trafilatura alone  {min(items, 2000):6,} pages  {f['trafilatura']:6.1f} "
        f"articles/s ({os.cpu_count()} processes)  load {f['load_traf']:.2f}"
    )


def main() -> int:
    """Run the rounds and print each beside trafilatura alone."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--hosts", type=int, default=16)
    parser.add_argument("--tui", action="store_true", help="also time keys while the TUI polls")
    parser.add_argument("--aeb", type=Path, default=DEFAULT_AEB)
    args = parser.parse_args()
    if not (args.aeb / "html").is_dir():
        print(f"no extraction corpus at {args.aeb}", file=sys.stderr)
        return 2
    pages = load_pages(args.aeb)
    print(f"{len(pages)} real pages reused for {args.items:,} items from {args.hosts} hosts")
    rates, traf = [], []
    with served(args.aeb, args.items, args.hosts) as feeds:
        for number in range(1, args.rounds + 1):
            with tempfile.TemporaryDirectory(prefix="desk-bench-pipeline-") as temp:
                figures = one_round(pages, feeds, args.items, Path(temp))
            print_round(number, args.items, figures)
            rates.append(figures["rate"])
            traf.append(figures["trafilatura"])
        if args.tui:
            with tempfile.TemporaryDirectory(prefix="desk-bench-tui-") as temp:
                tui = asyncio.run(tui_key_times(feeds, args.items, Path(temp)))
            print(
                f"TUI polling {args.items:,} items ({tui['rate']:.1f} articles/s): key press to "
                f"screen median {tui['median']:.0f} ms, p90 {tui['p90']:.0f}, max {tui['max']:.0f} "
                f"over {tui['keys']:.0f} keys, {tui['over']:.0f} over the bar of {KEY_BAR_MS} ms; "
                f"with no poll {tui['idle']:.0f} ms;"
                f" longest event-loop stall {tui['stall']:.0f} ms  {load()}"
            )
    if not rates:
        return 0
    best, limit = max(rates), max(traf)
    print(
        f"best: desk {best:.1f} articles/s (bar >= 100), trafilatura alone {limit:.1f}: "
        f"desk at {best / limit:.0%} of the extraction limit"
    )
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    else:
        raise SystemExit(main())
