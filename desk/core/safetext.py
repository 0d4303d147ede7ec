"""The one boundary for text from outside: what a feed, a page, a server or a file may not do.

Every string desk did not write itself (titles, names, summaries, pages,
error text from a server, a watchlist being edited, a store written by an
older desk) passes through `safe_text` or `safe_line` where it enters, so
that nothing downstream can be told to move a cursor, set a window title,
write the clipboard, or reorder what the analyst reads:

- terminal escape sequences go *with their payloads*: CSI (`ESC [` or the
  8-bit 0x9B) up to its final byte; OSC, DCS, SOS, PM and APC strings up to
  BEL or ST (7- or 8-bit) on the same line, or, unterminated, up to the next
  blank (a clipboard or link payload has none; the words after it stay);
  two-byte `ESC x` pairs;
- every other C0 control but newline and tab, DEL, and every C1 control;
- bidirectional marks, embeddings, overrides and isolates, which can make a
  title read backwards;
- invisible characters: zero-width space, word joiner, byte-order mark,
  soft hyphen, interlinear annotation marks, Unicode tag characters; the
  zero-width (non-)joiner stays only between two non-ASCII characters,
  where scripts such as Persian, Hindi and emoji sequences need it;
- lone surrogates (undecodable bytes) become U+FFFD, so no output can fail
  to encode; U+2028/U+2029 become newlines.

A quick scan finds the rare string that needs work; plain text costs one
regex search. Markup (`[b]`, `<b>`, `&lt;`) is not this module's concern:
it is only ever shown as text (the UI never parses feed text as markup).
"""

from __future__ import annotations

import re
from html import unescape

import re2

# One escape sequence with its payload (ECMA-48): CSI, then the string controls, then pairs.
# A string's payload stops at any other introducer, so that a line of many costs one pass.
_STRING_STOP = "\x07\x1b\x9c\x90\x98\x9d\x9e\x9f\n"
_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])"
    rf"(?:[^{_STRING_STOP}]*(?:\x07|\x1b\\|\x9c)|[^{_STRING_STOP}\s]*)"
    r"|\x1b[\x20-\x2f]*[\x30-\x7e]?"
)
_INTRODUCER = re.compile("[\x1b\x90\x98\x9b\x9d\x9e\x9f]")
_INVISIBLE = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 (but tab and newline), DEL, C1
    "\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069"
    "\ufeff\ufff9-\ufffb\U000e0000-\U000e007f"
)
_REMOVED = re.compile(f"[{_INVISIBLE}]")
_JOINERS = "\u200c\u200d"
_STRAY_JOINER = re.compile(f"[{_JOINERS}](?=[\\x00-\\x7f]|$)|(?:^|(?<=[\\x00-\\x7f]))[{_JOINERS}]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_SEPARATORS = re.compile("\r\n?|[\u2028\u2029]")
UNSAFE_CHARS = f"{_INVISIBLE}{_JOINERS}\ud800-\udfff\r\u2028\u2029"
"""A regex character class body: every character `safe_text` may remove or change."""
_UNSAFE = re.compile(f"[{UNSAFE_CHARS}]")
_ESC_ENTITY = re.compile(r"&#(?:[xX]0*(?:1[bB]|7)|0*(?:27|7));?")
_URL_TRIM = "".join(map(chr, range(0x21))) + "\x7f"
_LINE_BREAKS = re.compile(r"[\t\n\r\u2028\u2029]")
_SPACES = re.compile(r"\s+")
_BLANK = re.compile(r"\s")
"""What str.isspace() is true of (re's \\s for str patterns is the same Unicode test)."""
_TAG = re2.compile(r"<[^>]+>")
"""RE2: a title of 50,000 '<' took 1.4 s with Python's re (each '<' scanned to the end)."""


def is_safe(text: str) -> bool:
    """True when `text` holds nothing that `safe_text` would change."""
    return _UNSAFE.search(text) is None


def safe_text(text: str) -> str:
    """`text` with escape sequences, controls, bidi and stray invisibles removed; lines kept."""
    if _UNSAFE.search(text) is None:
        return text
    if "\r" in text or "\u2028" in text or "\u2029" in text:
        text = _SEPARATORS.sub("\n", text)
    text = without_sequences(text)  # a quick scan first: _SEQUENCE is slow where nothing matches
    text = _REMOVED.sub("", text)
    if "\u200c" in text or "\u200d" in text:
        text = _STRAY_JOINER.sub("", text)
    return _SURROGATE.sub("\ufffd", text)


def without_sequences(text: str) -> str:
    """`text` with its escape sequences (7- and 8-bit) removed with their payloads, nothing else.

    For text that something is about to change before `safe_text` sees it:
    feedparser and the strict reader turn C1 controls into their windows-1252
    look-alikes, which would leave an 8-bit CSI's payload (`\\x9b2J` as `›2J`).
    """
    if _INTRODUCER.search(text) is None:
        return text
    return _SEQUENCE.sub("", text)


def unescape_html(text: str) -> str:
    """HTML entities decoded, where entities that spell ESC or BEL stay so for `safe_text`.

    `html.unescape` drops `&#27;` but keeps what follows, so `&#27;]52;c;...&#7;`
    would leave an escape's payload behind as text.
    """
    if "&#" in text and _ESC_ENTITY.search(text):
        text = _ESC_ENTITY.sub(_control_of, text)
    return unescape(text)


def _control_of(entity: re.Match[str]) -> str:
    number = entity.group()[2:].rstrip(";")
    return chr(int(number[1:], 16) if number[0] in "xX" else int(number))


def safe_line(text: str) -> str:
    """`text` made safe and put on one line: line breaks and runs of spaces become one space."""
    text = safe_text(text)
    if _LINE_BREAKS.search(text) is None and "  " not in text:
        return text.strip()
    return _SPACES.sub(" ", text).strip()


def safe_url(url: str) -> str:
    """A URL with every unsafe or blank character percent-encoded, as a browser sends it.

    Blanks and controls at either end go, as a browser reads an href; inside,
    removing characters would change which page the link names, so they are
    encoded: the link keeps its identity and holds nothing a terminal acts on.
    """
    if _UNSAFE.search(url) is None and _BLANK.search(url) is None:
        return url
    url = url.strip(_URL_TRIM)  # as browsers read a link: blanks and controls at the ends go
    return "".join(_percent(c) if _needs_quoting(c) else c for c in url)


def _needs_quoting(char: str) -> bool:
    return char.isspace() or _UNSAFE.match(char) is not None


def _percent(char: str) -> str:
    data = char.encode("utf-8", "replace")  # a lone surrogate becomes '?'
    return "".join(f"%{byte:02X}" for byte in data)


def plain_text(markup: str) -> str:
    """Markup stripped, entities decoded and the result made safe, on one line.

    Safety comes last: an entity such as `&#27;` decodes to an escape.
    """
    if "<" in markup:
        markup = _TAG.sub(" ", markup)
    if "&" in markup:
        markup = unescape_html(markup)
    return safe_line(" ".join(markup.split()))


def without_tags(markup: str) -> str:
    """Markup's tags out and its spaces tidied, entities left for the cleaner; on one line."""
    if "<" in markup:
        markup = _TAG.sub(" ", markup)
    return safe_line(" ".join(markup.split()))
