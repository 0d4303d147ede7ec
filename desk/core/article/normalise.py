"""Character-level normalisation: any text's characters made safe and uniform.

Template comments and leftover inline tags are dropped, then entities
(double-escaped ones too) decoded, so that a literal `&lt;b&gt;` stays as the
text `<b>`; terminal escapes with their payloads, control characters, soft
hyphens, zero-width and bidirectional marks go after decoding (an entity can
spell an escape), by `desk.core.safetext`; UTF-8 that was read as
cp1252 or latin-1 (mojibake) is repaired line by line; Unicode ends in NFC;
odd quotes become plain ones and odd spaces one space. Cheap scans decide
which steps a text needs, so plain ASCII passes almost untouched.
"""

from __future__ import annotations

import re
import unicodedata

import re2

from desk.core.safetext import UNSAFE_CHARS, safe_text, unescape_html

_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z]{2,8});")
_MOJIBAKE = re.compile(
    r"[ÃÂ][\x80-\xbf\u0152-\u02dc\u2013-\u2122]|â€|Ã[©¨ª«¡¢£¤¥¦§­®¯°±²³´µ¶·¸¹º»¼½¾¿]"
)
_TEMPLATE_COMMENT = re2.compile(r"(?s)<!--.*?-->|\{\{[^{}\n]*\}\}|\{%[^%\n]*%\}")
"""RE2: many unclosed '<!--' cost linear time (Python's re took 5 s on 49,000 characters)."""
_LEFTOVER_TAG = re.compile(
    r"</?(?:p|br|div|span|b|i|u|em|strong|a|font|small|sup|sub|hr|img)(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)
_LEFTOVER_BREAK = re.compile(r"</p\s*>(?:\s|&nbsp;)*<p(?:\s[^<>]*)?>", re.IGNORECASE)
"""A leftover paragraph's end and the next one's start: a paragraph break ('the
Gulf&nbsp;</p><p>In a decision': a headline is not run into its lead). A lone tag or
line break is no sure boundary: it may sit inside a sentence."""
_ODD_SPACES = re.compile("[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_DOUBLE_SPACES = re.compile("  +")
# Characters that send a text through the markup and escape steps (one fast scan).
_MARKUP_OR_CONTROL = re.compile("[\r\x1b&<{]")
# Any character that one of the character steps below would change.
_UNUSUAL_CHARS = (
    "\t\u00a0\u00b4\u02bc\u1680\u2000-\u200f\u2028-\u202f"
    "\u2032\u2033\u201b\u201f\u205f\u3000\uff02\uff07" + UNSAFE_CHARS
)
_UNUSUAL = re.compile(f"[{_UNUSUAL_CHARS}]")
# Either kind, in one scan: most texts need neither step.
_NEEDS_WORK = re.compile(f"[\r\x1b&<{{{_UNUSUAL_CHARS}]")
_ODD_QUOTES = re.compile("[\u00b4\u2032\u2033\u201b\u201f\u02bc\uff02\uff07]")
_QUOTES = {
    "\u00b4": "'",
    "\u2032": "'",
    "\u2033": '"',
    "\u201b": "\u2018",
    "\u201f": "\u201c",
    "\u02bc": "\u2019",
    "\uff02": '"',
    "\uff07": "'",
}


def normalise_characters(text: str) -> str:
    """Escapes and controls out, entities decoded, mojibake repaired, NFC, tidy quotes and spaces."""
    busy = _NEEDS_WORK.search(text) is not None
    if busy and _MARKUP_OR_CONTROL.search(text):
        text = _decode_markup(text.replace("\r\n", "\n").replace("\r", "\n"))
    if not text.isascii():
        repaired = repair_mojibake(text)
        busy = busy or repaired != text  # a repair can spell a control ("Â›" is 0x9B)
        text = repaired
    if busy and _UNUSUAL.search(text):
        text = safe_text(text)
        text = _ODD_QUOTES.sub(lambda m: _QUOTES[m.group()], text)
        text = _ODD_SPACES.sub(" ", text)
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return _DOUBLE_SPACES.sub(" ", text) if "  " in text else text


def _decode_markup(text: str) -> str:
    """Template comments and leftover tags out (paragraph tags as paragraph breaks), then
    entities decoded (tags they spell stay)."""
    if "<!--" in text or "{{" in text or "{%" in text:
        text = _TEMPLATE_COMMENT.sub("", text)
    if "<" in text:
        text = _LEFTOVER_TAG.sub(" ", _LEFTOVER_BREAK.sub("\n\n", text))
    return _decode_entities(text)


def _decode_entities(text: str) -> str:
    for _ in range(2):  # double-escaped entities such as &amp;#x27;
        if "&" not in text or not _ENTITY.search(text):
            break
        text = unescape_html(text)
    return text


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 that was decoded as cp1252/latin-1, line by line where it helps."""
    if not ("Ã" in text or "Â" in text or "â€" in text) or not _MOJIBAKE.search(text):
        return text
    return "\n".join(_repair_line(line) for line in text.split("\n"))


def _repair_line(line: str) -> str:
    try:
        fixed = _as_windows_bytes(line).decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return line
    return fixed if len(_MOJIBAKE.findall(fixed)) < len(_MOJIBAKE.findall(line)) else line


def _as_windows_bytes(line: str) -> bytes:
    """The bytes a cp1252 (or, for its gaps, latin-1) decoder turned into `line`."""
    out = bytearray()
    for char in line:
        try:
            out += char.encode("cp1252")
        except UnicodeEncodeError:
            if ord(char) > 0xFF:
                raise
            out.append(ord(char))
    return bytes(out)
