"""The `desk` command: the TUI, the demo, and the headless commands for cron and scripts.

Every command takes --config, --data and --watchlists. Bad input ends with a
one-line error naming the file and place, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from desk import __version__
from desk.core.charset import decode_text
from desk.core.config import (
    Locations,
    Settings,
    load_feeds,
    load_settings,
    parse_duration,
    resolve_locations,
    shipped_watchlists_dir,
)
from desk.core.errors import DeskError, StoreLocked, plural
from desk.core.extract import Extracted, ExtractionFailed, Extractor, text_of_document
from desk.core.fetch import Fetcher, FetchError
from desk.core.matching import Matcher
from desk.core.models import Alert, Feed, Watchlist
from desk.core.opml import read_opml, write_opml
from desk.core.pipeline import CycleResult, Poller
from desk.core.serial import alert_to_dict
from desk.core.store import TinyStore
from desk.core.store import open_store as _open_store
from desk.core.watchlists import load_watchlists
from desk.headless import ContinuousPoll, LiveConfig, poll_until_stopped, print_cycle

EXIT_OK, EXIT_FOUND_PROBLEMS, EXIT_BAD_INPUT = 0, 1, 2

HELP = """\
desk watches news feeds for the threats in your watchlists.

It polls your feeds, fetches and cleans each new article, fuzzy-matches it
against the watchlists you keep in YAML, and raises alerts you read and
acknowledge in a terminal UI.

start here:
  desk demo                 the desk on bundled demo feeds (no network needed)
  desk init                 write a starter config and the shipped watchlists
  desk                      the desk on your own feeds

try a watchlist before you rely on it:
  desk match article.txt    which watchlists fire on a text or HTML file, and why
  desk check                validate feeds.yaml, settings.yaml and every watchlist

for cron and scripts:
  desk poll --once --json   one poll cycle; new alerts as JSON lines on stdout
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every command."""
    parser = argparse.ArgumentParser(
        prog="desk",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[_location_options(default=None)],
    )
    parser.add_argument("--version", action="version", version=f"desk {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    # After a command the same options are accepted; SUPPRESS keeps a command that
    # was not given them from overwriting what was given before it.
    _add_commands(commands, _location_options(default=argparse.SUPPRESS))
    return parser


def _location_options(default: object) -> argparse.ArgumentParser:
    """--config, --data and --watchlists, for the top level or for a command."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config", metavar="DIR", default=default, help="config dir (env DESK_CONFIG_DIR)"
    )
    common.add_argument(
        "--data", metavar="DIR", default=default, help="data dir (env DESK_DATA_DIR)"
    )
    common.add_argument(
        "--watchlists",
        metavar="DIR",
        default=default,
        help="watchlist dir (default: CONFIG/watchlists)",
    )
    return common


def _add_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    def add(name: str, summary: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=summary, description=summary, parents=[common])

    demo = add("demo", "the desk on the bundled demo feeds, served from 127.0.0.1")
    demo.add_argument("--once", action="store_true", help="run one cycle headless and exit")
    demo.add_argument("--json", action="store_true", help="with --once: alerts as JSON lines")

    init = add("init", "write a commented starter config and copy the shipped watchlists")
    init.add_argument("--force", action="store_true", help="overwrite existing files")

    poll = add("poll", "poll the feeds headless: new alerts to stdout, a summary to stderr")
    poll.add_argument("--once", action="store_true", help="one cycle, then exit (for cron)")
    poll.add_argument("--json", action="store_true", help="alerts as JSON lines")
    poll.add_argument("--all", action="store_true", help="poll every feed, due or not")

    feeds = add("feeds", "each feed's health as a table; import or export OPML")
    feeds.add_argument(
        "action", nargs="?", choices=("import", "export"), help="import or export an OPML file"
    )
    feeds.add_argument(
        "file", nargs="?", metavar="FILE.opml", help="the OPML file (- or none: stdout)"
    )

    match = add("match", "run the watchlists over text or HTML files and print the hits")
    match.add_argument("files", nargs="+", metavar="FILE", help="text or HTML files; - is stdin")
    match.add_argument("--json", action="store_true", help="one JSON object per file that fired")

    extract = add("extract", "print the cleaned article text of a page (file or URL)")
    extract.add_argument("source", metavar="FILE|URL")
    extract.add_argument("--json", action="store_true", help="text and metadata as JSON")

    add("check", "validate settings, feeds and watchlists; exit 1 on any error")

    export = add("export", "alerts as JSON lines or CSV")
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    export.add_argument(
        "--since",
        metavar="WHEN",
        help="only alerts raised in the last WHEN (2h, 7d, 2w) or since a date",
    )
    export.add_argument(
        "--state", choices=("new", "acknowledged", "snoozed", "archived"), help="only this state"
    )


