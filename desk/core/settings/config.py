"""Where desk keeps things, its typed settings, and the analyst's feeds.yaml.

Locations come from flags, then `DESK_CONFIG_DIR` / `DESK_DATA_DIR`, then the
platform's usual folders. Settings and feeds are read with the safe YAML
reader; any mistake is a ConfigError naming file:line:col.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

from desk.core.errors import ConfigError, did_you_mean
from desk.core.models import Feed, Severity
from desk.core.safetext import safe_line, safe_url
from desk.core.settings.yamlio import PosDict, PosList, key_position_of, position_of, read_yaml

APP_NAME = "desk"
FEEDS_FILE = "feeds.yaml"
SETTINGS_FILE = "settings.yaml"


@dataclass(frozen=True)
class Locations:
    """The folders desk reads and writes."""

    config_dir: Path
    """Holds settings.yaml, feeds.yaml and, unless overridden, watchlists/."""
    data_dir: Path
    """Holds the store and its lock."""
    watchlists_dir: Path
    """The watchlist YAML files, one watchlist per file."""

    @property
    def feeds_file(self) -> Path:
        """The analyst's feeds.yaml."""
        return self.config_dir / FEEDS_FILE

    @property
    def settings_file(self) -> Path:
        """The analyst's settings.yaml."""
        return self.config_dir / SETTINGS_FILE


def resolve_locations(
    config: str | Path | None = None,
    data: str | Path | None = None,
    watchlists: str | Path | None = None,
    environ: dict[str, str] | None = None,
) -> Locations:
    """Pick the folders: flags first, then DESK_* variables, then platformdirs."""
    env = os.environ if environ is None else environ
    config_dir = Path(
        config or env.get("DESK_CONFIG_DIR") or platformdirs.user_config_dir(APP_NAME)
    )
    data_dir = Path(data or env.get("DESK_DATA_DIR") or platformdirs.user_data_dir(APP_NAME))
    watch_dir = Path(watchlists) if watchlists else config_dir / "watchlists"
    return Locations(config_dir.expanduser(), data_dir.expanduser(), watch_dir.expanduser())


def shipped_watchlists_dir() -> Path:
    """The watchlists that come with desk."""
    return Path(__file__).resolve().parents[2] / "watchlists"  # desk/watchlists


