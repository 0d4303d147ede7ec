"""Hot reload of the watchlist folder: debounce, last good versions, added and removed files."""

from __future__ import annotations

import os
from pathlib import Path

from desk.core.match.reload import DEBOUNCE_SECONDS, LiveWatchlists


def write(folder: Path, name: str, text: str, tick: int) -> None:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(tick * 1_000_000_000, tick * 1_000_000_000))  # a distinct mtime


def settle(live: LiveWatchlists, start: float) -> object:
    """Poll as a UI timer would until the debounce lets the change through."""
    assert live.poll(start) is None  # the change is seen, not yet applied
    return live.poll(start + DEBOUNCE_SECONDS + 0.01)


def test_edit_add_remove_and_a_broken_file(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "terms: [missile]\n", 1)
    live = LiveWatchlists(tmp_path)
    first = live.load()
    assert [w.id for w in first.watchlists] == ["a"] and first.changed == ("a",)
    assert live.poll(10.0) is None  # nothing changed

    write(tmp_path, "a.yaml", "terms: [missile, warhead]\n", 2)
    write(tmp_path, "b.yml", "terms: [troops]\n", 2)
    edited = settle(live, 20.0)
    assert sorted(edited.changed) == ["a", "b"]
    assert len(live.current["a"].terms) == 2

    write(tmp_path, "a.yaml", "terms: missile\n", 3)  # broken: a string, not a list
    broken = settle(live, 30.0)
    assert broken.changed == ()
    assert len(live.current["a"].terms) == 2  # the last good version stays
    assert "a.yaml:1:8" in str(broken.errors[0])

    (tmp_path / "b.yml").unlink()
    gone = settle(live, 40.0)
    assert gone.removed == ("b",) and [w.id for w in gone.watchlists] == ["a"]

    write(tmp_path, "a.yaml", "terms: [missile, warhead, heat shield]\n", 4)
    fixed = settle(live, 50.0)
    assert fixed.changed == ("a",) and fixed.errors == ()


def test_a_file_saved_in_steps_is_read_once_it_is_still(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "terms: [missile]\n", 1)
    live = LiveWatchlists(tmp_path)
    live.load()
    write(tmp_path, "a.yaml", "terms: [mis", 2)  # half-saved
    assert live.poll(1.0) is None
    write(tmp_path, "a.yaml", "terms: [missile, rocket]\n", 3)  # finished before the debounce
    assert live.poll(1.0 + DEBOUNCE_SECONDS / 2) is None  # changed again: the wait restarts
    done = live.poll(1.0 + DEBOUNCE_SECONDS * 2)
    assert done is not None and done.errors == () and done.changed == ("a",)


def test_a_removed_broken_file_is_forgotten_and_a_new_broken_file_has_no_last_version(
    tmp_path: Path,
) -> None:
    live = LiveWatchlists(tmp_path)
    live.load()
    write(tmp_path, "new.yaml", "terms: lockbit\n", 1)
    broken = settle(live, 1.0)
    assert broken.failed == ("new",) and "new" not in live.current
    write(tmp_path, "other.yaml", "terms: [missile]\n", 2)
    later = settle(live, 10.0)
    assert later.failed == () and len(later.errors) == 1  # reported once, still listed
    (tmp_path / "new.yaml").unlink()
    gone = settle(live, 20.0)
    assert gone.errors == () and gone.failed == ()


def test_an_edited_examples_file_reloads_the_watchlists_that_read_it(tmp_path: Path) -> None:
    voting = "terms: [missile]\nsemantic:\n  examples: examples.jsonl\n"
    line = '{"text": "Two brigades were sent to the frontier.", "labels": {"a": 2}}\n'
    write(tmp_path, "examples.jsonl", line, 1)
    write(tmp_path, "a.yaml", voting, 1)
    write(tmp_path, "b.yaml", "terms: [troops]\n", 1)
    live = LiveWatchlists(tmp_path)
    live.load()
    first = live.current["a"]

    write(tmp_path, "examples.jsonl", line * 2, 2)
    edited = settle(live, 10.0)
    assert edited.changed == ("a",) and edited.errors == ()  # b reads no examples
    assert live.current["a"] != first
    assert live.current["a"].semantic is not None
    assert len(live.current["a"].semantic.examples.texts) == 2

    write(tmp_path, "examples.jsonl", line + "{oops\n", 3)
    broken = settle(live, 20.0)
    assert broken.changed == () and len(broken.errors) == 1
    assert "examples.jsonl:2:1: not a JSON object (the examples of a.yaml)" in str(broken.errors[0])
    assert live.current["a"].semantic is not None
    assert len(live.current["a"].semantic.examples.texts) == 2  # the last good version stays


def test_a_removed_examples_file_is_said_and_the_last_good_version_stays(tmp_path: Path) -> None:
    line = '{"text": "Two brigades were sent to the frontier.", "labels": {"a": 2}}\n'
    write(tmp_path, "examples.jsonl", line, 1)
    write(tmp_path, "a.yaml", "terms: [missile]\nsemantic:\n  examples: examples.jsonl\n", 1)
    live = LiveWatchlists(tmp_path)
    live.load()
    (tmp_path / "examples.jsonl").unlink()
    gone = settle(live, 10.0)
    assert gone.changed == () and len(gone.errors) == 1
    assert "cannot read the examples" in str(gone.errors[0])
    assert live.current["a"].semantic is not None  # the last good version stays in force
