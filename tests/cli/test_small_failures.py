"""Small failures, each one clear line: deep or huge OPML, odd entries in the watchlist folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def desk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desk", *args], capture_output=True, text=True, timeout=120
    )


def one_line(run: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, run.stderr
    return lines[0]


def opml(body: str, path: Path) -> Path:
    path.write_text(f'<?xml version="1.0"?><opml version="2.0"><head/><body>{body}</body></opml>')
    return path


def test_an_opml_nested_a_hundred_thousand_deep_is_one_line(isolated_dirs: Path) -> None:
    deep = opml(
        '<outline text="f">' * 100_000 + "</outline>" * 100_000, isolated_dirs / "deep.opml"
    )
    run = desk("feeds", "import", str(deep))
    assert run.returncode == 2
    assert one_line(run).endswith("deep.opml: outlines nested more than 50 folders deep")


def test_an_opml_too_big_for_feeds_yaml_names_the_real_cause(isolated_dirs: Path) -> None:
    assert desk("init").returncode == 0
    before = (isolated_dirs / "config" / "feeds.yaml").read_text()
    outlines = "".join(
        f'<outline text="F{n}" xmlUrl="https://e{n}.example/rss"/>' for n in range(60_000)
    )
    run = desk("feeds", "import", str(opml(outlines, isolated_dirs / "wide.opml")))
    assert run.returncode == 2
    line = one_line(run)
    assert "would not load (file is" in line and "the limit is" in line and "unchanged" in line
    assert (isolated_dirs / "config" / "feeds.yaml").read_text() == before


def test_a_fifo_and_a_looping_link_in_the_watchlists_are_said(isolated_dirs: Path) -> None:
    assert desk("init").returncode == 0
    folder = isolated_dirs / "config" / "watchlists"
    os.mkfifo(folder / "fifo.yaml")
    (folder / "loop.yaml").symlink_to(folder / "loop.yaml")
    run = desk("check")  # returns: a FIFO opened for reading would block for ever
    assert run.returncode == 1
    assert "fifo.yaml: not a regular file; skipped" in run.stderr
    assert "loop.yaml: a symbolic link that leads nowhere; skipped" in run.stderr
    assert "ok  watchlist troop-deployment" in run.stdout
