"""Hot reload of a watchlist folder: debounced, keeping each file's last good version.

`LiveWatchlists.poll(now)` is cheap (one stat per file) and meant to be called
every fraction of a second. When the folder changes and then stays still for
the debounce delay, the changed files are reloaded: a file that no longer
loads keeps its last good version and reports its error; a removed file's
watchlist goes; the result says which watchlists are new or changed, so they
can be run over the articles already stored. An examples file beside them
(`*.jsonl`, see match/semantic.py) is watched too: its edit reloads every
watchlist, and those that read it (and only they) come out changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Generic, TypeVar

from desk.core.errors import WatchlistError
from desk.core.match.watchlists import irregular_files, load_watchlist, watchlist_files
from desk.core.models import Watchlist

DEBOUNCE_SECONDS = 0.4
"""How long the folder must stay unchanged before it is reloaded (editors save in steps)."""

Signature = tuple[tuple[str, int, int], ...]
Stamp = TypeVar("Stamp")


class Settling(Generic[Stamp]):
    """Files' stamps (names, mtimes, sizes) watched for a change that has settled.

    A change counts once the stamps differ from the last accepted ones and
    have stayed the same for DEBOUNCE_SECONDS: an editor's save in steps is
    one change, never a half-written file. Used for the watchlist folder and
    for settings.yaml and feeds.yaml.
    """

    def __init__(self, read: Callable[[], Stamp]) -> None:
        self._read = read
        self._accepted = read()
        self._pending: tuple[Stamp, float] | None = None

    def settled(self, now: float) -> Stamp | None:
        """The new stamps if they changed and have been still long enough, else None."""
        stamps = self._read()
        if stamps == self._accepted:
            self._pending = None
            return None
        if self._pending is None or self._pending[0] != stamps:
            self._pending = (stamps, now)
            return None
        return stamps if now - self._pending[1] >= DEBOUNCE_SECONDS else None

    def accept(self, stamps: Stamp | None = None) -> Stamp:
        """Take these stamps (by default the files' as they are now) as read."""
        self._accepted = self._read() if stamps is None else stamps
        self._pending = None
        return self._accepted


def folder_signature(folder: Path) -> Signature:
    """Name, mtime and size of every watchlist file and examples file (*.jsonl): changes
    whenever a file does."""
    found = []
    examples = sorted(folder.glob(f"*{EXAMPLES_SUFFIX}")) if folder.is_dir() else []
    for path in [*watchlist_files(folder), *examples]:
        try:
            info = path.stat()
        except OSError:
            continue
        found.append((path.name, info.st_mtime_ns, info.st_size))
    return tuple(found)


@dataclass(frozen=True)
class Reloaded:
    """What a reload did."""

    watchlists: tuple[Watchlist, ...]
    """Every watchlist now in force, last good versions included."""
    changed: tuple[str, ...] = ()
    """Ids of watchlists that are new or whose content changed."""
    removed: tuple[str, ...] = ()
    """Ids of watchlists whose file is gone."""
    errors: tuple[WatchlistError, ...] = ()
    """One per file that does not load (its last good version, if any, stays in force)."""
    failed: tuple[str, ...] = ()
    """Ids of the files that failed to load in this reload (not ones that failed before)."""


class LiveWatchlists:
    """The watchlists of a folder as they are now, reloaded when the files change."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.current: dict[str, Watchlist] = {}
        self.errors: dict[str, WatchlistError] = {}
        self._signatures: dict[str, tuple[int, int]] = {}
        self._folder = Settling(lambda: folder_signature(folder))

    def load(self) -> Reloaded:
        """Load the folder now (at start); entries that are no regular file are said here once."""
        loaded = self._apply(self._folder.accept())
        return replace(loaded, errors=loaded.errors + tuple(irregular_files(self.folder)))

    def poll(self, now: float) -> Reloaded | None:
        """Reload if the folder changed and has been still for DEBOUNCE_SECONDS."""
        signature = self._folder.settled(now)
        if signature is None:
            return None
        return self._apply(self._folder.accept(signature))

    def _apply(self, signature: Signature) -> Reloaded:
        files = {name: (mtime, size) for name, mtime, size in signature}
        removed = [w for w in self.current if not _has_file(files, w)]
        for watchlist_id in removed:
            del self.current[watchlist_id]
        self.errors = {w: e for w, e in self.errors.items() if _has_file(files, w)}
        changed, failed = [], []
        examples = [name for name in files if name.endswith(EXAMPLES_SUFFIX)]
        gone = [n for n in self._signatures if n.endswith(EXAMPLES_SUFFIX) and n not in files]
        edited = bool(gone) or any(self._signatures.get(n) != files[n] for n in examples)
        for name in examples:  # an examples file is read by the watchlists that name it
            self._signatures[name] = files.pop(name)
        for name, stamp in files.items():
            if self._signatures.get(name) == stamp and not edited:
                continue
            self._signatures[name] = stamp
            if self._reload(self.folder / name):
                changed.append(Path(name).stem)
            elif Path(name).stem in self.errors:
                failed.append(Path(name).stem)
        kept = set(files) | set(examples)
        self._signatures = {n: s for n, s in self._signatures.items() if n in kept}
        return Reloaded(
            watchlists=tuple(self.current[w] for w in sorted(self.current)),
            changed=tuple(changed),
            removed=tuple(removed),
            errors=tuple(self.errors[w] for w in sorted(self.errors)),
            failed=tuple(failed),
        )

    def _reload(self, path: Path) -> bool:
        """Reload one file; True if its watchlist is new or different."""
        try:
            fresh = load_watchlist(path)
        except WatchlistError as exc:
            self.errors[path.stem] = exc
            return False
        self.errors.pop(path.stem, None)
        before = self.current.get(fresh.id)
        self.current[fresh.id] = fresh
        return before != fresh


EXAMPLES_SUFFIX = ".jsonl"
"""Examples files beside the watchlists: an edit of one reloads every watchlist."""


def _has_file(files: dict[str, tuple[int, int]], watchlist_id: str) -> bool:
    return f"{watchlist_id}.yaml" in files or f"{watchlist_id}.yml" in files
