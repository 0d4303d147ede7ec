"""The notify command and the webhook through `desk poll --once`, killed at random moments.

A real feed on 127.0.0.1 gains stories between runs; each run is SIGKILLed
(its process group: the notify command runs in a session of its own, as it
would survive a desk killed by a supervisor) at a random moment, then one
last run finishes. Every stored alert must have reached the command once,
and the webhook receiver once (by delivery id), however the kills fell.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from desk.core.settings.config import shipped_watchlists_dir
from desk.core.store.tinystore import TinyStore
from tests.cli.test_exactly_once import publish
from tests.core.test_notify import Receiver
from tests.served import served_site, serving

KILLS = 12


def poll(config: Path, data: Path, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "desk", "--config", str(config), "--data", str(data)]
    command += ["--watchlists", str(shipped_watchlists_dir()), "poll", "--once", "--all"]
    with open(log, "ab") as sink:
        return subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=sink, start_new_session=True
        )


def notified_ids(path: Path) -> list[str]:
    """Every alert id the command was given, one JSON object or digest array per line."""
    ids = []
    for line in path.read_text().splitlines():
        data = json.loads(line)
        ids += [a["id"] for a in data] if isinstance(data, list) else [data["id"]]
    return ids


def test_every_alert_reaches_the_command_and_the_webhook_once_across_kills(
    tmp_path: Path,
) -> None:
    seed = int(os.environ.get("DESK_KILL_SEED", time.time()))
    chance = random.Random(seed)
    config, data, out = tmp_path / "config", tmp_path / "data", tmp_path / "notified.jsonl"
    config.mkdir()
    receiver = Receiver("k3y", hang=1.0)
    with served_site() as site, serving(receiver.handler()) as hook:
        (config / "feeds.yaml").write_text(f"feeds:\n  - url: {site.base}/feed.xml\n")
        (config / "settings.yaml").write_text(
            "notify:\n"
            f"  command: sleep 0.2; body=$(cat); printf '%s\\n' \"$body\" >> {out}\n"
            "  min_severity: info\n"
            "  digest_over: 3\n"
            f"webhook:\n  url: {hook}/desk\n  secret: k3y\n  min_severity: info\n"
        )
        for kill in range(KILLS):
            publish(site, 2 * kill + 2)
            desk = poll(config, data, tmp_path / "desk.log")
            time.sleep(chance.uniform(0.5, 4.0))
            if desk.poll() is None:
                os.killpg(desk.pid, signal.SIGKILL)
            desk.wait()
        publish(site, 2 * KILLS + 2)
        assert poll(config, data, tmp_path / "desk.log").wait(timeout=120) == 0

    store = TinyStore(data, read_only=True)
    try:
        stored = sorted(alert.id for alert in store.alerts())
    finally:
        store.close()
    assert len(stored) == 2 * KILLS + 2, f"seed {seed}"
    assert sorted(notified_ids(out)) == stored, f"seed {seed}: duplicates or losses"
    assert sorted(receiver.taken.values()) == stored, f"seed {seed}"
    assert all(good for _, _, good in receiver.posts)
