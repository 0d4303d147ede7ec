"""A dead and a silent feed become blind spots: learned by real cycles, said by `desk poll`, listed by `desk feeds`.

Real polls over 127.0.0.1 with a clock set three days back learn an hourly
feed's rhythm; then it falls silent (still answering) while another feed
has answered 404 all along. `desk poll --once` says each blind spot once,
and when one clears; `desk feeds` and `desk feeds --json` list them.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from desk.core.models import Feed
from desk.core.pipeline import Poller, utc_now
from desk.core.settings.config import Settings
from desk.core.store.tinystore import TinyStore
from tests.served import Site, served_site


def publish(site: Site, count: int) -> None:
    items = "".join(
        f"<item><title>Harbour note {n}</title><link>{{{{BASE}}}}/n/{n}.html</link>"
        f"<guid>n{n}</guid><description>Quiet day at the harbour, note {n}.</description></item>"
        for n in range(count)
    )
    site.put("/quiet.xml", f"<rss version='2.0'><channel><title>Q</title>{items}</channel></rss>")


def desk(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "desk", "--config", str(root / "config")]
    command += ["--data", str(root / "data"), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def blind_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "blind spot" in line]


def test_a_dead_and_a_silent_feed_are_blind_spots(tmp_path: Path) -> None:
    (tmp_path / "config" / "watchlists").mkdir(parents=True)
    with served_site() as site:
        quiet = Feed(f"{site.base}/quiet.xml", "Harbour Log", interval=900.0)
        dead = Feed(f"{site.base}/gone.xml", "Gone Wire", interval=900.0)
        (tmp_path / "config" / "feeds.yaml").write_text(
            f"feeds:\n  - {{url: '{quiet.url}', name: Harbour Log, interval: 15m}}\n"
            f"  - {{url: '{dead.url}', name: Gone Wire, interval: 15m}}\n"
        )
        clock = [utc_now() - timedelta(days=3)]
        store = TinyStore(tmp_path / "data")
        settings = Settings(fetch_articles=False)
        for hour in range(8):  # one new item an hour: the rhythm
            publish(site, hour + 1)
            asyncio.run(
                Poller(store, settings, [], now=lambda: clock[0]).run_once(
                    [quiet, dead], force=True
                )
            )
            clock[0] += timedelta(hours=1)
        states = store.feed_states()
        store.close()
        assert len(states[quiet.url].new_item_times) == 8
        assert states[dead.url].failing_since is not None

        first = desk(tmp_path, "poll", "--once", "--all")
        assert first.returncode == 0, first.stderr
        said = blind_lines(first.stderr)
        assert len(said) == 2, first.stderr
        assert said[0].startswith(
            "desk: blind spot: Harbour Log: silent for 3 d; new items usually come every 60 min"
        )
        assert said[1].startswith("desk: blind spot: Gone Wire: failing for 3 d (HTTP 404")
        assert (
            blind_lines(desk(tmp_path, "poll", "--once", "--all").stderr) == []
        )  # once per change

        table = desk(tmp_path, "feeds").stdout.splitlines()
        assert [line for line in table if line.startswith("blind spot:")] == [
            line.removeprefix("desk: ") for line in said
        ]
        health = json.loads(desk(tmp_path, "feeds", "--json").stdout)
        by_name = {feed["name"]: feed for feed in health["feeds"]}
        assert (
            by_name["Harbour Log"]["ok"]
            and by_name["Harbour Log"]["blind_spot"]["kind"] == "silent"
        )
        assert (
            not by_name["Gone Wire"]["ok"]
            and by_name["Gone Wire"]["blind_spot"]["kind"] == "failing"
        )
        assert by_name["Gone Wire"]["http_status"] == 404 and health["channels"] == []

        publish(site, 9)  # news again
        cleared = desk(tmp_path, "poll", "--once", "--all")
        assert blind_lines(cleared.stderr) == ["desk: Harbour Log is no longer a blind spot"]


def test_a_poll_with_nothing_due_says_when_the_next_feed_is(tmp_path: Path) -> None:
    """A second `desk poll --once` finds nothing due: it says so, and when, not just '0 new items'."""
    (tmp_path / "config" / "watchlists").mkdir(parents=True)
    with served_site() as site:
        publish(site, 1)
        (tmp_path / "config" / "feeds.yaml").write_text(
            f"feeds:\n  - {{url: '{site.base}/quiet.xml', name: Harbour Log, interval: 1h}}\n"
        )
        first = desk(tmp_path, "poll", "--once")
        second = desk(tmp_path, "poll", "--once")
    assert first.returncode == second.returncode == 0, (first.stderr, second.stderr)
    assert "no feed was due" not in first.stderr
    assert "[ok] Harbour Log" in first.stderr
    said = [line for line in second.stderr.splitlines() if line.startswith("no feed was due")]
    assert len(said) == 1 and "the next is due at " in said[0] and "--all" in said[0], second.stderr
