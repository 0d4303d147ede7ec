"""The extraction worker pool: each page extracted in a worker process within a deadline.

Extraction is CPU-bound and a pathological page can take seconds, so the
pipeline (and `desk extract`) runs it through an `Extractor`: worker
processes started lazily from a forkserver, one page at a time each, a
worker that runs past the deadline, dies or is interrupted killed and
replaced, a worker retired after `max_jobs` pages, and every worker ended
when the Extractor is closed or dropped. Workers ignore Ctrl-C, keep off the
terminal and run under a memory limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import resource
import signal
import sys
import weakref
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from multiprocessing import resource_tracker
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Any

from desk.core.article.document import (
    Extracted,
    cap_markup,
    extract_page,
    extract_page_bytes,
    text_of_document,
)
from desk.core.errors import DeskError

DEFAULT_TIMEOUT = 10.0
"""Seconds one page may take in a worker before the worker is killed."""
DEFAULT_MEMORY_LIMIT = 2 << 30
"""Address space a worker may use; beyond it the page fails, not the machine."""
STARTUP_TIMEOUT = 60.0
"""Seconds a new worker may take to start (the first also starts the forkserver)."""

# What a worker can be asked to do: a job is (task name, arguments).
_TASKS: dict[str, Callable[..., Extracted]] = {
    "page": extract_page,
    "bytes": extract_page_bytes,
    "document": text_of_document,
}
_Job = tuple[str, tuple[Any, ...]]


class ExtractionFailed(DeskError):
    """A page that could not be extracted: it ran past its deadline, or broke its worker."""


def default_worker_count() -> int:
    """One worker per core, less one for the UI and the network, at least one, at most four."""
    return max(1, min(4, (os.cpu_count() or 2) - 1))


def headless_worker_count() -> int:
    """One worker per core, at least one, at most four: for runs with no screen to keep responsive.

    The event loop's share of a page (HTTP, matching, the store) is a third
    of its extraction's: on two cores, one worker leaves half a core idle.
    """
    return max(1, min(4, os.cpu_count() or 1))


def serve_extractions(connection: Connection, memory_limit: int | None) -> None:
    """A worker process's loop: receive a (task, arguments) job, send back the Extracted."""
    _settle_worker(memory_limit)
    connection.send(("ready", None))
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        task, arguments = job
        try:
            reply: tuple[str, object] = ("ok", _TASKS[task](*arguments))
        except Exception as exc:  # a bad page must not end the worker
            reply = ("error", f"{type(exc).__name__}: {exc}")
        connection.send(reply)


def _settle_worker(memory_limit: int | None) -> None:
    """Ignore Ctrl-C (the parent ends workers), keep off the terminal, cap memory."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # a worker must never write over the analyst's terminal
    os.dup2(devnull, 2)
    logging.disable(logging.CRITICAL)
    if memory_limit:
        with contextlib.suppress(ValueError, OSError):  # a stricter hard limit already holds
            resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))


@dataclass(eq=False)
class _Worker:
    """One worker process and the parent's end of its pipe."""

    process: BaseProcess
    connection: Connection
    jobs: int = 0


@dataclass
class _Workers:
    """The live workers, shared with the finalizer that kills them if the Extractor is dropped."""

    live: set[_Worker] = field(default_factory=set)


