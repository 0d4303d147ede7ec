"""Ctrl-C as a terminal sends it: to desk and to every process it started, at any moment.

A terminal's Ctrl-C reaches the whole foreground process group, so the
extraction workers and their forkserver get it too, possibly while they are
still importing. Nothing may print a traceback over the analyst's terminal.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from desk.demo.server import DemoServer

DESK = [sys.executable, "-m", "desk"]
DELAYS = [0.45 + 0.075 * step for step in range(9)]
"""When Ctrl-C lands: from the feeds' fetch through the first worker's start."""


def test_ctrl_c_to_the_process_group_never_prints_a_traceback(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    config = tmp_path / "config"
    config.mkdir()
    feeds = "".join(f"  - url: {url}\n" for _, url in demo_server.feed_urls())
    (config / "feeds.yaml").write_text("feeds:\n" + feeds)
    for run, delay in enumerate(DELAYS):
        data = tmp_path / f"data{run}"
        desk = subprocess.Popen(
            [*DESK, "--config", str(config), "--data", str(data), "poll", "--once"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own group, as a shell gives a foreground job
        )
        try:
            time.sleep(delay)
            os.killpg(desk.pid, signal.SIGINT)
            _, errors = desk.communicate(timeout=30)
        finally:
            if desk.poll() is None:
                os.killpg(desk.pid, signal.SIGKILL)
                desk.wait()
        assert "Traceback" not in errors, f"Ctrl-C after {delay:.2f} s:\n{errors}"
        assert desk.returncode in (0, 130, -signal.SIGINT), errors
