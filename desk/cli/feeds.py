"""`desk feeds`: each feed's health as a table; `desk feeds import|export` for OPML.

The table's rows are the `F` screen's (desk.core.view.feed_health): failing feeds first.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from desk.cli.common import (
    local_time,
    locations_of,
    look_at_store,
    shorten,
)
from desk.cli.parser import EXIT_OK
from desk.cli.start import STARTER_FEEDS
from desk.core.attention import blind_spots
from desk.core.errors import DeskError, plural
from desk.core.feeds.opml import read_opml, write_opml
from desk.core.models import Feed, FeedState
from desk.core.notify.deliver import channel_failures, configured_channels
from desk.core.pipeline import utc_now
from desk.core.settings.config import (
    Settings,
    load_feeds,
    load_settings,
)
from desk.core.store.serial import iso
from desk.core.store.tinystore import TinyStore
from desk.core.view import FeedHealth, feed_health


def run_feeds(args: argparse.Namespace) -> int:
    """`desk feeds`: each feed's health as a table (or JSON); `import`/`export` OPML."""
    if args.action == "import":
        return _import_opml(args)
    if args.action == "export":
        return _export_opml(args)
    where = locations_of(args)
    settings = load_settings(where.settings_file)
    feeds = load_feeds(where.feeds_file, settings)
    store = look_at_store(where.data_dir)
    states = store.feed_states()
    spots = blind_spots(feeds, states, utc_now(), settings.blind_after)
    health = feed_health(feeds, states, spots)
    channels = _channel_rows(store, settings)
    if getattr(args, "json", False):
        print(json.dumps(_health_json(feeds, states, health, channels), indent=2))
        return EXIT_OK
    rows = [("FEED", "STATUS", "HTTP", "LAST SUCCESS", "FAILS", "NEXT DUE", "LAST ERROR")]
    for row in health:
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
    for channel, problem in channels:
        status = "failing" if problem else "ok"
        rows.append((f"({channel})", status, "-", "-", "-", "-", shorten(problem, 80)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for cells in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()
        )
    for spot in spots:
        print(f"blind spot: {shorten(spot.line(), 120)}")
    return EXIT_OK


def _channel_rows(store: TinyStore, settings: Settings) -> list[tuple[str, str]]:
    """(channel, its failure or "") for each channel settings.yaml sets up."""
    failing = dict(channel_failures(store, settings))
    return [(channel, failing.get(channel, "")) for channel in configured_channels(settings)]


def _health_json(
    feeds: list[Feed],
    states: dict[str, FeedState],
    health: list[FeedHealth],
    channels: list[tuple[str, str]],
) -> dict[str, Any]:
    """`desk feeds --json`: each feed's health and blind spot, and each channel's, for monitoring.

    In feed order; name, status, `ok` and the blind spot are feed_health's
    rows (those of `desk feeds` and the `F` screen); the state adds the rest.
    """
    rows = {row.url: row for row in health}
    listed = []
    for feed in feeds:
        row = rows[feed.url]
        state = states.get(feed.url) or FeedState(url=feed.url)
        spot = row.blind_spot
        listed.append(
            {
                "url": feed.url,
                "name": row.name,
                "status": row.status,
                "ok": row.ok,
                "http_status": row.http_status,
                "error": state.error,
                "warning": state.warning,
                "failures": row.failures,
                "last_success": iso(row.last_success),
                "failing_since": iso(state.failing_since),
                "last_new_items": iso(state.new_item_times[-1]) if state.new_item_times else None,
                "next_due": iso(row.next_due),
                "blind_spot": {"kind": spot.kind, "since": iso(spot.since), "why": spot.why}
                if spot
                else None,
            }
        )
    return {
        "feeds": listed,
        "channels": [{"channel": c, "ok": not p, "error": p} for c, p in channels],
    }


def _export_opml(args: argparse.Namespace) -> int:
    where = locations_of(args)
    feeds = load_feeds(where.feeds_file, load_settings(where.settings_file))
    if where.data_dir.is_dir() and any(not feed.name for feed in feeds):  # a feed's own title
        states = look_at_store(where.data_dir).feed_states()
        titles = {url: state.title for url, state in states.items() if state.title}
        feeds = [
            feed if feed.name else replace(feed, name=titles.get(feed.url, "")) for feed in feeds
        ]
    text = write_opml(feeds)
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
    skipped: list[str] = []
    listed = {f.url: f for f in read_opml(Path(args.file), skipped)}  # a feed may be listed twice
    fresh = [f for url, f in listed.items() if url not in known]
    if fresh:
        _append_feeds(where.feeds_file, fresh)
    already = len(listed) - len(fresh)
    print(
        f"imported {plural(len(fresh), 'feed')} into {where.feeds_file}"
        + (f"; {already} already there" if already else "")
    )
    if skipped:
        first = f" ({skipped[0]!r}{', …' if len(skipped) > 1 else ''})"
        print(
            f"desk: {args.file}: skipped {plural(len(skipped), 'outline')} whose xmlUrl "
            f"is not an http:// or https:// address{first}",
            file=sys.stderr,
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