def main(argv: list[str] | None = None) -> int:
    """Run desk; the exit status is 0, 1 (problems found) or 2 (bad input)."""
    args = build_parser().parse_args(argv)
    handler = COMMANDS.get(args.command or "", run_tui)
    try:
        return handler(args)
    except DeskError as exc:
        print(f"desk: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `desk export | head`: the reader has had enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def open_store(data_dir: Path, wait: float = 0.0) -> TinyStore:
    """Open the store and tell the user, in words, about anything it had to repair."""
    store = _open_store(data_dir, wait)
    for note in store.recovered:
        print(f"desk: {note}", file=sys.stderr)
    return store


def locations_of(args: argparse.Namespace) -> Locations:
    """The folders named by the flags, the environment or platformdirs."""
    return resolve_locations(args.config, args.data, args.watchlists)


def _watchlists(folder: Path, strict: bool = False) -> list[Watchlist]:
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


def _open_tui(where: Locations, settings: Settings, feeds: list[Feed], title: str = "desk") -> int:
    from desk.ui.app import DeskApp  # the TUI loads only when it is used

    store = open_store(where.data_dir)
    app = DeskApp(store, settings, feeds, where, title=title)
    try:
        app.run()
    finally:
        store.close()
    return app.return_code or EXIT_OK  # 1 when the app ended on an error (Textual printed it)


@contextmanager
def demo_workspace(watchlists: Path | None = None) -> Iterator[tuple[Locations, list[Feed]]]:
    """A served demo: a loopback server, temporary config and data dirs, shipped watchlists."""
    from desk.demo.server import DemoServer

    with DemoServer() as server, tempfile.TemporaryDirectory(prefix="desk-demo-") as temp:
        root = Path(temp)
        where = Locations(root / "config", root / "data", watchlists or shipped_watchlists_dir())
        where.config_dir.mkdir()
        feeds = [Feed(url=url, interval=60.0) for _, url in server.feed_urls()]
        yield where, feeds


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
    with demo_workspace(Path(chosen) if chosen else None) as (where, feeds):
        settings = Settings(default_interval=60.0)
        if not args.once:
            return _open_tui(where, settings, feeds, title="desk demo")
        store = open_store(where.data_dir)
        try:
            result = _cycle(store, settings, feeds, where.watchlists_dir, force=True)
        finally:
            store.close()
        print_cycle(result, args.json)
    return EXIT_OK


def _cycle(
    store: TinyStore, settings: Settings, feeds: list[Feed], watch_dir: Path, force: bool
) -> CycleResult:
    poller = Poller(store, settings, _watchlists(watch_dir))
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
        raise DeskError(f"no feeds configured in {where.feeds_file}; `desk init` starts one")
    if not args.once:
        return _poll_continuously(args, LiveConfig(where, settings, feeds))
    try:
        store = open_store(where.data_dir, wait=10.0)
    except StoreLocked as exc:
        print(f"desk: skipped this cycle: {exc}", file=sys.stderr)
        return EXIT_OK
    try:
        print_cycle(_cycle(store, settings, feeds, where.watchlists_dir, args.all), args.json)
    finally:
        store.close()
    return EXIT_OK


def _poll_continuously(args: argparse.Namespace, config: LiveConfig) -> int:
    """`desk poll` without --once: one Poller until Ctrl-C (exit 130) or SIGTERM (exit 0)."""
    store = open_store(config.where.data_dir)  # held by another desk: a one-line error
    try:
        poll_until_stopped(ContinuousPoll(store, config, args.json, every_feed=args.all))
    finally:
        store.close()
    return EXIT_OK


def run_feeds(args: argparse.Namespace) -> int:
    """`desk feeds`: each feed's health as a table; `import`/`export` OPML."""
    if args.action == "import":
        return _import_opml(args)
    if args.action == "export":
        return _export_opml(args)
    where = locations_of(args)
    feeds = load_feeds(where.feeds_file, load_settings(where.settings_file))
    store = TinyStore(where.data_dir, read_only=True)
    states = store.feed_states()
    rows = [("FEED", "STATUS", "LAST SUCCESS", "FAILS", "NEXT DUE", "LAST ERROR")]
    for feed in feeds:
        s = states.get(feed.url)
        rows.append(
            (
                _short(feed.name or (s.title if s else "") or feed.url, 40),
                str(s.status or "-") if s else "never polled",
                _when(s.last_success) if s else "-",
                str(s.failures) if s else "0",
                _when(s.next_due) if s else "now",
                _short(s.error or s.warning, 80) if s else "",
            )
        )
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
    except DeskError:
        path.write_text(before, encoding="utf-8")
        raise DeskError(
            "feeds.yaml does not end with its feeds: list, so desk cannot append to it; "
            "move 'feeds:' to the end and import again",
            path,
        ) from None


def _when(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else "-"


def run_match(args: argparse.Namespace) -> int:
    """`desk match`: the watchlists over files; exit 1 if none fired."""
    folder = Path(args.watchlists) if args.watchlists else _match_watchlists_dir(args)
    watchlists = _watchlists(folder)
    if not watchlists:  # _watchlists has said why, in one line per file
        return EXIT_BAD_INPUT
    matcher = Matcher(watchlists)
    fired = 0
    for name in args.files:
        text = text_of_document(_read_input(name)).text
        hits = matcher.match(text)
        fired += bool(hits)
        _print_hits(name, text, hits, args.json)
    return EXIT_OK if fired else EXIT_FOUND_PROBLEMS


def _match_watchlists_dir(args: argparse.Namespace) -> Path:
    """The user's watchlists if they have a config, else the shipped ones."""
    own = locations_of(args).watchlists_dir
    return own if any(own.glob("*.y*ml")) else shipped_watchlists_dir()


def _read_input(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    path = Path(name)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DeskError(f"cannot read: {exc.strerror or exc}", path) from None
    return decode_text(raw)


def _print_hits(name: str, text: str, hits: list[Any], as_json: bool) -> None:
    if as_json:
        if hits:
            watchlists = list(dict.fromkeys(h.watchlist for h in hits))
            print(
                json.dumps(
                    {"file": name, "watchlists": watchlists, "hits": [h.to_json() for h in hits]}
                )
            )
        return
    if not hits:
        print(f"{name}: no watchlist fired")
        return
    print(f"{name}:")
    for hit in hits:
        print(
            f'  {hit.watchlist:22} {hit.score:5.1f}  {hit.start:>6}-{hit.end:<6} "{hit.text}"  (term: {_short(hit.term)})'
        )


def _short(term: str, width: int = 60) -> str:
    return term if len(term) <= width else term[: width - 1] + "…"


def run_extract(args: argparse.Namespace) -> int:
    """`desk extract`: the cleaned text of a page, from a file or a URL."""
    source: str = args.source
    if source.startswith(("http://", "https://")):
        content, url = asyncio.run(_download(source)), source
    else:
        content, url = _read_input(source), ""
    try:
        extracted = asyncio.run(_extract_in_worker(content, url))
    except ExtractionFailed as exc:
        raise DeskError(exc.message, source) from None
    if args.json:
        data = {
            "title": extracted.title,
            "byline": extracted.byline,
            "published": extracted.published.isoformat() if extracted.published else None,
            "canonical_url": extracted.canonical_url,
            "text": extracted.text,
        }
        print(json.dumps(data, ensure_ascii=False))
    else:
        print(extracted.text)
    return EXIT_OK


async def _extract_in_worker(content: str, url: str) -> Extracted:
    """text_of_document in a worker process, so a pathological page ends at the deadline."""
    async with Extractor(workers=1) as extractor:
        return await extractor.extract_document(content, url)


async def _download(url: str) -> str:
    settings = Settings()
    fetcher = Fetcher(settings)
    try:
        page = await fetcher.get(url, max_bytes=settings.max_page_bytes, accept="text/html")
    except FetchError as exc:
        raise DeskError(f"{url}: {exc}") from None
    finally:
        await fetcher.aclose()
    return decode_text(page.body, page.charset)


def run_check(args: argparse.Namespace) -> int:
    """`desk check`: validate everything; exit 1 on any error."""
    where = locations_of(args)
    problems = 0
    for what, check in (
        ("settings", lambda: load_settings(where.settings_file)),
        ("feeds", lambda: load_feeds(where.feeds_file)),
    ):
        problems += _report_check(what, check)
    result = load_watchlists(where.watchlists_dir)
    for error in result.errors:
        print(f"desk: {error}", file=sys.stderr)
    for watchlist in result.watchlists:
        print(f"ok  watchlist {watchlist.id}: {plural(len(watchlist.terms), 'term')}")
    if not result.watchlists and not result.errors:
        print(f"desk: no watchlists in {where.watchlists_dir}", file=sys.stderr)
        problems += 1
    problems += len(result.errors)
    return EXIT_FOUND_PROBLEMS if problems else EXIT_OK


def _report_check(what: str, check: Callable[[], object]) -> int:
    try:
        loaded = check()
    except DeskError as exc:
        print(f"desk: {exc}", file=sys.stderr)
        return 1
    count = f": {plural(len(loaded), 'feed')}" if isinstance(loaded, list) else ""
    if count == ": 0 feeds":
        count += " (none configured yet: add them to feeds.yaml)"
    print(f"ok  {what}{count}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    """`desk export`: alerts as JSON lines or CSV on stdout."""
    where = locations_of(args)
    store = TinyStore(where.data_dir, read_only=True)
    since = _since(args.since) if args.since else None
    alerts = [
        a
        for a in reversed(store.alerts())
        if (not args.state or a.state.value == args.state) and (not since or a.created >= since)
    ]
    if args.format == "jsonl":
        for alert in alerts:
            print(json.dumps(alert_to_dict(alert), ensure_ascii=False))
    else:
        _write_csv(alerts)
    return EXIT_OK


def _since(value: str) -> datetime:
    try:
        return datetime.now(UTC) - timedelta(seconds=parse_duration(value))
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise DeskError(
            f"--since {value!r}: give a duration (2h, 7d) or a date (2026-11-20)"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _write_csv(alerts: list[Alert]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")  # no CR: nothing below 0x20 but \n, \t
    writer.writerow(
        [
            "id",
            "state",
            "severity",
            "score",
            "title",
            "url",
            "sources",
            "published",
            "watchlists",
            "hits",
        ]
    )
    for a in alerts:
        hits = "; ".join(f"{h.watchlist}: {h.text} ({h.score:.0f})" for h in a.hits)
        row = [
            a.id,
            a.state.value,
            a.severity.value,
            f"{a.score:.1f}",
            a.title,
            a.url,
            "; ".join(a.sources),
            a.published.isoformat() if a.published else "",
            " ".join(a.watchlists),
            hits,
        ]
        writer.writerow([spreadsheet_cell(cell) for cell in row])


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (OWASP's list for CSV injection)."""


def spreadsheet_cell(value: str) -> str:
    """A CSV cell a spreadsheet shows as text: one that would start a formula gets a leading '."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


STARTER_FEEDS = """\
# Your feeds. Only `url` is required.
#   name:     what the desk shows (default: the URL)
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
# retention_days: 30        # keep items that raised no alert this long
# snooze_for: 1h            # how long the s key puts an alert aside
# keys:                     # remap TUI keys by binding id
#   ack: "a,space"
"""


def run_init(args: argparse.Namespace) -> int:
    """`desk init`: a starter config and the shipped watchlists."""
    where = locations_of(args)
    where.watchlists_dir.mkdir(parents=True, exist_ok=True)
    files = {where.feeds_file: STARTER_FEEDS, where.settings_file: STARTER_SETTINGS}
    for path, text in files.items():
        _write_new(path, args.force, lambda p, t=text: p.write_text(t, encoding="utf-8"))
    for shipped in sorted(shipped_watchlists_dir().glob("*.yaml")):
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


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "demo": run_demo,
    "init": run_init,
    "poll": run_poll,
    "feeds": run_feeds,
    "match": run_match,
    "extract": run_extract,
    "check": run_check,
    "export": run_export,
}
