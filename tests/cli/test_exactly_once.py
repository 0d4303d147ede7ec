"""Alerts reach `desk poll --once --json >> file` exactly once, across 30 random SIGKILLs.

A real feed on 127.0.0.1 gains stories between runs; each run is killed at
a random moment (imports, fetching, extracting, committing, reporting),
then one last run finishes. Every stored alert must be in the file once,
every line whole.
"""

from __future__ import annotations

import contextlib
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
from tests.served import Site, served_site

KILLS = 30
PLACES = ["Narva", "Tartu", "Parnu", "Rakvere", "Viljandi", "Valga", "Voru", "Haapsalu"]


def story(n: int) -> tuple[str, str]:
    """A distinct story a troop-deployment watchlist fires on: title and page."""
    place = f"{PLACES[n % len(PLACES)]} district {n}"
    title = f"Army deploys {100 + n} troops to {place}"
    words = " ".join(f"note{n}w{i}" for i in range(120))
    page = (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        f"<p>The army has deployed {100 + n} troops to {place}, officials said on Monday. "
        f"The soldiers were sent by road overnight.</p><p>{words}.</p></article></body></html>"
    )
    return title, page


def publish(site: Site, count: int) -> None:
    """The feed with stories 0..count-1, and their pages."""
    items = ""
    for n in range(count):
        title, page = story(n)
        site.put(f"/a/{n}.html", page)
        items += f"<item><title>{title}</title><link>{{{{BASE}}}}/a/{n}.html</link><guid>s{n}</guid></item>"
    site.put(
        "/feed.xml",
        f"<rss version='2.0'><channel><title>W</title>{items}</channel></rss>",
        "application/rss+xml",
    )


def poll(config: Path, data: Path, out: Path) -> subprocess.Popen[bytes]:
    with open(out, "ab") as sink:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "desk",
                "--config",
                str(config),
                "--data",
                str(data),
                "--watchlists",
                str(shipped_watchlists_dir()),
                "poll",
                "--once",
                "--json",
                "--all",
            ],
            stdout=sink,
            stderr=open(out.with_suffix(".log"), "ab"),
            start_new_session=True,
        )


def test_every_alert_is_reported_once_across_kills(tmp_path: Path) -> None:
    seed = int(os.environ.get("DESK_KILL_SEED", time.time()))
    chance = random.Random(seed)
    config, data, out = tmp_path / "config", tmp_path / "data", tmp_path / "alerts.jsonl"
    config.mkdir()
    with served_site() as site:
        (config / "feeds.yaml").write_text(f"feeds:\n  - url: {site.base}/feed.xml\n")
        for kill in range(KILLS):
            publish(site, 2 * kill + 2)
            desk = poll(config, data, out)
            time.sleep(chance.uniform(0.3, 2.5))
            if desk.poll() is None:
                os.killpg(desk.pid, signal.SIGKILL)
            desk.wait()
        publish(site, 2 * KILLS + 2)
        assert poll(config, data, out).wait(timeout=120) == 0

    store = TinyStore(data, read_only=True)
    try:
        stored = {alert.id for alert in store.alerts()}
    finally:
        store.close()
    lines = out.read_text().splitlines()
    reported = [json.loads(line)["id"] for line in lines]  # every line whole
    assert len(stored) == 2 * KILLS + 2, f"seed {seed}"
    assert sorted(reported) == sorted(stored), f"seed {seed}: duplicates or losses"


class KilledAfterWriting(Exception):
    """Stands for a SIGKILL that lands after the report is written, before it is noted."""


