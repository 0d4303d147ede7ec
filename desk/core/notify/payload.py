"""What a delivery carries: the alert's JSON (the `poll --json` shape) and the command's DESK_* values.

Feed text reaches a command only here: as JSON on its stdin and as the
values of environment variables, which a shell never runs as code (unless
the analyst's own command `eval`s them). Pure: no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from desk.core.models import Alert
from desk.core.safetext import safe_line
from desk.core.store.serial import alert_to_dict

IDS_IN_ENVIRONMENT = 100
"""A digest's DESK_ALERT_ID names its first this many alerts (stdin carries them all)."""
VALUE_CHARS = 8192
"""A DESK_* value is cut to this many characters: Linux refuses a variable over 128 KiB."""


def body_of(alerts: Sequence[Alert], digest: bool, surging: dict[str, str] | None = None) -> bytes:
    """The JSON a delivery sends: the alert's object, or for a digest an array of them.

    An alert of a watchlist in a surge (`surging`: watchlist -> its surge in
    words, see desk.core.attention) carries `"surges": [...]`.
    """
    objects = [_with_surges(alert_to_dict(alert), alert, surging or {}) for alert in alerts]
    return json.dumps(objects if digest else objects[0], ensure_ascii=False).encode("utf-8")


def _with_surges(data: dict[str, Any], alert: Alert, surging: dict[str, str]) -> dict[str, Any]:
    lines = surge_lines(alert.watchlists, surging)
    return {**data, "surges": lines} if lines else data


def surge_lines(watchlists: Iterable[str], surging: dict[str, str]) -> list[str]:
    """The surges among these watchlists, in words, each once."""
    return list(dict.fromkeys(surging[w] for w in watchlists if w in surging))


def command_values(
    alerts: Sequence[Alert], digest: bool, surging: dict[str, str] | None = None
) -> dict[str, str]:
    """DESK_TITLE, DESK_URL, DESK_SEVERITY, DESK_WATCHLISTS, DESK_ALERT_ID (and DESK_COUNT for a digest).

    DESK_SURGE says the surges of the alerts' watchlists ("; " between them), when there are any.

    A digest names its most severe alert (the first raised among equals),
    every watchlist and its first IDS_IN_ENVIRONMENT ids, with DESK_COUNT
    alerts in all (its stdin has every one): the environment of a command
    has a size limit (one variable at most 128 KiB on Linux, "Argument list
    too long"), and a digest of ~7,700 alerts had passed it. Each value is
    cut to VALUE_CHARS for the same reason.
    """
    top = max(alerts, key=lambda a: a.severity.rank)
    watchlists = dict.fromkeys(w for alert in alerts for w in alert.watchlists)
    title = safe_line(top.title)
    values = {
        "DESK_TITLE": title,
        "DESK_URL": top.url,
        "DESK_SEVERITY": top.severity.value,
        "DESK_WATCHLISTS": ",".join(watchlists),
        "DESK_ALERT_ID": " ".join(alert.id for alert in alerts[:IDS_IN_ENVIRONMENT]),
    }
    if digest:
        more = len(alerts) - 1
        values["DESK_TITLE"] = f"{len(alerts)} alerts: {title}" + (
            f" (+{more} more)" if more else ""
        )
        values["DESK_COUNT"] = str(len(alerts))
    surges = surge_lines(watchlists, surging or {})
    if surges:
        values["DESK_SURGE"] = "; ".join(surges)
    return {name: value.replace("\0", "")[:VALUE_CHARS] for name, value in values.items()}
