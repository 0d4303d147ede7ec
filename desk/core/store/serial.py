"""Plain-dict forms of the models, for the store and for JSON output.

What is read back is made safe again (`desk.core.safetext`): a store written
by a desk from before the boundary existed may hold escape sequences and
controls in titles, names, errors and bodies, and must not crash or drive
the terminal of a newer one. Articles and feed states are made safe as they
are read (one at a time, or a few hundred); alerts, of which a store holds
tens of thousands, through `safe_alert`, which the store applies once and
then records that it has (see tinystore).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import orjson

from desk.core.models import (
    Alert,
    AlertState,
    Article,
    FeedState,
    Hit,
    SeenItem,
    Severity,
    short_hash,
)
from desk.core.safetext import safe_line, safe_text, safe_url


def iso(when: datetime | None) -> str | None:
    """A datetime as ISO 8601, or None."""
    return when.isoformat() if when else None


def from_iso(value: Any) -> datetime | None:
    """An ISO 8601 string back to a datetime; anything else to None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def alert_to_dict(alert: Alert) -> dict[str, Any]:
    """An alert in the JSON shape of DESIGN.md, plus its workflow fields."""
    return {
        "id": alert.id,
        "state": alert.state.value,
        "title": alert.title,
        "url": alert.url,
        "sources": list(alert.sources),
        "published": iso(alert.published),
        "watchlists": list(alert.watchlists),
        "severity": alert.severity.value,
        "score": round(alert.score, 1),
        "hits": [hit.to_json() for hit in alert.hits],
        "created": iso(alert.created),
        "article_key": alert.article_key,
        "acknowledged_at": iso(alert.acknowledged_at),
        "note": alert.note,
        "snoozed_until": iso(alert.snoozed_until),
        "text_sketch": alert.text_sketch,
        "reason": alert.reason,
    }


def state_to_dict(alert: Alert) -> dict[str, Any]:
    """An alert's STATE_FIELDS as alert_to_dict gives them (without serialising the rest)."""
    return {
        "state": alert.state.value,
        "acknowledged_at": iso(alert.acknowledged_at),
        "note": alert.note,
        "snoozed_until": iso(alert.snoozed_until),
    }


def safe_alert(alert: Alert) -> Alert:
    """`alert` with every text made safe: for alerts stored before the text boundary existed."""
    if _printable(alert):
        return alert
    hits = tuple(
        hit._replace(
            watchlist=safe_line(hit.watchlist), term=safe_line(hit.term), text=safe_text(hit.text)
        )
        for hit in alert.hits
    )  # a hit's text may span a line break: safe_text keeps it, so its offsets still fit
    return replace(
        alert,
        title=safe_line(alert.title),
        url=safe_url(alert.url),
        note=safe_text(alert.note),
        reason=safe_line(alert.reason),
        sources=tuple(safe_line(source) for source in alert.sources),
        watchlists=tuple(safe_line(watchlist) for watchlist in alert.watchlists),
        hits=hits,
    )


def _printable(alert: Alert) -> bool:
    """A fast look that passes every safe alert but a few (a newline in a hit, say)."""
    if not (
        alert.title + alert.url + alert.note + alert.reason + "".join(alert.sources)
    ).isprintable():
        return False
    return all((hit.text + hit.term + hit.watchlist).isprintable() for hit in alert.hits)


def alert_from_dict(data: dict[str, Any]) -> Alert:
    """The inverse of alert_to_dict (its text as stored: see safe_alert)."""
    return Alert(
        id=data["id"],
        title=data.get("title", ""),
        url=data.get("url", ""),
        sources=tuple(data.get("sources", ())),
        published=from_iso(data.get("published")),
        watchlists=tuple(data.get("watchlists", ())),
        severity=Severity(data.get("severity", "medium")),
        score=float(data.get("score", 0)),
        hits=tuple(_hit_from_dict(hit) for hit in data.get("hits", ())),
        created=from_iso(data.get("created")) or datetime.fromtimestamp(0).astimezone(),
        article_key=data.get("article_key", ""),
        state=AlertState(data.get("state", "new")),
        acknowledged_at=from_iso(data.get("acknowledged_at")),
        note=data.get("note", ""),
        snoozed_until=from_iso(data.get("snoozed_until")),
        text_sketch=data.get("text_sketch", ""),
        reason=data.get("reason", ""),
    )


