"""Poll-cycle speed: desk against `newsboat -x reload` on the same 200 loopback feeds.

200 feeds x 50 items (~120 KB each) are generated and served from a separate
process on 127.0.0.1, from 20 ports (20 sites of 10 feeds: desk's per-host
limit of 2 applies per site, as it would on the internet). Measured in this
one run:
- newsboat, cold (empty cache), 8 reload threads;
- desk, cold: fetch, parse, dedup and store every item (no article fetch,
  no watchlists: the same work newsboat does);
- desk, warm: the same feeds again, every answer a 304;
- `desk poll --once` as a whole command on a fresh data folder (Python's
  start, imports, opening the store, the cycle, exit), the figure to set
  beside newsboat's own whole run.
newsboat is a Debian package; the script installs it with apt-get if missing.
The machine is shared, so each is run --rounds times (interleaved: desk,
the command, newsboat, then again) and the best and the median of each are
printed, with the ratios best to best and median to median.

    python benchmarks/bench_poll.py [--feeds 200] [--items 50] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from desk.core.models import Feed
from desk.core.pipeline import Poller
from desk.core.settings.config import Settings
from desk.core.store.tinystore import TinyStore

HERE = Path(__file__).resolve().parent


def ensure_newsboat() -> str | None:
    """The newsboat binary, installed with apt-get when missing (None if impossible)."""
    found = shutil.which("newsboat")
    if found:
        return found
    print("installing newsboat with apt-get ...", file=sys.stderr)
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "newsboat"]):
        if subprocess.run(command, capture_output=True).returncode != 0:
            return None
    return shutil.which("newsboat")


def time_newsboat(binary: str, urls: list[str], work: Path) -> float:
    """Seconds for one cold `newsboat -x reload` of `urls` (work: a fresh folder)."""
    work.mkdir()
    (work / "urls").write_text("\n".join(urls) + "\n")
    (work / "config").write_text("reload-threads 8\n")
    started = time.perf_counter()
    subprocess.run(
        [
            binary,
            "-u",
            str(work / "urls"),
            "-c",
            str(work / "cache.db"),
            "-C",
            str(work / "config"),
            "-x",
            "reload",
        ],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def time_desk(urls: list[str], data: Path) -> tuple[float, float, int]:
    """Seconds for a cold and a warm desk cycle, and the items stored."""
    store = TinyStore(data)
    poller = Poller(store, Settings(fetch_articles=False), [])
    feeds = [Feed(url=u) for u in urls]
    try:
        started = time.perf_counter()
        cold = asyncio.run(poller.run_once(feeds, force=True))
        cold_seconds = time.perf_counter() - started
        started = time.perf_counter()
        warm = asyncio.run(poller.run_once(feeds, force=True))
        warm_seconds = time.perf_counter() - started
    finally:
        store.close()
    assert all(o.state.status == 200 for o in cold.outcomes), "a feed failed in the cold cycle"
    assert all(o.state.status == 304 for o in warm.outcomes), "the warm cycle was not all 304"
    return cold_seconds, warm_seconds, cold.new_items


def time_desk_command(urls: list[str], work: Path) -> float:
    """Seconds for `desk poll --once` as a process, on a fresh data folder (work: a fresh folder)."""
    config = work / "desk-config"
    config.mkdir(parents=True)
    (config / "settings.yaml").write_text("fetch_articles: false\n")
    (config / "feeds.yaml").write_text("feeds:\n" + "".join(f"  - url: {u}\n" for u in urls))
    desk = [sys.executable, "-m", "desk", "--config", str(config), "--data", str(work / "cmd-data")]
    started = time.perf_counter()
    subprocess.run([*desk, "poll", "--once"], check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> int:
    """Run both, interleaved, and print the figures side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--sites", type=int, default=20, help="ports to serve from")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each, interleaved")
    args = parser.parse_args()
    binary = ensure_newsboat()
    with tempfile.TemporaryDirectory(prefix="desk-bench-") as temp:
        work = Path(temp)
        sys.path.insert(0, str(HERE))
        from feedfarm import write_farm

        names = write_farm(work / "farm", args.feeds, args.items)
        size = sum((work / "farm" / n).stat().st_size for n in names) / len(names) / 1024
        server = subprocess.Popen(
            [sys.executable, str(HERE / "feedfarm.py"), str(work / "farm"), str(args.sites)],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            ports = server.stdout.readline().split() if server.stdout else []
            urls = [f"http://127.0.0.1:{ports[i % len(ports)]}/{n}" for i, n in enumerate(names)]
            runs = [_round(urls, work / f"round{n}", binary) for n in range(args.rounds)]
        finally:
            server.terminate()
            server.wait()
    print(f"{args.feeds} feeds x {args.items} items, {size:.0f} KB each, served from 127.0.0.1")
    _report(runs, args.rounds)
    return 0


def _round(urls: list[str], work: Path, newsboat: str | None) -> dict[str, float]:
    """One run of each measurement: seconds by name (and the items the cold cycle stored)."""
    cold, warm, items = time_desk(urls, work / "desk-data")
    figures = {"cold": cold, "warm": warm, "items": float(items)}
    figures["command"] = time_desk_command(urls, work / "command")
    if newsboat:
        figures["newsboat"] = time_newsboat(newsboat, urls, work / "newsboat")
    return figures


def _report(runs: list[dict[str, float]], rounds: int) -> None:
    """Best and median of each figure, and the ratios to newsboat."""
    best = {name: min(run[name] for run in runs) for name in runs[0]}
    median = {name: statistics.median(run[name] for run in runs) for name in runs[0]}
    print(f"{'':20} {'best':>7} {'median':>7}   (of {rounds} rounds)")
    lines = [
        (
            "desk cold cycle",
            "cold",
            f"{int(best['items'])} items fetched, parsed, deduplicated, stored",
        ),
        ("desk warm cycle", "warm", "all 304"),
        ("desk poll --once", "command", "the whole command, cold, on a fresh store"),
        ("newsboat -x reload", "newsboat", "cold, 8 reload threads"),
    ]
    for label, name, what in lines:
        if name in best:
            print(f"{label:20} {best[name]:6.2f}s {median[name]:6.2f}s   {what}")
    if "newsboat" not in best:
        print("newsboat             not available (apt-get install newsboat failed)")
        return
    print(
        f"desk cold is {best['newsboat'] / best['cold']:.1f}x faster than newsboat best to best, "
        f"{median['newsboat'] / median['cold']:.1f}x median to median (bar: 5x); "
        f"warm {best['warm']:.2f} s best, {median['warm']:.2f} s median (bar: 0.3 s)"
    )
    print(
        f"as whole commands, desk poll --once is {best['newsboat'] / best['command']:.1f}x "
        f"faster best to best, {median['newsboat'] / median['command']:.1f}x median to median"
    )


if __name__ == "__main__":
    raise SystemExit(main())