def test_a_report_cut_off_after_writing_is_not_written_again(tmp_path: Path) -> None:
    from dataclasses import replace as changed
    from datetime import UTC, datetime

    from desk.core.models import Alert, Severity
    from desk.headless import report_alerts

    store = TinyStore(tmp_path / "data")
    now = datetime.now(UTC)
    alerts = [
        Alert(f"a{n}", f"Story {n}", "", ("W",), now, ("w",), Severity.HIGH, 1.0, (), now, f"k{n}")
        for n in range(3)
    ]
    store.commit_cycle([], {}, alerts, [])
    out_path = tmp_path / "alerts.jsonl"
    done = store.reports_done

    def killed(ids: object) -> None:
        raise KilledAfterWriting

    store.reports_done = killed  # type: ignore[method-assign]
    with open(out_path, "a") as out, contextlib.suppress(KilledAfterWriting):
        report_alerts(store, as_json=True, out=out)
    store.reports_done = done  # type: ignore[method-assign]
    store.close()

    store = TinyStore(tmp_path / "data")  # the next run
    store.commit_cycle([], {}, [changed(alerts[0], title="Story 0, updated")], [])
    with open(out_path, "a") as out:
        again = report_alerts(store, as_json=True, out=out)
    with open(tmp_path / "elsewhere.jsonl", "a") as out:  # nothing left for another reader
        assert report_alerts(store, as_json=True, out=out) == []
    store.close()
    assert [a.title for a in again] == ["Story 0, updated"]  # only the grown alert
    lines = [json.loads(line) for line in out_path.read_text().splitlines()]
    assert [(d["id"], d["title"]) for d in lines] == [
        ("a0", "Story 0"),
        ("a1", "Story 1"),
        ("a2", "Story 2"),
        ("a0", "Story 0, updated"),
    ]


def test_alerts_handled_in_the_desk_are_not_reported_and_leave_the_outbox(tmp_path: Path) -> None:
    """Acknowledged or archived before any headless run: the analyst knows; no report, no entry."""
    from datetime import UTC, datetime

    from desk.core import decide
    from desk.core.models import Alert, Severity
    from desk.headless import report_alerts

    store = TinyStore(tmp_path / "data")
    now = datetime.now(UTC)
    alerts = [
        Alert(f"a{n}", f"Story {n}", "", ("W",), now, ("w",), Severity.HIGH, 1.0, (), now, f"k{n}")
        for n in range(3)
    ]
    store.commit_cycle([], {}, alerts, [])
    store.update_alert(decide.acknowledge(alerts[0], now))  # as the TUI does
    store.update_alerts([decide.archive(alerts[1])])
    store.close()
    outbox = json.loads((tmp_path / "data" / "reports.json").read_text())
    assert list(outbox["due"]) == ["a2"]
    store = TinyStore(tmp_path / "data")
    out_path = tmp_path / "alerts.jsonl"
    with open(out_path, "a") as out:
        report_alerts(store, as_json=True, out=out)
    store.close()
    assert [json.loads(line)["id"] for line in out_path.read_text().splitlines()] == ["a2"]


def test_an_unreported_alert_whose_growth_was_cut_off_is_still_reported(tmp_path: Path) -> None:
    """The outbox entry of a grown alert keeps its stored, unreported version: if the growth
    never reaches alerts.json (a kill, a failed write) and its item never comes again, the
    stored version is reported; an already reported one is not repeated."""
    from dataclasses import replace as changed
    from datetime import UTC, datetime

    from desk.core.errors import StoreError
    from desk.core.models import Alert, Severity

    data = tmp_path / "data"
    store = TinyStore(data)
    now = datetime.now(UTC)
    fresh, reported = (
        Alert(f"a{n}", f"Story {n}", "", ("W",), now, ("w",), Severity.HIGH, 1.0, (), now, f"k{n}")
        for n in range(2)
    )
    store.commit_cycle([], {}, [fresh, reported], [])
    store.reports_done([reported.id])
    blocker = data / f".alerts.json.tmp-{os.getpid()}"  # alerts.json cannot be written now
    blocker.mkdir()
    with contextlib.suppress(StoreError):
        grown = [changed(a, sources=("W", "V")) for a in (fresh, reported)]
        store.commit_cycle([], {}, grown, [])
    blocker.rmdir()
    store.close()

    store = TinyStore(data)
    try:
        assert store.alerts() and {a.sources for a in store.alerts()} == {("W",)}
        assert store.reports_due() == [fresh]
        store.reports_done([fresh.id])
        outbox = json.loads((data / "reports.json").read_text())
        assert outbox["due"] == {}  # the entry for the growth that never got stored is gone
    finally:
        store.close()