_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d|w)?")
"""Matched whole against the value stripped: two runs of spaces around an optional unit
read a line of spaces in quadratic time (20,000 took 2.5 s)."""
_UNIT_SECONDS = {None: 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: object) -> float:
    """Seconds from `90`, `30s`, `15m`, `2h`, `1d` or `2w`; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 15m")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.fullmatch(str(value).strip())
        if not match:
            raise ValueError(f"{value!r} is not a duration such as 30s, 15m or 2h")
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds <= 0:
        raise ValueError("a duration must be above zero")
    return seconds


@dataclass(frozen=True)
class NotifySettings:
    """`notify:` in settings.yaml: a shell command run for each alert (see desk.core.notify)."""

    command: str
    """Run by `sh -c`; the alert reaches it only on stdin and in DESK_* variables, never as code."""
    min_severity: Severity = Severity.HIGH
    """Alerts below this severity are not notified."""
    digest_over: int = 5
    """More alerts than this due at once: one digest run (a JSON array on stdin) instead."""
    timeout: float = 10.0
    """Seconds a run may take (at most MAX_CHANNEL_TIMEOUT); a run still going then is killed."""


@dataclass(frozen=True)
class WebhookSettings:
    """`webhook:` in settings.yaml: each alert POSTed as JSON to a URL (see desk.core.notify)."""

    url: str
    """The http(s) address the alerts are POSTed to."""
    secret: str = field(default="", repr=False)
    """Signs each body: HMAC-SHA256, hex, in `X-Desk-Signature: sha256=<hex>` ("" for none)."""
    min_severity: Severity = Severity.MEDIUM
    """Alerts below this severity are not sent."""
    timeout: float = 10.0
    """Seconds one POST may take before it counts as failed (at most MAX_CHANNEL_TIMEOUT)."""


@dataclass(frozen=True)
class Settings:
    """Typed settings, read from settings.yaml; every field has a default."""

    default_interval: float = 900.0
    """How often a feed is polled when feeds.yaml gives no interval (seconds)."""
    max_connections: int = 16
    """How many requests may be in flight at once."""
    max_per_host: int = 2
    """How many requests may go to one host at once."""
    request_timeout: float = 30.0
    """The whole-request deadline in seconds, however slowly a server answers."""
    max_feed_bytes: int = 10_000_000
    """The cap on a decoded feed body."""
    max_page_bytes: int = 5_000_000
    """The cap on a decoded article page."""
    fetch_articles: bool = True
    """Fetch each new item's page for the full text (else use the feed's text)."""
    max_new_per_feed: int = 300
    """New items taken from one feed in one cycle; the rest wait for the next cycle."""
    max_pages_per_cycle: int = 2000
    """Article pages fetched in one cycle, all feeds together; the rest wait likewise."""
    retention_days: int = 30
    """How long items that raised no alert are kept."""
    snooze_for: float = 3600.0
    """How long `s` puts an alert aside before it comes back as new (seconds)."""
    user_agent: str = "desk/0.1 (+https://example.invalid/desk)"
    """The User-Agent header sent to servers."""
    bell: bool = False
    """Ring the terminal bell when a poll raises a high or critical alert (the TUI)."""
    keys: dict[str, str] = field(default_factory=dict)
    """Key remaps for the TUI: binding id -> keys, e.g. `ack: "a,z"`."""
    blind_after: float = 21600.0
    """A feed failing for longer than this (seconds) is a blind spot (see desk.core.attention)."""
    notify: NotifySettings | None = None
    """A command run for each alert (or a digest of many); None: no command."""
    webhook: WebhookSettings | None = None
    """A URL each alert is POSTed to; None: no webhook."""


_DURATION_FIELDS = {"default_interval", "request_timeout", "snooze_for", "blind_after"}

DEFAULT_KEYS = {
    "ack": "a",
    "undo": "u",
    "note": "ctrl+a",
    "edit_watchlist": "e",
    "ack_all": "A",
    "snooze": "s",
    "archive": "x",
    "view": "f",
    "search": "slash",
    "watchlist_filter": "w",
    "severity_filter": "v",
    "help": "question_mark",
    "feed_health": "F",
    "watchlists": "W",
    "down": "j",
    "up": "k",
    "first": "g",
    "last": "G",
    "next_page": "right_square_bracket",
    "prev_page": "left_square_bracket",
    "next_new": "space",
    "read": "enter",
    "next_hit": "n",
    "prev_hit": "N",
    "open_link": "o",
    "copy_link": "y",
    "redraw": "ctrl+l",
    "pane": "tab",
    "poll": "r",
    "quit": "q",
}
"""The TUI's keys by binding id: what `keys:` in settings.yaml may remap (the UI's bindings
carry these ids and keys; a test holds the two together)."""


def check_key_map(remaps: dict[str, str]) -> str | None:
    """What is wrong with a `keys:` remap, in words, or None when it is usable.

    Each id must be one of DEFAULT_KEYS, each value a comma-separated list of
    key names, and no key may end up on two actions once the remaps are laid
    over the defaults.
    """
    for action, keys in remaps.items():
        if action not in DEFAULT_KEYS:
            known = ", ".join(DEFAULT_KEYS)
            return (
                f"unknown action {action!r}{did_you_mean(action, DEFAULT_KEYS)} (actions: {known})"
            )
        names = [name.strip() for name in keys.split(",")]
        if not all(names) or any(" " in name for name in names):
            return f'{action}: {keys!r} is not a comma-separated list of keys, e.g. "a,z"'
    owners: dict[str, str] = {}
    for action, keys in {**DEFAULT_KEYS, **remaps}.items():
        for name in (name.strip() for name in keys.split(",")):
            if name in owners:
                return f"the key {name!r} would do both {owners[name]} and {action}"
            owners[name] = action
    return None


def load_settings(path: Path) -> Settings:
    """Read settings.yaml; a missing file gives the defaults."""
    if not path.exists():
        return Settings()
    data = read_yaml(path, ConfigError)
    if data is None:
        return Settings()
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping of setting: value", path, *position_of(data, 0))
    return Settings(**{key: _setting_value(path, data, key) for key in data})


def _setting_value(path: Path, data: dict[str, Any], key: str) -> Any:
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    line, col = position_of(data, key)
    if key not in fields:
        line, col = key_position_of(data, key)
        raise ConfigError(f"unknown setting {key!r}{did_you_mean(key, fields)}", path, line, col)
    value = data[key]
    if key in _CHANNEL_BLOCKS:
        return _channel_block(path, data, key)
    try:
        if key in _DURATION_FIELDS:
            return parse_duration(value)
        coerced = _in_range(key, _coerce(value, type(getattr(Settings(), key))))
    except ValueError as exc:
        raise ConfigError(f"{key}: {exc}", path, line, col) from None
    problem = check_key_map(coerced) if key == "keys" else None
    if problem:
        raise ConfigError(f"keys: {problem}", path, line, col)
    return coerced


def _severity(value: Any) -> Severity:
    names = ", ".join(s.value for s in Severity)
    if not isinstance(value, str) or value.strip().lower() not in {s.value for s in Severity}:
        raise ValueError(f"{value!r} is not a severity ({names})")
    return Severity(value.strip().lower())


def _command(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected the command line to run, as text")
    if "\x00" in value:  # no program can take it; YAML's "\0" (as in "\033") is one
        raise ValueError('holds a NUL character (in a double-quoted YAML string "\\0" is one)')
    return value


_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
"""Control characters (tab aside): in a header or a name a setting gives, an error."""


def _control_in(value: str) -> str:
    """The first control character in `value` (tab aside), or ''."""
    found = _CONTROL.search(value)
    return found.group() if found else ""


def web_address_problem(url: str) -> str | None:
    """Why `url` is no http(s) address desk can fetch from or post to, in words that follow
    it ('is not an http:// or https:// address'); None when it is one. Never raises:
    'http://[::1' or a port past 65535 is an answer, not an exception."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"is not a valid address ({exc})"
    if parts.scheme not in ("http", "https"):
        return "is not an http:// or https:// address"
    if not parts.hostname:
        return "names no host"
    if port == 0:
        return "names port 0"
    return None


