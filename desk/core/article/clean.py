"""Text cleaning for everything desk shows or matches: the steps and their order.

`clean_text` takes text from any source (an extracted page, a feed summary,
a text file) and returns paragraphs separated by blank lines. This module
owns the order of the steps and the paragraph and line handling between
them; each step lives in its own module:

- `desk.core.article.normalise`: characters (escapes, controls, entities, mojibake,
  NFC, quotes, spaces);
- `desk.core.article.residue`: front matter, Markdown marks and a CMS's inline markers;
- `desk.core.article.junklines`: theme and widget junk lines (plus any lines learned
  as junk for the page's site, see `desk.core.article.sitejunk`);
- `desk.core.article.wordbreaks`: words and sentences a scraper broke across lines;
- `desk.core.article.headline`: the title as the text's first paragraph, once.

The work comes in two stages so that the pipeline can learn site junk in
between: `story_blocks` (characters, inline repairs, generic junk) and
`finish_paragraphs` (site junk, broken lines). The names other modules
import from here (`__all__`) stay importable from here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from desk.core.article.headline import lead_with_title
from desk.core.article.junklines import (
    MAX_JUNK_LINE,
    MAX_PHRASE_LINE,
    MAX_SITE_LINE,
    drop_related_lists,
    is_junk_line,
    is_lone_label,
    line_key,
    phrase_hints_in,
)
from desk.core.article.normalise import normalise_characters
from desk.core.article.residue import repair_inline, unmark
from desk.core.article.wordbreaks import Vocabulary, join_broken_lines

__all__ = [
    "MAX_SITE_LINE",
    "clean_paragraphs",
    "clean_text",
    "finish_paragraphs",
    "join_broken_lines",
    "lead_with_title",
    "line_key",
    "normalise_characters",
    "story_blocks",
]

_BLANK_LINES = re.compile(r"\n[ \t]*\n\s*")


def clean_text(text: str, site_junk: Iterable[str] = ()) -> str:
    """Clean `text` into paragraphs separated by blank lines."""
    return "\n\n".join(clean_paragraphs(text, site_junk))


def clean_paragraphs(text: str, site_junk: Iterable[str] = ()) -> list[str]:
    """The cleaned paragraphs of `text`."""
    return finish_paragraphs(story_blocks(text), site_junk)


def story_blocks(text: str) -> list[list[str]]:
    """Normalised text as blocks of lines, with the generic junk lines gone."""
    text = repair_inline(unmark(normalise_characters(text)))
    split = drop_related_lists([_lines(block) for block in _BLANK_LINES.split(text)])
    short = (line for lines in split for line in lines if len(line) <= MAX_PHRASE_LINE)
    hints = phrase_hints_in("\n".join(short))
    blocks = []
    for block in split:
        lines = [line for line in block if not _is_junk(line, hints)]
        if len(lines) == 1 and is_lone_label(lines[0]):
            continue
        if lines:
            blocks.append(lines)
    return blocks


def finish_paragraphs(blocks: list[list[str]], site_junk: Iterable[str] = ()) -> list[str]:
    """Site junk out and broken lines joined: the finished paragraphs."""
    junk = frozenset(line_key(line) for line in site_junk)
    vocabulary = Vocabulary(blocks)
    paragraphs: list[str] = []
    for lines in blocks:
        kept = [line for line in lines if not _is_known_junk(line, junk)] if junk else lines
        if len(kept) == 1:
            paragraphs.append(kept[0])
        elif kept:
            paragraphs.extend(join_broken_lines(kept, vocabulary))
    return paragraphs


def _is_known_junk(line: str, junk: frozenset[str]) -> bool:
    """is_site_junk for a line from story_blocks, whose spaces are already tidy."""
    return len(line) <= MAX_SITE_LINE and line.lower() in junk


def _lines(block: str) -> list[str]:
    return [line.strip() for line in block.split("\n") if line.strip()]


def _is_junk(line: str, hints: tuple[str, ...]) -> bool:
    return len(line) <= MAX_JUNK_LINE and is_junk_line(line, hints=hints)
