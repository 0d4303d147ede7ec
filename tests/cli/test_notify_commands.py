"""`desk poll --once` with a notify command, and `desk feeds` showing a failing channel.

A real feed on 127.0.0.1; its titles carry shell metacharacters, which must
reach the command as text and run nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from desk.core.settings.config import shipped_watchlists_dir
from tests.served import Site, served_site

HOSTILE = (
    "Army deploys 120 troops to Narva $(touch pwned1) `touch pwned2`; touch pwned3 | touch pwned4"
)


def publish(site: Site, titles: list[str]) -> None:
    items = ""
    for n, title in enumerate(titles):
        page = (
            f"<html><head><title>x</title></head><body><article><h1>{title}</h1>"
            f"<p>The army has deployed troops to the border district {n}, officials said on Monday. "
            f"The soldiers were sent by road overnight.</p><p>{' '.join(['word'] * 80)}</p>"
            "</article></body></html>"
        )
        site.put(f"/a/{n}.html", page)
        title_xml = title.replace("&", "&amp;").replace("<", "&lt;")
        items += f"<item><title>{title_xml}</title><link>{{{{BASE}}}}/a/{n}.html</link><guid>s{n}</guid></item>"
    site.put("/feed.xml", f"<rss version='2.0'><channel><title>W</title>{items}</channel></rss>")


def desk(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "desk", "--config", str(root / "config")]
    command += ["--data", str(root / "data"), "--watchlists", str(shipped_watchlists_dir()), *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=root, timeout=120)


def settings(root: Path, command: str) -> None:
    text = json.dumps(command)  # a YAML double-quoted string
    (root / "config" / "settings.yaml").write_text(
        f"notify:\n  command: {text}\n  min_severity: info\n"
    )


def test_a_failing_command_is_said_shown_in_feeds_and_retried(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    out = tmp_path / "titles.txt"
    with served_site() as site:
        (tmp_path / "config" / "feeds.yaml").write_text(f"feeds:\n  - url: {site.base}/feed.xml\n")
        publish(site, [HOSTILE, "Army deploys 300 troops to Tartu"])
        settings(tmp_path, "echo 'cannot reach the display' >&2; exit 3")
        first = desk(tmp_path, "poll", "--once")
        assert first.returncode == 0, first.stderr
        assert (
            "[x] notify: the command exited with status 3: cannot reach the display; "
            "2 alerts wait for the next cycle"
        ) in first.stderr.splitlines()
        feeds = desk(tmp_path, "feeds").stdout.splitlines()
        channel = [line for line in feeds if line.startswith("(notify)")]
        assert len(channel) == 1 and "failing" in channel[0]
        assert "exited with status 3" in channel[0]

        settings(tmp_path, f'printf "%s\\n" "$DESK_TITLE" >> {out}; echo $DESK_TITLE >> {out}')
        second = desk(tmp_path, "poll", "--once")
        assert "[ok] notify: 2 alerts sent" in second.stderr.splitlines(), second.stderr
        assert desk(tmp_path, "poll", "--once").stderr.count("notify") == 0  # nothing owed
        feeds = desk(tmp_path, "feeds").stdout.splitlines()
        assert [line.split()[:2] for line in feeds if line.startswith("(notify)")] == [
            ["(notify)", "ok"]
        ]
    titles = out.read_text().splitlines()
    assert sorted(set(titles)) == sorted({HOSTILE, "Army deploys 300 troops to Tartu"})
    assert len(titles) == 4
    assert list(tmp_path.rglob("pwned*")) == []


def test_desk_poll_left_running_notifies_and_keeps_the_last_good_notify_block(
    tmp_path: Path,
) -> None:
    """A broken `notify:` edit is one line on stderr; the command in force goes on notifying."""
    import signal

    from tests.cli.test_poll_continuous import RunningDesk

    (tmp_path / "config").mkdir()
    out = tmp_path / "titles.txt"
    with served_site() as site:
        (tmp_path / "config" / "feeds.yaml").write_text(
            f"feeds:\n  - {{url: '{site.base}/feed.xml', interval: 1s}}\n"
        )
        publish(site, ["Army deploys 120 troops to Narva"])
        settings(tmp_path, f'printf "%s\\n" "$DESK_TITLE" >> {out}')
        shipped = str(shipped_watchlists_dir())
        poll = RunningDesk(tmp_path / "config", tmp_path / "data", "--watchlists", shipped)
        try:
            poll.wait_for("stderr", "[ok] notify: 1 alert sent")
            (tmp_path / "config" / "settings.yaml").write_text("notify:\n  min_severity: high\n")
            said = poll.wait_for("stderr", "notify: needs 'command:'")
            assert said.endswith("the last good version stays in force"), said
            publish(site, ["Army deploys 120 troops to Narva", "Army deploys 300 troops to Tartu"])
            poll.wait_for("stderr", "[ok] notify: 1 alert sent")
            poll.assert_running()
            assert poll.stop(signal.SIGTERM) == 0
        finally:
            poll.kill()
    assert out.read_text().splitlines() == [
        "Army deploys 120 troops to Narva",
        "Army deploys 300 troops to Tartu",
    ]
