"""Pure decisions: due feeds, backoff, new items, one story one alert."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from desk.core import decide
from desk.core.models import (
    Alert,
    Article,
    Feed,
    FeedState,
    Hit,
    Item,
    SeenItem,
    Severity,
    Watchlist,
)

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
FEED = Feed(url="https://feed.example/", interval=900)
WATCHLISTS = {
    "a": Watchlist(id="a", name="A", terms=(), severity=Severity.LOW),
    "b": Watchlist(id="b", name="B", terms=(), severity=Severity.CRITICAL),
}


def item(n: int, content: str = "body") -> Item:
    return Item(FEED.url, f"id{n}", f"https://news.example/{n}", f"Title {n}", content=content)


def test_due() -> None:
    assert decide.is_due(None, NOW)
    assert decide.is_due(FeedState(url="u", next_due=NOW), NOW)
    assert not decide.is_due(FeedState(url="u", next_due=NOW + timedelta(seconds=1)), NOW)


def test_next_poll_is_the_interval_with_jitter() -> None:
    low = decide.next_due_after_success(FEED, NOW, 0.0)
    high = decide.next_due_after_success(FEED, NOW, 1.0)
    assert low == NOW + timedelta(seconds=810) and high == NOW + timedelta(seconds=990)


def test_backoff_grows_caps_and_honours_retry_after() -> None:
    delays = [decide.backoff_seconds(n, 60, None, 0.5) for n in range(1, 14)]
    assert delays == sorted(delays) and delays[0] == 60 and delays[-1] == 24 * 3600
    assert decide.backoff_seconds(1, 60, 3600, 0.5) == 3600
    assert decide.backoff_seconds(1, 900, None, 0.5) == 900


def test_new_or_changed() -> None:
    seen = {item(1).key: SeenItem(item(1).key, FEED.url, "", item(1).fingerprint, NOW)}
    fresh = decide.new_or_changed([item(1), item(2), item(2), item(1, "edited")], seen)
    assert [(i.id, i.content) for i in fresh] == [("id2", "body"), ("id1", "edited")]


def hits(*watchlists: str) -> list[Hit]:
    return [Hit(w, "t", "text", 0, 4, 90.0 + n) for n, w in enumerate(watchlists)]


def test_an_alert_takes_the_highest_severity_and_score() -> None:
    article = Article(url="https://news.example/1", title="Title 1", text="text")
    alert = decide.decide_alert(item(1), "Wire", article, hits("a", "b"), WATCHLISTS, None, NOW)
    assert alert is not None
    assert (alert.severity, alert.score, alert.watchlists) == (Severity.CRITICAL, 91.0, ("a", "b"))
    assert decide.decide_alert(item(1), "Wire", article, [], WATCHLISTS, None, NOW) is None


def test_one_story_from_two_feeds_is_one_alert() -> None:
    article = Article(
        url="https://a.example/1", title="Troops sent to the border, officials say", text="x"
    )
    first = decide.decide_alert(item(1), "Wire", article, hits("a"), WATCHLISTS, None, NOW)
    assert first is not None
    rewrite = replace(
        article, url="https://b.example/9", title="Troops sent to border, officials say"
    )
    same = decide.find_same_story(rewrite, [first], NOW)
    assert same is first
    merged = decide.decide_alert(item(2), "World", rewrite, hits("b"), WATCHLISTS, same, NOW)
    assert merged is not None and merged.id == first.id
    assert merged.sources == ("Wire", "World") and merged.watchlists == ("a", "b")
    other = replace(article, url="https://c.example/2", title="Markets rally on rate hopes")
    assert decide.find_same_story(other, [first], NOW) is None
    assert decide.find_same_story(rewrite, [first], NOW + timedelta(days=4)) is None


def test_the_story_index_finds_one_story_among_thousands() -> None:
    words = "harbour council budget storm bridge rail court museum coast farmers".split()

    def raised(n: int, title: str, created: datetime = NOW) -> Alert:
        article = Article(url=f"https://a.example/{n}", title=title, text="x")
        alert = decide.decide_alert(item(n), "Wire", article, hits("a"), WATCHLISTS, None, created)
        assert alert is not None
        return alert

    alerts = [
        raised(n, f"{words[n % 10]} {words[n // 10 % 10]} {words[n // 100 % 10]} report {n}")
        for n in range(3000)
    ]
    target = raised(5000, "Troops sent to the northern border, officials say")
    stale = raised(5001, "Missile test reported off the coast", NOW - timedelta(days=5))
    stories = decide.StoryIndex([*alerts, target, stale], NOW)
    rewrite = Article(
        url="https://b.example/x", title="Troops sent to northern border, officials say", text="x"
    )
    assert stories.same_story(rewrite) is target
    by_url = Article(url=alerts[1234].url, title="Something else entirely", text="")
    assert stories.same_story(by_url) is alerts[1234]
    assert stories.same_story(replace(rewrite, title="Missile test reported off the coast")) is None
    grown = replace(target, title="Ministers meet on the harbour rail budget")
    stories.add(grown)
    assert stories.get(target.id) is grown
    assert stories.same_story(rewrite) is None  # its old title no longer stands


def test_hits_from_another_sources_copy_are_tagged_with_its_article() -> None:
    article = Article(url="https://a.example/1", title="Troops sent to the border", text="x")
    first = decide.decide_alert(item(1), "Wire", article, hits("a"), WATCHLISTS, None, NOW)
    rewrite = replace(article, url="https://b.example/2")
    merged = decide.decide_alert(item(2), "World", rewrite, hits("b"), WATCHLISTS, first, NOW)
    assert merged is not None and first is not None
    assert [h.article_key for h in merged.hits] == ["", item(2).key]
    assert merged.article_key == first.article_key == item(1).key


def test_the_alert_lifecycle() -> None:
    from desk.core.models import AlertState

    article = Article(url="https://a.example/1", title="T", text="x")
    new = decide.decide_alert(item(1), "Wire", article, hits("a"), WATCHLISTS, None, NOW)
    assert new is not None and new.state is AlertState.NEW
    acked = decide.acknowledge(new, NOW, note="seen by desk 2")
    assert (acked.state, acked.acknowledged_at, acked.note) == (
        AlertState.ACKNOWLEDGED,
        NOW,
        "seen by desk 2",
    )
    assert decide.unacknowledge(acked).state is AlertState.NEW
    assert decide.archive(acked).state is AlertState.ARCHIVED
    later = NOW + timedelta(hours=4)
    snoozed = decide.snooze(new, later)
    assert decide.woken([snoozed], NOW) == []
    (back,) = decide.woken([snoozed], later)
    assert back.state is AlertState.NEW and back.snoozed_until is None
    batch = decide.acknowledge_all([new, acked, snoozed, decide.archive(new)], later)
    assert [a.state for a in batch] == [AlertState.ACKNOWLEDGED, AlertState.ACKNOWLEDGED]


def test_another_copys_lead_close_to_the_examples_is_no_new_evidence() -> None:
    """The examples' vote spans a whole lead, which differs in every copy of a story: another
    copy voting again must not bring an acknowledged alert back (a new term's words must)."""
    article = Article(url="https://a.example/1", title="Brigades moved to the frontier", text="x")
    voted = [Hit("a", "close to example 12", "Brigades moved to the frontier", 0, 30, 71.0)]
    first = decide.decide_alert(item(1), "Wire", article, voted, WATCHLISTS, None, NOW)
    assert first is not None
    handled = decide.acknowledge(first, NOW)
    again = [
        Hit("a", "close to example 40", "Two brigades were moved up to the border", 0, 41, 66.0)
    ]
    copy = decide.decide_alert(item(2), "World", article, again, WATCHLISTS, handled, NOW)
    assert copy is not None and copy.state == handled.state and len(copy.hits) == 1
    worded = [*again, Hit("a", "t", "troops deployed", 50, 65, 100.0)]
    grown = decide.decide_alert(item(3), "Post", article, worded, WATCHLISTS, handled, NOW)
    assert grown is not None and grown.state != handled.state and len(grown.hits) == 2
