"""The chaos demo: hostile feeds and pages served beside the normal demo (`desk demo --chaos`).

Every feed under /chaos/feeds/ misbehaves in one way a real server or feed
has been seen to: too slow, endless, a compression bomb, a redirect loop,
broken XML, a billion-laughs entity, a wrong or unknown charset, a page
where a feed should be. `hostile.xml` is a readable feed whose titles and
texts are laced with markup and terminal escape sequences, and whose links
lead to hostile pages (a million elements, a page that never ends, a bomb,
a trickle); its items still say, in their feed text, something the shipped
watchlists must catch. `newsroom.xml` brings new stories on every request,
so a long run (the soak test, a demo left open) always has new work; the
server records what it served, so a test can check that nothing was lost.

All texts here are written for desk; the escape sequences are the generic
ones terminals act on (CSI, OSC 52 clipboard writes, 8-bit C1 controls).
"""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from http.server import BaseHTTPRequestHandler

CHAOS_TIMEOUT = 5.0
"""The chaos demo's whole-request deadline (s): the slow feeds and pages are slower."""

# Payloads a hostile feed aims at a terminal or at Rich/Textual markup.
CLIPBOARD_WRITE = "\x1b]52;c;ZWNobyBwd25lZA==\x07"  # OSC 52: put "echo pwned" on the clipboard
CLIPBOARD_WRITE_ST = "\x1b]52;c;cm0gLXJmIH4=\x1b\\"  # the same, ended by ST
CLEAR_SCREEN = "\x1b[2J\x1b[H"
WINDOW_TITLE = "\x1b]0;owned\x07"
C1_CSI = "\x9b31m"  # 8-bit CSI: red, on terminals that take C1
MARKUP = "[@click=quit]Read more[/] [bold red]"
PAYLOAD = f"{CLIPBOARD_WRITE}{CLEAR_SCREEN}{MARKUP}{WINDOW_TITLE}{C1_CSI}{CLIPBOARD_WRITE_ST}"
"""Every payload in one string: what the hostile titles and texts carry."""

SLOW_SECONDS = 600
"""How long the slow feed and page trickle at most (a byte a second)."""


@dataclass(frozen=True)
class HostileItem:
    """An item of hostile.xml: its page misbehaves; its feed text says what must alert."""

    slug: str
    title: str
    summary: str
    expect: tuple[str, ...]


HOSTILE_ITEMS = (
    HostileItem(
        "escapes",
        "Garrison troops deployed to the Varda pass",
        "The defence ministry deployed 1,200 troops and armoured vehicles to the Varda pass "
        "border crossing on Tuesday after reports of militia units massing nearby.",
        ("troop-deployment",),
    ),
    HostileItem(
        "million-elements",
        "Ministry confirms transfer of missile guidance technology",
        "Officials confirmed the illegal transfer of missile guidance technology and "
        "know-how to a sanctioned state, in breach of export controls on dual-use goods.",
        ("technology-transfer",),
    ),
    HostileItem(
        "never-ends",
        "Battalion redeployed to the eastern frontier",
        "A mechanised battalion of 800 soldiers was redeployed to the eastern frontier, the "
        "army said, the second troop deployment to the border this month.",
        ("troop-deployment",),
    ),
    HostileItem(
        "bomb",
        "Weekend markets: flower prices steady",
        "Tulip and rose prices held steady at the weekend flower market.",
        (),
    ),
    HostileItem(
        "trickle",
        "Engineers charged with smuggling dual-use machine tools",
        "Two engineers were charged with smuggling dual-use machine tools to a foreign "
        "weapons programme in breach of export controls, prosecutors said.",
        ("technology-transfer",),
    ),
    HostileItem(
        "loop",
        "Village fete raises money for the new library",
        "The village fete raised four thousand pounds for the library roof.",
        (),
    ),
)


def chaos_feed_paths() -> list[str]:
    """The path of each chaos feed, in a stable order (the newsroom's last)."""
    return [f"/chaos/feeds/{name}" for name in CHAOS_FEEDS] + ["/chaos/feeds/newsroom.xml"]


