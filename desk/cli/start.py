"""Starting desk: the TUI on your feeds (`desk`), on the bundled demo (`desk demo`), and `desk init`."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from desk.cli.common import (
    locations_of,
    open_store,
)
from desk.cli.parser import EXIT_BAD_INPUT, EXIT_OK
from desk.cli.poll import poll_once
from desk.core.models import Feed
from desk.core.settings.config import (
    Locations,
    Settings,
    load_feeds,
    load_settings,
    shipped_watchlists_dir,
)
from desk.demo.chaos import CHAOS_TIMEOUT


def run_tui(args: argparse.Namespace) -> int:
    """`desk`: the TUI on the user's own config."""
    where = locations_of(args)
    settings = load_settings(where.settings_file)
    feeds = load_feeds(where.feeds_file, settings)
    if not feeds:
        print(
            f"desk: no feeds in {where.feeds_file}; run `desk init` to start one, "
            "or `desk demo` to try desk on bundled feeds",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    return _open_tui(where, settings, feeds)


def _open_tui(
    where: Locations,
    settings: Settings,
    feeds: list[Feed],
    title: str = "desk",
    temporary: Path | None = None,
) -> int:
    """Run the TUI; `temporary` (the demo's folder) is removed even when the terminal goes away
    and the process ends at once (DeskApp.watch_terminal)."""
    from desk.ui.app import DeskApp  # the TUI loads only when it is used

    store = open_store(where.data_dir)
    app = DeskApp(store, settings, feeds, where, title=title)
    app.watch_terminal(temporary)
    try:
        app.run()
    finally:
        store.close()
    return app.return_code or EXIT_OK  # 1 when the app ended on an error (Textual printed it)


@contextmanager
def demo_workspace(
    watchlists: Path | None = None, chaos: bool = False
) -> Iterator[tuple[Locations, list[Feed]]]:
    """A served demo: a loopback server, temporary config and data dirs, shipped watchlists.

    With `chaos` the server also serves the hostile feeds (desk.demo.chaos).
    """
    from desk.demo.server import DemoServer

    with (
        DemoServer(chaos=chaos) as server,
        tempfile.TemporaryDirectory(prefix="desk-demo-") as temp,
    ):
        root = Path(temp)
        where = Locations(root / "config", root / "data", watchlists or shipped_watchlists_dir())
        where.config_dir.mkdir()
        feeds = [Feed(url=url, interval=60.0) for _, url in server.feed_urls()]
        yield where, feeds


def demo_settings(chaos: bool = False) -> Settings:
    """The demo's settings: a poll a minute; with chaos, a 5 s request deadline.

    The chaos feeds trickle for minutes: the short deadline ends each cycle soon.
    """
    settings = Settings(default_interval=60.0)
    return replace(settings, request_timeout=CHAOS_TIMEOUT) if chaos else settings


def run_demo(args: argparse.Namespace) -> int:
    """`desk demo`: the TUI (or one headless cycle) on the bundled demo feeds.

    `--watchlists DIR` runs your own watchlists over the demo; its config and
    data are always temporary, so --config and --data are not used.
    """
    if getattr(args, "config", None) or getattr(args, "data", None):
        print(
            "desk: desk demo keeps its config and data in a temporary folder; "
            "--config and --data are not used",
            file=sys.stderr,
        )
    chosen = getattr(args, "watchlists", None)
    chaos = getattr(args, "chaos", False)
    with demo_workspace(Path(chosen) if chosen else None, chaos) as (where, feeds):
        settings = demo_settings(chaos)
        if not args.once:
            temporary = where.config_dir.parent  # the demo's own folder
            return _open_tui(where, settings, feeds, "desk demo", temporary=temporary)
        store = open_store(where.data_dir)
        try:
            reported = poll_once(store, settings, feeds, where.watchlists_dir, True, args.json)
        finally:
            store.close()
    return EXIT_OK if reported else EXIT_BAD_INPUT


STARTER_FEEDS = """\
# Your feeds. Only `url` is required.
#   name:     what the desk shows (default: the feed's own title, else its URL)
#   interval: how often to poll: 30s, 15m, 2h (default: 15m)
#   tags:     words to group feeds by
feeds:
  # - url: https://example.com/world/rss.xml
  #   name: Example World
  #   interval: 15m
  #   tags: [world]
"""


STARTER_SETTINGS = """\
# desk settings; every line is optional and shows the default.
# default_interval: 15m     # poll interval for feeds that give none
# max_connections: 16       # requests in flight at once
# max_per_host: 2           # requests to one host at once
# request_timeout: 30s      # whole-request deadline
# fetch_articles: true      # fetch each new item's page for the full text
# max_new_per_feed: 300     # new items from one feed per cycle (the rest: next cycle)
# max_pages_per_cycle: 2000 # article pages fetched per cycle
# retention_days: 30        # keep items that raised no alert this long
# snooze_for: 1h            # how long the s key puts an alert aside
# keys:                     # remap TUI keys by binding id
#   ack: "a,z"

# Notifications (none unless set up). A command run by `sh -c` for each alert at or
# above min_severity: the alert's JSON on stdin, DESK_TITLE, DESK_URL, DESK_SEVERITY,
# DESK_WATCHLISTS, DESK_ALERT_ID in its environment (quote them: "$DESK_TITLE").
# notify:
#   command: 'notify-send "desk: $DESK_SEVERITY" "$DESK_TITLE"'   # quoted: it has ": "
#   min_severity: high      # info | low | medium | high | critical
#   digest_over: 5          # more alerts at once: one digest run (a JSON array)
#   timeout: 10s            # a run still going is killed (at most 60s)
# Each alert POSTed as JSON, signed: X-Desk-Signature: sha256=<HMAC of the body>.
# webhook:
#   url: https://hooks.example.org/desk
#   secret: "change-me"
#   min_severity: medium
#   timeout: 10s            # a POST unanswered by then is given up (at most 60s)
"""


def run_init(args: argparse.Namespace) -> int:
    """`desk init`: a starter config and the shipped watchlists."""
    where = locations_of(args)
    where.watchlists_dir.mkdir(parents=True, exist_ok=True)
    files = {where.feeds_file: STARTER_FEEDS, where.settings_file: STARTER_SETTINGS}
    for path, text in files.items():
        _write_new(path, args.force, lambda p, t=text: p.write_text(t, encoding="utf-8"))
    shipped_files = [
        *shipped_watchlists_dir().glob("*.yaml"),
        *shipped_watchlists_dir().glob("*.jsonl"),  # their examples
        *shipped_watchlists_dir().glob("*.index.npz"),  # and the examples' vectors
    ]
    for shipped in sorted(shipped_files):
        _write_new(
            where.watchlists_dir / shipped.name,
            args.force,
            lambda p, s=shipped: shutil.copyfile(s, p),
        )
    print(f"next: add feeds to {where.feeds_file}, then run `desk check` and `desk`")
    return EXIT_OK


def _write_new(path: Path, force: bool, write: Callable[[Path], object]) -> None:
    if path.exists() and not force:
        print(f"kept     {path} (exists; --force overwrites)")
        return
    write(path)
    print(f"wrote    {path}")
