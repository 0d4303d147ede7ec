"""The command line's contract: every command, its options, and the exit statuses.

Every command takes --config, --data and --watchlists, before or after its
name. Exit 0 when all went well, 1 when a check found problems (or `desk
match` nothing), 2 on bad input, 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
from typing import Any

from desk import __version__

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
  desk test labelled.jsonl  precision and recall on articles you graded, and why

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
    demo.add_argument(
        "--chaos",
        action="store_true",
        help="also serve hostile feeds and pages (slow, endless, bombs, loops, broken XML,"
        " escape sequences) to see desk hold",
    )

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
    feeds.add_argument(
        "--json",
        action="store_true",
        help="each feed's health, blind spot and the notify channels as one JSON document",
    )

    match = add("match", "run the watchlists over text or HTML files and print the hits")
    match.add_argument("files", nargs="+", metavar="FILE", help="text or HTML files; - is stdin")
    match.add_argument("--json", action="store_true", help="one JSON object per file that fired")

    extract = add("extract", "print the cleaned article text of a page (file or URL)")
    extract.add_argument("source", metavar="FILE|URL")
    extract.add_argument("--json", action="store_true", help="text and metadata as JSON")

    add("check", "validate settings, feeds and watchlists; exit 1 on any error")

    test = add(
        "test",
        "backtest the watchlists on labelled articles: P, R, F1, each term's hits, "
        "the false positives and negatives with their evidence",
    )
    test.add_argument(
        "labelled",
        metavar="LABELLED",
        help="JSON lines: {id, title, text, labels: {watchlist id: 2 on topic, 1 borderline"
        " (not scored), 0 off topic}}",
    )
    test.add_argument("--json", action="store_true", help="one JSON object per watchlist")
    test.add_argument(
        "--compare",
        metavar="DIR",
        help="also run the watchlists in DIR (after) against these (before):"
        " scores side by side, articles gained and lost",
    )

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
