"""`desk demo --chaos --once`: the demo beside hostile feeds and pages, one headless cycle.

The good alerts arrive (the demo's, and those the hostile feed's items must
raise from their feed text when their pages misbehave), every hostile feed
is reported failing in words, and neither output stream carries a control
character or what is left of an escape sequence.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import pytest

from desk.demo.chaos import CHAOS_FEEDS, HOSTILE_ITEMS, MARKUP, Newsroom, newsroom_story
from desk.demo.server import demo_manifest
from tests.hostile_text import payload_residue, unsafe_bytes_in, unsafe_in

FEED_LINE = re.compile(r"^\[(ok|x)\] (.*?): (.*)$")


def chaos_once(*extra: str) -> subprocess.CompletedProcess[bytes]:
    """`desk demo --chaos --once EXTRA` as raw bytes, as a terminal or a pipe gets them."""
    done = subprocess.run(
        [sys.executable, "-m", "desk", "demo", "--chaos", "--once", *extra],
        capture_output=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr.decode()
    return done


@pytest.fixture(scope="module")
def json_run() -> subprocess.CompletedProcess[bytes]:
    return chaos_once("--json")


@pytest.fixture(scope="module")
def alerts(json_run: subprocess.CompletedProcess[bytes]) -> dict[str, dict[str, Any]]:
    """The alerts by page name (the URL's last part without .html)."""
    found = [json.loads(line) for line in json_run.stdout.splitlines()]
    return {a["url"].rsplit("/", 1)[-1].removesuffix(".html"): a for a in found}


def feed_lines(stderr: bytes) -> dict[str, tuple[str, str]]:
    """The per-feed summary: the chaos feeds by file name, the others by name -> (mark, words)."""
    lines = {}
    for line in stderr.decode().splitlines():
        if found := FEED_LINE.match(line):
            mark, name, words = found.groups()
            lines[name.rsplit("/chaos/feeds/", 1)[-1]] = (mark, words)
    return lines


def test_the_demo_alerts_arrive_and_no_near_miss_fires(alerts: dict[str, dict[str, Any]]) -> None:
    for slug, expected in demo_manifest().items():
        if expected["kind"] == "positive":
            assert set(expected["expect"]) <= set(alerts[slug]["watchlists"]), slug
        elif not expected["expect"]:
            assert slug not in alerts, slug


def test_hostile_items_alert_from_their_feed_text_whatever_their_page_did(
    alerts: dict[str, dict[str, Any]],
) -> None:
    for item in HOSTILE_ITEMS:
        if item.expect:
            assert alerts[item.slug]["watchlists"] == list(item.expect), item.slug
            shown = " ".join(alerts[item.slug]["title"].replace(MARKUP, " ").split())
            assert shown == item.title  # the escapes gone whole, the markup kept as text
        else:
            assert item.slug not in alerts, item.slug


def test_the_newsroom_stories_of_the_cycle_alert(alerts: dict[str, dict[str, Any]]) -> None:
    stories = [newsroom_story(n) for n in range(Newsroom().per_request)]  # one request's
    for story in stories:
        if story.expect:
            assert alerts[str(story.number)]["watchlists"] == list(story.expect)
        else:
            assert str(story.number) not in alerts


def test_every_hostile_feed_is_reported_failing_in_words(
    json_run: subprocess.CompletedProcess[bytes],
) -> None:
    lines = feed_lines(json_run.stderr)
    for name, (_, words) in CHAOS_FEEDS.items():
        if words:
            mark, said = lines[name]
            assert mark == "x" and "failed: " in said and words in said, (name, said)
    readable = sum(1 for _, words in CHAOS_FEEDS.values() if not words)
    oks = sum(1 for line in json_run.stderr.decode().splitlines() if line.startswith("[ok] "))
    assert oks == 3 + readable + 1  # the demo's, the readable chaos feeds, the newsroom


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "text"])
def test_no_escape_sequence_reaches_either_stream(
    json_run: subprocess.CompletedProcess[bytes], as_json: bool
) -> None:
    done = json_run if as_json else chaos_once()
    assert b"Traceback" not in done.stderr
    for stream in (done.stdout, done.stderr):
        assert unsafe_bytes_in(stream) == [], stream[:2000]
        assert payload_residue(stream.decode()) == []
        assert b"52;" not in stream and b"ZWNobyBwd25lZA" not in stream  # the clipboard write
    assert MARKUP.encode() in done.stdout  # the markup is kept, as the plain text it is


def test_hostile_json_values_are_safe(json_run: subprocess.CompletedProcess[bytes]) -> None:
    for line in json_run.stdout.splitlines():
        alert = json.loads(line)
        for value in (alert["title"], *(h["text"] for h in alert["hits"])):
            assert unsafe_in(value) == [], value
