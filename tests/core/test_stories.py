"""One story, one alert: real duplicates merge, look-alikes stay apart, new evidence is said."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from desk.core import decide
from desk.core.models import Alert, AlertState, Article, Hit, Item, Severity, Watchlist

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
WATCHLISTS = {
    "troops": Watchlist(id="troops", name="T", terms=(), severity=Severity.HIGH),
    "icbm": Watchlist(id="icbm", name="I", terms=(), severity=Severity.CRITICAL),
}
WIRE = (
    "The strike was launched before dawn on Tuesday, officials said, and air defences "
    "intercepted most of the projectiles over the border region. The defence ministry said "
    "several launchers had been moved into position in recent days and that more "
    "salvos could follow. Residents described loud explosions and a power cut that "
    "lasted several hours. Diplomats called for restraint at an emergency meeting."
)
OTHER = (
    "Parliament debated the annual budget late into the night as opposition members "
    "demanded more money for hospitals and schools. The finance minister defended the "
    "plan, saying growth would pick up next year, while unions threatened a strike over "
    "wages in the public sector and pensions that have not kept pace with prices."
)


def item(n: int) -> Item:
    return Item("https://feed.example/", f"id{n}", f"https://site{n}.example/story", f"T{n}")


def raise_alert(n: int, title: str, text: str, watchlist: str = "troops") -> Alert:
    article = Article(url=f"https://site{n}.example/story", title=title, text=text)
    hit = Hit(watchlist, "t", "missiles", 0, 8, 100.0)
    alert = decide.decide_alert(item(n), f"Feed {n}", article, [hit], WATCHLISTS, None, NOW)
    assert alert is not None
    return alert


def same_story(alert: Alert, title: str, text: str) -> bool:
    copy = Article(url="https://elsewhere.example/x", title=title, text=text)
    return decide.StoryIndex([alert], NOW).same_story(copy) is alert


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Iran fires missiles at Israel", "Iran fires missiles at Iraq"),
        ("North Korea tests Hwasong-18 missile", "North Korea tests Hwasong-19 missile"),
        (
            "Russia sends 500 troops to Belarus border",
            "Russia sends 5,000 troops to Belarus border",
        ),
        ("China sends warships to Taiwan Strait", "China sends warships to Korea Strait"),
        ("US deploys 2 carriers to the Gulf", "US deploys 3 carriers to the Gulf"),
    ],
)
def test_look_alike_headlines_with_the_same_text_stay_apart(first: str, second: str) -> None:
    alert = raise_alert(1, first, WIRE)
    assert not same_story(alert, second, WIRE)


def test_a_near_identical_title_over_a_different_text_is_another_story() -> None:
    alert = raise_alert(1, "Troops sent to the border, officials say", WIRE)
    assert not same_story(alert, "Troops sent to the border, officials say", OTHER)


@pytest.mark.parametrize(
    "second",
    [
        "Iran fires missiles at Israel",  # the same wire copy in another feed
        "Iran fires missiles at Israel - World News",  # a site's suffix adds names
        "Iran fires missiles at Israel, 3 killed",  # an update adds a number
        "Iran fires missiles at Israel.",
    ],
)
def test_the_same_story_from_another_feed_merges(second: str) -> None:
    alert = raise_alert(1, "Iran fires missiles at Israel", WIRE)
    edited = WIRE.replace("Tuesday", "Tuesday morning") + " Share this article."
    assert same_story(alert, second, edited)


def test_five_hundred_distinct_stories_from_five_hundred_feeds_are_five_hundred_alerts() -> None:
    places = [f"Province {chr(65 + n // 26)}{chr(65 + n % 26)}" for n in range(500)]
    stories = decide.StoryIndex([], NOW)
    raised = []
    for n, place in enumerate(places):
        text = f"{WIRE} The brigade arrived in {place} on day {n}. " + OTHER[: n % 200]
        article = Article(
            url=f"https://feed{n}.example/a", title=f"Troops deployed to {place}", text=text
        )
        existing = stories.same_story(article)
        hit = Hit("troops", "t", "troops deployed", 0, 15, 100.0)
        alert = decide.decide_alert(item(n), f"Feed {n}", article, [hit], WATCHLISTS, existing, NOW)
        assert alert is not None
        stories.add(alert)
        raised.append(alert.id)
    assert len(set(raised)) == 500


def test_new_evidence_brings_an_acknowledged_alert_back_with_the_reason() -> None:
    alert = decide.acknowledge(raise_alert(1, "Iran fires missiles at Israel", WIRE), NOW)
    copy = Article(url="https://other.example/x", title="Iran fires missiles at Israel", text=WIRE)
    same_hits = [Hit("troops", "t", "missiles", 0, 8, 100.0)]
    quiet = decide.decide_alert(item(2), "Feed 2", copy, same_hits, WATCHLISTS, alert, NOW)
    assert quiet is not None and quiet.state is AlertState.ACKNOWLEDGED  # nothing new: stays
    assert quiet.sources == ("Feed 1", "Feed 2")

    more = [*same_hits, Hit("icbm", "reentry", "re-entry vehicle", 20, 36, 100.0)]
    grown = decide.decide_alert(item(3), "Feed 3", copy, more, WATCHLISTS, quiet, NOW)
    assert grown is not None and grown.state is AlertState.NEW
    assert grown.reason == (
        "grew since acknowledged: +icbm, severity high -> critical, 1 new phrase from Feed 3"
    )
    assert grown.acknowledged_at is None


def test_a_new_alert_that_grows_stays_new_without_a_reason() -> None:
    alert = raise_alert(1, "Iran fires missiles at Israel", WIRE)
    copy = Article(url="https://o.example/x", title="Iran fires missiles at Israel", text=WIRE)
    hits = [Hit("icbm", "reentry", "re-entry vehicle", 20, 36, 100.0)]
    grown = decide.decide_alert(item(2), "Feed 2", copy, hits, WATCHLISTS, alert, NOW)
    assert grown is not None and grown.state is AlertState.NEW and grown.reason == ""
    assert replace(grown, reason="x").reason == "x"