def hostile_text(text: str) -> str:
    """`text` with the payloads at its start, middle (between two words) and end."""
    middle = text.find(" ", len(text) // 2) + 1
    return f"{PAYLOAD}{text[:middle]}{PAYLOAD}{text[middle:]}{PAYLOAD}"


def _xml_text(text: str) -> str:
    """Escaped for XML element content: the payload's control bytes stay as raw bytes."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _rss(title: str, items: list[str]) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{title}</title>{''.join(items)}</channel></rss>\n"
    )


def _rss_item(title: str, link: str, summary: str, date: str = "") -> str:
    published = f"<pubDate>{date}</pubDate>" if date else ""
    return (
        f"<item><title>{_xml_text(title)}</title><link>{link}</link><guid>{link}</guid>"
        f"{published}<description>{_xml_text(summary)}</description></item>"
    )


def hostile_feed(base: str) -> bytes:
    """hostile.xml: every title and text laced with the payloads; links to hostile pages."""
    items = [
        _rss_item(
            hostile_text(item.title),
            f"{base}/chaos/pages/{item.slug}.html",
            hostile_text(item.summary),
            "Fri, 27 Nov 2026 10:00:00 +0000",
        )
        for item in HOSTILE_ITEMS
    ]
    return _rss(hostile_text("Chaos Wire"), items).encode("utf-8")


def escapes_page(base: str) -> bytes:
    """An article page whose title, headline and paragraphs carry every payload."""
    item = HOSTILE_ITEMS[0]
    paragraphs = "".join(
        f"<p>{_xml_text(hostile_text(sentence))}</p>"
        for sentence in (
            item.summary,
            "Local officials said the soldiers would stay at the crossing for at least a month "
            "while the border police rebuilt their posts.",
            "Residents of the valley watched the convoy pass through the market town before dawn.",
        )
    )
    title = _xml_text(hostile_text(item.title))
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><article><h1>{title}</h1>{paragraphs}</article></body></html>"
    ).encode()


@cache
def million_elements_page() -> bytes:
    """A page of a million elements (4 MB, under the page cap): the parser must cope."""
    return b"<html><body><article>" + b"<p>x" * 1_000_000 + b"</article></body></html>"


@cache
def compression_bomb() -> bytes:
    """64 MB of zeros gzipped to about 64 KB."""
    return gzip.compress(b"\0" * (64 << 20), compresslevel=9)


def latin1_feed(title: str) -> bytes:
    """A feed encoded in Latin-1 whose XML declaration says utf-8."""
    item = _rss_item(
        "Exército envia tropas à fronteira norte",
        "{{BASE}}/chaos/pages/missing.html",
        "O exército enviou 600 soldados à fronteira norte, disse o ministério.",
    )
    return _rss(title, [item]).encode("latin-1")


BROKEN_XML = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Broken'
    b"<item><title>Half a title<link>http://nowhere.invalid/</chan"
)
BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "lol lol lol lol lol lol lol lol">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
    b'<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]><rss version="2.0"><channel>'
    b"<title>&d;</title></channel></rss>"
)
DEEP_JSON = b'{"version": "https://jsonfeed.org/version/1.1", "items": ' + b"[" * 100_000
NOT_A_FEED = b"<!DOCTYPE html><html><body><h1>Welcome to our new website!</h1></body></html>"


Route = Callable[[BaseHTTPRequestHandler, str], None]


def reply(
    handler: BaseHTTPRequestHandler,
    body: bytes,
    status: int = 200,
    content_type: str = "application/rss+xml; charset=utf-8",
    **headers: str,
) -> None:
    """A complete answer; a client that hung up is no error here."""
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        for name, value in headers.items():
            handler.send_header(name.replace("_", "-"), value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    except OSError:
        return


def _stream(handler: BaseHTTPRequestHandler, content_type: str, chunk: bytes, pause: float) -> None:
    """Headers, then `chunk` again and again (a pause apart) until the client hangs up."""
    try:
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.end_headers()
        deadline = time.monotonic() + SLOW_SECONDS
        while time.monotonic() < deadline:
            handler.wfile.write(chunk)
            handler.wfile.flush()
            time.sleep(pause)
    except OSError:
        return


def _slow(content_type: str) -> Route:
    return lambda h, base: _stream(h, content_type, b" ", 1.0)


def _endless(content_type: str, start: bytes) -> Route:
    return lambda h, base: _stream(h, content_type, start + b"x" * 65_000, 0.0)


def _bomb(content_type: str) -> Route:
    return lambda h, base: reply(h, compression_bomb(), 200, content_type, Content_Encoding="gzip")


def _loop(path: str) -> Route:
    return lambda h, base: reply(h, b"", 302, "text/plain", Location=f"{base}{path}")


def _fixed(body: bytes, content_type: str = "application/rss+xml; charset=utf-8") -> Route:
    return lambda h, base: reply(h, body.replace(b"{{BASE}}", base.encode()), 200, content_type)


def _busy(handler: BaseHTTPRequestHandler, base: str) -> None:
    reply(handler, b"come back later", 503, "text/plain", Retry_After="120")


CHAOS_FEEDS: dict[str, tuple[Route, str]] = {
    "slow.xml": (_slow("application/rss+xml"), "no complete answer within"),
    "endless.xml": (_endless("application/rss+xml", b"<rss>"), "body larger than"),
    "bomb.xml": (_bomb("application/rss+xml"), "body larger than"),
    "loop.xml": (_loop("/chaos/feeds/loop.xml"), "more than 5 redirects"),
    "broken.xml": (_fixed(BROKEN_XML), "not a feed"),
    "entities.xml": (_fixed(BILLION_LAUGHS), "declares entities"),
    "deep.json": (_fixed(DEEP_JSON, "application/feed+json"), "nested too deeply"),
    "not-a-feed.xml": (_fixed(NOT_A_FEED, "text/html"), "not a feed"),
    "busy.xml": (_busy, "HTTP 503"),
    "to-file.xml": (lambda h, base: reply(h, b"", 302, Location="file:///etc/passwd"), "file:"),
    "latin1.xml": (_fixed(latin1_feed("Jornal da Fronteira")), ""),
    "klingon.xml": (
        _fixed(latin1_feed("Diário do Norte"), "application/rss+xml; charset=klingon"),
        "",
    ),
    "hostile.xml": (lambda h, base: reply(h, hostile_feed(base)), ""),
}
"""Each chaos feed: how it is served, and words its failure must be told in ('' if it loads)."""

CHAOS_PAGES: dict[str, Route] = {
    "escapes.html": lambda h, base: reply(h, escapes_page(base), content_type="text/html"),
    "million-elements.html": lambda h, base: reply(
        h, million_elements_page(), content_type="text/html"
    ),
    "never-ends.html": _endless("text/html", b"<html><body><p>"),
    "bomb.html": _bomb("text/html"),
    "trickle.html": _slow("text/html"),
    "loop.html": _loop("/chaos/pages/loop.html"),
}


PLACES = (
    "Korvel",
    "Astrava",
    "Milnesk",
    "Dorsa",
    "Trevin",
    "Halmar",
    "Ostrog",
    "Vellin",
    "Brask",
    "Samira",
    "Tolven",
    "Quarra",
    "Lindor",
    "Pechora",
    "Ambel",
    "Rusk",
)
STORY_KINDS = ("troops", "technology", "filler")


@dataclass(frozen=True)
class Story:
    """A newsroom story: what it says, and the watchlists it must raise ([] for none)."""

    number: int
    title: str
    text: str
    expect: tuple[str, ...]


def newsroom_story(number: int) -> Story:
    """The newsroom's story `number`: troops, a technology transfer or filler, in turn."""
    place = PLACES[number % len(PLACES)]
    kind = STORY_KINDS[number % len(STORY_KINDS)]
    if kind == "troops":
        count = 300 + 7 * number
        return Story(
            number,
            f"{count} troops deployed to {place} in border build-up #{number}",
            f"The defence ministry said it had deployed {count} troops and armoured vehicles "
            f"to {place}, near the border, after militia units were seen massing across it. "
            f"Officials called the deployment of soldiers number {number} a precaution.",
            ("troop-deployment",),
        )
    if kind == "technology":
        return Story(
            number,
            f"{place} firm charged over transfer of missile technology, case {number}",
            f"Prosecutors in {place} charged a firm over the illegal transfer of missile "
            f"guidance technology and know-how to a sanctioned state, in breach of export "
            f"controls on dual-use goods. It is case {number} of its kind this year.",
            ("technology-transfer",),
        )
    return Story(
        number,
        f"{place} council approves {number} new cycle lanes",
        f"The council of {place} approved {number} new cycle lanes and a bus stop by the "
        "library at its monthly meeting; work begins in the spring.",
        (),
    )


class Newsroom:
    """newsroom.xml: each request brings `per_request` new stories; it serves the last `window`.

    `served` maps each story page's URL to the watchlists it must raise, for
    every story any answer carried: what a test checks the alerts against.
    """

    def __init__(self, per_request: int = 2, window: int = 6) -> None:
        self.per_request = per_request
        self.window = window
        self.published = 0
        self.served: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()

    def feed(self, base: str) -> bytes:
        """The feed as of this request (which publishes the next stories)."""
        with self._lock:
            self.published += self.per_request
            first = max(0, self.published - self.window)
            stories = [newsroom_story(n) for n in range(first, self.published)]
            for story in stories:
                self.served[self.page_url(base, story.number)] = story.expect
        items = [
            _rss_item(s.title, self.page_url(base, s.number), s.text) for s in reversed(stories)
        ]
        return _rss("Newsroom", items).encode()

    @staticmethod
    def page_url(base: str, number: int) -> str:
        """Where story `number`'s page is served."""
        return f"{base}/chaos/news/{number}.html"

    def page(self, number: int) -> bytes | None:
        """Story `number`'s article page, if it was published: the story amid a site's furniture."""
        if not 0 <= number < self.published:
            return None
        story = newsroom_story(number)
        return (
            f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{story.title}</title>"
            f"{SITE_SCRIPT}</head><body>{SITE_NAV}<article><h1>{story.title}</h1>"
            f"<p>{story.text}</p><p>More on this story as it develops.</p></article>"
            f"{SITE_NAV}</body></html>"
        ).encode()


SITE_NAV = (
    "<nav><ul>"
    + "".join(f"<li><a href='/section/{n}'>Section {n}</a></li>" for n in range(300))
    + "</ul></nav>"
)
"""A menu of 300 links: the weight of a real news page's navigation (about 14 KB)."""
SITE_SCRIPT = (
    "<script>var slots = [" + ",".join(str(n * 7919) for n in range(16_000)) + "];</script>"
)
"""An inline script of about 130 KB, as real pages carry for their adverts and analytics."""


def serve_chaos(handler: BaseHTTPRequestHandler, base: str, path: str, newsroom: Newsroom) -> bool:
    """Answer a /chaos/ path; False when there is no such path."""
    parts = path.split("/")
    if len(parts) != 4 or parts[1] != "chaos":
        return False
    if parts[2:] == ["feeds", "newsroom.xml"]:
        reply(handler, newsroom.feed(base))
        return True
    if parts[2] == "news":
        return _serve_story(handler, newsroom, parts[3])
    table = CHAOS_FEEDS if parts[2] == "feeds" else CHAOS_PAGES if parts[2] == "pages" else {}
    entry = table.get(parts[3])
    if entry is None:
        return False
    route = entry[0] if isinstance(entry, tuple) else entry
    route(handler, base)
    return True


def _serve_story(handler: BaseHTTPRequestHandler, newsroom: Newsroom, name: str) -> bool:
    number = name.removesuffix(".html")
    page = newsroom.page(int(number)) if number.isdigit() else None
    if page is None:
        return False
    reply(handler, page, content_type="text/html; charset=utf-8")
    return True
