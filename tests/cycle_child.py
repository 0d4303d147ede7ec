"""Run one poll cycle in a fresh process and report it as JSON (for memory and hang tests).

python -m tests.cycle_child TIMEOUT URL...
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from pathlib import Path

from desk.core.models import Feed
from desk.core.pipeline import Poller
from desk.core.settings.config import Settings
from desk.core.store.contract import MemoryStore


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM; ru_maxrss would include the parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    """Poll the given feeds once and print states, item counts, seconds and peak RSS."""
    timeout, urls = float(sys.argv[1]), sys.argv[2:]
    settings = Settings(request_timeout=timeout, max_per_host=64, fetch_articles=False)
    poller = Poller(MemoryStore(), settings, [])
    started = time.monotonic()
    result = asyncio.run(poller.run_once([Feed(url=u) for u in urls], force=True))
    report = {
        "seconds": time.monotonic() - started,
        "peak_mb": peak_rss_mb(),
        "feeds": {
            o.feed.url: {
                "status": o.state.status,
                "error": o.state.error,
                "warning": o.state.warning,
                "failures": o.state.failures,
                "items": len(o.items),
                "next_due": o.state.next_due.isoformat() if o.state.next_due else None,
                "last_attempt": o.state.last_attempt.isoformat() if o.state.last_attempt else None,
            }
            for o in result.outcomes
        },
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
