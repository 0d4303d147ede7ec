"""Where desk keeps its state: the Store protocol, and the in-memory store for tests.

The on-disk, crash-safe implementation is `desk.core.tinystore.TinyStore`
(re-exported here with `open_store`); `MemoryStore` keeps the same contract
in memory, for tests and one-shot runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any, Protocol

from desk.core.decide import newest_first
from desk.core.models import (
    HANDLED_STATES,
    Alert,
    AlertRow,
    Article,
    FeedState,
    SeenItem,
    alert_row,
)
from desk.core.store.serial import content_key


def holds(title: str, text: str, needle: str) -> bool:
    """Whether an article's title or text holds `needle` (already casefolded)."""
    return needle in title.casefold() or needle in text.casefold()


class Store(Protocol):
    """What the pipeline and the UI need from storage."""

    recovered: list[str]
    """What had to be repaired when the store opened, in words (empty if nothing)."""

    def seen(self, keys: Iterable[str]) -> dict[str, SeenItem]:
        """The seen-item records among `keys`."""
        ...

    def feed_states(self) -> dict[str, FeedState]:
        """Every feed's health, by URL."""
        ...

    def alerts(self) -> list[Alert]:
        """Every alert, newest first."""
        ...

    def alert_rows(self) -> list[AlertRow]:
        """Every alert's list row (what the list selects and orders by), in no particular order.

        Cheap at any size: the list asks for the full alerts of the page it shows.
        """
        ...

    def get_alert(self, alert_id: str) -> Alert | None:
        """One alert by id."""
        ...

    def reports_due(self) -> list[Alert]:
        """Alerts raised or grown that no headless run has reported yet, oldest story first.

        An alert the analyst acknowledged or archived first leaves the outbox
        unreported: they handled it (see HANDLED_STATES).
        """
        ...

    def report_note(self) -> dict[str, Any] | None:
        """Where the last report was being written, if it may not have finished."""
        ...

    def begin_report(self, note: dict[str, Any]) -> None:
        """Say, durably, where a report is about to be written."""
        ...

    def reports_done(self, alert_ids: Iterable[str]) -> None:
        """These alerts are reported; the note is cleared."""
        ...

    def outbox(self, channel: str) -> dict[str, Any]:
        """What a delivery channel (notify, webhook) keeps of its deliveries; {} before its first."""
        ...

    def save_outbox(self, channel: str, data: dict[str, Any]) -> None:
        """Keep a channel's delivery record; durable when this returns."""
        ...

    def get_article(self, key: str) -> Article | None:
        """An article body, loaded on demand."""
        ...

    def articles_containing(self, text: str, keys: Iterable[str]) -> Iterator[str]:
        """The keys among `keys` whose stored article holds `text` (any case), as they are found.

        Reads bodies as it goes (safe from a worker thread); stop iterating to stop reading.
        """
        ...

    def commit_cycle(
        self,
        seen: Iterable[SeenItem],
        articles: dict[str, Article],
        alerts: Iterable[Alert],
        feeds: Iterable[FeedState],
    ) -> None:
        """Write everything one poll cycle produced, as few writes as possible."""
        ...

    def update_alert(self, alert: Alert) -> None:
        """Replace one alert; durable when this returns."""
        ...

    def update_alerts(self, alerts: Iterable[Alert]) -> None:
        """Replace many alerts' workflow states at once; durable when this returns."""
        ...

    def seen_since(self, when: datetime) -> list[SeenItem]:
        """Every seen item first seen at or after `when`, oldest first."""
        ...

    def prune(self, now: datetime, keep_days: int) -> int:
        """Forget items older than `keep_days` that raised no alert; how many went."""
        ...

    def close(self) -> None:
        """Release files and the lock."""
        ...

    def site_lines(self) -> dict[str, Any]:
        """What desk has learned of each site's recurring lines (see desk.core.article.sitejunk)."""
        ...

    def save_site_lines(self, data: dict[str, Any]) -> None:
        """Keep the learned site lines; durable when this returns."""
        ...


