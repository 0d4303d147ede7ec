"""Corroboration (independent sources raise a story one level) and surges (a watchlist far above its baseline).

Corroboration runs for real: feeds served from three loopback hosts
(127.0.0.1, .2, .3) carry one story, polled by the pipeline into a store
on disk. Surges are judged on alert rows with a set clock, and reach the
notify command (DESK_SURGE, `surges` in its JSON) and `desk poll`'s stderr.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desk.core.attention import (
    corroborated,
    hosts_of_sources,
    one_level_up,
    source_names,
    surges,
)
from desk.core.match.watchlists import load_watchlists
from desk.core.models import Feed, FeedState, Severity, alert_row
from desk.core.notify.deliver import deliver_alerts, open_channels
from desk.core.pipeline import Poller, utc_now
from desk.core.settings.config import NotifySettings, Settings, shipped_watchlists_dir
from desk.core.store.tinystore import TinyStore
from tests.core.test_notify import alert
from tests.served import Site, served_site

STORY = (
    "<html><head><title>Army deploys troops to Narva</title></head><body><article>"
    "<h1>Army deploys troops to Narva</h1><p>The army has deployed 400 troops to Narva, "
    "officials said on Monday. The soldiers were sent by road overnight.</p><p>{words}</p>"
    "</article></body></html>"
)


def carry_story(site: Site, path: str) -> None:
    site.put("/story.html", STORY.format(words=" ".join(f"w{i}" for i in range(150))))
    site.put(
        path,
        "<rss version='2.0'><channel><title>T</title><item><title>Army deploys troops to Narva"
        "</title><link>{{BASE}}/story.html</link><guid>narva</guid></item></channel></rss>",
        "application/rss+xml",
    )


def poll(store: TinyStore, feeds: list[Feed]) -> None:
    watchlists = list(load_watchlists(shipped_watchlists_dir()).watchlists)
    poller = Poller(store, Settings(), watchlists)
    try:
        asyncio.run(poller.run_once(feeds, force=True))
    finally:
        poller.close()


def test_three_independent_sources_raise_a_story_one_level(tmp_path: Path) -> None:
    with ExitStack() as stack:
        sites = [stack.enter_context(served_site(f"127.0.0.{n}")) for n in (1, 2, 3)]
        for site in sites:
            carry_story(site, "/a.xml")
        carry_story(sites[0], "/b.xml")  # a second feed of the first site: not independent
        first, second, third = (f"{s.base}/a.xml" for s in sites)
        feeds = [
            Feed(first, "One"),
            Feed(f"{sites[0].base}/b.xml", "One Europe"),
            Feed(second, "Two"),
        ]
        store = TinyStore(tmp_path / "data")
        poll(store, feeds)
        [two_sources] = store.alerts()
        assert len(two_sources.sources) == 3  # three feeds merged into one story
        assert two_sources.severity == Severity.HIGH and two_sources.reason == ""

        poll(store, [*feeds, Feed(third, "Three")])
        [three_sources] = store.alerts()
        store.close()
    assert three_sources.id == two_sources.id
    assert three_sources.severity == Severity.CRITICAL
    assert three_sources.reason == "3 independent sources, severity raised to critical"


def test_feeds_on_different_hosts_with_one_title_are_different_sources(tmp_path: Path) -> None:
    """Three unnamed feeds all titled `T`: one source name for all had made them one source."""
    with ExitStack() as stack:
        sites = [stack.enter_context(served_site(f"127.0.0.{n}")) for n in (1, 2, 3)]
        for site in sites:
            carry_story(site, "/a.xml")
        store = TinyStore(tmp_path / "data")
        poll(store, [Feed(f"{site.base}/a.xml") for site in sites])
        [story] = store.alerts()
        store.close()
    assert sorted(story.sources) == ["T (127.0.0.1)", "T (127.0.0.2)", "T (127.0.0.3)"]
    assert story.severity == Severity.CRITICAL
    assert story.reason == "3 independent sources, severity raised to critical"


def test_a_shared_name_says_its_host_and_is_never_one_host_for_all() -> None:
    states = {
        u: FeedState(u, title="World") for u in ("https://a.example/r", "https://b.example/r")
    }
    feeds = [
        Feed("https://a.example/r"),
        Feed("https://b.example/r"),
        Feed("https://c.example/r", "C"),
    ]
    assert source_names(feeds, states) == {
        "https://a.example/r": "World (a.example)",
        "https://b.example/r": "World (b.example)",
        "https://c.example/r": "C",
    }
    hosts = hosts_of_sources(feeds, states)
    assert "World" not in hosts and hosts["World (b.example)"] == "b.example"
    assert hosts["C"] == hosts["https://c.example/r"] == "c.example"


def test_corroboration_counts_hosts_once_and_rises_one_level_only() -> None:
    states = {"https://c.example/rss": FeedState("https://c.example/rss", title="C Daily")}
    feeds = [
        Feed("https://www.a.example/rss", "A"),
        Feed("https://a.example/world", "A World"),
        Feed("https://b.example/rss", "B"),
        Feed("https://c.example/rss"),
    ]
    hosts = hosts_of_sources(feeds, states)
    assert hosts["A"] == hosts["A World"] == "a.example" and hosts["C Daily"] == "c.example"
    story = replace(alert(1, Severity.MEDIUM), sources=("A", "A World", "B"))
    assert corroborated(story, hosts, Severity.MEDIUM) == story
    wider = replace(story, sources=(*story.sources, "C Daily", "Gone Feed"))
    raised = corroborated(wider, hosts, Severity.MEDIUM)
    assert raised.severity == Severity.HIGH
    again = corroborated(raised, hosts, Severity.MEDIUM)  # judged again: still one level
    assert again == raised
    back = replace(raised, reason="grew since acknowledged: +B; 3 independent sources")
    assert corroborated(back, hosts, Severity.MEDIUM).reason == (
        "grew since acknowledged: +B; 3 independent sources, severity raised to high"
    )
    assert one_level_up(Severity.CRITICAL) == Severity.CRITICAL


NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def rows_raised(watchlist: str, times: list[datetime]) -> list:
    made = []
    for n, when in enumerate(times):
        row = alert_row(
            replace(alert(n), id=f"{watchlist}{n}", created=when, watchlists=(watchlist,))
        )
        made.append(row)
    return made


def quiet_then_burst(watchlist: str, burst: int, days: int = 2) -> list:
    history = [
        NOW - timedelta(hours=h, minutes=30) for h in range(2, days * 24, 5)
    ]  # one every 5 h
    recent = [NOW - timedelta(minutes=5 + m) for m in range(burst)]
    return rows_raised(watchlist, history + recent)


def test_a_watchlist_far_above_its_hourly_baseline_surges() -> None:
    busy = rows_raised(
        "busy", [NOW - timedelta(hours=h, minutes=m) for h in range(48) for m in range(0, 60, 6)]
    )
    rows = quiet_then_burst("troops", 9) + busy + quiet_then_burst("young", 9, days=0)
    rows += rows_raised("young", [NOW - timedelta(hours=3)])  # first alert 3 h ago: no history
    [surge] = surges(rows, NOW)
    assert surge.watchlist == "troops" and surge.count == 9
    assert surge.mean < 0.5 and surge.line().startswith("surge: troops: 9 alerts in the last hour")
    assert surges(quiet_then_burst("troops", 2), NOW) == []  # too few to call a surge


def varied_then(watchlist: str, last_hour: int) -> list:
    """Two days of 3 and 7 alerts in turn each hour (mean 5, sigma 2), then `last_hour` alerts."""
    history = [
        NOW - timedelta(hours=h, minutes=10 + k)
        for h in range(1, 49)
        for k in range(3 + 4 * (h % 2))
    ]
    recent = [NOW - timedelta(minutes=5 + m) for m in range(last_hour)]
    return rows_raised(watchlist, history + recent)


def test_a_surge_is_past_three_sigmas_of_a_varied_baseline_not_two() -> None:
    """A baseline with a spread: 9 and 10 (2 and 2.5 sigma above) are busy hours, 12 a surge."""
    assert surges(varied_then("busy", 9), NOW) == surges(varied_then("busy", 10), NOW) == []
    [surge] = surges(varied_then("busy", 12), NOW)
    assert surge.count == 12 and 4.9 < surge.mean < 5.1 and 1.9 < surge.sigma < 2.1


@pytest.mark.parametrize("judged", [True, False])
def test_a_surge_reaches_the_notify_command(tmp_path: Path, judged: bool) -> None:
    """The round carries the surges the cycle judged (once, for its status and stderr too), no others."""
    store = TinyStore(tmp_path / "data")
    history = [replace(alert(100 + n), created=NOW - timedelta(hours=5 * n + 2)) for n in range(10)]
    store.commit_cycle([], {}, history, [])
    settings = Settings(
        notify=NotifySettings(
            f'echo "$DESK_SURGE" >> {tmp_path / "said"}; cat >> {tmp_path / "json"}', digest_over=5
        )
    )
    open_channels(store, settings, NOW - timedelta(hours=1))
    burst = [replace(alert(n), created=NOW - timedelta(minutes=50 - n)) for n in range(8)]
    store.commit_cycle([], {}, burst, [])
    found = surges(store.alert_rows(), NOW) if judged else []
    reports = deliver_alerts(store, settings, tmp_path / "runs", NOW, surging=found)
    store.close()
    assert [r.line() for r in reports] == ["[ok] notify: 8 alerts sent"]
    said = (tmp_path / "said").read_text().strip()
    sent = json.loads((tmp_path / "json").read_text())
    if not judged:  # the round judges nothing itself
        assert said == "" and not any("surges" in item for item in sent)
        return
    assert said.startswith("surge: troop-deployment: 8 alerts in the last hour")
    assert all(item["surges"] == [said] for item in sent)


def test_desk_poll_says_a_surge_once(tmp_path: Path) -> None:
    now = utc_now()
    store = TinyStore(tmp_path / "data")
    history = [replace(alert(100 + n), created=now - timedelta(hours=5 * n + 2)) for n in range(10)]
    burst = [replace(alert(n), created=now - timedelta(minutes=30 - n)) for n in range(6)]
    store.commit_cycle([], {}, history + burst, [])
    store.close()
    (tmp_path / "config").mkdir()
    with served_site() as site:
        site.put("/feed.xml", "<rss version='2.0'><channel><title>E</title></channel></rss>")
        (tmp_path / "config" / "feeds.yaml").write_text(f"feeds:\n  - url: {site.base}/feed.xml\n")
        command = [sys.executable, "-m", "desk", "--config", str(tmp_path / "config")]
        command += ["--data", str(tmp_path / "data"), "poll", "--once", "--all"]
        runs = [
            subprocess.run(command, capture_output=True, text=True, timeout=60) for _ in range(2)
        ]
    first = [line for line in runs[0].stderr.splitlines() if "desk: surge" in line]
    assert len(first) == 1, runs[0].stderr
    assert first[0].startswith(
        "desk: surge: troop-deployment: 6 alerts in the last hour (usually 0."
    )
    assert [line for line in runs[1].stderr.splitlines() if "desk: surge" in line] == []
