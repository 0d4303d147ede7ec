"""Running the analyst's notify command: by the shell, in its own process group, with a deadline.

The command line is the analyst's own (settings.yaml) and is the only code
the shell runs; the alert comes in on stdin (a file) and in DESK_*
variables. A small wrapper shell runs it and writes its exit status to a
file once it ends, so that a desk killed while the command ran learns on
its next start whether it finished: the command is not run twice, nor
skipped. A run past its deadline is killed with its whole process group.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from desk.core.notify.outbox import MESSAGE_CHARS
from desk.core.safetext import safe_line

WRAPPER = 'sh -c "$1"; status=$?; echo "$status" > "$2.part" && mv -f "$2.part" "$2"'
"""Runs the command ($1) and leaves its exit status in the file $2, whole or not at all."""
WATCH_STEP = 0.05
"""Seconds between looks at a run started by an earlier desk."""


@dataclass(frozen=True)
class RunFiles:
    """The files of one run, in the channel's folder: its stdin, exit status and stderr."""

    folder: Path
    token: str

    @property
    def stdin(self) -> Path:
        """The JSON the command reads."""
        return self.folder / f"{self.token}.json"

    @property
    def status(self) -> Path:
        """The wrapper writes the command's exit status here when it ends."""
        return self.folder / f"{self.token}.status"

    @property
    def errors(self) -> Path:
        """The command's stderr (its last line explains a failure)."""
        return self.folder / f"{self.token}.err"

    def remove(self) -> None:
        """Delete the run's files once its outcome is kept."""
        for path in (
            self.stdin,
            self.status,
            self.errors,
            self.status.with_name(f"{self.token}.status.part"),
        ):
            path.unlink(missing_ok=True)


def start_run(
    command: str, body: bytes, values: Mapping[str, str], files: RunFiles
) -> subprocess.Popen[bytes]:
    """Start `command` under `sh -c` in a new session, `body` on its stdin, `values` added to its environment."""
    files.folder.mkdir(parents=True, exist_ok=True)
    files.stdin.write_bytes(body)
    environment = {**os.environ, **values}
    with open(files.stdin, "rb") as stdin, open(files.errors, "wb") as stderr:
        return subprocess.Popen(
            ["/bin/sh", "-c", WRAPPER, "desk-notify", command, str(files.status)],
            stdin=stdin,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env=environment,
            start_new_session=True,
            close_fds=True,
        )


def finish_run(run: subprocess.Popen[bytes], files: RunFiles, timeout: float) -> str:
    """Wait for a run this desk started, up to `timeout` seconds; "" when it succeeded, else why not."""
    try:
        run.wait(timeout=max(timeout, 0.0))
    except subprocess.TimeoutExpired:
        stop_group(run.pid)
        run.wait()
        return f"took longer than {timeout:g} s and was stopped"
    return outcome_of(files)


def finish_orphan(pid: int | None, files: RunFiles, deadline: float) -> str | None:
    """What came of a run an earlier desk started and did not see end ("" for success).

    Waits for it until `deadline` (POSIX seconds: its start plus the timeout),
    then stops it. None when nothing says what became of it (it never
    started, or the wrapper itself was killed): the alerts are sent again.
    """
    pid = pid if pid is not None else find_run(files)
    while not files.status.exists() and time.time() < deadline and _still_running(pid, files):
        time.sleep(WATCH_STEP)
    if not files.status.exists() and _still_running(pid, files):
        stop_group(pid)
        return "was still running when its time was up, and was stopped"
    if not files.status.exists():
        return None
    return outcome_of(files)


def outcome_of(files: RunFiles) -> str:
    """ "" when the status file says the command exited 0; else what went wrong, in one line."""
    try:
        status = int(files.status.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return "ended without saying how (was it killed?)"
    if status == 0:
        return ""
    said = _last_line(files.errors)
    return f"exited with status {status}" + (f": {said}" if said else "")


def stop_group(pid: int | None) -> None:
    """Kill a run's whole process group (its shell and whatever it started)."""
    if pid is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def find_run(files: RunFiles) -> int | None:
    """The process id of the wrapper running these files, if one is (desk died before noting it)."""
    for entry in Path("/proc").glob("[0-9]*"):
        if entry.name.isdigit() and _still_running(int(entry.name), files):
            return int(entry.name)
    return None


def _still_running(pid: int | None, files: RunFiles) -> bool:
    """Whether `pid` is still this run's wrapper: its command line names the run's status file.

    A process id can be reused (after a reboot): one that runs something
    else is never waited for, nor killed.
    """
    if pid is None:
        return False
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return os.fsencode(str(files.status)) in argv


def _last_line(path: Path) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, path.stat().st_size - 4096))
            tail = handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
    lines = [line for line in tail.splitlines() if line.strip()]
    return safe_line(lines[-1])[:MESSAGE_CHARS] if lines else ""