class Extractor:
    """Runs extract_page (or text_of_document) in worker processes, each page within a deadline.

    Workers start on first use (lazily: creating an Extractor costs nothing),
    each takes one page at a time, and one that runs past `timeout` or dies
    is killed and replaced by a fresh one on the next page. A worker is also
    retired after `max_jobs` pages, which bounds any slow memory growth.
    Use it as a (async) context manager or call close()/aclose().
    """

    def __init__(
        self,
        workers: int | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
        max_jobs: int = 500,
    ) -> None:
        self.size = workers or default_worker_count()
        self.timeout = timeout
        self.memory_limit = memory_limit
        self.max_jobs = max_jobs
        self._workers = _Workers()
        self._idle: list[_Worker] = []
        self._starting = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._closed = False
        self._finalizer = weakref.finalize(self, _kill_all, self._workers)

    @property
    def worker_pids(self) -> list[int]:
        """The process ids of the live workers (none until the first page)."""
        return sorted(w.process.pid for w in self._workers.live if w.process.pid is not None)

    async def extract(self, html: str, url: str = "", site_junk: Iterable[str] = ()) -> Extracted:
        """The page extracted in a worker; ExtractionFailed on timeout or a broken worker."""
        return await self._extract(("page", (cap_markup(html), url, tuple(site_junk))), url)

    async def extract_bytes(
        self,
        body: bytes,
        charset: str | None,
        decode: Callable[[bytes, str | None], str],
        url: str = "",
        site_junk: Iterable[str] = (),
        unpack: Callable[[bytes], bytes] | None = None,
    ) -> Extracted:
        """A fetched page's bytes decoded, made safe and extracted in a worker; same failures.

        `decode(body, charset)` must return safe text, and `unpack(body)`, if
        given, undo the body's compression within a cap (module-level
        functions or partials of them: they are sent by name). Decompressing,
        decoding and the safety pass run in the worker, and the bytes cross
        the pipe as they came from the server.
        """
        job = ("bytes", (decode, body, charset, url, tuple(site_junk), unpack))
        return await self._extract(job, url)

    async def extract_document(self, content: str, url: str = "") -> Extracted:
        """text_of_document (HTML or plain text, front matter honoured) in a worker; same failures."""
        return await self._extract(("document", (content, url)), url)

    async def _extract(self, job: _Job, url: str) -> Extracted:
        worker = await self._acquire()
        healthy = False
        try:
            status, value = await self._run(worker, job, url)
            healthy = True
        finally:
            if healthy:
                self._release(worker)
            else:
                self._discard(worker)
        if status != "ok" or not isinstance(value, Extracted):
            raise ExtractionFailed(f"extraction failed: {value}", url or None)
        return value

    async def _acquire(self) -> _Worker:
        while True:
            if self._closed:
                raise ExtractionFailed("the extractor is closed")
            if self._idle:
                worker = self._idle.pop()
                if worker.process.is_alive():
                    return worker
                self._discard(worker)  # killed from outside while idle
                continue
            if len(self._workers.live) + self._starting < self.size:
                try:
                    return await self._start_worker()
                except BaseException:
                    self._wake_one()  # a waiter may start the next worker
                    raise
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    async def _start_worker(self) -> _Worker:
        self._starting += 1
        try:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([__name__, "trafilatura"])
            _ensure_resource_tracker()
            ours, theirs = context.Pipe()
            process = context.Process(
                target=serve_extractions,
                args=(theirs, self.memory_limit),
                name="desk-extract",
                daemon=True,
            )
            try:  # the first start launches the forkserver: off the event loop
                await asyncio.to_thread(_start_shielded, process)
            except (OSError, RuntimeError, ValueError) as exc:
                ours.close()
                raise ExtractionFailed(f"cannot start an extraction worker: {exc}") from None
            finally:
                theirs.close()
            worker = _Worker(process, ours)
            self._workers.live.add(worker)
        finally:
            self._starting -= 1
        try:
            await self._reply(worker, STARTUP_TIMEOUT)
        except BaseException:
            self._discard(worker)
            raise
        return worker

    async def _run(self, worker: _Worker, job: _Job, url: str) -> tuple[str, Any]:
        try:
            worker.connection.send(job)
        except OSError:
            raise ExtractionFailed("the extraction worker had died", url or None) from None
        return await self._reply(worker, self.timeout, url)

    async def _reply(self, worker: _Worker, timeout: float, url: str = "") -> tuple[str, Any]:
        """The worker's next message, waiting at most `timeout` seconds without blocking."""
        loop = asyncio.get_running_loop()
        readable = loop.create_future()
        fd = worker.connection.fileno()
        loop.add_reader(fd, _settle, readable)
        try:
            await asyncio.wait_for(readable, timeout)
        except TimeoutError:
            raise ExtractionFailed(
                f"extraction timed out after {timeout:g} s", url or None
            ) from None
        finally:
            loop.remove_reader(fd)
        try:
            reply: tuple[str, Any] = worker.connection.recv()
        except (EOFError, OSError):
            raise ExtractionFailed("the extraction worker died", url or None) from None
        return reply

    def _release(self, worker: _Worker) -> None:
        worker.jobs += 1
        if self._closed or worker.jobs >= self.max_jobs:
            self._workers.live.discard(worker)
            asyncio.get_running_loop().run_in_executor(None, _stop, worker)
        else:
            self._idle.append(worker)
        self._wake_one()

    def _discard(self, worker: _Worker) -> None:
        """Kill a worker that timed out, died or was interrupted mid-page; reap it off the loop."""
        self._workers.live.discard(worker)
        if worker.process.is_alive():
            worker.process.kill()
        worker.connection.close()
        asyncio.get_running_loop().run_in_executor(None, worker.process.join, 5.0)
        self._wake_one()

    def _wake_one(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def close(self) -> None:
        """Stop every worker (idle ones politely); pages in flight and later fail."""
        _stop_workers(*self._shut())

    async def aclose(self) -> None:
        """close() with the waiting for processes done off the event loop."""
        await asyncio.to_thread(_stop_workers, *self._shut())

    def _shut(self) -> tuple[list[_Worker], list[_Worker]]:
        """Refuse new pages, wake whoever waits for a worker; the idle and busy workers."""
        self._closed = True
        idle, self._idle = self._idle, []
        busy = [worker for worker in self._workers.live if worker not in idle]
        self._workers.live.clear()
        while self._waiters:
            self._wake_one()
        return idle, busy

    def __enter__(self) -> Extractor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Extractor:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()


def _ensure_resource_tracker() -> None:
    """Start multiprocessing's resource tracker now, with the real stderr.

    The tracker starts with the first worker and passes on stderr's file
    descriptor; inside a Textual app sys.stderr is a capture whose fileno()
    is -1, which would make every worker fail to start.
    """
    stderr = sys.stderr
    try:
        if _fileno(stderr) < 0:
            sys.stderr = sys.__stderr__
        resource_tracker.ensure_running()
    finally:
        sys.stderr = stderr


def _start_shielded(process: BaseProcess) -> None:
    """Start a worker (and, the first time, the forkserver) with Ctrl-C blocked.

    Both ignore Ctrl-C once running, but one that arrives while they import
    would print their traceback over the terminal. The block is set in the
    calling thread only (never the main one, which handles Ctrl-C), and the
    new processes inherit it.
    """
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        process.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _fileno(stream: object) -> int:
    try:
        return int(stream.fileno())  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return -1


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _stop_workers(idle: list[_Worker], busy: list[_Worker]) -> None:
    """Stop idle workers politely; kill busy ones (their pages' callers then clean up)."""
    for worker in busy:
        if worker.process.is_alive():
            worker.process.kill()
    for worker in idle:
        _stop(worker)


def _stop(worker: _Worker) -> None:
    """Ask an idle worker to finish; kill it if it does not within a second."""
    with contextlib.suppress(OSError):
        worker.connection.send(None)
    worker.process.join(1.0)
    _kill(worker)


def _kill(worker: _Worker) -> None:
    if worker.process.is_alive():
        worker.process.kill()
        worker.process.join(5.0)
    if not worker.connection.closed:
        worker.connection.close()


def _kill_all(workers: _Workers) -> None:
    """Kill every worker still alive (close(), or the Extractor garbage-collected)."""
    while workers.live:
        _kill(workers.live.pop())
