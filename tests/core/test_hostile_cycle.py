"""A whole poll cycle against a hostile loopback server: it ends, the good feeds arrive,
every bad feed's health says in words what happened, and memory stays bounded."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.hostile import ROUTES, hostile_server

DEADLINE = 4.0
ROOT = Path(__file__).resolve().parents[2]

# What the feed's health must say, in words, for each misdeed.
EXPECTED_ERRORS = {
    "/trickle": "no complete answer within 4 s",
    "/endless": "body larger than 10,000,000 bytes",
    "/bomb": "body larger than 10,000,000 bytes",
    "/bomb2": "body larger than 10,000,000 bytes",
    "/loop": "more than 5 redirects",
    "/to-file": "refused to follow a file: URL",
    "/to-ftp": "refused to follow a ftp: URL",
    "/busy": "HTTP 429",
    "/busy-date": "HTTP 503",
    "/busy-garbage": "HTTP 503",
    "/busy-negative": "HTTP 429",
    "/busy-huge": "HTTP 429",
    "/error": "HTTP 500",
    "/reset": "connection",
    "/truncated": "connection broken mid-answer",
    "/entities": "declares entities",
    "/html": "not a feed",
    "/empty": "not a feed",
    "/deep-json": "nested too deeply",
}
GOOD = ["/good", "/moved", "/temp", "/wrong-charset", "/unknown-charset"]


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    with hostile_server() as base:
        urls = [base + path for path in ROUTES]
        run = subprocess.run(
            [sys.executable, "-m", "tests.cycle_child", str(DEADLINE), *urls],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )
        assert run.returncode == 0, run.stderr
        data = json.loads(run.stdout)
        data["feeds"] = {url.removeprefix(base): state for url, state in data["feeds"].items()}
        return data


def test_every_route_is_covered() -> None:
    assert set(EXPECTED_ERRORS) | set(GOOD) == set(ROUTES)


def test_the_cycle_ends_within_the_deadline_and_memory_stays_bounded(
    report: dict[str, Any],
) -> None:
    assert report["seconds"] < DEADLINE + 3
    assert report["peak_mb"] < 200


@pytest.mark.parametrize("path", GOOD)
def test_good_feeds_arrive(report: dict[str, Any], path: str) -> None:
    state = report["feeds"][path]
    assert state["error"] == "" and state["items"] >= 1 and state["failures"] == 0


@pytest.mark.parametrize("path", sorted(EXPECTED_ERRORS))
def test_bad_feeds_say_what_happened(report: dict[str, Any], path: str) -> None:
    state = report["feeds"][path]
    assert EXPECTED_ERRORS[path] in state["error"], state
    assert state["failures"] == 1 and state["items"] == 0


@pytest.mark.parametrize(
    ("path", "wait"),
    [("/busy", 120), ("/busy-garbage", 60), ("/busy-negative", 60), ("/busy-huge", 6 * 3600)],
)
def test_retry_after_sets_the_next_poll(report: dict[str, Any], path: str, wait: float) -> None:
    state = report["feeds"][path]
    delay = (
        datetime.fromisoformat(state["next_due"]) - datetime.fromisoformat(state["last_attempt"])
    ).total_seconds()
    assert delay >= wait * 0.999 or delay >= 900  # never sooner than Retry-After or the interval
    assert delay <= 24 * 3600
