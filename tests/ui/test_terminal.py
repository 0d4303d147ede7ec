"""The desk quits when its terminal goes away (a closed window, a killed tmux session).

A real pseudo-terminal and a real child process in a session of its own.
"""

from __future__ import annotations

import fcntl
import io
import os
import select
import struct
import subprocess
import sys
import termios
import threading
import time
from contextlib import suppress
from pathlib import Path

from desk.ui.app import _remove_folder, terminal_gone

HANG_UP_CHILD = """
import os, signal, sys, time
from desk.ui.app import terminal_gone
signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under `make run`: no hang-up signal comes
terminal = open(os.ttyname(0), "rb", buffering=0)  # a new session's first tty: its controlling one
print(terminal_gone(terminal), flush=True)
until = time.monotonic() + 20
while not terminal_gone(terminal) and time.monotonic() < until:
    time.sleep(0.05)
print(terminal_gone(terminal), flush=True)
"""


def test_a_terminal_hung_up_is_seen_as_gone() -> None:
    """What the desk checks each second: a closed window (here, the pty's other end closed)
    leaves no terminal, and the desk quits instead of spinning on its input's end of file."""
    master, slave = os.openpty()
    child = subprocess.Popen(
        [sys.executable, "-c", HANG_UP_CHILD],
        stdin=slave,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    os.close(slave)
    assert child.stdout is not None
    try:
        assert child.stdout.readline().strip() == "False"  # a live terminal is there
        os.close(master)  # the window closes
        assert child.stdout.readline().strip() == "True"
    finally:
        child.kill()
        child.wait()
    assert not terminal_gone(io.StringIO())  # no terminal at all: none hung up (not watched)


def test_the_desk_quits_when_its_window_closes_and_no_hang_up_comes(tmp_path: Path) -> None:
    """The desk itself in a terminal whose hang-up signal never reaches it (under `make run`,
    make holds the session): once the window closes, it ends within seconds."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    child = subprocess.Popen(
        [sys.executable, "-c", DESK_IN_ITS_OWN_SESSION],
        stdin=slave,
        stdout=slave,
        stderr=slave,  # where Textual draws
        start_new_session=True,
        env={**os.environ, "TERM": "xterm-256color", "TMPDIR": str(tmp_path)},  # its demo folder
    )
    os.close(slave)
    try:
        drawn = _read_until(master, b"Severity", seconds=60)
        assert b"Severity" in drawn, drawn[-300:]  # the alert list is up: the TUI runs
        assert list(tmp_path.glob("desk-demo-*"))  # the demo's folder, while it runs
        os.close(master)  # the window closes
        child.wait(timeout=15)  # before the fix it spun a core, never ending
        assert not list(tmp_path.glob("desk-demo-*"))  # and its folder went with it
    finally:
        child.kill()
        child.wait()


def test_the_demo_folder_goes_even_while_something_still_writes_into_it(tmp_path: Path) -> None:
    """A poll that did not stop within the grace period still writes the store as the folder is
    removed (once, in CI, the folder stayed behind): it is removed again until it is gone."""
    folder = tmp_path / "desk-demo-x"
    (folder / "data").mkdir(parents=True)
    stop = time.monotonic() + 0.3

    def keep_writing() -> None:  # as a store does: files into its folder, while it is there
        n = 0
        while time.monotonic() < stop:
            with suppress(OSError):  # the folder gone under it
                (folder / "data" / f"segment-{n}").write_bytes(b"x")
            n += 1

    writer = threading.Thread(target=keep_writing)
    writer.start()
    time.sleep(0.05)  # it is writing
    _remove_folder(folder, seconds=2.0)
    writer.join()
    assert not folder.exists()


DESK_IN_ITS_OWN_SESSION = """
import os, signal, sys
signal.signal(signal.SIGHUP, signal.SIG_IGN)  # what `make run` leaves it: no hang-up signal
os.close(os.open(os.ttyname(0), os.O_RDWR))  # the session's controlling terminal
from desk.cli.main import main
sys.exit(main(["demo"]))  # its config and data in a temporary folder
"""


def _read_until(master: int, wanted: bytes, seconds: float) -> bytes:
    """What the child drew on the terminal until `wanted` showed (or time ran out)."""
    drawn, until = b"", time.monotonic() + seconds
    while wanted not in drawn and time.monotonic() < until:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                drawn += os.read(master, 65536)
            except OSError:
                break
    return drawn
