"""The one root error of desk, and how it names the place that went wrong.

An error's message and place are made safe when it is made (see
`desk.core.safetext`): they often quote a server's reason phrase, a feed's
text or a line of a file being edited, and they end up on a terminal.
"""

from __future__ import annotations

from collections.abc import Iterable
from difflib import get_close_matches
from pathlib import Path

from desk.core.safetext import safe_line


class DeskError(Exception):
    """An error a person can act on: what is wrong, and where (file:line:col)."""

    def __init__(
        self,
        message: str,
        path: Path | str | None = None,
        line: int | None = None,
        col: int | None = None,
    ) -> None:
        message = safe_line(message)
        super().__init__(message)
        self.message = message
        self.path = safe_line(str(path)) if path is not None else None
        self.line = line
        self.col = col

    def where(self) -> str:
        """The place as `file:line:col`, as much of it as is known."""
        parts = [self.path or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.col is not None:
                parts.append(str(self.col))
        return ":".join(parts)

    def __str__(self) -> str:
        if self.path is None and self.line is None:
            return self.message
        return f"{self.where()}: {self.message}"


def did_you_mean(word: str, valid: Iterable[str]) -> str:
    """'; did you mean 'interval'?' for the nearest valid word, or '' if none is near."""
    hint = get_close_matches(word, list(valid), n=1, cutoff=0.5)
    return f"; did you mean {hint[0]!r}?" if hint else ""


class ConfigError(DeskError):
    """Bad settings or feeds.yaml."""


class WatchlistError(DeskError):
    """A watchlist file that cannot be used."""


class StoreError(DeskError):
    """The store cannot be opened or written."""


class StoreLocked(StoreError):
    """Another desk process holds the data directory."""


def plural(count: int, noun: str) -> str:
    """'1 feed', '2 feeds': a count with its noun (regular English plurals only)."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"