def _webhook_url(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not an http:// or https:// address")
    problem = web_address_problem(value)
    if problem:
        raise ValueError(f"{value!r} {problem}")
    return value


def _digest_over(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("expected a whole number of alerts, 0 or more")
    return value


MAX_CHANNEL_TIMEOUT = 60.0
"""notify.timeout and webhook.timeout at most: a delivery round holds the cycle that waits for it."""


def _channel_timeout(value: Any) -> float:
    seconds = parse_duration(value)
    if seconds > MAX_CHANNEL_TIMEOUT:
        raise ValueError(
            f"{value!r} is longer than {MAX_CHANNEL_TIMEOUT:g}s "
            "(a delivery round holds the cycle that waits for it)"
        )
    return seconds


def _secret(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected text (quote it)")
    return value


_CHANNEL_BLOCKS: dict[str, tuple[type, dict[str, Callable[[Any], Any]]]] = {
    "notify": (
        NotifySettings,
        {
            "command": _command,
            "min_severity": _severity,
            "digest_over": _digest_over,
            "timeout": _channel_timeout,
        },
    ),
    "webhook": (
        WebhookSettings,
        {
            "url": _webhook_url,
            "secret": _secret,
            "min_severity": _severity,
            "timeout": _channel_timeout,
        },
    ),
}
"""The settings that are blocks of their own: the type each becomes, and each key's reader."""


def _channel_block(path: Path, data: dict[str, Any], key: str) -> Any:
    """`notify:` or `webhook:` as its typed settings; a mistake names the key and its place."""
    kind, readers = _CHANNEL_BLOCKS[key]
    block = data[key]
    if block is None:
        return None
    if not isinstance(block, dict):
        raise ConfigError(
            f"{key}: expected a mapping of setting: value", path, *position_of(data, key)
        )
    values = {}
    for name, value in block.items():
        if name not in readers:
            hint = did_you_mean(name, readers)
            where = key_position_of(block, name)
            raise ConfigError(f"unknown {key} setting {name!r}{hint}", path, *where)
        try:
            values[name] = readers[name](value)
        except ValueError as exc:
            raise ConfigError(f"{key}.{name}: {exc}", path, *position_of(block, name)) from None
    required = next(iter(readers))
    if required not in values:
        raise ConfigError(f"{key}: needs '{required}:'", path, *position_of(data, key))
    return kind(**values)


_LOWEST = {
    "max_connections": 1,
    "max_per_host": 1,
    "max_feed_bytes": 10_000,
    "max_page_bytes": 10_000,
    "retention_days": 1,
    "max_new_per_feed": 1,
    "max_pages_per_cycle": 1,
}


def _in_range(key: str, value: Any) -> Any:
    """Numbers that would stop desk working (0 connections, negative days) are errors."""
    lowest = _LOWEST.get(key)
    if lowest is not None and value < lowest:
        raise ValueError(f"must be at least {lowest:,}, not {value}")
    return value


def _coerce(value: Any, kind: type) -> Any:
    if kind is dict:
        if not isinstance(value, dict):
            raise ValueError("expected a mapping")
        return {str(k): str(v) for k, v in value.items()}
    if kind is bool and not isinstance(value, bool):
        raise ValueError("expected true or false")
    if kind in (int, float) and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise ValueError("expected a number")
    if kind is int and value != int(value):
        raise ValueError(f"expected a whole number, not {value}")
    if kind is str and not isinstance(value, str):
        raise ValueError("expected text")
    if kind is str and (char := _control_in(value)):
        raise ValueError(f"holds a control character (U+{ord(char):04X}), which no setting takes")
    return kind(value)


_FEED_KEYS = ("url", "name", "interval", "tags")


def load_feeds(path: Path, settings: Settings | None = None) -> list[Feed]:
    """Read feeds.yaml: `feeds: [{url, name, interval, tags}]`; only url is required."""
    settings = settings or Settings()
    if not path.exists():
        return []
    data = read_yaml(path, ConfigError)
    if data is None:
        return []
    if not isinstance(data, PosDict) or "feeds" not in data:
        raise ConfigError("expected a top-level 'feeds:' list", path, *position_of(data, 0))
    entries = PosList() if data["feeds"] is None else data["feeds"]
    if not isinstance(entries, list):
        raise ConfigError("'feeds' must be a list", path, *position_of(data, "feeds"))
    feeds = [_feed_from(path, entries, i, settings) for i in range(len(entries))]
    _reject_duplicate_urls(path, entries, feeds)
    return feeds


def _feed_from(path: Path, entries: list[Any], index: int, settings: Settings) -> Feed:
    entry = entries[index]
    if isinstance(entry, str):
        entry = {"url": entry}
    line, col = position_of(entries, index)
    if not isinstance(entry, dict):
        raise ConfigError("a feed is a URL or a mapping with 'url:'", path, line, col)
    for key in entry:
        if key not in _FEED_KEYS:
            raise ConfigError(
                f"unknown feed key {key!r}{did_you_mean(key, _FEED_KEYS)}",
                path,
                *key_position_of(entry, key),
            )
    url = entry.get("url")
    if not isinstance(url, str) or not url.strip():
        raise ConfigError("a feed needs 'url:' with an http(s) URL", path, line, col)
    problem = web_address_problem(url)
    if problem:
        bare = isinstance(entries[index], str)  # "- https://..." is placed by the list
        url_line, url_col = (line, col) if bare else position_of(entry, "url")
        raise ConfigError(f"url: {url!r} {problem}", path, url_line, url_col)
    try:
        interval = parse_duration(entry.get("interval", settings.default_interval))
    except ValueError as exc:
        raise ConfigError(f"interval: {exc}", path, *position_of(entry, "interval")) from None
    tags = entry.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ConfigError("tags must be a list of words", path, *position_of(entry, "tags"))
    name = safe_line(str(entry.get("name") or ""))  # the analyst's file, but often pasted
    safe_tags = tuple(safe_line(tag) for tag in tags)
    return Feed(url=safe_url(url), name=name, interval=interval, tags=safe_tags)


def _reject_duplicate_urls(path: Path, entries: list[Any], feeds: list[Feed]) -> None:
    seen: set[str] = set()
    for index, feed in enumerate(feeds):
        if feed.url in seen:
            raise ConfigError(
                f"feed {feed.url} is listed twice", path, *position_of(entries, index)
            )
        seen.add(feed.url)
