"""Shared fixtures: isolated config and data dirs, the demo server, the shared corpus."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from desk.demo.server import DemoServer

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point desk at empty temp dirs, with no proxy, so a developer's own setup never leaks in."""
    monkeypatch.setenv("DESK_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("DESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):  # loopback only
        monkeypatch.delenv(proxy, raising=False)
        monkeypatch.delenv(proxy.lower(), raising=False)
    return tmp_path


@pytest.fixture
def demo_server() -> Iterator[DemoServer]:
    """The demo content served on 127.0.0.1."""
    with DemoServer() as server:
        yield server


@pytest.fixture
def shared_dir() -> Path:
    """../shared beside the project; tests that need it skip when it is absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not beside this checkout")
    return SHARED