class MemoryStore:
    """The Store contract in memory, for tests and one-shot runs."""

    def __init__(self) -> None:
        self._seen: dict[str, SeenItem] = {}
        self._feeds: dict[str, FeedState] = {}
        self._alerts: dict[str, Alert] = {}
        self._articles: dict[str, Article] = {}
        self._site_lines = "{}"
        self.recovered: list[str] = []
        self._due: dict[str, list[str]] = {}
        self._note: dict[str, Any] | None = None
        self._outboxes: dict[str, str] = {}

    def seen(self, keys: Iterable[str]) -> dict[str, SeenItem]:
        """The seen-item records among `keys`."""
        return {k: self._seen[k] for k in keys if k in self._seen}

    def feed_states(self) -> dict[str, FeedState]:
        """Every feed's health, by URL."""
        return dict(self._feeds)

    def alerts(self) -> list[Alert]:
        """Every alert, newest first."""
        return newest_first(self._alerts.values())

    def alert_rows(self) -> list[AlertRow]:
        """Every alert's list row."""
        return [alert_row(alert) for alert in self._alerts.values()]

    def get_alert(self, alert_id: str) -> Alert | None:
        """One alert by id."""
        return self._alerts.get(alert_id)

    def get_article(self, key: str) -> Article | None:
        """An article body."""
        return self._articles.get(key)

    def articles_containing(self, text: str, keys: Iterable[str]) -> Iterator[str]:
        """The keys among `keys` whose article holds `text` (any case)."""
        needle = text.casefold()
        for key in keys:
            article = self._articles.get(key)
            if article is not None and holds(article.title, article.text, needle):
                yield key

    def commit_cycle(
        self,
        seen: Iterable[SeenItem],
        articles: dict[str, Article],
        alerts: Iterable[Alert],
        feeds: Iterable[FeedState],
    ) -> None:
        """Keep everything one poll cycle produced."""
        self._seen.update((s.key, s) for s in seen)
        self._articles.update(articles)
        batch = list(alerts)
        for alert in batch:
            known = self._alerts.get(alert.id)
            if known is None or content_key(known) != content_key(alert):
                self._due[alert.id] = [content_key(alert)]
            self._alerts[alert.id] = alert
        self._drop_handled(batch)
        self._feeds.update((f.url, f) for f in feeds)

    def _drop_handled(self, alerts: Iterable[Alert]) -> None:
        for alert in alerts:
            if alert.state in HANDLED_STATES:
                self._due.pop(alert.id, None)

    def reports_due(self) -> list[Alert]:
        """Alerts raised or grown and not yet reported, oldest story first."""
        due = [
            a for i, k in self._due.items() if (a := self._alerts.get(i)) and content_key(a) in k
        ]
        return sorted(due, key=lambda a: a.published or a.created)

    def report_note(self) -> dict[str, Any] | None:
        """Where the last report was being written."""
        return self._note

    def begin_report(self, note: dict[str, Any]) -> None:
        """Remember where a report is about to be written."""
        self._note = note

    def reports_done(self, alert_ids: Iterable[str]) -> None:
        """These alerts are reported."""
        for alert_id in alert_ids:
            self._due.pop(alert_id, None)
        self._note = None

    def outbox(self, channel: str) -> dict[str, Any]:
        """A channel's delivery record ({} before its first)."""
        kept: dict[str, Any] = json.loads(self._outboxes.get(channel, "{}"))
        return kept

    def save_outbox(self, channel: str, data: dict[str, Any]) -> None:
        """Keep a channel's delivery record."""
        self._outboxes[channel] = json.dumps(data)

    def update_alert(self, alert: Alert) -> None:
        """Replace one alert."""
        self.update_alerts([alert])

    def update_alerts(self, alerts: Iterable[Alert]) -> None:
        """Replace many alerts."""
        batch = list(alerts)
        self._alerts.update((a.id, a) for a in batch)
        self._drop_handled(batch)

    def seen_since(self, when: datetime) -> list[SeenItem]:
        """Every seen item first seen at or after `when`, oldest first."""
        return sorted(
            (s for s in self._seen.values() if s.first_seen >= when), key=lambda s: s.first_seen
        )

    def prune(self, now: datetime, keep_days: int) -> int:
        """Forget old items that raised no alert, and their bodies."""
        cutoff = now - timedelta(days=keep_days)
        old = [k for k, s in self._seen.items() if s.first_seen < cutoff and not s.alert_id]
        for key in old:
            del self._seen[key]
            self._articles.pop(key, None)
        return len(old)

    def close(self) -> None:
        """Nothing to release."""

    def site_lines(self) -> dict[str, Any]:
        """What desk has learned of each site's recurring lines."""
        saved: dict[str, Any] = json.loads(self._site_lines)
        return saved

    def save_site_lines(self, data: dict[str, Any]) -> None:
        """Keep the learned site lines."""
        self._site_lines = json.dumps(data)
