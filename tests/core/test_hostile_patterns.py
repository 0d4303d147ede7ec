"""Hostile text against every pattern found super-linear (a code review's and an audit's):
each input is sized so that the backtracking pattern takes seconds to minutes (measured at
smaller sizes before the fix, where doubling the input quadrupled the time) while the
linear one takes milliseconds; the limit tells the two apart on any machine.

Each reaches its pattern through the public function the untrusted text goes through:
a feed's fields, a page's markup, an article's lines, a watchlist or settings file being
edited.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from desk.core.article.clean import clean_text
from desk.core.article.headline import lead_with_title
from desk.core.article.pagemeta import page_metadata
from desk.core.feeds.parse import parse_feed
from desk.core.match.matcher import term_words
from desk.core.safetext import plain_text
from desk.core.settings.config import parse_duration

N = 100_000
LIMIT = 2.0
"""Seconds of CPU: the linear patterns take under 0.01 s here, the old ones 10-340 s."""


def _rss(inner: str) -> bytes:
    item = f"<item><title>x</title><link>https://a.example/1</link>{inner}</item>"
    return f'<rss version="2.0"><channel><title>t</title>{item}</channel></rss>'.encode()


HOSTILE: dict[str, Callable[[], object]] = {
    # a date's dashes read two ways: exponential (20 pairs took 0.76 s, 30 took 344 s)
    "a line of '1-1-1-...x'": lambda: clean_text("1-" * 26 + "x"),
    "unclosed comments": lambda: clean_text("<!--" * (N // 2) + "x"),
    "a '<' before a run of spaces": lambda: clean_text("a <" + " " * (2 * N) + "x"),
    "a '</p>' after &nbsp; and spaces": lambda: clean_text(
        "&nbsp;" * (2 * N // 5) + "</p>" + " " * N + "x"
    ),
    "Markdown link starts": lambda: clean_text("[" * N + "]("),
    "Markdown image starts": lambda: clean_text("![" * (N // 2) + "]("),
    "strong marks": lambda: clean_text("**x " * (N // 4)),
    "an (END) mark after blank lines": lambda: clean_text("a" + "\n \n" * (N // 3) + "(END)x"),
    "unclosed shortcodes": lambda: clean_text("[caption " * (2 * N // 9)),
    "a meta tag's endless attribute": lambda: page_metadata("<meta " + "a" * N + ">"),
    "unclosed time tags": lambda: page_metadata("<time" * (2 * N // 5)),
    "unclosed script tags": lambda: page_metadata("<script" * (2 * N // 7)),
    "a title of '<'": lambda: plain_text("<" * (2 * N)),
    "capitals after a headline": lambda: lead_with_title(
        "Storm hits the coast", "Storm hits the coast " + "A" * N
    ),
    "a byline before endless capitals": lambda: lead_with_title(
        "Storm hits the coast", "Storm hits the coast (EDS) By Jo " + "A" * N
    ),
    "an author's endless e-mail name": lambda: parse_feed(
        _rss("<author>" + "a" * N + "@</author>"), "https://a.example/feed"
    ),
    "unclosed escaped scripts in a description": lambda: parse_feed(
        _rss("<description>" + "&lt;script " * (2 * N // 12) + "</description>"),
        "https://a.example/feed",
    ),
    "a watchlist term of spaces": lambda: term_words("a" + " " * N + "b"),
    "a settings duration of spaces": lambda: _refused(parse_duration, "1" + " " * N + "x"),
}


def _refused(parse: Callable[[str], object], value: str) -> None:
    """`parse(value)`, which must refuse it."""
    with pytest.raises(ValueError):
        parse(value)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_text_costs_linear_time(name: str) -> None:
    started = time.process_time()
    HOSTILE[name]()
    assert time.process_time() - started < LIMIT, name
