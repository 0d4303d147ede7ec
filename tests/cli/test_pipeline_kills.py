"""`desk poll --once` killed with SIGKILL mid-cycle, again and again: the next run completes.

Three feeds on 127.0.0.1: one never changes (its ETag would hide its items
from a run that follows a kill, were it stored before they were), two gain
stories every round; a fifth of the pages fire the troop-deployment
watchlist. Each run has several hundred new items (three or more commit
batches, so a kill after the first lands mid-cycle; the page cap per cycle
is raised so that one last run can finish them all) and is killed with its
process group: every other round at a
random moment from its start (imports, fetching, extracting), the others a
random moment after its first batch is on disk (mid-cycle). After each kill
the store must open with nothing to repair but unfinished writes; after one
last run every item published must be stored, every firing story be one
alert, reported once.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

from desk.core.store.tinystore import TinyStore
from tests.cli.test_exactly_once import poll, story
from tests.served import Site, served_site

KILLS = 6
STATIC_ITEMS = 120
GROWTH = 220
"""New items per growing feed per round."""
FIRING_EVERY = 5
FEEDS = ("east", "west", "static")
"""In feeds.yaml order: the static feed's items come last, after a batch boundary."""
RUN_DEADLINE = 120.0


def page(feed: str, n: int) -> tuple[str, str, bool]:
    """An item's title and page, and whether the watchlist fires on it."""
    if n % FIRING_EVERY == 0:
        title, html = story(FEEDS.index(feed) * 10_000 + n)
        return title, html, True
    title = f"Harbour council notes {feed} {n}"
    words = " ".join(f"minute{n}w{i}" for i in range(80))
    html = (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        f"<p>The harbour council met on Tuesday to discuss item {n} of {feed}.</p>"
        f"<p>{words}.</p></article></body></html>"
    )
    return title, html, False


def publish(site: Site, feed: str, count: int) -> tuple[set[str], set[str]]:
    """Feed `feed` with items 0..count-1 and their pages; their links, and the firing ones'."""
    items, links, firing = "", set(), set()
    for n in range(count):
        title, html, fires = page(feed, n)
        path = f"/{feed}/{n}.html"
        site.put(path, html)
        link = site.base + path
        links.add(link)
        if fires:
            firing.add(link)
        items += f"<item><title>{title}</title><link>{link}</link><guid>{feed}-{n}</guid></item>"
    site.put(
        f"/{feed}.xml",
        f"<rss version='2.0'><channel><title>{feed}</title>{items}</channel></rss>",
        "application/rss+xml",
    )
    return links, firing


def publish_round(site: Site, round_number: int) -> tuple[set[str], set[str]]:
    """Every feed as it stands in this round: all links, and the firing ones."""
    links, firing = publish(site, "static", STATIC_ITEMS)
    for feed in ("east", "west"):
        more_links, more_firing = publish(site, feed, GROWTH * (round_number + 1))
        links |= more_links
        firing |= more_firing
    return links, firing


def segments_of(data: Path, pid: int) -> list[Path]:
    """The article segments a run has written (each one a committed batch)."""
    return list((data / "articles").glob(f"*-{pid}.jsonl"))


def kill_after(desk: subprocess.Popen[bytes], data: Path, delay: float, mid_cycle: bool) -> bool:
    """SIGKILL the run's group `delay` s after its start, or after its first batch; True if
    it was still running then."""
    if mid_cycle:
        deadline = time.monotonic() + RUN_DEADLINE
        while not segments_of(data, desk.pid) and desk.poll() is None:
            assert time.monotonic() < deadline, "no batch committed in time"
            time.sleep(0.02)
    time.sleep(delay)
    alive = desk.poll() is None
    if alive:
        os.killpg(desk.pid, signal.SIGKILL)
    desk.wait()
    return alive


def assert_store_opens(data: Path) -> None:
    """The store opens for writing; a kill leaves at most unfinished writes to remove."""
    store = TinyStore(data)
    try:
        assert all("unfinished write" in note for note in store.recovered), store.recovered
    finally:
        store.close()


def test_killed_poll_cycles_are_completed_by_the_next_run(tmp_path: Path) -> None:
    seed = int(os.environ.get("DESK_KILL_SEED", time.time()))
    chance = random.Random(seed)
    config, data, out = tmp_path / "config", tmp_path / "data", tmp_path / "alerts.jsonl"
    config.mkdir()
    (config / "settings.yaml").write_text("max_new_per_feed: 5000\nmax_pages_per_cycle: 5000\n")
    killed_mid_cycle = 0
    with served_site() as site:
        feeds = "".join(f"  - url: {site.base}/{f}.xml\n" for f in FEEDS)
        (config / "feeds.yaml").write_text("feeds:\n" + feeds)
        for kill in range(KILLS):
            publish_round(site, kill)
            desk = poll(config, data, out)
            mid_cycle = kill % 2 == 1
            if kill_after(desk, data, chance.uniform(0.0, 0.3 if mid_cycle else 2.5), mid_cycle):
                killed_mid_cycle += mid_cycle
            assert_store_opens(data)
        links, firing = publish_round(site, KILLS)
        assert poll(config, data, out).wait(timeout=RUN_DEADLINE) == 0, f"seed {seed}"

    assert killed_mid_cycle >= 1, f"seed {seed}: no kill landed after a batch was committed"
    store = TinyStore(data, read_only=True)
    try:
        stored_links = {s.url for s in store.seen_since(datetime(2000, 1, 1, tzinfo=UTC))}
        alerts = store.alerts()
    finally:
        store.close()
    assert links - stored_links == set(), f"seed {seed}: items skipped"
    assert sorted(a.url for a in alerts) == sorted(firing), f"seed {seed}: alerts lost or doubled"
    reported = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert sorted(reported) == sorted(a.id for a in alerts), f"seed {seed}: reports"
