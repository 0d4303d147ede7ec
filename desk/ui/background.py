"""An event loop of the desk's own, in a thread, where poll cycles run.

A cycle is mostly waiting on the network, but not only: at 100k stored
alerts its commit rewrites alerts.json (a second or more) and it looks its
items up among every stored story. On the screen's event loop each of those
stalls every key; here they stall nothing the analyst sees. The store takes
its own locks (desk.core.store.tinystore), so the screen may read it and
acknowledge alerts while a cycle writes.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

Result = TypeVar("Result")

STOP_WAIT = 5.0
"""Seconds to wait for the loop's thread to end when the desk closes."""


class BackgroundLoop:
    """One asyncio loop in a daemon thread, started on first use; coroutines run there in turn.

    One loop for the desk's whole life: the poller's extraction pool keeps
    futures of the loop it first ran on.
    """

    def __init__(self, name: str = "desk-poll") -> None:
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def started(self) -> bool:
        """Whether the loop's thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def submit(self, work: Coroutine[Any, Any, Result]) -> Future[Result]:
        """Run `work` on the loop; its future (cancel it to cancel the work)."""
        return asyncio.run_coroutine_threadsafe(work, self._running_loop())

    async def run(self, work: Coroutine[Any, Any, Result]) -> Result:
        """Run `work` on the loop and wait for it from the caller's loop.

        Cancelling the caller cancels the work (at its next await).
        """
        return await asyncio.wrap_future(self.submit(work))

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None or not self.started:
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def serve() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            self._thread = threading.Thread(target=serve, name=self.name, daemon=True)
            self._thread.start()
            ready.wait()
            self._loop = loop
        return self._loop

    def stop(self) -> None:
        """End the loop once what it runs now has had its turn; wait for its thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(STOP_WAIT)
        if not thread.is_alive():
            loop.close()
        self._loop = self._thread = None
