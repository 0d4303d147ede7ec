"""Store scale: 100,000 stored items and 10,000 alerts, against stock TinyDB.

Builds a data dir the way 30 days of polling would (one item shard a day,
article bodies in per-cycle segments), then measures in fresh processes:
open to ready (store opened and the alert list built), an acknowledgement
made durable, one cycle's write of 500 new items, and peak memory; prints
the file sizes. Beside them, the alternative: stock TinyDB (one JSON file,
JSONStorage) holding the same alerts, and one acknowledgement written there.

    python benchmarks/bench_store.py [--items 100000] [--alerts 10000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from desk.core.models import Alert, Article, Hit, SeenItem, Severity, short_hash
from desk.core.store.serial import alert_to_dict
from desk.core.store.tinystore import TinyStore

START = datetime(2026, 10, 28, 8, 0, tzinfo=UTC)
BODY = ("Officials said the talks on the border would resume next week. " * 16).strip()


def make_alert(n: int, when: datetime) -> Alert:
    """A realistic alert: four hits, two sources."""
    hits = tuple(
        Hit("troop-deployment", "$force $send", "sent 2,000 troops", 40 * k, 40 * k + 17, 100.0)
        for k in range(4)
    )
    return Alert(
        id=short_hash("alert", str(n)),
        title=f"Story number {n} about troops sent to a border region",
        url=f"https://news.example/{n}",
        sources=("Meridian Wire", "Northline World Desk"),
        published=when,
        watchlists=("troop-deployment",),
        severity=Severity.HIGH,
        score=100.0,
        hits=hits,
        created=when,
        article_key=short_hash("item", str(n)),
    )


def cycle_batch(first: int, count: int, when: datetime, alert_every: int) -> tuple:
    """One cycle's items, bodies and alerts."""
    seen, articles, alerts = [], {}, []
    for n in range(first, first + count):
        key = short_hash("item", str(n))
        alert = make_alert(n, when) if n % alert_every == 0 else None
        seen.append(
            SeenItem(
                key,
                "https://feed.example/",
                f"https://news.example/{n}",
                "fp",
                when,
                alert.id if alert else None,
            )
        )
        articles[key] = Article(url=f"https://news.example/{n}", title=f"Story {n}", text=BODY)
        if alert:
            alerts.append(alert)
    return seen, articles, alerts


def build(data: Path, items: int, alerts: int) -> None:
    """30 days of cycles of 500 items; one item in items/alerts raises an alert."""
    clock = [START]
    store = TinyStore(data, now=lambda: clock[0])
    per_cycle = 500
    cycles = items // per_cycle
    for c in range(cycles):
        clock[0] = START + timedelta(days=30 * c / cycles)
        seen, articles, raised = cycle_batch(c * per_cycle, per_cycle, clock[0], items // alerts)
        store.commit_cycle(seen, articles, raised, [])
    store.close()


PROBE = r"""
import json, statistics, sys, time
from datetime import UTC, datetime
from pathlib import Path
sys.path.insert(0, {bench!r})
from bench_store import cycle_batch
from desk.core import decide
from desk.core.store.tinystore import TinyStore

def peak_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024

data = Path({data!r})
started = time.perf_counter()
store = TinyStore(data)
alerts = store.alerts()
open_s = time.perf_counter() - started
acks = []
for alert in alerts[:50]:
    started = time.perf_counter()
    store.update_alert(decide.acknowledge(alert, datetime.now(UTC)))
    acks.append(time.perf_counter() - started)
seen, articles, raised = cycle_batch(10_000_000, 500, datetime.now(UTC), 50)
started = time.perf_counter()
store.seen(item.key for item in seen)  # the cycle's lookup: loads the item index once
index_s = time.perf_counter() - started
started = time.perf_counter()
store.commit_cycle(seen, articles, raised, [])
cycle_s = time.perf_counter() - started
store.close()
print(json.dumps({{"open": open_s, "alerts": len(alerts), "ack": statistics.median(acks),
                  "ack_max": max(acks), "cycle": cycle_s, "index": index_s, "peak_mb": peak_mb()}}))
"""


def stock_tinydb_ack(folder: Path, alerts: int) -> float:
    """Seconds for one acknowledgement in stock TinyDB holding the same alerts."""
    from tinydb import Query, TinyDB

    db = TinyDB(folder / "stock.json")
    db.insert_multiple(alert_to_dict(make_alert(n, START)) for n in range(alerts))
    target = make_alert(alerts // 2, START)
    started = time.perf_counter()
    db.update({"state": "acknowledged"}, Query().id == target.id)
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed


def sizes(data: Path) -> str:
    """The data dir's file sizes, grouped."""
    groups: dict[str, int] = {}
    for path in data.rglob("*"):
        if path.is_file() and not path.name.endswith(".bak"):
            group = path.parent.name + "/" if path.parent != data else path.name
            groups[group] = groups.get(group, 0) + path.stat().st_size
    return ", ".join(f"{name} {size / 1e6:.1f} MB" for name, size in sorted(groups.items()))


def main() -> int:
    """Build, probe in a fresh process, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--alerts", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="desk-store-") as temp:
        data = Path(temp) / "data"
        started = time.perf_counter()
        build(data, args.items, args.alerts)
        built = time.perf_counter() - started
        code = PROBE.format(bench=str(Path(__file__).parent), data=str(data))
        run = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        result = json.loads(run.stdout)
        stock = stock_tinydb_ack(Path(temp), args.alerts)
        print(f"{args.items:,} items, {result['alerts']:,} alerts (built in {built:.1f} s)")
        print(f"files: {sizes(data)}")
        print(f"open to ready       {result['open'] * 1000:7.0f} ms   (bar 500 ms)")
        print(
            f"ack durable         {result['ack'] * 1000:7.1f} ms   median of 50, max {result['ack_max'] * 1000:.1f} ms (bar 20 ms)"
        )
        print(f"cycle of 500 items  {result['cycle'] * 1000:7.0f} ms   (bar 100 ms): the write")
        print(
            f"first item lookup   {result['index'] * 1000:7.0f} ms   (loads the 100k-item index, once)"
        )
        print(f"peak memory         {result['peak_mb']:7.0f} MB   (bar 300 MB)")
        print(
            f"stock TinyDB ack    {stock * 1000:7.0f} ms   (the same alerts in one JSONStorage file)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
