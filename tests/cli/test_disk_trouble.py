"""A full disk or a read-only data folder: one clear line, the last good store kept, no loss.

The full disk is a real failing write: the child runs with a file-size
limit (RLIMIT_FSIZE, SIGXFSZ ignored), so its store writes fail with EFBIG
as they would on a full disk. The read-only folder is a small tmpfs mounted
read-only, where the machine lets the test mount one.
"""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from desk.demo.server import DemoServer


def desk(*args: str, file_limit: int | None = None) -> subprocess.CompletedProcess[str]:
    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

    return subprocess.run(
        [sys.executable, "-m", "desk", *args],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limited if file_limit else None,
    )


def temp_files(data: Path) -> list[Path]:
    return [p for p in data.rglob("*") if ".tmp-" in p.name]


@pytest.fixture
def config(isolated_dirs: Path, demo_server: DemoServer) -> Path:
    assert desk("init").returncode == 0
    feeds = "feeds:\n" + "".join(f"  - url: {url}\n" for _, url in demo_server.feed_urls())
    (isolated_dirs / "config" / "feeds.yaml").write_text(feeds)
    return isolated_dirs / "config"


def test_a_full_disk_is_one_line_and_the_next_run_delivers_everything(
    config: Path, isolated_dirs: Path
) -> None:
    data = isolated_dirs / "data"
    full = desk("poll", "--once", "--json", file_limit=30_000)
    lines = [line for line in full.stderr.splitlines() if line.startswith("desk:")]
    assert full.returncode == 2, full.stderr
    assert "Traceback" not in full.stderr
    assert len(lines) == 1 and "the disk is full" in lines[0] and "nothing was lost" in lines[0]
    assert temp_files(data) == []
    first = [json.loads(line)["id"] for line in full.stdout.splitlines()]

    again = desk("poll", "--once", "--json")
    assert again.returncode == 0, again.stderr
    second = [json.loads(line)["id"] for line in again.stdout.splitlines()]
    assert second, "the alerts held back by the full disk arrive once space returns"
    assert len(first + second) == len(set(first + second))
    exported = desk("export")
    assert sorted(json.loads(line)["id"] for line in exported.stdout.splitlines()) == sorted(
        first + second
    )


def test_unfinished_writes_of_a_killed_run_are_removed_at_open(
    config: Path, isolated_dirs: Path
) -> None:
    data = isolated_dirs / "data"
    assert desk("poll", "--once").returncode == 0
    (data / ".alerts.json.tmp-99999").write_bytes(b"half")
    (data / "articles" / ".x.jsonl.tmp-99998").write_bytes(b"half")
    again = desk("poll", "--once")
    assert again.returncode == 0
    assert "removed 2 unfinished writes a killed desk left" in again.stderr
    assert temp_files(data) == []


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "ro"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    try:
        (mount / "data").mkdir()
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        yield mount / "data"
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_a_read_only_data_folder_is_one_line(config: Path, read_only_dir: Path) -> None:
    run = desk("--data", str(read_only_dir), "poll", "--once")
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    (line,) = [line for line in run.stderr.splitlines() if line.strip()]
    assert "read-only file system" in line and "--data" in line


def test_a_cycle_failed_by_a_full_disk_still_says_its_blind_spots(
    config: Path, isolated_dirs: Path
) -> None:
    """`desk poll --once` skipped blind spots and surges after a failed cycle; continuous polling did not."""
    from datetime import timedelta

    from desk.core.models import FeedState
    from desk.core.pipeline import utc_now
    from desk.core.store.tinystore import TinyStore

    gone = "http://127.0.0.1:9/gone.xml"
    with (config / "feeds.yaml").open("a") as feeds:
        feeds.write(f"  - {{url: '{gone}', name: Gone Wire}}\n")
    now = utc_now()
    store = TinyStore(isolated_dirs / "data")
    failing = FeedState(
        gone,
        status=404,
        error="HTTP 404 Not Found",
        failures=9,
        failing_since=now - timedelta(days=3),
        next_due=now + timedelta(hours=1),  # not polled by this run: its state stays
    )
    store.commit_cycle([], {}, [], [failing])
    store.close()
    full = desk("poll", "--once", "--json", file_limit=30_000)
    assert full.returncode == 2 and "the disk is full" in full.stderr, full.stderr
    blind = [line for line in full.stderr.splitlines() if "blind spot" in line]
    assert blind == ["desk: blind spot: Gone Wire: failing for 3 d (HTTP 404 Not Found)"], (
        full.stderr
    )
