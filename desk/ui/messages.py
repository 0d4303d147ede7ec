"""Messages the desk's workers send to its widgets, named as past events."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from desk.core.attention import Surge
from desk.core.models import Alert
from desk.core.notify.deliver import ChannelReport
from desk.core.pipeline import CycleResult


@dataclass
class CycleFinished(Message):
    """A poll cycle ended; its alerts are already in the store (their delivery follows)."""

    result: CycleResult
    surges: list[Surge]
    """The watchlists surging after it (judged once: its delivery round carries the same)."""


@dataclass
class DeliveryFinished(Message):
    """The delivery round after a poll ended: what each channel did."""

    reports: list[ChannelReport]


@dataclass
class DeliveryFailed(Message):
    """The delivery round after a poll raised (a store it could not write): one line."""

    error: str


@dataclass
class CycleFailed(Message):
    """A poll cycle could not run at all (feed failures do not count)."""

    error: str


@dataclass
class WatchlistsRematched(Message):
    """Reloaded watchlists were run over the stored articles."""

    watchlists: tuple[str, ...]
    articles: int
    alerts: list[Alert]


@dataclass
class LinkOpened(Message):
    """The analyst asked for a link in the browser; the app opens it."""

    url: str


@dataclass
class WatchlistEditRequested(Message):
    """The analyst asked to edit a watchlist; the app runs $EDITOR on its file."""

    watchlist: str
