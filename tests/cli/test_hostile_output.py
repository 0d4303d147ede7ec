"""Every output of the headless commands, fed hostile feeds, pages, servers, files and stores.

Real processes against a loopback site whose feeds, pages and error replies
carry every payload in tests/hostile_text.py. No output may hold a control
character (but newline and tab), a C1 control or a bidi control; no CSV cell
may start a formula; no JSON value may hold what the raw bytes may not.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desk.core.feeds.text import TITLE_MAX
from tests.hostile_text import (
    ALL_IN_ONE,
    FEEDS_YAML,
    HostileSite,
    hostile_site,
    huge_feeds,
    payload_residue,
    unsafe_bytes_in,
    unsafe_in,
    write_old_store,
)
from tests.served import served_site

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """`python -m desk ARGS` as bytes, exactly as a terminal or a pipe would get them."""
    return subprocess.run(
        [sys.executable, "-m", "desk", *args], capture_output=True, input=stdin, timeout=120
    )


def assert_safe(done: subprocess.CompletedProcess[bytes]) -> None:
    """Neither stream holds a forbidden byte, nor a traceback; JSON lines hold safe values."""
    for stream in (done.stdout, done.stderr):
        assert unsafe_bytes_in(stream) == [], stream[:2000]
    assert b"Traceback" not in done.stderr, done.stderr.decode()
    for line in done.stdout.splitlines():
        if line.startswith(b"{"):
            for value in strings_in(json.loads(line)):
                assert unsafe_in(value) == [], value
                assert payload_residue(value) == [] or value.startswith("http"), value


def strings_in(value: object) -> Iterator[str]:
    """Every string inside a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


@pytest.fixture
def site(isolated_dirs: Path) -> Iterator[HostileSite]:
    """A hostile site, a config whose feeds.yaml names it, and a broken, hostile watchlist."""
    with hostile_site() as served:
        assert run("init").returncode == 0
        config = isolated_dirs / "config"
        json_url, rss_url = served.feed_urls
        (config / "feeds.yaml").write_text(FEEDS_YAML.format(json=json_url, rss=rss_url))
        (config / "watchlists" / "broken.yaml").write_text(
            'name: "[/]"\nterms: ["\\e]52;c;SGVsbG8=\\a [@click=app.quit]x[/]", {bad: "\\e[2J"}]\n'
        )
        yield served


def test_poll_feeds_check_and_exports_are_safe(site: HostileSite, isolated_dirs: Path) -> None:
    poll = run("poll", "--once")
    assert poll.returncode == 0, poll.stderr.decode()
    assert_safe(poll)
    assert b"troop-deployment" in poll.stdout  # the hostile stories still alert
    polled_json = run("poll", "--once", "--all", "--json")
    assert_safe(polled_json)

    site.failing = True  # now every feed answers 404 with a hostile reason phrase
    failed = run("poll", "--once", "--all")
    assert failed.returncode == 0
    assert_safe(failed)
    assert b"404" in failed.stderr and b"[@click=app.quit]quit[/]" in failed.stderr
    assert payload_residue(failed.stderr.decode()) == []  # the reason's 8-bit CSIs went whole

    for args in (("feeds",), ("check",), ("export",), ("export", "--format", "csv")):
        done = run(*args)
        assert_safe(done)
    listed = run("feeds").stdout.decode()
    assert "404" in listed and payload_residue(listed) == []

    opml = run("feeds", "export")
    assert opml.returncode == 0
    assert_safe(opml)
    assert b"[@click=app.quit]click me[/]" in opml.stdout  # the name, as text


def test_csv_cells_never_start_a_formula(site: HostileSite) -> None:
    assert run("poll", "--once").returncode == 0
    exported = run("export", "--format", "csv")
    rows = list(csv.reader(io.StringIO(exported.stdout.decode())))
    titles = [row[4] for row in rows[1:]]
    assert any(title.startswith("'=HYPERLINK") for title in titles)  # the payload is there, inert
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), cell


def test_match_and_extract_on_hostile_pages(site: HostileSite, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(site.page())
    for args in (("match", str(page)), ("match", str(page), "--json"), ("extract", str(page))):
        done = run(*args)
        assert done.returncode == 0, done.stderr.decode()
        assert_safe(done)
        assert payload_residue(done.stdout.decode()) == []
    extracted = run("extract", f"{site.base}/a/1.html", "--json")
    assert_safe(extracted)
    from_stdin = run("match", "-", stdin=f"{ALL_IN_ONE}\n\ntroops deployed".encode())
    assert_safe(from_stdin)


def test_a_store_from_before_the_boundary_prints_safe(isolated_dirs: Path) -> None:
    write_old_store(isolated_dirs / "data")
    (isolated_dirs / "config").mkdir()
    (isolated_dirs / "config" / "feeds.yaml").write_text(
        "feeds:\n  - url: http://127.0.0.1:9/feed.xml\n"
    )
    for args in (("export",), ("export", "--format", "csv"), ("feeds",)):
        done = run(*args)
        assert done.returncode == 0, done.stderr.decode()
        assert_safe(done)
        assert payload_residue(done.stdout.decode().replace("%1B]8", "")) == []


def test_megabyte_titles_are_cut_and_safe_in_every_command(isolated_dirs: Path) -> None:
    with served_site() as site:
        for path, (body, kind) in huge_feeds(site.base).items():
            site.put(path, body, kind)
        assert run("init").returncode == 0
        (isolated_dirs / "config" / "feeds.yaml").write_text(
            f"feeds:\n  - url: {site.base}/huge.xml\n  - url: {site.base}/huge.json\n"
        )
        started = time.monotonic()
        polled = run("poll", "--once", "--all", "--json")
        listed, exported = run("feeds"), run("export", "--format", "csv")
        assert time.monotonic() - started < 60
    for done in (polled, listed, exported):
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        assert_safe(done)
    titles = [json.loads(line)["title"] for line in polled.stdout.splitlines()]
    cells = [cell for row in csv.reader(io.StringIO(exported.stdout.decode())) for cell in row]
    shown = [*titles, *cells, *listed.stdout.decode().splitlines()]
    for text in shown:
        assert len(text) <= TITLE_MAX + 200, text[:200]  # cut, not a megabyte
        assert "AAAA" not in text and payload_residue(text) == [], text[:200]
    assert any(title.startswith("[/] end") for title in titles)  # the clipboard megabyte went
    wide = [title for title in titles if "troops troops" in title]
    assert len(wide) == 1 and len(wide[0]) <= TITLE_MAX and wide[0].endswith("troops…")
