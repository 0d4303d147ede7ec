"""`desk export`: alerts as JSON lines or CSV, the CSV safe to open in a spreadsheet.

A cell that would start a formula (`=`, `+`, `-`, `@`, tab, CR) starts with
`'` instead, as OWASP advises against CSV injection; rows end in a bare newline.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import UTC, datetime, timedelta

from desk.cli.common import (
    locations_of,
    look_at_store,
)
from desk.cli.parser import EXIT_OK
from desk.core.errors import DeskError
from desk.core.match.semantic import said_of
from desk.core.models import Alert
from desk.core.settings.config import (
    parse_duration,
)
from desk.core.store.serial import alert_to_dict


def run_export(args: argparse.Namespace) -> int:
    """`desk export`: alerts as JSON lines or CSV on stdout."""
    where = locations_of(args)
    store = look_at_store(where.data_dir)
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
        hits = "; ".join(
            f"{h.watchlist}: {said_of(h.term, h.text)} ({h.score:.0f})" for h in a.hits
        )
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
