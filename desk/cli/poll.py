"""`desk poll`: one cycle for cron (`--once`), or headless polling until stopped (see desk.headless)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from pathlib import Path

from desk.cli.common import (
    load_watchlist_folder,
    locations_of,
    open_store,
)
from desk.cli.parser import EXIT_BAD_INPUT, EXIT_OK
from desk.core.article.extract import headless_worker_count
from desk.core.errors import DeskError, StoreLocked
from desk.core.models import Feed
from desk.core.notify.deliver import open_channels
from desk.core.pipeline import CycleResult, Poller, utc_now
from desk.core.settings.config import (
    Settings,
    load_feeds,
    load_settings,
)
from desk.core.store.tinystore import TinyStore
from desk.core.view import next_poll
from desk.headless import (
    ContinuousPoll,
    LiveConfig,
    after_cycle,
    poll_until_stopped,
    print_cycle,
)


def run_cycle(
    store: TinyStore, settings: Settings, feeds: list[Feed], watch_dir: Path, force: bool
) -> CycleResult:
    watchlists = load_watchlist_folder(watch_dir)
    poller = Poller(store, settings, watchlists, extract_workers=headless_worker_count())
    try:
        return asyncio.run(poller.run_once(feeds, force=force))
    finally:
        poller.close()


def run_poll(args: argparse.Namespace) -> int:
    """`desk poll`: headless polling; with --once, one cycle for cron."""
    where = locations_of(args)
    settings = load_settings(where.settings_file)
    feeds = load_feeds(where.feeds_file, settings)
    if not feeds:
        raise DeskError(
            f"no feeds configured in {where.feeds_file}: add one there, "
            "or `desk feeds import FILE.opml`"
        )
    if not args.once:
        return _poll_continuously(args, LiveConfig(where, settings, feeds))
    try:
        store = open_store(where.data_dir, wait=10.0)
    except StoreLocked as exc:
        print(f"desk: skipped this cycle: {exc}", file=sys.stderr)
        return EXIT_OK
    try:
        reported = poll_once(store, settings, feeds, where.watchlists_dir, args.all, args.json)
    finally:
        store.close()
    return EXIT_OK if reported else EXIT_BAD_INPUT


def poll_once(
    store: TinyStore,
    settings: Settings,
    feeds: list[Feed],
    watch_dir: Path,
    force: bool,
    as_json: bool,
) -> bool:
    """One cycle, its summary on stderr, then what follows every cycle (headless.after_cycle).

    A cycle that fails (a full disk) still reports and delivers what it and
    earlier runs stored; the failure itself is what the command ends with.
    False when the alerts due could not be reported (said on stderr).
    """
    open_channels(store, settings, utc_now())
    try:
        result = run_cycle(store, settings, feeds, watch_dir, force)
    except Exception as exc:
        after_cycle(store, settings, feeds, store.data_dir, utc_now(), as_json, str(exc))
        raise
    print_cycle(result)
    if not result.outcomes:
        say_none_due(next_poll(feeds, store.feed_states()))
    return after_cycle(store, settings, feeds, store.data_dir, utc_now(), as_json)


def say_none_due(upcoming: datetime | None) -> None:
    """After a cycle that polled nothing: when the next feed is due, and how to poll them all now."""
    when = f"; the next is due at {upcoming.astimezone():%H:%M:%S}" if upcoming else ""
    print(f"no feed was due{when} (--all polls every feed now)", file=sys.stderr)


def _poll_continuously(args: argparse.Namespace, config: LiveConfig) -> int:
    """`desk poll` without --once: one Poller until Ctrl-C (exit 130) or SIGTERM (exit 0)."""
    store = open_store(config.where.data_dir)  # held by another desk: a one-line error
    try:
        poll_until_stopped(ContinuousPoll(store, config, args.json, every_feed=args.all))
    finally:
        store.close()
    return EXIT_OK
