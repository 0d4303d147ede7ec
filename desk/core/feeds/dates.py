"""Feed dates -> datetimes in UTC: RFC 822, ISO 8601, and feedparser's parser for the odd forms.

The usual forms are read here, quickly; anything else goes to feedparser's
date parser, so an item has the same date whichever path read its feed.
JSON Feed's RFC 3339 dates and feedparser's struct_times end here too.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from feedparser.datetimes import _parse_date as _feedparser_date

_RFC822 = re.compile(
    r"^(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+)?(\d{1,2})\s+"
    r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\s+(\d{4})\s+"
    r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s+(?:([+-]\d{2}):?(\d{2})|(gmt|ut|utc|z|[ecmp][sd]t))$",
    re.IGNORECASE,
)
_ISO8601 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?"
    r"([Zz]|[+-]\d{2}:?\d{2})?)?$"
)
_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
_ZONES = {"gmt": 0, "ut": 0, "utc": 0, "z": 0, "edt": -4, "est": -5, "cdt": -5, "cst": -6}
_ZONES |= {"mdt": -6, "mst": -7, "pdt": -7, "pst": -8}

# The shape nearly every RSS feed writes, 'Fri, 19 Nov 2026 08:26:40 GMT' or '... +0200':
# a subset of what _RFC822 matches, which this simpler, case-sensitive pattern reads faster.
_USUAL_RFC822 = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d\d?) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"(\d{4}) (\d\d):(\d\d):(\d\d) (GMT|UTC?|Z|[ECMP][SD]T|[+-]\d{4})",
    re.ASCII,
)
_NUMBERS = {f"{number:02}": number for number in range(100)}  # '08' -> 8, quicker than int()
_NUMBERS |= {str(number): number for number in range(10)}  # and '8' -> 8


def parse_date(value: str) -> datetime | None:
    """An RSS, Atom or Dublin Core date in UTC, or None if it cannot be read.

    The usual RFC 822 and RFC 3339 forms are read here; anything else goes to
    feedparser's date parser (two-digit years, swapped day and month, other
    languages...), so both parsing paths agree.
    """
    text = value.strip()
    if not text:
        return None
    iso = text[4:5] == "-"  # '2026-...': the RFC 822 patterns match no date with a '-' there
    try:
        found = _iso8601(text) if iso else _usual_rfc822(text) or _rfc822(text)
    except OverflowError:  # a real date outside what Python holds (0001 at +14:00): no date,
        return None  # not feedparser's reading of it (which made the zone the year 1400)
    except ValueError:
        found = None
    return found or from_struct_time(_feedparser_parse_date(text))


def from_struct_time(value: Any) -> datetime | None:
    """A UTC struct_time (as feedparser gives dates) as a datetime, or None."""
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, TypeError):
        return None


def parse_json_feed_date(value: Any) -> datetime | None:
    """A JSON Feed date (RFC 3339) in UTC; a date without a zone is taken as UTC."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError):  # 0001-01-01T00:00:00+05:30 has no UTC time
        return None


def _feedparser_parse_date(text: str) -> Any:
    """feedparser's many date handlers; whatever one of them raises means "no date"."""
    try:
        return _feedparser_date(text)
    except Exception:
        return None


def _usual_rfc822(text: str) -> datetime | None:
    """The usual RFC 822 date as _rfc822 reads it (a 31 November raises the same ValueError)."""
    match = _USUAL_RFC822.fullmatch(text)
    if not match:
        return None
    day, month, year, hour, minute, second, zone = match.groups()
    offset = _offset_minutes(zone[:3], zone[3:]) if zone[0] in "+-" else _ZONES[zone.lower()] * 60
    month_number = _MONTHS[month.lower()]
    return _utc(
        offset,
        int(year),
        month_number,
        _NUMBERS[day],
        _NUMBERS[hour],
        _NUMBERS[minute],
        _NUMBERS[second],
    )


def _rfc822(text: str) -> datetime | None:
    match = _RFC822.match(text)
    if not match:
        return None
    day, month, year, hour, minute, second, zone_hours, zone_minutes, zone = match.groups()
    offset = _ZONES[zone.lower()] * 60 if zone else _offset_minutes(zone_hours, zone_minutes)
    month_number = _MONTHS[month[:3].lower()]
    clock = (int(hour), int(minute), int(second or 0))
    return _utc(offset, int(year), month_number, int(day), *clock)


def _iso8601(text: str) -> datetime | None:
    match = _ISO8601.match(text)
    if not match:
        return None
    year, month, day, hour, minute, second, zone = match.groups()
    offset = _offset_minutes(zone[:3], zone[-2:]) if zone and zone not in "Zz" else 0
    hms = (int(hour or 0), int(minute or 0), int(second or 0))
    return _utc(offset, int(year), int(month), int(day), *hms)


def _offset_minutes(signed_hours: str, minutes: str) -> int:
    """+05 30 -> 330, -03 30 -> -210."""
    sign = -1 if signed_hours[0] == "-" else 1
    return sign * (abs(int(signed_hours)) * 60 + int(minutes))


def _utc(
    offset_minutes: int, year: int, month: int, day: int, hour: int, minute: int, second: int
) -> datetime:
    """A local time that is offset_minutes ahead of UTC, in UTC.

    Positional arguments: datetime and timedelta take keywords at half the speed.
    """
    stamp = datetime(year, month, day, hour, minute, second, 0, UTC)
    if not offset_minutes:
        return stamp
    return stamp - timedelta(0, offset_minutes * 60)  # days, seconds
