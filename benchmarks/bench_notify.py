"""What notifications cost a cycle, at 100,000 stored alerts, beside the alternatives.

Builds a real TinyStore of N alerts (raised over the past 30 days), sets up
the notify command and the webhook, and measures in one run:

- a delivery round with nothing owed (what every cycle pays once the
  channels are set up), which decides from the store's list rows, beside
  the same decision made from every full alert (`store.alerts()`), as a
  channel that kept no rows would have to;
- surges judged over the rows (done once per cycle by the desk and `desk poll`);
- five alerts notified one run each (sh, the wrapper, the record written
  before and after each) beside one digest run of the five.

    python benchmarks/bench_notify.py [--alerts 100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench_store import make_alert

from desk.core.attention import surges
from desk.core.models import Severity, alert_row
from desk.core.notify.deliver import deliver_alerts, open_channels
from desk.core.notify.outbox import Record, owed
from desk.core.settings.config import NotifySettings, Settings, WebhookSettings
from desk.core.store.tinystore import TinyStore

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
BATCH = 5_000


def build(data: Path, count: int) -> None:
    """`count` alerts raised evenly over the 30 days before NOW."""
    store = TinyStore(data)
    step = timedelta(days=30) / count
    for first in range(0, count, BATCH):
        batch = [
            make_alert(n, NOW - timedelta(days=30) + step * n)
            for n in range(first, min(first + BATCH, count))
        ]
        store.commit_cycle([], {}, batch, [])
    store.close()


def best_ms(work: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(best, median) milliseconds of `work` over `repeat` runs."""
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        work()
        times.append((time.perf_counter() - began) * 1000)
    return min(times), statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        began = time.perf_counter()
        build(data, args.alerts)
        print(
            f"built {args.alerts:,} alerts in {time.perf_counter() - began:.0f} s; load {os.getloadavg()[0]:.1f}"
        )
        store = TinyStore(data)
        store.alert_rows()  # warm, as a running desk is
        settings = Settings(
            notify=NotifySettings("true", digest_over=4),
            webhook=WebhookSettings("http://127.0.0.1:9/hook"),  # nothing is owed: never called
        )
        open_channels(store, settings, NOW)
        runs = Path(folder) / "runs"
        idle = best_ms(lambda: deliver_alerts(store, settings, runs, NOW), args.repeat)
        record = Record(since=NOW.timestamp())
        from_rows = best_ms(lambda: owed(store.alert_rows(), record, Severity.HIGH), args.repeat)
        from_alerts = best_ms(
            lambda: owed([alert_row(a) for a in store.alerts()], record, Severity.HIGH), args.repeat
        )
        judged = best_ms(lambda: surges(store.alert_rows(), NOW), args.repeat)
        print(f"idle round, both channels:        best {idle[0]:7.1f} ms, median {idle[1]:7.1f} ms")
        print(
            f"  what is owed, from the rows:    best {from_rows[0]:7.1f} ms, median {from_rows[1]:7.1f} ms"
        )
        print(
            f"  the same from every full alert: best {from_alerts[0]:7.1f} ms, median {from_alerts[1]:7.1f} ms"
        )
        print(
            f"surges over the rows:             best {judged[0]:7.1f} ms, median {judged[1]:7.1f} ms"
        )
        print(f"five alerts: one run each beside one digest ({args.repeat} rounds each)")
        only_notify = Settings(notify=settings.notify)
        for label, digest_over in (("one run each", 5), ("one digest  ", 4)):
            config = replace(only_notify, notify=replace(settings.notify, digest_over=digest_over))
            times = []
            for round_number in range(args.repeat):
                fresh = [
                    make_alert(10_000_000 + 10 * round_number + k + digest_over * 1000, NOW)
                    for k in range(5)
                ]
                store.commit_cycle([], {}, fresh, [])
                began = time.perf_counter()
                [report] = deliver_alerts(store, config, runs, NOW)
                times.append((time.perf_counter() - began) * 1000)
                assert report.sent == 5, report.line()
            print(
                f"  {label}: best {min(times):7.1f} ms, median {statistics.median(times):7.1f} ms"
            )
        store.close()
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
