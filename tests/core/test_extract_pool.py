"""The extraction worker pool, with real processes: deadlines, crashes, replacement, shutdown."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest

from desk.core.article.extract import ExtractionFailed, Extractor, extract_page, text_of_document
from desk.demo.server import DEMO_DIR

PAGES = sorted((DEMO_DIR / "articles").glob("*.html"))
# A million elements; even cut to MAX_TAGS it takes trafilatura seconds.
PATHOLOGICAL = "<html><body>" + "<p>word " * 1_000_000 + "</body></html>"
TIMEOUT = 0.75


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coroutine)


def page(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_page_extracts_in_a_worker_as_in_process() -> None:
    async def scenario() -> None:
        async with Extractor(workers=1) as pool:
            assert pool.worker_pids == []  # lazy: nothing runs before the first page
            extracted = await pool.extract(page(PAGES[0]), "https://news.example/a")
            assert pool.worker_pids and os.getpid() not in pool.worker_pids
        assert extracted == extract_page(page(PAGES[0]), "https://news.example/a")

    run(scenario())


def test_a_document_extracts_in_a_worker_as_in_process_and_within_the_deadline() -> None:
    document = "---\ntitle: Troops head north - The Wire\nauthor: Jo Bloggs\n---\nThe level o\nf support.\n"

    async def scenario() -> list[Any]:
        async with Extractor(workers=1, timeout=TIMEOUT) as pool:
            done = [
                await pool.extract_document(d, "https://news.example/a")
                for d in (document, page(PAGES[0]))
            ]
            with pytest.raises(ExtractionFailed, match="timed out"):
                await pool.extract_document(PATHOLOGICAL)
            return done

    from_markdown, from_html = run(scenario())
    assert from_markdown == text_of_document(document, "https://news.example/a")
    assert from_markdown.byline == "Jo Bloggs" and "level of support" in from_markdown.text
    assert from_html == text_of_document(page(PAGES[0]), "https://news.example/a")


def test_a_million_element_page_times_out_and_normal_pages_still_extract() -> None:
    async def scenario() -> None:
        async with Extractor(workers=1, timeout=TIMEOUT) as pool:
            await pool.extract(page(PAGES[1]))
            [first] = pool.worker_pids
            started = time.monotonic()
            with pytest.raises(ExtractionFailed, match="timed out"):
                await pool.extract(PATHOLOGICAL)
            assert time.monotonic() - started < TIMEOUT + 1.0
            assert not pool.worker_pids  # the hung worker was killed
            results = await asyncio.gather(*(pool.extract(page(p)) for p in PAGES[:5]))
            assert all(len(r.text.split()) > 120 for r in results)
            [second] = pool.worker_pids
            assert second != first
            await asyncio.sleep(0.2)
            assert not is_alive(first)

    run(scenario())


def test_a_worker_killed_mid_page_fails_that_page_fast() -> None:
    async def scenario() -> None:
        async with Extractor(workers=1, timeout=30) as pool:
            await pool.extract(page(PAGES[0]))
            [pid] = pool.worker_pids
            job = asyncio.create_task(pool.extract(PATHOLOGICAL))
            await asyncio.sleep(0.3)
            started = time.monotonic()
            os.kill(pid, signal.SIGKILL)
            with pytest.raises(ExtractionFailed, match="died"):
                await job
            assert time.monotonic() - started < 5
            assert (await pool.extract(page(PAGES[2]))).text

    run(scenario())


def test_a_worker_killed_while_idle_is_replaced_before_the_next_page() -> None:
    async def scenario() -> None:
        async with Extractor(workers=1) as pool:
            await pool.extract(page(PAGES[0]))
            [pid] = pool.worker_pids
            os.kill(pid, signal.SIGKILL)
            await asyncio.sleep(0.2)
            assert (await pool.extract(page(PAGES[3]))).text
            assert pool.worker_pids and pool.worker_pids != [pid]

    run(scenario())


def test_an_error_inside_extraction_fails_the_page_but_keeps_the_worker() -> None:
    async def scenario() -> None:
        async with Extractor(workers=1) as pool:
            await pool.extract(page(PAGES[0]))
            before = pool.worker_pids
            with pytest.raises(ExtractionFailed, match="AttributeError"):
                await pool.extract(page(PAGES[0]), site_junk=[42])  # type: ignore[list-item]
            assert pool.worker_pids == before
            assert (await pool.extract(page(PAGES[4]))).text

    run(scenario())


def test_more_pages_than_workers_all_complete() -> None:
    async def scenario() -> None:
        async with Extractor(workers=2) as pool:
            results = await asyncio.gather(*(pool.extract(page(p)) for p in PAGES))
            assert len(pool.worker_pids) <= 2
        assert [r.title for r in results] == [extract_page(page(p)).title for p in PAGES]

    run(scenario())


def test_a_cancelled_extraction_kills_its_worker() -> None:
    async def scenario() -> None:
        async with Extractor(workers=1, timeout=30) as pool:
            await pool.extract(page(PAGES[0]))
            [pid] = pool.worker_pids
            job = asyncio.create_task(pool.extract(PATHOLOGICAL))
            await asyncio.sleep(0.3)
            job.cancel()
            with pytest.raises(asyncio.CancelledError):
                await job
            assert (await pool.extract(page(PAGES[5]))).text
            await asyncio.sleep(0.2)
            assert not is_alive(pid)

    run(scenario())


def test_closing_during_a_page_fails_it_at_once_and_wakes_waiters() -> None:
    async def scenario() -> None:
        pool = Extractor(workers=1, timeout=30)
        await pool.extract(page(PAGES[0]))
        busy = asyncio.create_task(pool.extract(PATHOLOGICAL))
        waiting = asyncio.create_task(pool.extract(page(PAGES[1])))
        await asyncio.sleep(0.3)
        started = time.monotonic()
        await pool.aclose()
        for job in (busy, waiting):
            with pytest.raises(ExtractionFailed):
                await job
        assert time.monotonic() - started < 5 and pool.worker_pids == []

    run(scenario())


def test_workers_start_inside_a_textual_app_whose_stderr_has_no_file() -> None:
    # Textual swaps sys.stderr for a capture whose fileno() is -1; a fresh
    # interpreter, because multiprocessing starts its helpers once per process.
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        from desk.core.article.extract import Extractor

        class Capture:
            def write(self, text): return len(text)
            def flush(self): pass
            def fileno(self): return -1

        async def main():
            async with Extractor(workers=1) as pool:
                page = await pool.extract(open({str(PAGES[0])!r}, encoding="utf-8").read())
            print(page.title, file=sys.__stdout__)

        if __name__ == "__main__":
            sys.stderr = Capture()
            asyncio.run(main())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == extract_page(page(PAGES[0])).title


def test_close_stops_every_worker_and_later_pages_fail() -> None:
    pool = Extractor(workers=2)

    async def scenario() -> list[int]:
        await asyncio.gather(*(pool.extract(page(p)) for p in PAGES[:4]))
        return pool.worker_pids

    pids = run(scenario())
    assert pids
    pool.close()
    assert pool.worker_pids == [] and not any(is_alive(pid) for pid in pids)
    with pytest.raises(ExtractionFailed, match="closed"):
        run(pool.extract(page(PAGES[0])))


def test_a_dropped_extractor_takes_its_workers_with_it() -> None:
    pool = Extractor(workers=1)
    run(pool.extract(page(PAGES[0])))
    [pid] = pool.worker_pids
    del pool
    gc.collect()
    deadline = time.monotonic() + 5
    while is_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not is_alive(pid)
