"""The headless commands as a user runs them: real processes, real files, real loopback HTTP."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from desk.demo.server import DemoServer, demo_manifest

WATCHLISTS = {"troop-deployment", "technology-transfer", "icbm-reentry"}


def desk(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m desk` with the test's isolated environment."""
    return subprocess.run(
        [sys.executable, "-m", "desk", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
    )


def one_line_error(run: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, run.stderr
    return lines[0]


def test_help_teaches_the_commands() -> None:
    run = desk("--help")
    assert run.returncode == 0
    for command in ("demo", "init", "poll", "feeds", "match", "extract", "check", "export"):
        assert command in run.stdout
    assert "desk demo" in run.stdout
    for command in ("poll", "match", "extract", "check", "export", "demo"):
        assert desk(command, "--help").returncode == 0


def test_demo_once_json_alerts_on_each_watchlist_and_never_on_near_misses() -> None:
    run = desk("demo", "--once", "--json")
    assert run.returncode == 0, run.stderr
    alerts = [json.loads(line) for line in run.stdout.splitlines()]
    fired = {w for alert in alerts for w in alert["watchlists"]}
    assert fired == WATCHLISTS
    quiet = {s for s, e in demo_manifest().items() if not e["expect"]}
    assert quiet and not any(
        a["url"].rsplit("/", 1)[-1].removesuffix(".html") in quiet for a in alerts
    )
    for alert in alerts:
        assert {"id", "state", "title", "url", "sources", "published", "watchlists"} <= alert.keys()
        assert {"severity", "score", "hits"} <= alert.keys()
        assert {"watchlist", "term", "text", "start", "end", "score"} <= alert["hits"][0].keys()
    assert run.stderr.count("[ok]") == 3


def test_match_json_on_the_seed(shared_dir: Path) -> None:
    seed = shared_dir / "seed" / "scraped-article.txt"
    run = desk("match", str(seed), "--json")
    assert run.returncode == 0, run.stderr
    (result,) = [json.loads(line) for line in run.stdout.splitlines()]
    assert result["file"] == str(seed)
    assert set(result["watchlists"]) == WATCHLISTS
    assert all(hit["end"] > hit["start"] for hit in result["hits"])
    evidence = {e["watchlist"]: e for e in result["evidence"]}
    assert set(evidence) == WATCHLISTS
    for each in evidence.values():
        assert each["total"] >= each["fire_at"]
        assert round(sum(p["amount"] for p in each["parts"]), 2) == each["total"]
        assert {p["label"] for p in each["parts"] if p["kind"] == "term"} <= {
            h["term"] for h in result["hits"] if h["watchlist"] == each["watchlist"]
        }


def test_match_shows_the_evidence_and_its_lead_boost() -> None:
    text = "Moscow sent 2,000 troops to the border.\n\nTalks on trade went on."
    run = desk("match", "-", stdin=text)
    assert run.returncode == 0, run.stderr
    line = next(x for x in run.stdout.splitlines() if "evidence" in x)
    assert "troop-deployment" in line and "(fires at 1)" in line
    assert "+0.5 in the lead" in line


def test_match_keeps_a_sentence_with_markup_garbage_around_it() -> None:
    text = '<div class="share">&nbsp;</div> Moscow sent 2,000 troops to the border.</p>\n<p>'
    run = desk("match", "-", stdin=text)
    assert run.returncode == 0, run.stdout
    assert '"sent 2,000 troops"' in run.stdout


def test_match_reads_stdin_and_exits_1_when_nothing_fires() -> None:
    quiet = desk("match", "-", stdin="The cloud platform was deployed to production.")
    assert quiet.returncode == 1 and "no watchlist fired" in quiet.stdout
    loud = desk("match", "-", stdin="Moscow sent 2,000 troops to the border on Monday.")
    assert loud.returncode == 0 and "troop-deployment" in loud.stdout


def test_a_place_the_system_refuses_is_one_line_not_a_traceback(isolated_dirs: Path) -> None:
    """A config folder that is a file, an export to where no file can be: the system's words,
    on one line, exit 2."""
    a_file = isolated_dirs / "not-a-folder"
    a_file.write_text("x")
    run = desk("--config", str(a_file), "init")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.splitlines() == [f"desk: {a_file / 'watchlists'}: Not a directory"]
    assert desk("init").returncode == 0
    export = desk("feeds", "export", str(a_file / "feeds.opml"))
    assert export.returncode == 2 and "Traceback" not in export.stderr
    assert export.stderr.strip() == f"desk: {a_file / 'feeds.opml'}: Not a directory"


def test_an_exported_feed_without_a_name_carries_its_own_title(isolated_dirs: Path) -> None:
    """The OPML's text for a feed feeds.yaml names by URL alone is the title its last poll
    read (it was the URL), and an export with no store yet creates none."""
    from desk.core.models import FeedState
    from desk.core.store.tinystore import TinyStore

    desk("init")
    (isolated_dirs / "config" / "feeds.yaml").write_text(
        "feeds:\n  - https://a.example/rss\n  - {url: 'https://b.example/rss', name: Mine}\n"
    )
    before = desk("feeds", "export")
    assert 'text="https://a.example/rss"' in before.stdout
    assert not (isolated_dirs / "data").exists()
    store = TinyStore(isolated_dirs / "data")
    states = [
        FeedState("https://a.example/rss", title="Alpha Wire"),
        FeedState("https://b.example/rss", title="Bravo"),
    ]
    store.commit_cycle([], {}, [], states)
    store.close()
    after = desk("feeds", "export")
    assert 'text="Alpha Wire"' in after.stdout and 'text="Mine"' in after.stdout


def test_init_then_check(isolated_dirs: Path) -> None:
    run = desk("init")
    assert run.returncode == 0, run.stderr
    config = isolated_dirs / "config"
    assert (config / "feeds.yaml").exists() and (config / "settings.yaml").exists()
    assert {p.stem for p in (config / "watchlists").glob("*.yaml")} == WATCHLISTS
    assert (config / "watchlists" / "examples.jsonl").exists()  # their semantic: blocks read it
    check = desk("check")
    assert check.returncode == 0, check.stderr
    assert "ok  watchlist icbm-reentry" in check.stdout
    assert "kept" in desk("init").stdout  # never overwrites without --force


def test_check_names_the_bad_watchlist_place(isolated_dirs: Path) -> None:
    desk("init")
    bad = isolated_dirs / "config" / "watchlists" / "mine.yaml"
    bad.write_text("name: Mine\nterms: lockbit\n")
    run = desk("check")
    assert run.returncode == 1
    assert (
        one_line_error(run)
        == f"desk: {bad}:2:8: 'terms' must be a list of terms (one '- term' per line), not str"
    )


@pytest.mark.parametrize("command", [[], ["poll", "--once"], ["check"]])
def test_bad_feeds_file_is_one_line_and_exit_2_or_1(
    isolated_dirs: Path, command: list[str]
) -> None:
    desk("init")
    config = isolated_dirs / "config"
    (config / "feeds.yaml").write_text("feeds:\n  - url: https://a.example/\n    intervl: 5m\n")
    run = desk(*command)
    assert run.returncode == (1 if command == ["check"] else 2)
    line = one_line_error(run)
    assert "feeds.yaml:3:5: unknown feed key 'intervl'; did you mean 'interval'?" in line


def test_demo_runs_your_own_watchlists_and_says_it_keeps_no_data(tmp_path: Path) -> None:
    own = tmp_path / "mine"
    own.mkdir()
    (own / "harbours.yaml").write_text("name: Harbours\nseverity: low\nterms:\n  - harbour\n")
    run = desk(
        "--data", str(tmp_path / "kept"), "demo", "--once", "--json", "--watchlists", str(own)
    )
    assert run.returncode == 0, run.stderr
    alerts = [json.loads(line) for line in run.stdout.splitlines()]
    assert alerts and all(a["watchlists"] == ["harbours"] for a in alerts)
    assert "--config and --data are not used" in run.stderr
    assert not (tmp_path / "kept").exists()


def test_poll_export_and_feeds_on_a_served_demo(
    isolated_dirs: Path, demo_server: DemoServer
) -> None:
    desk("init")
    feeds = "feeds:\n" + "".join(f"  - url: {url}\n" for _, url in demo_server.feed_urls())
    (isolated_dirs / "config" / "feeds.yaml").write_text(feeds)
    poll = desk("poll", "--once", "--json")
    assert poll.returncode == 0, poll.stderr
    alerts = [json.loads(line) for line in poll.stdout.splitlines()]
    assert len(alerts) >= 3
    again = desk("poll", "--once", "--json", "--all")
    assert again.returncode == 0 and again.stdout == ""
    exported = desk("export", "--format", "jsonl", "--state", "new")
    assert sorted(json.loads(line)["id"] for line in exported.stdout.splitlines()) == sorted(
        a["id"] for a in alerts
    )
    csv_rows = desk("export", "--format", "csv").stdout.strip().splitlines()
    assert csv_rows[0].startswith("id,state,severity") and len(csv_rows) == len(alerts) + 1
    table = desk("feeds")
    assert table.returncode == 0 and "Meridian Wire" in table.stdout and "304" in table.stdout


def test_extract_a_demo_page_from_a_file_and_a_url(demo_server: DemoServer) -> None:
    from desk.demo.server import DEMO_DIR

    page = DEMO_DIR / "articles" / "north-korea-troops-kursk.html"
    from_file = desk("extract", str(page))
    assert from_file.returncode == 0
    assert "spot_img" not in from_file.stdout and "level of military" in from_file.stdout
    from_url = desk(
        "extract", f"{demo_server.base_url}/articles/north-korea-troops-kursk.html", "--json"
    )
    data = json.loads(from_url.stdout)
    assert data["text"] == from_file.stdout.rstrip("\n")
    assert data["canonical_url"].endswith("north-korea-troops-kursk.html")


def test_options_before_the_command_count(isolated_dirs: Path) -> None:
    other = isolated_dirs / "elsewhere"
    run = desk("--config", str(other), "init")
    assert run.returncode == 0 and (other / "feeds.yaml").exists()
    assert not (isolated_dirs / "config" / "feeds.yaml").exists()
    check = desk("--config", str(other), "check")
    assert check.returncode == 0, check.stderr


def test_a_closed_pipe_is_not_a_traceback() -> None:
    run = subprocess.run(
        f"{sys.executable} -m desk demo --once --json | head -c 10",
        shell=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in run.stderr and len(run.stdout) == 10


def test_unreadable_input_is_one_line() -> None:
    run = desk("match", "/no/such/file.txt")
    assert run.returncode == 2
    assert one_line_error(run) == "desk: /no/such/file.txt: cannot read: No such file or directory"


def test_feeds_import_and_export_opml(isolated_dirs: Path) -> None:
    desk("init")
    feeds_file = isolated_dirs / "config" / "feeds.yaml"
    opml = isolated_dirs / "mine.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head/><body>'
        '<outline text="Asia"><outline text="Korea Wire" xmlUrl="https://kw.example/rss"/></outline>'
        '<outline text="Daily" xmlUrl="https://daily.example/atom"/>'
        '<outline text="Trap" xmlUrl="javascript:alert(1)"/>'
        '<outline text="Broken" xmlUrl="http://[::1"/></body></opml>'
    )
    first = desk("feeds", "import", str(opml))
    assert first.returncode == 0, first.stderr
    assert "imported 2 feeds" in first.stdout
    # the outlines that are no feed address are said, not dropped silently, nor written
    assert "skipped 2 outlines whose xmlUrl is not an http:// or https:// address" in first.stderr
    assert "javascript:alert(1)" in first.stderr
    assert desk("check").returncode == 0  # feeds.yaml was not broken by the import
    assert "# Your feeds." in feeds_file.read_text()  # the starter's comments are kept
    again = desk("feeds", "import", str(opml))
    assert "imported 0 feeds" in again.stdout
    exported = desk("feeds", "export")
    assert exported.returncode == 0
    assert 'xmlUrl="https://kw.example/rss"' in exported.stdout and "Korea Wire" in exported.stdout
    check = desk("check")
    assert check.returncode == 0 and "ok  feeds: 2 feeds" in check.stdout
    bad = desk("feeds", "import", str(isolated_dirs / "missing.opml"))
    assert bad.returncode == 2 and one_line_error(bad).endswith(
        "cannot read: No such file or directory"
    )


def test_desk_feeds_lists_the_rows_of_the_feed_health_screen(isolated_dirs: Path) -> None:
    """`desk feeds`, its --json and `F` share desk.core.view.feed_health: the same names and words."""
    from datetime import UTC, datetime

    from desk.core.models import Feed, FeedState
    from desk.core.store.tinystore import TinyStore
    from desk.core.view import feed_health

    config = isolated_dirs / "config"
    config.mkdir()
    (config / "feeds.yaml").write_text(
        "feeds:\n"
        "  - {url: 'https://ok.example/rss', name: Calm Wire}\n"
        "  - {url: 'https://gone.example/rss', name: Gone Wire}\n"
        "  - {url: 'https://new.example/rss'}\n"
    )
    when = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    states = [
        FeedState(url="https://ok.example/rss", status=304, last_success=when),
        FeedState(url="https://gone.example/rss", status=404, error="HTTP 404", failures=3),
    ]
    store = TinyStore(isolated_dirs / "data")
    store.commit_cycle([], {}, [], states)
    store.close()
    listed = desk("feeds")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()[1:]
    feeds = [
        Feed("https://ok.example/rss", "Calm Wire"),
        Feed("https://gone.example/rss", "Gone Wire"),
        Feed("https://new.example/rss"),
    ]
    expected = feed_health(feeds, {s.url: s for s in states})
    assert [line.split("  ")[0] for line in lines] == [row.name for row in expected]
    assert [row.status for row in expected] == ["HTTP 404", "never polled", "ok"]
    assert all(row.status in line for row, line in zip(expected, lines, strict=True))
    assert "304" in lines[2] and "HTTP 404" in lines[0]
    health = json.loads(desk("feeds", "--json").stdout)["feeds"]
    assert [f["url"] for f in health] == [feed.url for feed in feeds]  # in feed order
    by_url = {f["url"]: (f["name"], f["status"], f["ok"]) for f in health}
    assert by_url == {row.url: (row.name, row.status, row.status == "ok") for row in expected}


def test_the_starter_settings_show_notify_and_webhook_and_each_line_is_valid(
    tmp_path: Path,
) -> None:
    """Every commented setting of `desk init`'s settings.yaml, uncommented, is read as it says."""
    from desk.cli.start import STARTER_SETTINGS
    from desk.core.settings.config import Settings, load_settings

    setting = re.compile(r"^# (\s*[a-z_]+:.*)$")
    lines = [m.group(1) for line in STARTER_SETTINGS.splitlines() if (m := setting.match(line))]
    (tmp_path / "settings.yaml").write_text("\n".join(lines) + "\n")
    settings = load_settings(tmp_path / "settings.yaml")
    assert settings.notify is not None and settings.notify.timeout == 10.0
    assert settings.webhook is not None and settings.webhook.url.startswith("https://")
    assert settings.default_interval == Settings().default_interval


def test_extract_on_a_feed_says_it_is_a_feed_not_its_xml_as_an_article() -> None:
    """A new user pointed `desk extract` at a feed and got its XML back as the article text."""
    from desk.demo.server import DEMO_DIR

    for name, kind in (
        ("wire.xml", "an RSS"),
        ("world.atom", "an Atom"),
        ("briefing.json", "a JSON"),
    ):
        run = desk("extract", str(DEMO_DIR / "feeds" / name))
        assert run.returncode == 2 and run.stdout == ""
        assert f"this is {kind} feed, not an article page" in one_line_error(run)
