"""Undo of the analyst's changes of state: each change keeps the alerts as they were before it.

One change may cover many alerts (`A` acknowledges a whole view), and one
undo puts them all back. The stack is bounded; the oldest changes drop off.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from desk.core.models import Alert

UNDO_DEPTH = 50
"""How many changes can be undone, newest first."""


@dataclass(frozen=True)
class Change:
    """One change of state as it can be undone: what it was called and the alerts before it."""

    label: str
    before: tuple[Alert, ...]


class UndoStack:
    """The last UNDO_DEPTH changes, newest on top."""

    def __init__(self, depth: int = UNDO_DEPTH) -> None:
        self._changes: deque[Change] = deque(maxlen=depth)

    def push(self, label: str, before: Iterable[Alert]) -> None:
        """Remember a change made to `before` (the alerts as they were); nothing for no alerts."""
        alerts = tuple(before)
        if alerts:
            self._changes.append(Change(label, alerts))

    def pop(self) -> Change | None:
        """The newest change, taken off the stack; None when there is nothing to undo."""
        return self._changes.pop() if self._changes else None

    def __len__(self) -> int:
        return len(self._changes)
