"""`desk`'s entry point: parse the command line, run the command, end any error in one line.

Each command family's module is imported only when its command runs, inside
the error handling below: `desk --help` stays quick, and a Ctrl-C that lands
while a command's modules are still loading ends as quietly (exit 130) as
one during its work.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable
from importlib import import_module

from desk.cli.parser import EXIT_BAD_INPUT, EXIT_OK, build_parser
from desk.core.errors import DeskError
from desk.core.safetext import safe_line

COMMANDS = {
    "": "start:run_tui",
    "demo": "start:run_demo",
    "init": "start:run_init",
    "poll": "poll:run_poll",
    "feeds": "feeds:run_feeds",
    "match": "check:run_match",
    "extract": "check:run_extract",
    "check": "check:run_check",
    "test": "backtest:run_test",
    "export": "export:run_export",
}
"""Each command (the empty one is the TUI) and its handler, as module:function in desk.cli."""


def main(argv: list[str] | None = None) -> int:
    """Run desk; the exit status is 0, 1 (problems found), 2 (bad input) or 130 (Ctrl-C)."""
    args = build_parser().parse_args(argv)
    try:
        return handler_of(args.command or "")(args)
    except DeskError as exc:
        print(f"desk: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `desk export | head`: the reader has had enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except OSError as exc:  # a folder that is a file, a read-only place: one line, not a trace
        print(f"desk: {os_error_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    finally:
        if argv is None:  # desk as a program, not main() called from Python
            _leave_at_once_on_ctrl_c()


def os_error_line(exc: OSError) -> str:
    """'/etc/passwd/config: Not a directory': the file the system named, and why."""
    place = exc.filename if exc.filename is not None else ""
    reason = exc.strerror or str(exc)
    return safe_line(f"{place}: {reason}" if place else reason)


def _leave_at_once_on_ctrl_c() -> None:
    """Once the command is done, a Ctrl-C ends desk at once (130), its output flushed.

    Only the interpreter's teardown is left then, and a KeyboardInterrupt
    raised inside a library's finaliser there is printed as a traceback.
    """
    if threading.current_thread() is not threading.main_thread():
        return

    def leave(signum: int, frame: object) -> None:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(130)

    signal.signal(signal.SIGINT, leave)


def handler_of(command: str) -> Callable[[argparse.Namespace], int]:
    """The function that runs `command`, its module imported now."""
    module, function = COMMANDS[command].split(":")
    handler: Callable[[argparse.Namespace], int] = getattr(
        import_module(f"desk.cli.{module}"), function
    )
    return handler
