"""A desk that polls and acknowledges in a loop until it is killed (for the kill test).

    python -m tests.kill_child DATA_DIR SEED

Prints `READY` once the store is open and `ACK <alert id>` after each
acknowledgement has returned (that is, is reported done).
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime
from pathlib import Path

from desk.core import decide
from desk.core.models import Alert, AlertState, Article, SeenItem, Severity, short_hash
from desk.core.store.tinystore import TinyStore

TEXT = "Officials said troops were sent to the border on Monday. " * 30


def raise_alerts(store: TinyStore, rng: random.Random, cycle: int) -> None:
    """One poll cycle's worth of writes: 50 items, their bodies, 5 alerts."""
    now = datetime.now(UTC)
    seen, articles, alerts = [], {}, []
    for n in range(50):
        key = short_hash("kill", str(rng.random()))
        alert_id = short_hash("alert", key) if n % 10 == 0 else None
        seen.append(
            SeenItem(key, "https://feed.example/", f"https://n.example/{key}", "fp", now, alert_id)
        )
        articles[key] = Article(
            url=f"https://n.example/{key}", title=f"Story {cycle}-{n}", text=TEXT
        )
        if alert_id:
            alerts.append(
                Alert(
                    alert_id,
                    f"Story {cycle}-{n}",
                    f"https://n.example/{key}",
                    ("Wire",),
                    now,
                    ("troop-deployment",),
                    Severity.HIGH,
                    100.0,
                    (),
                    now,
                    key,
                )
            )
    store.commit_cycle(seen, articles, alerts, [])


def main() -> None:
    """Loop until killed."""
    data, rng = Path(sys.argv[1]), random.Random(int(sys.argv[2]))
    store = TinyStore(data)
    print("READY", flush=True)
    cycle = 0
    while True:
        raise_alerts(store, rng, cycle)
        fresh = [a for a in store.alerts() if a.state is AlertState.NEW]
        for alert in rng.sample(fresh, min(3, len(fresh))):
            store.update_alert(decide.acknowledge(alert, datetime.now(UTC)))
            print(f"ACK {alert.id}", flush=True)
        cycle += 1


if __name__ == "__main__":
    main()
