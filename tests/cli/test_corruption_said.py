"""Corruption is always said: every restore, every file set aside, every body lost, once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from desk.core.store.tinystore import TinyStore
from desk.demo.server import DemoServer


def desk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desk", *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def polled(isolated_dirs: Path, demo_server: DemoServer) -> Path:
    """A data dir after two polls of the demo (so every file has a clean backup)."""
    assert desk("init").returncode == 0
    feeds = "feeds:\n" + "".join(f"  - url: {url}\n" for _, url in demo_server.feed_urls())
    (isolated_dirs / "config" / "feeds.yaml").write_text(feeds)
    for _ in range(2):
        assert desk("poll", "--once", "--all").returncode == 0
    return isolated_dirs / "data"


def test_an_unreadable_alerts_file_is_said_by_export_which_shows_the_backup(polled: Path) -> None:
    alerts = len(desk("export").stdout.splitlines())
    (polled / "alerts.json").write_text("{ torn")
    exported = desk("export")
    assert exported.returncode == 0
    assert "alerts.json is unreadable; showing its backup from" in exported.stderr
    assert len(exported.stdout.splitlines()) == alerts
    (polled / "alerts.json.bak").write_text("also torn")
    nothing = desk("export")
    assert "has no readable backup; it reads as empty" in nothing.stderr


def test_a_damaged_item_shard_is_restored_and_said_by_the_next_poll(polled: Path) -> None:
    (shard,) = (polled / "items").glob("20*.json")
    shard.write_text("garbage")
    (polled / "feeds.json").unlink()  # no ETags: the feeds' items are looked up again
    polled_again = desk("poll", "--once", "--all")
    assert polled_again.returncode == 0
    assert f"{shard} was unreadable" in polled_again.stderr
    assert "restored the backup" in polled_again.stderr
    assert list((polled / "items").glob("*.corrupt-*"))


def test_a_damaged_article_segment_is_said_once_and_the_alerts_keep_their_hits(
    polled: Path,
) -> None:
    for segment in (polled / "articles").glob("*.jsonl"):
        segment.write_bytes(b"\0" * segment.stat().st_size)
    store = TinyStore(polled, read_only=True)
    try:
        alerts = store.alerts()
        assert all(store.get_article(a.article_key) is None for a in alerts)
        lost = [note for note in store.recovered if "the bodies in it are lost" in note]
        assert 1 <= len(lost) <= len(list((polled / "articles").glob("*.jsonl")))
        assert all(a.hits and a.title for a in alerts)
        store.get_article(alerts[0].article_key)
        assert [n for n in store.recovered if "the bodies in it are lost" in n] == lost  # once
    finally:
        store.close()
