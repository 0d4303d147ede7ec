"""`desk feeds`: each feed's health as a table; `desk feeds import|export` for OPML.

The table's rows are the `F` screen's (desk.core.view.feed_health): failing feeds first.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from desk.cli.common import (
    local_time,
    locations_of,
    look_at_store,
    shorten,
)
from desk.cli.parser import EXIT_OK
from desk.cli.start import STARTER_FEEDS
from desk.core.errors import DeskError, plural
from desk.core.feeds.opml import read_opml, write_opml
from desk.core.models import Feed
from desk.core.notify.deliver import channel_failures, configured_channels
from desk.core.settings.config import (
    load_feeds,
    load_settings,
)
from desk.core.view import feed_health


def run_feeds(args: argparse.Namespace) -> int:
    """`desk feeds`: each feed's health as a table; `import`/`export` OPML."""
    if args.action == "import":
        return _import_opml(args)
    if args.action == "export":
        return _export_opml(args)
    where = locations_of(args)
    settings = load_settings(where.settings_file)
    feeds = load_feeds(where.feeds_file, settings)
    store = look_at_store(where.data_dir)
    rows = [("FEED", "STATUS", "HTTP", "LAST SUCCESS", "FAILS", "NEXT DUE", "LAST ERROR")]
    for row in feed_health(feeds, store.feed_states()):
        rows.append(
            (
                shorten(row.name, 40),
                row.status,
                str(row.http_status or "-"),
                local_time(row.last_success) if row.last_success else "-",
                str(row.failures),
                local_time(row.next_due) if row.next_due else "now",
                shorten(row.error, 80),
            )
        )
    failing = dict(channel_failures(store))
    for channel in configured_channels(settings):
        problem = failing.get(channel, "")
        status = "failing" if problem else "ok"
        rows.append((f"({channel})", status, "-", "-", "-", "-", shorten(problem, 80)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    return EXIT_OK


def _export_opml(args: argparse.Namespace) -> int:
    where = locations_of(args)
    text = write_opml(load_feeds(where.feeds_file, load_settings(where.settings_file)))
    if args.file in (None, "-"):
        sys.stdout.write(text)
    else:
        Path(args.file).write_text(text, encoding="utf-8")
        print(f"wrote {args.file}", file=sys.stderr)
    return EXIT_OK


def _import_opml(args: argparse.Namespace) -> int:
    """Append the OPML's new feeds to feeds.yaml, keeping the analyst's comments."""
    if not args.file:
        raise DeskError("desk feeds import needs the OPML file to read")
    where = locations_of(args)
    known = {f.url for f in load_feeds(where.feeds_file)}
    listed = {f.url: f for f in read_opml(Path(args.file))}  # an OPML may list a feed twice
    fresh = [f for url, f in listed.items() if url not in known]
    if fresh:
        _append_feeds(where.feeds_file, fresh)
    already = len(listed) - len(fresh)
    print(
        f"imported {plural(len(fresh), 'feed')} into {where.feeds_file}"
        + (f"; {already} of the file's were there already" if already else "")
    )
    return EXIT_OK


def _append_feeds(path: Path, feeds: list[Feed]) -> None:
    """Add entries at the end of feeds.yaml, then check the result still loads."""
    before = path.read_text(encoding="utf-8") if path.exists() else STARTER_FEEDS
    lines = [before.rstrip("\n")]
    for feed in feeds:
        lines.append(f"  - url: {json.dumps(feed.url)}")
        if feed.name:
            lines.append(f"    name: {json.dumps(feed.name)}")
        if feed.tags:
            lines.append(f"    tags: {json.dumps(list(feed.tags))}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        load_feeds(path)
    except DeskError as exc:
        path.write_text(before, encoding="utf-8")
        raise DeskError(
            f"{_why_not_appended(before, exc)}; feeds.yaml is unchanged", path
        ) from None


def _why_not_appended(before: str, error: DeskError) -> str:
    """Why feeds.yaml did not load with the new entries: its own error, or where they went."""
    if before.rstrip().splitlines() and not before.rstrip().splitlines()[-1].startswith(
        (" ", "-", "feeds:")
    ):
        return (
            "feeds.yaml does not end with its feeds: list, so desk cannot append to it; "
            "move 'feeds:' to the end and import again"
        )
    return f"with the imported feeds it would not load ({error.message})"
