"""Settings, feeds.yaml and locations: defaults, overrides and errors with places."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from desk.core.errors import ConfigError
from desk.core.settings import yamlio
from desk.core.settings.config import (
    Settings,
    load_feeds,
    load_settings,
    parse_duration,
    resolve_locations,
    shipped_watchlists_dir,
)
from desk.core.settings.yamlio import PosDict, PosList, parse_yaml


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_flags_beat_environment_which_beats_platform(tmp_path: Path) -> None:
    env = {"DESK_CONFIG_DIR": str(tmp_path / "env-config"), "DESK_DATA_DIR": str(tmp_path / "d")}
    from_env = resolve_locations(environ=env)
    assert from_env.config_dir == tmp_path / "env-config"
    assert from_env.watchlists_dir == tmp_path / "env-config" / "watchlists"
    flagged = resolve_locations(config=tmp_path / "flag", data=tmp_path / "fd", environ=env)
    assert flagged.config_dir == tmp_path / "flag"
    assert flagged.data_dir == tmp_path / "fd"
    assert resolve_locations(environ={}).config_dir.name == "desk"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90", 90),
        (45, 45),
        ("30s", 30),
        ("15m", 900),
        ("2h", 7200),
        ("1d", 86400),
        ("2w", 1_209_600),
    ],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["soon", "-5m", "0", True, "15 minutes"])
def test_bad_durations(text: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_feeds_file_minimal_and_full(tmp_path: Path) -> None:
    path = write(
        tmp_path / "feeds.yaml",
        "feeds:\n"
        "  - url: https://a.example/rss\n"
        "  - url: https://b.example/atom\n"
        "    name: Bee\n"
        "    interval: 5m\n"
        "    tags: [world, asia]\n"
        "  - https://c.example/feed.json\n",
    )
    feeds = load_feeds(path)
    assert [f.url for f in feeds] == [
        "https://a.example/rss",
        "https://b.example/atom",
        "https://c.example/feed.json",
    ]
    assert feeds[0].interval == 900 and feeds[0].name == ""
    assert (feeds[1].name, feeds[1].interval, feeds[1].tags) == ("Bee", 300, ("world", "asia"))


@pytest.mark.parametrize(
    ("text", "place", "words"),
    [
        (
            "feeds:\n  - url: https://a.example/\n    intervall: 5m\n",
            ":3:5:",
            "did you mean 'interval'",
        ),
        (
            "feeds:\n  - url: ftp://a.example/\n",
            ":2:10:",
            "'ftp://a.example/' is not an http:// or",
        ),
        ("feeds:\n  - name: x\n", ":2:5:", "a feed needs 'url:' with an http(s) URL"),
        ("feeds:\n\t- url: https://a.example/\n", ":2:1:", "a tab; YAML indents with spaces only"),
        (  # libyaml (the fast parse) takes a tab here: the careful parse must say it
            "feeds:\n  - url: https://a.example/\n    name: World\tDesk\n",
            ":3:16:",
            "a tab; YAML indents with spaces only",
        ),
        ("feeds:\n  - url: a.example/rss\n", ":2:10:", "is not an http:// or https:// address"),
        ("feeds:\n  - url: http://[::1\n", ":2:10:", "is not a valid address (Invalid IPv6 URL)"),
        ("feeds:\n  - url: http://h:65536/x\n", ":2:10:", "(Port out of range 0-65535)"),
        ("feeds:\n  - url: http://h:0/x\n", ":2:10:", "names port 0"),
        ("feeds:\n  - url: http:///x\n", ":2:10:", "names no host"),
        # a bare URL entry is placed by its list item, not at 1:1
        ("feeds:\n  - https://a.example/\n  - ftp://x/rss\n", ":3:5:", "'ftp://x/rss' is not"),
        ("feeds:\n  - name: no url\n", ":2:5:", "needs 'url:'"),
        ("feeds:\n  - url: https://a.example/\n    interval: often\n", ":3:15:", "not a duration"),
        ("feeds:\n  - url: https://a.example/\n    tags: world\n", ":3:11:", "tags must be a list"),
        ("feeds: [\n", ":2:1:", "invalid YAML"),
        (
            "feeds:\n  - url: https://a.example/\n  - url: https://a.example/\n",
            ":3:5:",
            "listed twice",
        ),
        ("feeds:\n  - &x {url: https://a.example/}\n  - *x\n", ":3:5:", "aliases"),
        ("url: https://a.example/\n", ":1:1:", "top-level 'feeds:'"),
        ("feeds: {}\n", ":1:8:", "'feeds' must be a list"),
    ],
)
def test_feed_errors_name_file_line_and_column(
    tmp_path: Path, text: str, place: str, words: str
) -> None:
    path = write(tmp_path / "feeds.yaml", text)
    with pytest.raises(ConfigError) as caught:
        load_feeds(path)
    message = str(caught.value)
    assert message.startswith(str(path) + place), message
    assert words in message
    assert "\n" not in message


def test_settings_defaults_and_overrides(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "missing.yaml") == Settings()
    path = write(
        tmp_path / "settings.yaml", "request_timeout: 10s\nmax_per_host: 4\nkeys: {ack: z}\n"
    )
    settings = load_settings(path)
    assert (settings.request_timeout, settings.max_per_host) == (10.0, 4)
    assert settings.keys == {"ack": "z"}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("max_conections: 4\n", "did you mean 'max_connections'"),
        ("max_per_host: lots\n", "expected a number"),
        ("fetch_articles: 1\n", "expected true or false"),
        ("keys: {acknowledge: space}\n", "keys: unknown action 'acknowledge' (actions: ack,"),
        ("keys: {ackk: space}\n", "unknown action 'ackk'; did you mean 'ack'?"),
        ('keys: {ack: "a,space", snooze: a}\n', "the key 'a' would do both ack and snooze"),
        ("keys: {snooze: a}\n", "the key 'a' would do both ack and snooze"),
        ('keys: {ack: "a,,b"}\n', "is not a comma-separated list of keys"),
        ('user_agent: "desk\\nX-Evil: 1"\n', "user_agent: holds a control character (U+000A)"),
        ('notify: {command: "printf \\033[1m"}\n', "holds a NUL character"),
    ],
)
def test_settings_errors(tmp_path: Path, text: str, words: str) -> None:
    path = write(tmp_path / "settings.yaml", text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(caught.value).startswith(f"{path}:1:")
    assert words in str(caught.value)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("max_connections: 0\n", "max_connections: must be at least 1, not 0"),
        ("retention_days: -1\n", "retention_days: must be at least 1"),
        ("max_per_host: 2.5\n", "expected a whole number, not 2.5"),
    ],
)
def test_settings_that_would_stop_desk_are_errors(tmp_path: Path, text: str, words: str) -> None:
    path = write(tmp_path / "settings.yaml", text)
    with pytest.raises(ConfigError, match=words):
        load_settings(path)


def test_notify_and_webhook_blocks_are_typed(tmp_path: Path) -> None:
    from desk.core.models import Severity
    from desk.core.settings.config import NotifySettings, WebhookSettings

    path = write(
        tmp_path / "settings.yaml",
        'notify:\n  command: notify-send desk "$DESK_TITLE"\n  min_severity: Critical\n'
        "  digest_over: 0\n  timeout: 30s\n"
        'webhook:\n  url: https://hooks.example.org/desk\n  secret: "s"\n',
    )
    settings = load_settings(path)
    assert settings.notify == NotifySettings(
        'notify-send desk "$DESK_TITLE"', Severity.CRITICAL, 0, 30.0
    )
    assert settings.webhook == WebhookSettings("https://hooks.example.org/desk", "s")
    assert "secret" not in repr(settings.webhook)
    assert load_settings(write(tmp_path / "none.yaml", "bell: true\n")).notify is None


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            "notify:\n  command: x\n  min_severity: urgent\n",
            "3:17: notify.min_severity: 'urgent' is not a severity",
        ),
        ("notify:\n  min_severity: high\n", "2:3: notify: needs 'command:'"),
        ("notify: echo hi\n", "1:9: notify: expected a mapping"),
        (
            "notify:\n  command: x\n  digest: 3\n",
            "3:3: unknown notify setting 'digest'; did you mean 'digest_over'?",
        ),
        (
            "notify:\n  command: x\n  digest_over: -1\n",
            "3:16: notify.digest_over: expected a whole number",
        ),
        (
            "notify:\n  command: x\n  timeout: soon\n",
            "3:12: notify.timeout: 'soon' is not a duration",
        ),
        (
            "notify:\n  command: x\n  timeout: 1d\n",
            "3:12: notify.timeout: '1d' is longer than 60s",
        ),
        (
            "webhook:\n  url: https://h/x\n  timeout: 61\n",
            "3:12: webhook.timeout: 61 is longer than 60s",
        ),
        (
            "webhook:\n  url: ftp://h/x\n",
            "2:8: webhook.url: 'ftp://h/x' is not an http:// or https:// address",
        ),
        (
            "webhook:\n  url: 'http://[::1/x'\n",
            "2:8: webhook.url: 'http://[::1/x' is not a valid address (Invalid IPv6 URL)",
        ),
        ("webhook:\n  url: https://h/x\n  secret: 12\n", "3:11: webhook.secret: expected text"),
    ],
)
def test_a_bad_notify_or_webhook_block_names_its_place(
    tmp_path: Path, text: str, error: str
) -> None:
    path = write(tmp_path / "settings.yaml", text)
    with pytest.raises(ConfigError) as raised:
        load_settings(path)
    message = str(raised.value)
    assert message.startswith(f"{path}:{error}"), message
    assert "\n" not in message


def _placed(data: object) -> object:
    """`data` with the position of every mapping, key, value and list item beside it."""
    if isinstance(data, PosDict):
        pairs = [(k, data.key_pos[k], data.value_pos[k], _placed(v)) for k, v in data.items()]
        return ("map", data.pos, pairs)
    if isinstance(data, PosList):
        return ("list", data.pos, data.item_pos, [_placed(v) for v in data])
    return data


@pytest.mark.parametrize(
    "text",
    [
        *(
            path.read_text(encoding="utf-8")
            for path in sorted(shipped_watchlists_dir().glob("*.yaml"))
        ),
        "feeds:\n  - url: https://a.example/\n    \ufeffname: World Desk\n    tags: [x, y]\n",
        "feeds:\n  - {url: 'https://a.example/', name: \"Wörld 😀 Desk\"}\r\n  - url: b\n",
        "a: &x [1, 2]\nb: 3\n",  # an anchor no alias uses
    ],
)
def test_the_fast_parse_reads_what_the_careful_one_reads(text: str) -> None:
    """parse_yaml reads with libyaml when it can: the same values at the same places as the
    pure-Python loader that says where each error is (a BOM inside a line once moved them)."""
    careful = yaml.load(text, Loader=yamlio._Loader)
    assert _placed(parse_yaml(text, "f.yaml")) == _placed(careful)
