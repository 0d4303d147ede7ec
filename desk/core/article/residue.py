"""Marks that scrapers and CMSs leave inside story text, taken out.

`unmark` removes YAML front matter and Markdown marks (headings, rules,
images, links and emphasis, keeping the words); `repair_inline` puts spaces
back between sentences a scraper glued together and drops a CMS's markers
(shortcodes, broadcast script marks, "Click to Tweet", bracketed link notes,
wire end marks). Both work on whole texts, before the text is split into lines.
"""

from __future__ import annotations

import re
from typing import Any

import re2

# Front matter and the Markdown marks a scraper leaves in stored text.
_FRONT_MATTER = re.compile(r"\A\s*---[ \t]*\n(?=[\w-]+:)(?:[^\n]*\n){0,300}?---[ \t]*(?:\n|\Z)")
_MD_HEADING = re.compile(r"^#{1,6}[ \t]+", re.MULTILINE)
_MD_RULE = re.compile(r"^[ \t]*(?:-{3,}|\*{3,})[ \t]*$", re.MULTILINE)
# RE2 (linear time) where a scan from every '[' or '**' could run to the line's end: a line
# of 50,000 '[' took 11 s with Python's re; strong marks as two alternatives, no backreference
_MD_IMAGE = re2.compile(r"!\[[^\]\n]*\]\([^)\n]*\)")
_MD_LINK = re2.compile(r"\[([^\]\n]+)\]\((?:https?://|/)[^)\s]*\)")
_MD_STRONG = re2.compile(r"\*\*(\S(?:[^\n]*?\S)?)\*\*|__(\S(?:[^\n]*?\S)?)__")
_MD_EMPHASIS = re.compile(r"\*(?<![\w*]\*)(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")

# Inline residue: a scraper's joins and a CMS's markers inside story lines.
# One pattern per mark: a literal first character makes the scan fast.
_GLUED_SENTENCES = tuple(
    re.compile(rf"\{mark}(?<=[a-z]{{2}}\{mark})(?=[A-Z\u201c\u2018\"][a-z ])") for mark in ".!?"
)
_GLUED_PAREN = re.compile(r"\)(?<=[\w.]\))(?=[A-Z])")
_SCRIPT_MARK = re.compile(
    r"\[(?:LEAD|REPORT|ANCHOR|REPORTER|STANDUP|SOUNDBITE|INTERVIEW|INTRO|CLOSING)\]"
)
_SLASH_BREAK = re.compile(r" / {1,2}/ ")
_SHORTCODE = re2.compile(
    r"\[button\b[^\]\n]*\][^\[\n]{0,200}\[/button\]|\[/?(?:ad_\d+|caption|embed|gallery|video|audio)\b[^\]\n]*\]"
)
_TWEET_THIS = re.compile(r" ?\bclick to tweet\b", re.IGNORECASE)
# A link in brackets inside a story line: "(Click here to read the letter: tmsnrt.rs/1V)".
_LINK_NOTE = re.compile(
    r"\((?:(?:click\s+here|for\s+(?:a|an|the|more)|see|read|related)\b[^()\n]{0,160}"
    r"|(?:https?://)?[\w-]+\.(?:ly|rs|gl|co|me|com|org|net)/[^()\s]{1,60})\)",
    re.IGNORECASE,
)
_END_MARK = re2.compile(r"(?m)\s*\(END\)[ \t]*$")


def split_front_matter(text: str) -> tuple[str, str]:
    """A stored page's YAML front matter (without its fences) and the body after it."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return "", text
    block = match.group().strip()
    return block[3:-3].strip("\n"), text[match.end() :]


def unmark(text: str) -> str:
    """Front matter and Markdown marks out; link and emphasis text kept."""
    if text[:20].lstrip().startswith("---"):
        text = split_front_matter(text)[1]
    if "#" in text and (text.startswith("#") or "\n#" in text):
        text = _MD_HEADING.sub("", text)
    if "---" in text or ("*" in text and "***" in text):
        text = _MD_RULE.sub("", text)
    if "](" in text:
        text = _MD_LINK.sub(r"\1", _MD_IMAGE.sub("", text))
    if "*" in text or "__" in text:
        text = _MD_EMPHASIS.sub(r"\1", _MD_STRONG.sub(_strong_text, text))
    return text


def repair_inline(text: str) -> str:
    """Spaces back between glued sentences; CMS markers and shortcodes out."""
    for mark, glued in zip(".!?", _GLUED_SENTENCES, strict=True):
        if mark == "." or mark in text:
            text = glued.sub(r"\g<0> ", text)
    if ")" in text:
        text = _GLUED_PAREN.sub(") ", text)
    if "[" in text:
        text = _SHORTCODE.sub("", _SCRIPT_MARK.sub(_script_mark_break, text))
    text = _SLASH_BREAK.sub("\n\n", text)
    if "weet" in text:
        text = _TWEET_THIS.sub("", text)
    if "/" in text and "(" in text:
        text = _LINK_NOTE.sub("", text)
    if "(END)" in text:
        text = _END_MARK.sub("", text)
    return text


def _script_mark_break(match: re.Match[str]) -> str:
    """A broadcast script's [LEAD] or [REPORT] at a sentence start becomes a line break."""
    before = match.string[match.start() - 1 : match.start()]
    return "\n" if before in ("", "\n", ".", "!", "?", '"', "\u201d") else match.group()


def _strong_text(match: Any) -> str:
    """A strong mark's text, whichever of its two spellings (** or __) it had."""
    return str(match.group(1) or match.group(2))
