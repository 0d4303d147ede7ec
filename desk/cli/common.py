"""What the command families share: the folders, the store, the watchlists, input files, short cells."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from desk.core.errors import DeskError
from desk.core.feeds.charset import decode_text
from desk.core.match.watchlists import load_watchlists
from desk.core.models import Watchlist
from desk.core.settings.config import (
    Locations,
    resolve_locations,
    shipped_watchlists_dir,
)
from desk.core.store.tinystore import TinyStore
from desk.core.store.tinystore import open_store as _open_store
from desk.core.view import shorten as shorten  # the CLI shortens as the desk does


def open_store(data_dir: Path, wait: float = 0.0) -> TinyStore:
    """Open the store and tell the user, in words, about anything it had to repair."""
    store = _open_store(data_dir, wait)
    for note in store.recovered:
        print(f"desk: {note}", file=sys.stderr)
    return store


def locations_of(args: argparse.Namespace) -> Locations:
    """The folders named by the flags, the environment or platformdirs."""
    return resolve_locations(args.config, args.data, args.watchlists)


def match_watchlists_dir(args: argparse.Namespace) -> Path:
    """For `desk test` (as `desk match` does): the user's watchlists if they have some, else the shipped ones."""
    own = locations_of(args).watchlists_dir
    return own if any(own.glob("*.y*ml")) else shipped_watchlists_dir()


def load_watchlist_folder(folder: Path, strict: bool = False) -> list[Watchlist]:
    """The watchlists in `folder`; errors are printed (or raised when `strict`)."""
    result = load_watchlists(folder)
    for error in result.errors:
        if strict:
            raise error
        print(f"desk: {error} (skipped)", file=sys.stderr)
    if not result.watchlists and not result.errors:
        print(
            f"desk: no watchlists in {folder}; `desk init` copies the shipped ones", file=sys.stderr
        )
    return list(result.watchlists)


def read_input(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    path = Path(name)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DeskError(f"cannot read: {exc.strerror or exc}", path) from None
    return decode_text(raw)


def local_time(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else "-"


def look_at_store(data_dir: Path) -> TinyStore:
    """The store opened read-only (another desk may hold it); anything unreadable is said."""
    store = TinyStore(data_dir, read_only=True)
    for note in store.recovered:
        print(f"desk: {note}", file=sys.stderr)
    return store
