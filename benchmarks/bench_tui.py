"""The desk at scale: 100,000 stored alerts, open to first paint and a key press to screen.

Builds a real TinyStore of N alerts (with their article bodies) in a temp
dir, then in the same run measures, headless with Textual's Pilot:

- desk: open the store and start the app until the main screen shows its
  first page; then the P50 (and P90) of a key press until the screen has
  taken it (`j`, and `]` turning a page of 500), in CPU milliseconds (Pilot's
  own timer sleeps left out; its cost on a 10-row table is printed too);
- the alternative: a stock `DataTable` holding every row (the store opened
  the same way, all N alerts added as rows), the same two figures for `down`;
- `j`/`k` while a poll cycle commits new alerts (alerts.json rewritten whole),
  wall milliseconds from the key to the desk having handled it: the commit in
  a thread (as the poller now commits) beside the same commit on the screen's
  event loop (as it ran before).

    python benchmarks/bench_tui.py [--alerts 100000] [--keys 40]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from textual import events
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import DataTable

from desk.core.models import Alert, Article, Hit, SeenItem, Severity, short_hash
from desk.core.settings.config import Locations, Settings, shipped_watchlists_dir
from desk.core.store.tinystore import TinyStore
from desk.ui.app import DeskApp
from desk.ui.widgets.alert_list import AlertList
from desk.ui.widgets.article_view import ArticleView

START = datetime(2026, 10, 28, 8, 0, tzinfo=UTC)
SIZE = (160, 48)
BATCH = 2_000
WATCHLISTS = ("troop-deployment", "technology-transfer", "icbm-reentry")
FEED = "https://news.example/feed.xml"
BODY = ("Officials said the talks on the border would resume next week. " * 8).strip()


def make_alert(n: int) -> Alert:
    """A realistic alert: two hits, two sources, a few states and severities."""
    when = START - timedelta(minutes=7 * n)
    hits = tuple(
        Hit(WATCHLISTS[n % 3], "$force $send", "talks", 20 * k, 20 * k + 5, 100.0) for k in range(2)
    )
    return Alert(
        id=short_hash("alert", str(n)),
        title=f"Story number {n} about troops sent to a border region",
        url=f"https://news.example/{n}",
        sources=("Meridian Wire", "Northline World Desk")[: 1 + n % 2],
        published=when,
        watchlists=(WATCHLISTS[n % 3],),
        severity=list(Severity)[n % 5],
        score=100.0,
        hits=hits,
        created=when + timedelta(minutes=3),
        article_key=short_hash("item", str(n)),
    )


def build_store(data_dir: Path, count: int) -> float:
    """Fill a TinyStore with `count` alerts, their items and bodies, in cycles of BATCH, a day's
    item shard per cycle (as polling does); seconds taken."""
    started = time.perf_counter()
    day = [START]
    store = TinyStore(data_dir, now=lambda: day[0])
    for first in range(0, count, BATCH):
        day[0] = START - timedelta(days=first // BATCH)
        alerts = [make_alert(n) for n in range(first, min(first + BATCH, count))]
        bodies = {a.article_key: Article(a.url, a.title, f"{a.title}\n\n{BODY}") for a in alerts}
        items = [SeenItem(a.article_key, FEED, a.url, "fp", day[0], a.id) for a in alerts]
        store.commit_cycle(items, bodies, alerts, [])
    store.close()
    return time.perf_counter() - started


async def time_keys(pilot: Pilot[None], key: str, times: int) -> list[float]:
    """Milliseconds of work from each press of `key` until the app has processed and painted it.

    Work is this process's CPU time: Pilot's press-and-pause also sleeps on
    Textual's timers (a floor of ~80 ms wall even for a 10-row table, see
    `pilot_floor`), which is the test harness, not the desk.
    """
    taken = []
    for _ in range(times):
        started = time.process_time()
        await pilot.press(key)
        await pilot.pause()
        taken.append((time.process_time() - started) * 1000)
    return taken


async def pilot_floor(keys: int) -> tuple[float, float]:
    """(wall ms, CPU ms) P50 of a key press on a 10-row stock table: what Pilot itself costs."""
    app = StockTable(lambda: [("info", "", f"row {n}", "") for n in range(10)])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        walls = []
        for _ in range(keys):
            started = time.perf_counter()
            await pilot.press("down")
            await pilot.pause()
            walls.append((time.perf_counter() - started) * 1000)
        cpu = await time_keys(pilot, "up", keys)
    return _p(walls, 50), _p(cpu, 50)


async def measure_desk(data_dir: Path, keys: int) -> dict[str, float]:
    """desk: open to first page shown, then key presses."""
    root = data_dir.parent
    started = time.perf_counter()
    store = TinyStore(data_dir)
    opened = time.perf_counter() - started
    where = Locations(root / "config", data_dir, shipped_watchlists_dir())
    app = DeskApp(store, Settings(), [], where, autopoll=False)
    try:
        async with app.run_test(size=SIZE) as pilot:
            table = app.screen.query_one(AlertList)
            while not table.row_count:
                await pilot.pause()
            await pilot.pause()
            first_paint = time.perf_counter() - started
            down = await time_keys(pilot, "j", keys)
            pages = await time_keys(pilot, "right_square_bracket", max(keys // 4, 5))
            await app.warm_store().wait()  # as a polling desk does once the list is up
            count = store_size(store)
            threaded = await keys_during_commits(pilot, app, count, on_screen_loop=False)
            on_loop = await keys_during_commits(pilot, app, count + 1_000, on_screen_loop=True)
    finally:
        store.close()
    return {
        "first paint": first_paint,
        "store open": opened,
        "j": _p(down, 50),
        "j p90": _p(down, 90),
        "]": _p(pages, 50),
        "] p90": _p(pages, 90),
        "poll j": _p(threaded, 50),
        "poll j max": max(threaded),
        "loop j": _p(on_loop, 50),
        "loop j max": max(on_loop),
    }


def store_size(store: TinyStore) -> int:
    """How many alerts the store holds."""
    return len(store.alert_rows())


COMMITS = 3
"""Cycles committed while keys are timed (each adds NEW_PER_COMMIT alerts)."""
NEW_PER_COMMIT = 20


async def keys_during_commits(
    pilot: Pilot[None], app: DeskApp, first: int, on_screen_loop: bool
) -> list[float]:
    """Wall ms from each `j`/`k` to the desk having moved the cursor and shown that alert,
    pressed while COMMITS cycles commit new alerts one after another.

    The commit runs in a thread, awaited from the screen's loop as the poller
    does (Poller._commit), or, as the alternative, on the screen's event loop
    itself, where a key waits for it. Pilot's press is not used: it waits for
    the whole process to idle, the commit too.
    """
    store = app.store
    await pilot.press("g")
    walls: list[float] = []
    threads: list[asyncio.Task[None]] = []
    for cycle in range(COMMITS):
        start = first + cycle * NEW_PER_COMMIT
        alerts = [make_alert(n) for n in range(start, start + NEW_PER_COMMIT)]
        finished = threading.Event()

        def commit(batch: list[Alert] = alerts, done: threading.Event = finished) -> None:
            store.commit_cycle([], {}, batch, [])
            done.set()

        if on_screen_loop:
            app.call_later(commit)
        else:
            threads.append(asyncio.create_task(asyncio.to_thread(commit)))
        while not finished.is_set():
            walls.append(await key_handled(app, "j" if len(walls) % 2 == 0 else "k"))
            await asyncio.sleep(KEY_GAP)
    await asyncio.gather(*threads)
    return walls


KEY_GAP = 0.02
"""Seconds between keys pressed while a cycle commits."""


async def key_handled(app: DeskApp, key: str) -> float:
    """Wall ms from posting `key` until the cursor has moved and the article pane shows its alert."""
    table = app.screen.query_one(AlertList)
    article = app.screen.query_one(ArticleView)
    row = table.cursor_row
    started = time.perf_counter()
    app.post_message(events.Key(key, key))
    while table.cursor_row == row or (
        table.current_alert is not None and article.shown_alert_id != table.current_alert.id
    ):
        await asyncio.sleep(0.001)
    return (time.perf_counter() - started) * 1000


class StockTable(App[None]):
    """The alternative: one stock DataTable holding every alert as a row."""

    def __init__(self, rows: Callable[[], list[tuple[str, ...]]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        """Just the table."""
        yield DataTable(cursor_type="row")

    def on_mount(self) -> None:
        """Every row, at once."""
        table: DataTable[str] = self.query_one(DataTable)
        table.add_columns("Severity", "Published", "Title", "Watchlists")
        table.add_rows(self.rows())
        table.focus()


async def measure_stock(data_dir: Path, keys: int) -> dict[str, float]:
    """A stock DataTable with every row: open to first paint, then `down` presses."""
    started = time.perf_counter()
    store = TinyStore(data_dir, read_only=True)

    def rows() -> list[tuple[str, ...]]:
        return [
            (
                a.severity.value,
                a.published.strftime("%d %b %H:%M") if a.published else "",
                a.title,
                ", ".join(a.watchlists),
            )
            for a in store.alerts()
        ]

    app = StockTable(rows)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            first_paint = time.perf_counter() - started
            down = await time_keys(pilot, "down", keys)
    finally:
        store.close()
    return {"first paint": first_paint, "j": _p(down, 50), "j p90": _p(down, 90)}


def _p(values: list[float], percent: int) -> float:
    """The `percent` percentile of `values`."""
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


def main() -> None:
    """Build the store, measure both, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--keys", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="desk-bench-tui-") as tmp:
        data_dir = Path(tmp) / "data"
        built = build_store(data_dir, args.alerts)
        print(f"store: {args.alerts:,} alerts built in {built:.1f} s")
        desk = asyncio.run(measure_desk(data_dir, args.keys))
        stock = asyncio.run(measure_stock(data_dir, args.keys))
    floor_wall, floor_cpu = asyncio.run(pilot_floor(args.keys))
    print(
        f"desk:            first paint {desk['first paint']:.2f} s   key P50 {desk['j']:.1f} ms"
        f" (j; P90 {desk['j p90']:.1f} ms)   ] next page P50 {desk[']']:.1f} ms"
        f" (P90 {desk['] p90']:.1f} ms)"
    )
    print(f"  of the first paint, opening the TinyStore: {desk['store open']:.2f} s")
    print(
        f"stock DataTable: first paint {stock['first paint']:.2f} s   key P50 {stock['j']:.1f} ms"
        f" (down; P90 {stock['j p90']:.1f} ms)"
    )
    print(
        f"j/k while a cycle commits {NEW_PER_COMMIT} new alerts ({COMMITS} cycles), key to"
        " handled, wall ms:"
        f" commit in a thread P50 {desk['poll j']:.0f}, max {desk['poll j max']:.0f};"
        f" on the screen's loop P50 {desk['loop j']:.0f}, max {desk['loop j max']:.0f}"
    )
    print(
        f"(Pilot alone, a 10-row table: key P50 {floor_cpu:.1f} ms CPU, {floor_wall:.1f} ms wall)"
    )
    load = ", ".join(f"{figure:.1f}" for figure in os.getloadavg())
    print(f"(load average while measuring: {load} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
