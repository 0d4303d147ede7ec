"""desk/core must run without the UI: no core module may load textual."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import desk.core


def core_modules() -> list[str]:
    """Every module in desk.core, its stage folders included."""
    return [m.name for m in pkgutil.walk_packages(desk.core.__path__, "desk.core.")]


def test_there_are_core_modules_to_check() -> None:
    assert {"desk.core.pipeline", "desk.core.match.matcher", "desk.core.store.contract"} <= set(
        core_modules()
    )


def test_no_core_module_imports_textual() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {core_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "    assert 'textual' not in sys.modules, name\n"
        "print('clean')\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "clean"
