"""A new watchlist term raises alerts from articles already stored, and never twice."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from desk.core.article.extract import readable
from desk.core.attention import source_names
from desk.core.match import rematch
from desk.core.match.matcher import Matcher
from desk.core.match.rematch import find_hits, raise_alerts
from desk.core.match.watchlists import load_watchlist, load_watchlists
from desk.core.models import Feed
from desk.core.pipeline import Poller
from desk.core.settings.config import Settings, shipped_watchlists_dir
from desk.core.store.tinystore import TinyStore
from desk.demo.server import DemoServer


def test_a_new_watchlist_alerts_on_stored_articles_once(
    tmp_path: Path, demo_server: DemoServer
) -> None:
    store = TinyStore(tmp_path / "data")
    shipped = list(load_watchlists(shipped_watchlists_dir()).watchlists)
    poller = Poller(store, Settings(), shipped)
    # configured names, as an analyst gives them: a reload's alerts must use them too
    feeds = [Feed(url=url, name=f"Desk {n}") for n, (_, url) in enumerate(demo_server.feed_urls())]
    asyncio.run(poller.run_once(feeds, force=True))
    asyncio.run(poller.aclose())
    before = {a.id: a for a in store.alerts()}

    (tmp_path / "weather.yaml").write_text("name: Weather\nterms: [storm warning|surge]\n")
    weather = load_watchlist(tmp_path / "weather.yaml")
    watchlists = {w.id: w for w in [*shipped, weather]}
    now = poller.now()
    found = find_hits(store, store.seen_since(now.replace(year=2000)), [weather])
    assert found, "the demo's storm story should match the new watchlist"
    sources = source_names(feeds, store.feed_states())
    raised = raise_alerts(store, found, watchlists, now, sources)
    assert raised and all("weather" in a.watchlists for a in raised)
    assert all(a.id not in before for a in raised)  # a story no watchlist had raised
    named = {source for a in [*before.values(), *raised] for source in a.sources}
    assert named <= {f"Desk {n}" for n in range(len(feeds))}, named  # as the cycle named them

    again = raise_alerts(
        store,
        find_hits(store, store.seen_since(now.replace(year=2000)), [weather]),
        watchlists,
        now,
        sources,
    )
    assert again == []  # running it twice raises nothing new
    assert len(store.alerts()) == len(before) + len(raised)

    troop = watchlists["troop-deployment"]
    regrown = raise_alerts(
        store,
        find_hits(store, store.seen_since(now.replace(year=2000)), [troop]),
        watchlists,
        now,
        sources,
    )
    assert regrown == []  # every troop story already has its alert
    store.close()


def test_stored_articles_matched_in_batches_are_each_matched_as_alone(
    tmp_path: Path, demo_server: DemoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch bookkeeping: batches of 4 over the demo's 31 stored articles, the last one
    short, none dropped or mismatched (the demo raises no vote; test_semantic batches votes)."""
    store = TinyStore(tmp_path / "data")
    shipped = list(load_watchlists(shipped_watchlists_dir()).watchlists)
    poller = Poller(store, Settings(), shipped)
    feeds = [Feed(url=url) for _, url in demo_server.feed_urls()]
    asyncio.run(poller.run_once(feeds, force=True))
    asyncio.run(poller.aclose())
    records = store.seen_since(poller.now().replace(year=2000))
    matcher = Matcher(shipped)
    alone = {}
    for record in records:
        stored = store.get_article(record.key)
        if record.item_id and stored and (hits := matcher.match(readable(stored).text)):
            alone[record.key] = tuple(hits)
    assert len(records) % 4 and len(alone) > 4  # batches to fill and one left short
    monkeypatch.setattr(rematch, "REMATCH_BATCH", 4)
    found = find_hits(store, records, shipped)
    assert {f.record.key: f.hits for f in found} == alone
