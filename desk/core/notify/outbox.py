"""A delivery channel's record and the pure decisions over it: what is owed, how, and when to retry.

A channel (the notify command, the webhook) owes every alert raised since
it was set up, at or above its severity, that the analyst has not already
handled, and that it has not sent. The record says what it sent (by id,
with when the alert was raised, so the set can be trimmed) and what was in
flight: written before a delivery starts and cleared once its outcome is
kept, so that a desk killed in between finds out, on its next start, what
came of it instead of guessing (see desk.core.notify.deliver).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from desk.core.models import HANDLED_STATES, AlertRow, Severity

KEEP_SENT_SECONDS = 2 * 86400.0
"""How long a sent alert's id is remembered (longer while an older alert is still owed)."""
MESSAGE_CHARS = 160
"""How much of an error a channel's failure line (kept in its record) quotes: a POST's, a command's stderr."""
RETRY_DELAYS = (0.5, 1.0, 2.0)
"""Seconds between the tries of one webhook POST within a cycle; then later cycles try again."""


@dataclass(frozen=True)
class Flight:
    """A delivery that was started and whose outcome is not yet kept."""

    ids: tuple[str, ...]
    token: str
    """Names a command run's files (stdin, status, stderr); "" for a webhook round's flight,
    whose POSTs each go under the alert's own delivery id (an older desk's one-POST flight
    kept that id here)."""
    started: float
    """When it started (POSIX seconds)."""
    pid: int | None = None
    """The process running a command, once it runs."""

    def to_dict(self) -> dict[str, Any]:
        """The flight as the record keeps it."""
        return {
            "ids": list(self.ids),
            "token": self.token,
            "started": self.started,
            "pid": self.pid,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Flight:
        """A flight from the record."""
        return cls(tuple(data["ids"]), str(data["token"]), float(data["started"]), data.get("pid"))


@dataclass(frozen=True)
class Record:
    """What one channel keeps in the store."""

    since: float
    """Alerts raised before this (POSIX seconds) are not owed: the channel was set up later."""
    sent: dict[str, float] = field(default_factory=dict)
    """Alert id -> when it was raised, for every alert sent since `since`."""
    flight: Flight | None = None
    failure: str = ""
    """The last failure in one line ("" once a delivery succeeds)."""
    failing_since: float | None = None
    key: str = ""
    """Fixed when the channel opens and never trimmed: part of every webhook delivery id."""

    def to_dict(self) -> dict[str, Any]:
        """The record as the store keeps it."""
        return {
            "since": self.since,
            "sent": self.sent,
            "flight": self.flight.to_dict() if self.flight else None,
            "failure": self.failure,
            "failing_since": self.failing_since,
            "key": self.key,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], now: float) -> Record:
        """A record from the store; an empty one (a new channel) owes what is raised from `now` on.

        A record kept before channels had a key gets one from its `since` as
        it stands (what its delivery ids were made of), kept from then on.
        """
        if not data:
            return cls(since=now, key=repr(now))
        flight = data.get("flight")
        since = float(data.get("since", now))
        return cls(
            since=since,
            key=str(data.get("key") or since),
            sent={str(k): float(v) for k, v in (data.get("sent") or {}).items()},
            flight=Flight.from_dict(flight) if flight else None,
            failure=str(data.get("failure") or ""),
            failing_since=data.get("failing_since"),
        )


def raised_at(row: AlertRow) -> float:
    """When an alert was raised (POSIX seconds)."""
    return row.order[1]


def owed(rows: Iterable[AlertRow], record: Record, min_severity: Severity) -> list[AlertRow]:
    """The alerts a channel owes, oldest raised first."""
    due = [
        row
        for row in rows
        if raised_at(row) >= record.since
        and row.severity.rank >= min_severity.rank
        and row.state not in HANDLED_STATES
        and row.id not in record.sent
        and (record.flight is None or row.id not in record.flight.ids)
    ]
    return sorted(due, key=lambda row: (raised_at(row), row.id))


def runs_for(due: Sequence[str], digest_over: int) -> list[tuple[str, ...]]:
    """One run per alert, or one digest run for all when more than `digest_over` are due."""
    if len(due) > digest_over:
        return [tuple(due)]
    return [(alert_id,) for alert_id in due]


def sent(record: Record, ids: Iterable[str], raised: dict[str, float], now: float) -> Record:
    """The record once `ids` were delivered: sent, no longer in flight, no failure.

    A webhook round's flight holds all of its POSTs; what is left of it stays in flight.
    """
    done = {i: raised.get(i, now) for i in ids}
    kept = {**record.sent, **done}
    flight = record.flight
    rest = tuple(i for i in flight.ids if i not in done) if flight else ()
    left = replace(flight, ids=rest) if flight and rest else None
    return replace(record, sent=kept, flight=left, failure="", failing_since=None)


def failed(record: Record, line: str, now: float) -> Record:
    """The record once a delivery failed: nothing in flight, the failure kept to be shown."""
    since = record.failing_since if record.failure else now
    return replace(record, flight=None, failure=line, failing_since=since)


def trimmed(record: Record, still_owed: Iterable[AlertRow], now: float) -> Record:
    """The record with old sent ids forgotten, never past an alert still owed."""
    oldest_owed = min((raised_at(row) for row in still_owed), default=now)
    since = max(record.since, min(now - KEEP_SENT_SECONDS, oldest_owed))
    if since == record.since:
        return record
    return replace(record, since=since, sent={k: v for k, v in record.sent.items() if v >= since})


def retry_delay(tries: int) -> float | None:
    """Seconds to wait before try number `tries + 1` of one POST in this cycle; None: leave it."""
    return RETRY_DELAYS[tries - 1] if 1 <= tries <= len(RETRY_DELAYS) else None
