"""One poll cycle: due feeds -> new items -> full articles -> hits -> alerts -> store.

The Poller is shared by `desk poll --once`, `desk demo` and the TUI's
background worker. Network work is async (one bounded client for the whole
cycle); extraction runs in worker processes (an `Extractor`: each page within
a deadline) and matching on the loop in slices of a few milliseconds, so an
event loop driving a UI stays responsive. A cycle holds a bounded number of
fetched pages at once (see `pages_held_at_once`) and writes to the store
every COMMIT_BATCH new items.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

import httpx

from desk.core import attention, decide
from desk.core.article.extract import Extracted, ExtractionFailed, Extractor, article_from_feed
from desk.core.article.sitejunk import SiteLines, page_id, site_of
from desk.core.errors import plural
from desk.core.feeds.charset import decode_text
from desk.core.feeds.encoding import decoded_body
from desk.core.feeds.fetch import (
    SILENT_HOST_LIMIT,
    Fetcher,
    FetchError,
    FetchResult,
    is_private_host,
)
from desk.core.feeds.parse import FeedParseError, NeedsTolerantParser, ParsedFeed, parse_feed
from desk.core.match.matcher import Matcher
from desk.core.models import (
    Alert,
    Article,
    Feed,
    FeedState,
    Hit,
    Item,
    SeenItem,
    Watchlist,
    feed_name,
    with_new_items,
)
from desk.core.safetext import safe_line
from desk.core.settings.config import Settings
from desk.core.store.contract import Store

FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, */*;q=0.5"
HTML_TYPES = ("text/html", "application/xhtml+xml", "")
INLINE_PARSE_BYTES = 512 * 1024
"""Feeds up to this size are read on the event loop when the quick parser can read them."""
COMMIT_BATCH = 200
"""New items whose pages are fetched, matched and committed together: a killed cycle keeps
finished batches. Without page fetches a cycle is quick, and commits once (each commit
rewrites today's item shard, which grows with the day)."""
MATCH_SLICE = 0.005
"""Seconds of matching on the event loop before it is let go for other work."""
MATCH_GIVES_WAY = 0.02
"""Seconds matching waits at most, after each slice, while the loop has other work ready."""
MATCH_GIVES_WAY_TURNS = 32
"""Turns of the loop matching waits at most: two matchers on one loop would each see the
other's turn ready and wait the whole MATCH_GIVES_WAY after every slice."""
BATCHES_AHEAD = 2
"""Batches whose pages are fetched and extracted at once (the one being stored and the next)."""
PAGE_PROGRESS_EVERY = 0.1
"""Seconds between two tellings of how many article pages are done (the last is always told)."""


def utc_now() -> datetime:
    """The current time in UTC; the default clock."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class FeedOutcome:
    """What one feed's poll came to, for the per-feed summary."""

    feed: Feed
    state: FeedState
    items: tuple[Item, ...] = ()
    summary: str = ""

    @property
    def name(self) -> str:
        """The feed's configured name, else its own title, else its URL."""
        return feed_name(self.feed, self.state)


@dataclass(repr=False)
class CycleResult:
    """The outcome of one cycle: per-feed results and the alerts raised or grown."""

    outcomes: list[FeedOutcome] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    new_items: int = 0
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    """What went wrong in matching this cycle, said once (the examples' vote off)."""
    """What the store had to repair or found lost during the cycle, in words."""

    def __repr__(self) -> str:
        """A one-line summary.

        Short on purpose: `asyncio.run` formats the repr of its finished main
        task (result included) when it restores the SIGINT handler, and the
        full repr of a 10,000-item cycle takes a quarter of a second.
        """
        return (
            f"CycleResult({len(self.outcomes)} feeds, {self.new_items} new items, "
            f"{len(self.alerts)} alerts)"
        )


Done = TypeVar("Done")
Progress = Callable[[str, int, int], None]
"""Told (stage, done, total) as a cycle works: stage `feeds`, then `articles` (the cycle's pages)."""


class Poller:
    """Runs poll cycles against one store with one set of watchlists."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        watchlists: list[Watchlist],
        transport: httpx.AsyncBaseTransport | None = None,
        now: Callable[[], datetime] = utc_now,
        jitter: Callable[[], float] = random.random,
        extract_workers: int | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.transport = transport
        self.now = now
        self.jitter = jitter
        self.set_watchlists(watchlists)
        self.extractor = Extractor(workers=extract_workers)  # None: a core left for a UI
        self.site_lines = SiteLines.from_json(store.site_lines())
        self._unsaved_pages = 0
        self._notes_said = len(store.recovered)
        """The store's repair notes already said: those of its opening are said by the front."""
        self._trouble_said = ""
        """The matcher's trouble last said (the examples' vote off), said once."""
        self._progress: Progress | None = None
        self._source_hosts: dict[str, str] = {}
        self._feeds: list[Feed] = []
        self._states: dict[str, FeedState] = {}
        """Source name -> host, for corroboration (set from the feeds each cycle)."""

    def close(self) -> None:
        """Stop the extraction workers and keep what was learned of each site."""
        self.extractor.close()
        self._save_site_lines()

    async def aclose(self) -> None:
        """close(), waiting for the worker processes off the event loop."""
        await self.extractor.aclose()
        self._save_site_lines()

    def _save_site_lines(self) -> None:
        if self._unsaved_pages:
            self.store.save_site_lines(self.site_lines.to_json())
            self._unsaved_pages = 0

    def _learn_site_lines(self, url: str, extracted: Extracted) -> None:
        """Count the page's short lines for its site; saved with each batch (and on close).

        Saving every 25 pages, or each time a site's junk changed, rewrote the
        whole file some 80 times in a 2,000-page cycle: a tenth of the main
        process's time. A killed cycle loses at most one batch of learning.
        """
        page = page_id(extracted.canonical_url or url)
        self.site_lines.observe(site_of(url), page, extracted.lines)
        self._unsaved_pages += 1

    def _housekeeping(self) -> None:
        now = self.now()
        over = decide.snoozes_over(self.store.alert_rows(), now)
        woken = decide.woken(filter(None, map(self.store.get_alert, over)), now)
        if woken:
            self.store.update_alerts(woken)
        self.store.prune(now, self.settings.retention_days)

    def set_watchlists(self, watchlists: list[Watchlist]) -> None:
        """Use a new set of watchlists from the next article on."""
        self.watchlists = {w.id: w for w in watchlists}
        self.matcher = Matcher(list(watchlists))

    async def run_once(
        self, feeds: list[Feed], force: bool = False, progress: Progress | None = None
    ) -> CycleResult:
        """Poll the due feeds (all of them with `force`) and store what came of it.

        Each cycle also wakes snoozed alerts whose time has come and lets the
        store forget items past the retention window that raised no alert.
        `progress` hears how many feeds, then article pages, are done.
        """
        self._housekeeping()
        self._progress = progress
        states = self.store.feed_states()
        self._feeds, self._states = list(feeds), states
        due = [f for f in feeds if force or decide.is_due(states.get(f.url), self.now())]
        fetcher = Fetcher(self.settings, self.transport, self.now)
        try:
            outcomes = await self._counted(
                [self._poll_feed(fetcher, f, states.get(f.url)) for f in due],
                _Tally("feeds", len(due), progress),
            )
            result = CycleResult(outcomes=list(outcomes))
            await self._process_items(fetcher, result)
            result.warnings += silent_hosts_said(fetcher.skipped)
        finally:
            await fetcher.aclose()
        # with what the store noted between cycles too (a body found lost in the article pane)
        result.notes = self.store.recovered[self._notes_said :]
        self._notes_said = len(self.store.recovered)
        trouble = self.matcher.semantic_trouble
        if trouble and trouble != self._trouble_said:  # said once a matcher
            result.warnings.append(trouble)
            self._trouble_said = trouble
        return result

    async def _counted(self, work: list[Coroutine[Any, Any, Done]], tally: _Tally) -> list[Done]:
        """Run `work` together, each step told to `tally` as it is done."""

        async def counted(step: Coroutine[Any, Any, Done]) -> Done:
            outcome = await step
            tally.one_done()
            return outcome

        return list(await asyncio.gather(*(counted(step) for step in work)))

    async def _poll_feed(
        self, fetcher: Fetcher, feed: Feed, state: FeedState | None
    ) -> FeedOutcome:
        state = state or FeedState(url=feed.url)
        now = self.now()
        try:
            response = await fetcher.get(
                state.moved_to or feed.url,
                max_bytes=self.settings.max_feed_bytes,
                etag=state.etag,
                last_modified=state.last_modified,
                accept=FEED_ACCEPT,
            )
        except FetchError as exc:
            return self._failed(feed, state, now, str(exc), exc.status, exc.retry_after)
        except Exception as exc:  # one feed's surprise must not end the cycle for the others
            reason = f"the fetch failed unexpectedly ({type(exc).__name__}: {exc})"
            return self._failed(feed, state, now, reason, None, None)
        if response.not_modified:
            return self._succeeded(feed, state, now, 304, "not modified", response.moved_to)
        try:
            parsed = await _parse(response, feed.url)
        except FeedParseError as exc:
            return self._failed(feed, state, now, str(exc), response.status, None)
        except Exception as exc:  # one feed's parser crash must not end the cycle
            reason = f"the parser failed on this feed ({type(exc).__name__})"
            return self._failed(feed, state, now, reason, response.status, None)
        state = replace(
            state, etag=response.etag, last_modified=response.last_modified, title=parsed.title
        )
        outcome = self._succeeded(feed, state, now, response.status, "", response.moved_to)
        return replace(
            outcome, items=parsed.items, state=replace(outcome.state, warning=parsed.warning)
        )

    def _succeeded(
        self,
        feed: Feed,
        state: FeedState,
        now: datetime,
        status: int,
        summary: str,
        moved: str | None,
    ) -> FeedOutcome:
        new_state = replace(
            state,
            last_attempt=now,
            last_success=now,
            status=status,
            error="",
            failures=0,
            failing_since=None,
            next_due=decide.next_due_after_success(feed, now, self.jitter()),
            moved_to=moved or state.moved_to,
        )
        return FeedOutcome(feed=feed, state=new_state, summary=summary)

    def _failed(
        self,
        feed: Feed,
        state: FeedState,
        now: datetime,
        error: str,
        status: int | None,
        retry_after: float | None,
    ) -> FeedOutcome:
        error = safe_line(error)  # a server's or a library's words: they reach the screen
        failures = state.failures + 1
        delay = decide.backoff_seconds(failures, feed.interval, retry_after, self.jitter())
        new_state = replace(
            state,
            last_attempt=now,
            status=status,
            error=error,
            failures=failures,
            failing_since=state.failing_since or now,
            next_due=now + timedelta(seconds=delay),
        )
        return FeedOutcome(feed=feed, state=new_state, summary=f"failed: {error}")

    async def _process_items(self, fetcher: Fetcher, result: CycleResult) -> None:
        """New and changed items, in batches: fetched, extracted, matched and stored.

        Each batch is committed as it is done, so a cycle killed half way keeps
        what it finished. Failed feeds' health goes with the first batch; the
        health of feeds that answered (their ETags) only with the last, since
        a 304 next time must not hide items this cycle never reached.
        """
        pairs = [(o.feed, item) for o in result.outcomes for item in o.items]
        seen = self.store.seen(item.key for _, item in pairs)
        fresh = {item.key for item in decide.new_or_changed((i for _, i in pairs), seen)}
        todo = [(feed, item) for feed, item in pairs if item.key in fresh]
        todo = list({item.key: (feed, item) for feed, item in todo}.values())
        todo, waiting = decide.within_caps(todo, self.settings.max_new_per_feed, self._page_cap())
        result.outcomes = [_held_back(o, waiting.get(o.feed.url, 0)) for o in result.outcomes]
        result.new_items = len(todo)
        fresh_per_feed = Counter(feed.url for feed, _ in todo)
        result.outcomes = [_summarised(o, fresh_per_feed[o.feed.url]) for o in result.outcomes]
        names = self._source_names(result.outcomes)
        failed = [o.state for o in result.outcomes if o.state.error]
        answered = [o.state for o in result.outcomes if not o.state.error]
        size = COMMIT_BATCH if self.settings.fetch_articles else max(len(todo), 1)
        batches = [todo[i : i + size] for i in range(0, len(todo), size)] or [[]]
        stories = _CycleStories(self.store, self.now())
        pages = asyncio.Semaphore(self.pages_held_at_once())  # the cycle's, shared by its batches
        progress = self._progress if self.settings.fetch_articles else None
        tally = _Tally("articles", len(todo), progress, every=PAGE_PROGRESS_EVERY)
        # Two batches' pages are in flight at once: the workers extract the next batch's
        # while this one is matched and stored, and while its last few pages finish.
        ahead = [self._articles_task(fetcher, b, pages, tally) for b in batches[:BATCHES_AHEAD]]
        try:
            for number, batch in enumerate(batches):
                articles = await ahead.pop(0)
                if number + BATCHES_AHEAD < len(batches):
                    later = batches[number + BATCHES_AHEAD]
                    ahead.append(self._articles_task(fetcher, later, pages, tally))
                last = number == len(batches) - 1
                states = (failed if number == 0 else []) + (answered if last else [])
                hits = await self._hits(articles)
                await self._commit(batch, articles, hits, seen, result, names, states, stories)
                self._save_site_lines()
        finally:
            for task in ahead:
                task.cancel()
            await asyncio.gather(*ahead, return_exceptions=True)

    def _source_names(self, outcomes: list[FeedOutcome]) -> dict[str, str]:
        """Feed URL -> its name as a source, with the titles this cycle learned (see attention)."""
        states = {**self._states, **{o.feed.url: o.state for o in outcomes}}
        feeds = list({f.url: f for f in [*self._feeds, *(o.feed for o in outcomes)]}.values())
        self._source_hosts = attention.hosts_of_sources(feeds, states)
        return attention.source_names(feeds, states)

    def _page_cap(self) -> int | None:
        return self.settings.max_pages_per_cycle if self.settings.fetch_articles else None

    def _articles_task(
        self,
        fetcher: Fetcher,
        batch: list[tuple[Feed, Item]],
        pages: asyncio.Semaphore,
        tally: _Tally,
    ) -> asyncio.Task[list[Article]]:
        return asyncio.ensure_future(self._articles(fetcher, batch, pages, tally))

    async def _articles(
        self,
        fetcher: Fetcher,
        batch: list[tuple[Feed, Item]],
        pages: asyncio.Semaphore,
        tally: _Tally,
    ) -> list[Article]:
        if self.settings.fetch_articles:
            # a feed on a private address may link into the private network, a public one not
            private = {url: await is_private_host(url) for url in {f.url for f, _ in batch}}
            fetches = [
                self._article(fetcher, item, private[feed.url], pages) for feed, item in batch
            ]
            return await self._counted(fetches, tally)
        clean_now = bool(self.watchlists)  # no page to fetch; cleaned now only if matched
        return [article_from_feed(item, clean=clean_now) for _, item in batch]

    async def _hits(self, articles: list[Article]) -> list[list[Hit]]:
        """The articles matched on the event loop a step at a time (an article's terms, then
        the examples' vote for a chunk of leads at once: Matcher.matching), let go every
        MATCH_SLICE seconds.

        Not in a thread: a thread matching a batch took the GIL each time the
        loop released it for a system call (every send, read and pipe write)
        and the loop waited up to the 5 ms switch interval to get it back, so
        the loop all but stopped while a batch was matched (the TUI's keys
        waited, the workers ran out of pages).
        """
        if not self.watchlists or not articles:
            return [[] for _ in articles]
        matcher, loop = self.matcher, asyncio.get_running_loop()
        await asyncio.to_thread(matcher.prepare)  # the vote's model and indexes: not on the loop
        steps = matcher.matching([article.text for article in articles])
        until = loop.time() + MATCH_SLICE
        while True:
            try:
                next(steps)
            except StopIteration as done:
                hits: list[list[Hit]] = done.value
                return hits
            if loop.time() >= until:
                await _give_way(loop)
                until = loop.time() + MATCH_SLICE

    async def _commit(
        self,
        todo: list[tuple[Feed, Item]],
        articles: list[Article],
        hits: list[list[Hit]],
        seen: dict[str, SeenItem],
        result: CycleResult,
        source_names: dict[str, str],
        feed_states: list[FeedState],
        stories: _CycleStories,
    ) -> None:
        now = self.now()
        changed: dict[str, Alert] = {}
        records = []
        for (feed, item), article, item_hits in zip(todo, articles, hits, strict=True):
            previous = seen.get(item.key)
            alert = None
            if item_hits:  # no hits, no alert: the story lookup is skipped
                index = stories.index()
                existing = decide.existing_alert(
                    previous.alert_id if previous else None, article, index
                )
                alert = decide.decide_alert(
                    item, source_names[feed.url], article, item_hits, self.watchlists, existing, now
                )
                alert = self._corroborated(alert)
                if alert is not None and alert != existing:
                    changed[alert.id] = alert
                    index.add(alert)
            alert_id = alert.id if alert else (previous.alert_id if previous else None)
            records.append(
                SeenItem(
                    item.key, item.feed_url, item.url, item.fingerprint, now, alert_id, item.id
                )
            )
        # in a thread: at 100k alerts the commit rewrites alerts.json (a second), and the
        # desk's screen shares this event loop; the store takes its own locks
        await asyncio.to_thread(
            self.store.commit_cycle,
            records,
            {item.key: article for (_, item), article in zip(todo, articles, strict=True)},
            list(changed.values()),
            feed_states,
        )
        result.alerts = list({**{a.id: a for a in result.alerts}, **changed}.values())

    def _corroborated(self, alert: Alert | None) -> Alert | None:
        """The alert one level up when independent sources carry it (see desk.core.attention)."""
        if alert is None:
            return None
        known = [self.watchlists[w].severity for w in alert.watchlists if w in self.watchlists]
        if not known:  # its watchlists' own severity is unknown: nothing to raise it from
            return alert
        base = max(known, key=lambda severity: severity.rank)
        return attention.corroborated(alert, self._source_hosts, base)

    def pages_held_at_once(self) -> int:
        """How many fetched pages may be held at once, each from its request until extracted.

        Enough to keep every connection and extraction worker busy; the rest of
        a batch waits unfetched, so a cycle's memory does not grow with its pages.
        """
        return self.settings.max_connections + 2 * self.extractor.size

    async def _article(
        self,
        fetcher: Fetcher,
        item: Item,
        private_ok: bool = True,
        pages: asyncio.Semaphore | None = None,
    ) -> Article:
        """The item's full article from its page, or its feed text when that is better.

        With `pages`, the page holds one unit of it from its request until it
        is extracted and its HTML dropped.
        """
        from_feed = article_from_feed(item)  # cleaned: its length is weighed against the page's
        if not item.url.startswith(("http://", "https://")):
            return from_feed
        try:
            page = await fetcher.get(
                item.url,
                max_bytes=self.settings.max_page_bytes,
                accept="text/html",
                private_ok=private_ok,
                hold=pages,
                decode=False,  # the worker decompresses it (decoded_body)
                skippable=True,  # a host gone silent this cycle: the feed's text stands
            )
        except Exception:  # FetchError in words, or a surprise: the feed's own text stands
            return from_feed
        try:
            return await self._article_from_page(item, page, from_feed)
        finally:
            if pages is not None:
                pages.release()

    async def _article_from_page(
        self, item: Item, page: FetchResult, from_feed: Article
    ) -> Article:
        """The page extracted, or the feed's text when the page is not HTML or is shorter."""
        if page.content_type not in HTML_TYPES or not page.body:
            return from_feed
        junk = self.site_lines.junk_for(site_of(page.url))
        unpack = None
        if page.encodings:
            unpack = partial(
                decoded_body, encodings=page.encodings, max_bytes=self.settings.max_page_bytes
            )
        try:  # decompressed, decoded and made safe (decode_text) in the worker, before lxml
            extracted = await self.extractor.extract_bytes(
                page.body, page.charset, decode_text, page.url, junk, unpack
            )
        except ExtractionFailed:
            return from_feed
        self._learn_site_lines(page.url, extracted)
        if len(extracted.text) < len(from_feed.text):
            return replace(
                from_feed,
                byline=from_feed.byline or extracted.byline,
                published=from_feed.published or extracted.published,
                canonical_url=extracted.canonical_url,
            )
        return Article(
            url=item.url,
            title=extracted.title or item.title,
            text=extracted.text,
            byline=extracted.byline or ", ".join(item.authors),
            published=item.published or extracted.published,
            canonical_url=extracted.canonical_url,
            source="page",
        )


async def _give_way(loop: asyncio.AbstractEventLoop) -> None:
    """Let the loop run what else is ready before matching goes on, for MATCH_GIVES_WAY at most.

    One `sleep(0)` lets each ready callback run once; a key on the desk's
    screen is a chain of them (driver, app, screen, list, article pane,
    paint), each made ready by the one before, so with one slice of matching
    between every two links a key waited 60-80 ms behind a batch. asyncio's
    queue of ready callbacks (`_ready`; absent on other loops, which get the
    single turn) says when the chain has run out. It is asyncio's private
    deque, read only for its length.
    """
    await asyncio.sleep(0)
    ready = getattr(loop, "_ready", None)
    until = loop.time() + MATCH_GIVES_WAY
    for _ in range(MATCH_GIVES_WAY_TURNS):
        if not ready or loop.time() >= until:
            break
        await asyncio.sleep(0)


async def _parse(response: FetchResult, feed_url: str) -> ParsedFeed:
    """The feed read on the loop when that is quick (a millisecond or two), else in a thread.

    Handing a typical feed to a thread costs more than reading it: the
    parser's Python half then competes with the event loop for the GIL, and
    a 200-feed cycle took a third longer that way. Large documents and those
    only feedparser can read (twenty times slower) still go to a thread.
    """
    args = (response.body, feed_url, response.content_type, response.charset)
    if len(response.body) <= INLINE_PARSE_BYTES:
        with contextlib.suppress(NeedsTolerantParser):
            return parse_feed(*args, tolerant=False)
    return await asyncio.to_thread(parse_feed, *args)


class _Tally:
    """How many of a stage's steps are done, told to a progress listener (if any) as they end.

    With `every`, at most one telling per `every` seconds, and always the last:
    a TUI repainted its status line for each of 2,000 pages.
    """

    def __init__(
        self, stage: str, total: int, progress: Progress | None, every: float = 0.0
    ) -> None:
        self.stage, self.total, self.done, self.progress = stage, total, 0, progress
        self.every, self.told = every, time.monotonic()
        if progress is not None:
            progress(stage, 0, total)

    def one_done(self) -> None:
        """One more step done."""
        self.done += 1
        if self.progress is None:
            return
        if self.every and self.done < self.total:
            if time.monotonic() - self.told < self.every:
                return
            self.told = time.monotonic()
        self.progress(self.stage, self.done, self.total)


class _CycleStories:
    """A cycle's story index: every alert is read for it at the cycle's first hit, once.

    Later batches use the same index, which each new or grown alert updates.
    """

    def __init__(self, store: Store, now: datetime) -> None:
        self._store, self._now = store, now
        self._index: decide.StoryIndex | None = None

    def index(self) -> decide.StoryIndex:
        """The index, read from the store the first time it is asked for."""
        if self._index is None:
            self._index = decide.StoryIndex(self._store.alerts(), self._now)
        return self._index


def _held_back(outcome: FeedOutcome, waiting: int) -> FeedOutcome:
    """A feed with new items over the caps: said, due again now, read in full next time.

    Its ETag is not kept, or the server's 304 would hide the items that wait.
    """
    if not waiting:
        return outcome
    state = replace(
        outcome.state,
        etag=None,
        last_modified=None,
        next_due=outcome.state.last_attempt,
        warning=f"{plural(waiting, 'new item')} over this cycle's caps "
        f"{'waits' if waiting == 1 else 'wait'} for the next cycle",
    )
    return replace(outcome, state=state)


def silent_hosts_said(skipped: Mapping[str, int]) -> list[str]:
    """A line for each host whose article pages were not requested once it went silent."""
    return [
        f"{safe_line(host)}: {plural(count, 'article page')} not requested this cycle: the "
        f"host gave no answer to {SILENT_HOST_LIMIT} requests in a row (their feeds' text "
        "was matched; the next cycle asks again)"
        for host, count in sorted(skipped.items())
    ]


def _summarised(outcome: FeedOutcome, fresh: int) -> FeedOutcome:
    """The outcome's summary; a feed with new items remembers when (its rhythm: see attention)."""
    if fresh and outcome.state.last_attempt is not None:
        outcome = replace(outcome, state=with_new_items(outcome.state, outcome.state.last_attempt))
    if outcome.summary:
        return outcome
    return replace(outcome, summary=f"{plural(len(outcome.items), 'item')}, {fresh:,} new")
