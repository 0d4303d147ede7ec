"""The fetcher against a real loopback server that misbehaves."""

from __future__ import annotations

import asyncio
import gzip
import time
from datetime import UTC, datetime

import pytest

from desk.core.feeds.encoding import BodyTooLarge, decoded_body
from desk.core.feeds.fetch import Fetcher, FetchError, FetchResult, parse_retry_after
from desk.core.settings.config import Settings
from tests.hostile import RSS, hostile_server
from tests.hostile_text import hostile_site, payload_residue, unsafe_in

SETTINGS = Settings(request_timeout=2.0, max_feed_bytes=1_000_000)
PATIENT = Settings(request_timeout=30.0, max_feed_bytes=1_000_000)
"""For tests that are about a size cap, not time: a loaded machine must not turn them into a timeout."""


def get(path: str, settings: Settings = SETTINGS, **kwargs: object) -> FetchResult:
    async def run() -> FetchResult:
        with hostile_server() as base:
            fetcher = Fetcher(settings)
            try:
                return await fetcher.get(base + path, max_bytes=1_000_000, **kwargs)  # type: ignore[arg-type]
            finally:
                await fetcher.aclose()

    return asyncio.run(run())


def test_good_feed_and_conditional_get() -> None:
    result = get("/good")
    assert (result.status, result.body, result.etag) == (200, RSS, '"v1"')
    assert result.content_type == "application/rss+xml"


def test_a_trickling_server_is_cut_at_the_whole_request_deadline() -> None:
    started = time.monotonic()
    with pytest.raises(FetchError, match="within 2 s"):
        get("/trickle")
    assert time.monotonic() - started < 4


@pytest.mark.parametrize("path", ["/bomb", "/bomb2"])
def test_compression_bombs_stop_at_the_cap(path: str) -> None:
    with pytest.raises(FetchError, match="larger than 1,000,000 bytes"):
        get(path, PATIENT)


@pytest.mark.parametrize(
    ("path", "encodings"), [("/bomb", ("gzip",)), ("/bomb2", ("gzip", "gzip"))]
)
def test_a_body_left_compressed_is_undone_later_within_the_same_cap(
    path: str, encodings: tuple[str, ...]
) -> None:
    """decode=False (a page for an extraction worker): the bytes as sent and their encodings;
    decoded_body undoes them, and a bomb stops at the cap there, in the same words."""
    sent = get(path, PATIENT, decode=False)
    assert sent.encodings == encodings and len(sent.body) < 1_000_000
    with pytest.raises(BodyTooLarge, match="larger than 1,000,000 bytes"):
        decoded_body(sent.body, sent.encodings, 1_000_000)
    page = b"<p>story</p>" * 100_000
    assert decoded_body(gzip.compress(gzip.compress(page)), ("gzip", "gzip"), len(page)) == page
    plain = get("/good", decode=False)  # nothing to undo: as before
    assert (plain.body, plain.encodings) == (RSS, ())


def test_redirect_loop_and_file_scheme_are_refused() -> None:
    with pytest.raises(FetchError, match="more than 5 redirects"):
        get("/loop")
    with pytest.raises(FetchError, match="refused to follow a file: URL"):
        get("/to-file")


def test_permanent_redirect_reports_the_new_url_and_temporary_does_not() -> None:
    moved = get("/moved")
    assert moved.body == RSS and moved.moved_to is not None and moved.moved_to.endswith("/good")
    assert get("/temp").moved_to is None


def test_a_held_unit_is_kept_for_the_caller_on_success_and_given_back_on_failure() -> None:
    """`hold`: a body fetched keeps one unit (through redirects, taken once) for the caller to
    release; a fetch that fails gives its unit back, or failed pages would use the bound up."""

    async def run() -> list[int]:
        hold = asyncio.Semaphore(5)
        left = []
        with hostile_server() as base:
            fetcher = Fetcher(SETTINGS)
            try:
                await fetcher.get(base + "/moved", max_bytes=1_000_000, hold=hold)
                left.append(hold._value)
                for path in ("/error", "/loop", "/busy"):
                    with pytest.raises(FetchError):
                        await fetcher.get(base + path, max_bytes=1_000_000, hold=hold)
                    left.append(hold._value)
            finally:
                await fetcher.aclose()
        return left

    assert asyncio.run(run()) == [4, 4, 4, 4]


def test_errors_in_words_with_retry_after() -> None:
    with pytest.raises(FetchError) as busy:
        get("/busy")
    assert (busy.value.status, busy.value.retry_after) == (429, 120.0)
    assert "429" in str(busy.value)
    with pytest.raises(FetchError) as garbage:
        get("/busy-garbage")
    assert garbage.value.retry_after == 60.0
    with pytest.raises(FetchError, match="HTTP 500"):
        get("/error")


def test_connection_refused_is_words_not_a_traceback() -> None:
    async def run() -> None:
        fetcher = Fetcher(SETTINGS)
        try:
            await fetcher.get("http://127.0.0.1:9/", max_bytes=100)
        finally:
            await fetcher.aclose()

    with pytest.raises(FetchError, match="could not connect"):
        asyncio.run(run())


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("30", 60.0), ("600", 600.0), ("-5", 60.0), ("99999999", 21600.0), ("garbage", 60.0)],
)
def test_retry_after_is_clamped(value: str, seconds: float) -> None:
    assert parse_retry_after(value, datetime.now(UTC)) == seconds


def test_retry_after_as_http_date() -> None:
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    assert parse_retry_after("Fri, 27 Nov 2026 12:10:00 GMT", now) == 600.0
    assert parse_retry_after(None, now) is None


def test_a_reason_phrase_loses_its_8bit_sequences_with_their_payloads() -> None:
    async def fail() -> FetchError:
        with hostile_site() as site:
            site.failing = True  # 404 with REASON, 8-bit CSIs among its payloads
            fetcher = Fetcher(SETTINGS)
            try:
                with pytest.raises(FetchError) as caught:
                    await fetcher.get(site.feed_urls[1], max_bytes=1_000_000)
            finally:
                await fetcher.aclose()
            return caught.value

    message = str(asyncio.run(fail()))
    assert message.startswith("HTTP 404 [/] [@click=app.quit]quit[/]"), message
    assert unsafe_in(message) == [] and payload_residue(message) == [], message
    assert message.endswith("red"), message  # the words after a sequence stay
