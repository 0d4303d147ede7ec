"""Running new or changed watchlists over the articles already stored.

When an analyst adds a term, the articles of the last weeks are matched
again so that the new term raises alerts from them at once. The work is in
two steps so that a UI can keep the store on one thread: `find_hits` only
reads (safe in a worker thread); `raise_alerts` decides and writes, merging
into each story's existing alert, so nothing is ever raised twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from desk.core import decide
from desk.core.article.extract import readable
from desk.core.match.matcher import Matcher
from desk.core.models import Alert, Article, Hit, Item, SeenItem, Watchlist
from desk.core.store.contract import Store

REMATCH_BATCH = 64
"""Stored articles matched together (the examples' vote compares their leads in one product)."""


@dataclass(frozen=True)
class Found:
    """A stored article that the watchlists hit."""

    record: SeenItem
    article: Article
    hits: tuple[Hit, ...]


def find_hits(
    store: Store, records: Iterable[SeenItem], watchlists: list[Watchlist]
) -> list[Found]:
    """Match `watchlists` against the stored article of each record (reads only)."""
    if not watchlists:
        return []
    matcher = Matcher(watchlists)
    found: list[Found] = []
    batch: list[tuple[SeenItem, Article]] = []
    for record in records:
        if not record.item_id:  # recorded before items kept their id: cannot be rebuilt
            continue
        stored = store.get_article(record.key)
        if stored is None:
            continue
        batch.append((record, readable(stored)))
        if len(batch) == REMATCH_BATCH:
            found.extend(_found_in(matcher, batch))
            batch = []
    return found + _found_in(matcher, batch)


def _found_in(matcher: Matcher, batch: list[tuple[SeenItem, Article]]) -> list[Found]:
    """The stored articles of `batch` that the matcher hits, matched together."""
    texts = [article.text for _, article in batch]
    return [
        Found(record, article, tuple(hits))
        for (record, article), hits in zip(batch, matcher.match_many(texts), strict=True)
        if hits
    ]


def raise_alerts(
    store: Store,
    found: list[Found],
    watchlists: dict[str, Watchlist],
    now: datetime,
    sources: Mapping[str, str],
) -> list[Alert]:
    """Turn what `find_hits` found into new or grown alerts, and store them.

    `sources` names each feed URL as a cycle's alerts name it (attention.source_names),
    so an alert a reload raises or grows keeps the same sources and corroborates alike.
    """
    stories = decide.StoryIndex(store.alerts(), now)
    changed: dict[str, Alert] = {}
    records = []
    for item in found:
        existing = decide.existing_alert(item.record.alert_id, item.article, stories)
        alert = decide.decide_alert(
            _rebuilt(item),
            sources.get(item.record.feed_url, item.record.feed_url),
            item.article,
            list(item.hits),
            watchlists,
            existing,
            now,
        )
        if alert is None or alert == existing:
            continue
        changed[alert.id] = alert
        stories.add(alert)
        if item.record.alert_id != alert.id:
            records.append(replace(item.record, alert_id=alert.id))
    if changed:
        store.commit_cycle(records, {}, changed.values(), [])
    return list(changed.values())


def _rebuilt(item: Found) -> Item:
    """The feed item as decide_alert needs it: same key, title, link and date."""
    record = item.record
    return Item(
        feed_url=record.feed_url,
        id=record.item_id,
        url=record.url,
        title=item.article.title,
        published=item.article.published,
    )
