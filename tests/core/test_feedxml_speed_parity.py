"""The strict reader's quick paths give what its general paths give.

feeddates reads the usual RFC 822 shape with a simpler pattern and tells ISO
from RFC 822 dates by their fifth character; feedxml skips attribute and
script work on elements that cannot need it. Each shortcut must agree with
the longer way it stands in for, on every input.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime

import pytest
from lxml import etree

from desk.core.feeds import dates as feeddates
from desk.core.feeds import strictxml as feedxml

WEEKDAYS = ["", "Fri, ", "fri, ", "Friday, ", "Fri,", "Xyz, "]
DAYS = ["1", "09", "19", "31", "0", "123", "\u0661\u0669"]  # the last: Arabic-Indic 19
MONTHS = ["Nov", "nov", "November", "Feb", "Sept", "Nox"]
YEARS = ["2026", "26", "0001", "9999"]
CLOCKS = ["08:26:40", "8:26:40", "08:26", "24:00:00", "23:59:60", "08:26:4"]
ZONES = ["GMT", "gmt", "UT", "UTC", "Z", "EST", "PDT", "CEST", "+0000", "-0530", "+05:30", ""]


def outcome(read: Callable[[str], datetime | None], text: str) -> tuple[str, object]:
    """What a date reader makes of the text: a datetime or None, or the error it raises."""
    try:
        return "read", read(text)
    except (ValueError, OverflowError) as exc:
        return "raised", type(exc).__name__


def usual_shapes() -> list[str]:
    found = []
    for weekday, day, month, year, clock, zone in itertools.product(
        WEEKDAYS, DAYS, MONTHS, YEARS, CLOCKS, ZONES
    ):
        found.append(f"{weekday}{day} {month} {year} {clock} {zone}".strip())
    return found


def test_the_usual_rfc822_shape_reads_as_the_full_pattern_reads_it() -> None:
    quick = 0
    for text in usual_shapes():
        mine = outcome(feeddates._usual_rfc822, text)
        if mine == ("read", None):
            continue  # not the usual shape: left to _rfc822
        quick += 1
        assert mine == outcome(feeddates._rfc822, text), text
    assert quick > 500


@pytest.mark.parametrize(
    "text",
    [
        "Fri, 19 Nov 2026 08:26:40 GMT",
        "Fri, 19 Nov 2026 08:26:40 +0530",
        "Sun, 9 Feb 2025 23:59:59 -1200",
        "Fri, 31 Nov 2026 08:26:40 GMT",  # raises ValueError: both give up the same way
        "Mon, 01 Jan 0001 00:00:00 +0100",  # OverflowError
    ],
)
def test_usual_dates_agree_with_the_regex(text: str) -> None:
    assert outcome(feeddates._usual_rfc822, text) == outcome(feeddates._rfc822, text)


def test_only_iso_dates_have_a_dash_fifth() -> None:
    for text in [*usual_shapes(), "2026-11-19", "2026-11-19T08:26:40Z", "20261-1-19", "Mon,-1"]:
        if text[4:5] == "-":
            assert outcome(feeddates._rfc822, text) == ("read", None), text
        else:
            assert outcome(feeddates._iso8601, text) == ("read", None), text


def element(xml: str) -> etree._Element:
    return etree.fromstring(xml)


def test_attributes_match_in_any_case_and_the_last_spelling_counts() -> None:
    assert feedxml._attr(element('<link HREF="a" href="b"/>'), "href") == "b"
    assert feedxml._attr(element('<link href="b" HREF="a"/>'), "href") == "a"
    assert feedxml._attr(element('<link href="h" url="u"/>'), "url", "href") == "u"
    assert feedxml._attr(element('<guid isPermaLink="false"/>'), "ispermalink") == "false"
    assert feedxml._attr(element("<link/>"), "href") is None


def test_an_element_without_attributes_keeps_its_parents_base() -> None:
    assert feedxml._base(element("<link>x</link>"), "http://a.example/") == "http://a.example/"
    based = element('<entry xml:base="news/"/>')
    assert feedxml._base(based, "http://a.example/") == "http://a.example/news/"


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("plain text, no markup", "plain text, no markup"),
        ("<p>a</p><script>x()</script><p>b</p>", "<p>a</p><p>b</p>"),
        ("<STYLE>p {}</style >kept", "kept"),
        ("<\u017fcript>x</\u017fcript>kept", "kept"),  # IGNORECASE takes 'ſ' for an 's'
    ],
)
def test_scripts_and_styles_go_and_plain_text_stays(markup: str, expected: str) -> None:
    assert feedxml._without_scripts(markup) == expected