def _hit_from_dict(data: dict[str, Any]) -> Hit:
    return Hit(
        watchlist=data["watchlist"],
        term=data["term"],
        text=data["text"],
        start=int(data["start"]),
        end=int(data["end"]),
        score=float(data["score"]),
        article_key=data.get("article", ""),
    )


def article_to_dict(article: Article) -> dict[str, Any]:
    """An article as a plain dict."""
    return {
        "url": article.url,
        "title": article.title,
        "text": article.text,
        "byline": article.byline,
        "published": iso(article.published),
        "canonical_url": article.canonical_url,
        "source": article.source,
        "cleaned": article.cleaned,
    }


def article_from_dict(data: dict[str, Any]) -> Article:
    """The inverse of article_to_dict."""
    return Article(
        url=safe_url(data.get("url", "")),
        title=safe_line(data.get("title", "")),
        text=safe_text(data.get("text", "")),
        byline=safe_line(data.get("byline", "")),
        published=from_iso(data.get("published")),
        canonical_url=safe_url(data.get("canonical_url", "")),
        source=data.get("source", "page"),
        cleaned=bool(data.get("cleaned", True)),
    )


_FEED_TIMES = ("last_attempt", "last_success", "next_due", "failing_since")
_FEED_WORDS = ("title", "error", "warning")


def feed_state_to_dict(state: FeedState) -> dict[str, Any]:
    """A feed's health as a plain dict."""
    data = dict(state.__dict__)
    for key in _FEED_TIMES:
        data[key] = iso(data[key])
    data["new_item_times"] = [int(when.timestamp()) for when in state.new_item_times]  # short
    return data


def feed_state_from_dict(data: dict[str, Any]) -> FeedState:
    """The inverse of feed_state_to_dict."""
    fields = dict(data)
    for key in _FEED_TIMES:
        fields[key] = from_iso(fields.get(key))
    for key in _FEED_WORDS:
        fields[key] = safe_line(str(fields.get(key) or ""))
    fields["new_item_times"] = tuple(_times(fields.get("new_item_times")))
    known = FeedState.__dataclass_fields__
    return FeedState(**{k: v for k, v in fields.items() if k in known})


def _times(stamps: Any) -> Iterator[datetime]:
    """Datetimes from a list of POSIX seconds; anything else in it is skipped."""
    for stamp in stamps if isinstance(stamps, list) else ():
        if isinstance(stamp, int | float) and not isinstance(stamp, bool):
            yield datetime.fromtimestamp(stamp, UTC)


def seen_to_dict(item: SeenItem) -> dict[str, Any]:
    """A seen item as a plain dict."""
    return {**item.__dict__, "first_seen": iso(item.first_seen)}


def seen_from_dict(data: dict[str, Any]) -> SeenItem:
    """The inverse of seen_to_dict."""
    first_seen = from_iso(data.get("first_seen")) or datetime.fromtimestamp(0).astimezone()
    return SeenItem(
        key=data["key"],
        feed_url=data.get("feed_url", ""),
        url=data.get("url", ""),
        fingerprint=data.get("fingerprint", ""),
        first_seen=first_seen,
        alert_id=data.get("alert_id"),
        item_id=data.get("item_id", ""),
    )


STATE_FIELDS = ("state", "acknowledged_at", "note", "snoozed_until")
"""An alert's workflow fields: what the analyst changes, not what the alert says."""


def content_key(alert: Alert) -> str:
    """A hash of what an alert says (not where it is in the workflow)."""
    content = {k: v for k, v in alert_to_dict(alert).items() if k not in STATE_FIELDS}
    return short_hash(orjson.dumps(content, option=orjson.OPT_SORT_KEYS).decode())
