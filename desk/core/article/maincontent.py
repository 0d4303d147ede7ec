"""trafilatura's main content of a parsed page, without the work whose results desk never reads.

desk wants one thing of trafilatura: the body tree of a page it has parsed
itself (fast mode, comments and metadata off; desk walks the tree into
paragraphs). `bare_extraction` also builds its options anew for each page
(0.1 ms), copies the whole parsed tree so as to leave the caller's alone
(0.4 ms: desk drops its tree afterwards) and writes the body out as text
(0.1 ms); and its sequence copies the cleaned tree as a backup (0.25 ms)
that only the comparison with other extractors (off in fast mode) and the
comments of forum pages (comments are off) read. `main_body` runs the same
sequence without those: options built once per process, the caller's tree
given to the sequence, the backup skipped when nothing can read it.

What bare_extraction does around the sequence for desk's options is done
here too: a TypeError or ValueError, or an empty result, is no body. The
shortcut is tied to the trafilatura it was written against (`_VERSION`):
with another, `main_body` says so (None from `install`) and the caller goes
through `bare_extraction` as before. The same bodies on the 181 pages of
the extraction benchmark and in tests.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import copy
from typing import Any

from lxml import etree

_VERSION = "2.3.1"
"""The trafilatura whose bare_extraction, trafilatura_sequence and _prepare_tree this follows."""
_INSTALLED = "_desk_no_backup"
_options: list[Any] = []
"""The Extractor options desk uses, built once per process (its url set per page on a copy)."""


def install() -> bool:
    """Make trafilatura skip the unread backup tree; False (nothing changed) if its version differs.

    Idempotent; call after importing trafilatura, in each process that extracts.
    """
    import trafilatura
    from trafilatura import core

    if trafilatura.__version__ != _VERSION:
        return False
    prepare = core._prepare_tree
    if not getattr(prepare, _INSTALLED, False):
        core._prepare_tree = _without_unread_backup(prepare)
    return True


def main_body(tree: Any, url: str = "") -> Any:
    """The body tree trafilatura finds in `tree` (which it changes), or None when it finds none.

    Call only once `install()` has returned True. The same result as
    `bare_extraction(tree, url=url, fast=True, favor_recall=True,
    include_comments=False, include_tables=True, with_metadata=False).body`.
    """
    from trafilatura import core
    from trafilatura.settings import Extractor

    if not _options:
        _options.append(
            Extractor(output_format="python", fast=True, recall=True, comments=False, tables=True)
        )
    options = copy(_options[0])
    options.url = options.source = url or None
    try:
        body, text, _, comments = core.trafilatura_sequence(tree, options, options.url)
    except (TypeError, ValueError):  # what bare_extraction returns None for
        return None
    if len(text) < options.min_output_size and len(comments) < options.min_output_comm_size:
        return None
    if options.max_tree_size and len(body) > options.max_tree_size:
        etree.strip_tags(body, "hi")
        if len(body) > options.max_tree_size:
            return None
    return body


def _without_unread_backup(prepare: Callable[..., Any]) -> Callable[..., Any]:
    """`_prepare_tree` that, in fast mode with comments off, leaves out the backup copy.

    In trafilatura 2.3.1 the backup is read by compare_extraction (not run in
    fast mode) and by the forum path of comment extraction (comments on) only.
    """
    from trafilatura.htmlprocessing import convert_tags, tree_cleaning

    def prepare_tree(tree: Any, options: Any, url: str | None) -> tuple[Any, Any]:
        if not options.fast or options.comments:
            return prepare(tree, options, url)  # type: ignore[no-any-return]
        return convert_tags(tree_cleaning(copy(tree), options), options, url), None

    setattr(prepare_tree, _INSTALLED, True)
    prepare_tree.__wrapped__ = prepare  # type: ignore[attr-defined]
    return prepare_tree
