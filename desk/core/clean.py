"""Text cleaning for everything desk shows or matches.

`clean_text` takes text from any source (an extracted page, a feed summary,
a text file) and returns paragraphs separated by blank lines: control
characters and terminal escapes stripped, entities decoded, common mojibake
repaired, Unicode in NFC, theme and widget junk removed, and words that a
scraper broke across lines put back together.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from html import unescape

# Terminal escape sequences (CSI, OSC, and lone ESC pairs) and C0/C1 controls.
_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u2028\u2029\ufeff]")
_ENTITY = re.compile(r"&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[A-Za-z]{2,8});")
_MOJIBAKE = re.compile(
    r"[ÃÂ][\x80-\xbf\u0152-\u02dc\u2013-\u2122]|â€|Ã[©¨ª«¡¢£¤¥¦§­®¯°±²³´µ¶·¸¹º»¼½¾¿]"
)
_TEMPLATE_COMMENT = re.compile(r"<!--.*?-->|\{\{[^{}\n]*\}\}|\{%[^%\n]*%\}", re.DOTALL)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_QUOTES = str.maketrans({"\u00b4": "'", "\u2032": "'", "\u201b": "‘"})

_JUNK_LINE = re.compile(
    r"""^(?:
        (?:spot_img)+
      | get\s+in\s+touch | latest\s+(?:posts|news|stories|articles)
      | related(?:\s+(?:posts|articles|stories|news|content|reading))?
      | (?:you\s+may\s+)?also\s+(?:read|like)\b.* | read\s+(?:more|next|also)\b.{0,60}
      | advertisement | sponsored(?:\s+content)? | \[ad_?\d*\]
      | share(?:\s+(?:this|on\s+\w+|via\s+\w+|article|story|post))?[:!]?
      | (?:tweet|pin\s+it|email|print|copy\s+link|whatsapp|facebook|twitter|linkedin|reddit)
      | (?:subscribe|sign\s+up)\b.{0,60}newsletter.{0,40} | subscribe(?:\s+now)?
      | follow\s+us\b.{0,60}
      | .{0,60}\bcookies?\b.{0,80}(?:accept|consent|agree|policy).{0,40}
      | source:?(?:\s+\S+){0,4} | via\s+\S+
      | click\s+here\b.{0,60} | leave\s+a\s+(?:reply|comment) | \d+\s+comments?
      | (?:previous|next)\s+(?:post|article)\b.{0,80}
      | all\s+rights\s+reserved.{0,40} | ©.{0,80}
    )$""",
    re.IGNORECASE | re.VERBOSE,
)

# Two-letter-or-shorter fragments that are words on their own.
_SHORT_WORDS = frozenset(
    "a i am an as at be by do go he if in is it me my no of oh on or ok so to up us we".split()
)
# Prefixes whose hyphen is part of the word (re-entry, co-operate, non-state).
_KEEP_HYPHEN = frozenset(
    "re co non pre post anti ex self cross multi semi sub inter intra "
    "counter long short high low well full half state mid".split()
)


def clean_text(text: str, site_junk: Iterable[str] = ()) -> str:
    """Clean `text` into paragraphs separated by blank lines."""
    text = normalise_characters(text)
    junk = {_line_key(line) for line in site_junk}
    paragraphs = []
    for block in re.split(r"\n\s*\n", text):
        lines = [line for line in _lines(block) if not is_junk_line(line, junk)]
        if lines:
            paragraphs.extend(join_broken_lines(lines))
    return "\n\n".join(paragraphs)


def normalise_characters(text: str) -> str:
    """Escapes and controls out, entities decoded, mojibake repaired, NFC, tidy spaces."""
    text = _ESCAPES.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _TEMPLATE_COMMENT.sub("", text)
    for _ in range(2):  # double-escaped entities such as &amp;#x27;
        if not _ENTITY.search(text):
            break
        text = unescape(text)
    text = repair_mojibake(text)
    text = _CONTROLS.sub("", text)
    text = unicodedata.normalize("NFC", text).translate(_QUOTES)
    return _SPACES.sub(" ", text)


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 that was decoded as cp1252/latin-1, line by line where it helps."""
    if not _MOJIBAKE.search(text):
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


def _lines(block: str) -> list[str]:
    return [line.strip() for line in block.split("\n") if line.strip()]


def _line_key(line: str) -> str:
    return " ".join(line.lower().split())


def is_junk_line(line: str, site_junk: set[str] | frozenset[str] = frozenset()) -> bool:
    """True for a line that is page furniture, not story."""
    return bool(_JUNK_LINE.match(line)) or _line_key(line) in site_junk


def join_broken_lines(lines: list[str]) -> list[str]:
    """Merge lines a scraper broke mid-sentence; return the resulting paragraphs."""
    merged = [lines[0]]
    for line in lines[1:]:
        glue = _glue(merged[-1], line)
        if glue is None:
            merged.append(line)
        else:
            merged[-1] = merged[-1] + glue + line if glue != "-" else merged[-1][:-1] + line
    return merged


def _glue(before: str, after: str) -> str | None:
    """How to join two lines: '' (inside a word), ' ', '-' (drop hyphen) or None (keep apart)."""
    if not after[0].islower() or _ends_sentence(before):
        return None
    if before.endswith("-") and before[-2:-1].isalpha():
        prefix = re.findall(r"(\w+)-$", before)
        keep = bool(prefix) and prefix[0].lower() in _KEEP_HYPHEN
        return "" if keep else "-"
    last = re.findall(r"(\w+)$", before)
    first = re.findall(r"^(\w+)", after)
    if last and first and (_is_fragment(last[0]) or _is_fragment(first[0])):
        return ""
    return " "


def _ends_sentence(line: str) -> bool:
    return line.rstrip("\"'”’)]").endswith((".", "!", "?", ":", ";"))


def _is_fragment(word: str) -> bool:
    return word.islower() and len(word) <= 2 and word not in _SHORT_WORDS


def lead_with_title(title: str, text: str) -> str:
    """The text with its title as the first paragraph, and only once."""
    title = normalise_characters(title).strip()
    if not title:
        return text
    first = text.split("\n\n", 1)[0]
    if _line_key(first) == _line_key(title):
        return text
    return f"{title}\n\n{text}" if text else title
