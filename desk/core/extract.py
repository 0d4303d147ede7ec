"""HTML page -> the story's main text, title, byline, date and canonical URL.

trafilatura finds the main content; desk turns its XML tree into paragraphs
(line breaks inside a paragraph kept, so the cleaner can repair words broken
across them, table cells kept apart) and cleans the result. The metadata
comes from the page's head (meta tags, JSON-LD, canonical link), read with a
few regular expressions. When trafilatura finds nothing, a plain text
rendering of the page's paragraphs is the fallback.

Extraction is CPU-bound and a pathological page can take seconds, so the
pipeline runs it through an `Extractor`: worker processes, each page within
a deadline, a killed or crashed worker replaced. The markup is capped first
(`cap_markup`): at most MAX_HTML_CHARS characters and MAX_TAGS tags.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import multiprocessing
import os
import re
import resource
import signal
import sys
import weakref
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from html import unescape
from itertools import islice
from multiprocessing import resource_tracker
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Any
from urllib.parse import urljoin

import trafilatura
import yaml
from lxml import etree
from lxml import html as lxml_html

from desk.core.clean import (
    clean_text,
    finish_paragraphs,
    lead_with_title,
    split_front_matter,
    story_blocks,
    trim_site_suffix,
)
from desk.core.errors import DeskError
from desk.core.feeds import plain_text
from desk.core.models import Article, Item
from desk.core.sitejunk import learnable_lines

MAX_HTML_CHARS = 5_000_000
MAX_TAGS = 100_000
"""Tags beyond this many are cut off: real articles have a few thousand."""
DEFAULT_TIMEOUT = 10.0
"""Seconds one page may take in a worker before the worker is killed."""
DEFAULT_MEMORY_LIMIT = 2 << 30
"""Address space a worker may use; beyond it the page fails, not the machine."""
STARTUP_TIMEOUT = 60.0

_BLOCKS = {"p", "head", "item", "quote", "code", "list", "table", "div", "row", "body"}
_TAG_START = re.compile(r"<[A-Za-z!/]")
_META_TAG = re.compile(r"<meta\s[^>]*>", re.IGNORECASE)
_LINK_TAG = re.compile(r"<link\s[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_TITLE_TAG = re.compile(r"<title[^>]*>(.{0,500}?)</title>", re.IGNORECASE | re.DOTALL)
_H1 = re.compile(r"<h1[^>]*>(.{0,500}?)</h1>", re.IGNORECASE | re.DOTALL)
_TIME_TAG = re.compile(r"<time[^>]*\sdatetime\s*=\s*[\"']([^\"']+)[\"']", re.IGNORECASE)
_JSON_LD_START = re.compile(r"<script[^>]*application/ld\+json[^>]*>", re.IGNORECASE)
_JSON_LD_BLOCKS = 10
_JSON_LD_CHARS = 500_000
_TITLE_SEPARATORS = re.compile(r"\s+[|\-\u2013\u2014:·»]\s+")
_AUTHOR_KEYS = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator")
_DATE_KEYS = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date",
    "date",
)
_HEAD_CHARS = 300_000
_FRONT_LINE = re.compile(r"([\w-]+):[ \t]*(.*)")


@dataclass(frozen=True)
class Extracted:
    """What a page yielded: cleaned text and the metadata desk keeps."""

    title: str
    text: str
    byline: str = ""
    published: datetime | None = None
    canonical_url: str = ""
    lines: tuple[str, ...] = ()
    """The page's short lines (comparison keys), for learning its site's junk."""


@dataclass(frozen=True)
class PageMetadata:
    """Title, byline, date and canonical URL as the page's head declares them."""

    title: str = ""
    byline: str = ""
    published: datetime | None = None
    canonical_url: str = ""


class ExtractionFailed(DeskError):
    """A page that could not be extracted: it ran past its deadline, or broke its worker."""


def looks_like_html(text: str) -> bool:
    """True when `text` is an HTML document or fragment rather than plain text."""
    head = text[:2000].lower()
    return "<html" in head or "<body" in head or "<p>" in head or "<div" in head


def cap_markup(html: str) -> str:
    """The markup cut to MAX_HTML_CHARS characters and MAX_TAGS tags."""
    html = html[:MAX_HTML_CHARS]
    if html.count("<") <= MAX_TAGS:
        return html
    for count, match in enumerate(_TAG_START.finditer(html)):
        if count == MAX_TAGS:
            return html[: match.start()]
    return html


def extract_page(
    html: str, url: str = "", site_junk: Iterable[str] = (), *, title: str = ""
) -> Extracted:
    """Extract and clean the main text of an HTML page, dropping `site_junk` lines.

    `title`, when given (say from a stored page's front matter), wins over the page's own.
    """
    html = cap_markup(html)
    meta = page_metadata(html, url)
    raw = main_text(html, url) or _fallback_text(html)
    blocks = story_blocks(raw)
    body = "\n\n".join(finish_paragraphs(blocks, site_junk))
    title = title or meta.title
    return Extracted(
        title=title,
        text=lead_with_title(title, body),
        byline=meta.byline,
        published=meta.published,
        canonical_url=meta.canonical_url,
        lines=learnable_lines(blocks),
    )


def main_text(html: str, url: str = "") -> str:
    """trafilatura's main content as paragraphs (the cleaner's input), or '' when it finds none."""
    doc = trafilatura.bare_extraction(
        html,
        url=url or None,
        fast=True,
        favor_recall=True,
        include_comments=False,
        include_tables=True,
        with_metadata=False,
    )
    body = getattr(doc, "body", None)
    return tree_text(body).strip() if body is not None else ""


def tree_text(body: Any) -> str:
    """trafilatura's XML tree as paragraphs: <lb/> a line break, a table row one line."""
    paragraphs: list[str] = []
    _walk(body, paragraphs)
    return "\n\n".join(p for p in (p.strip() for p in paragraphs) if p)


def _walk(element: Any, out: list[str]) -> None:
    """Append the element's paragraphs: its own text, then each block child's in turn."""
    if element.tag == "row":
        out.append(" | ".join(" ".join("".join(cell.itertext()).split()) for cell in element))
        return
    parts = [element.text or ""]
    for child in element:
        if child.tag in _BLOCKS:
            out.append("".join(parts))
            _walk(child, out)
            parts = [child.tail or ""]
        else:
            parts += [_inline_text(child), child.tail or ""]
    out.append("".join(parts))


def _inline_text(element: Any) -> str:
    if element.tag == "lb":
        return "\n"
    parts = [element.text or ""]
    for child in element:
        parts += [_inline_text(child), child.tail or ""]
    return "".join(parts)


def _fallback_text(html: str) -> str:
    try:
        tree = lxml_html.fromstring(html)
    except (etree.ParserError, ValueError):
        return ""
    paragraphs = [p.text_content().strip() for p in tree.iter("p", "h1", "h2", "li")]
    return "\n\n".join(p for p in paragraphs if p)


def page_metadata(html: str, url: str = "") -> PageMetadata:
    """The title, byline, date and canonical URL the page's markup declares."""
    head = html[:_HEAD_CHARS]
    metas = _meta_values(head)
    linked = _json_ld(html)
    return PageMetadata(
        title=_page_title(head, metas, linked),
        byline=_byline(metas, linked),
        published=_published(head, metas, linked),
        canonical_url=_canonical(head, metas, linked, url),
    )


def _attributes(tag: str) -> dict[str, str]:
    return {name.lower(): unescape(a or b or c) for name, a, b, c in _ATTRIBUTE.findall(tag)}


def _meta_values(head: str) -> dict[str, str]:
    """meta name/property/itemprop -> content, the first of each kept."""
    values: dict[str, str] = {}
    for tag in _META_TAG.findall(head):
        attrs = _attributes(tag)
        key = attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or ""
        content = attrs.get("content", "").strip()
        if key and content:
            values.setdefault(key.lower(), content)
    return values


def _json_ld(html: str) -> dict[str, Any]:
    """The first JSON-LD object that looks like an article, else {}."""
    for block in _json_ld_blocks(html):
        try:
            data = json.loads(block)
        except ValueError:
            continue
        for node in _json_nodes(data):
            if "headline" in node or "datePublished" in node:
                return node
    return {}


def _json_ld_blocks(html: str) -> Iterator[str]:
    """The first few JSON-LD scripts' contents, each read within a bounded stretch."""
    for start in islice(_JSON_LD_START.finditer(html), _JSON_LD_BLOCKS):
        end = html.find("</script", start.end(), start.end() + _JSON_LD_CHARS)
        if end >= 0:
            yield html[start.end() : end]


def _json_nodes(data: Any) -> Iterator[dict[str, Any]]:
    """Every object in a JSON-LD document, @graph lists included."""
    if isinstance(data, list):
        for item in data:
            yield from _json_nodes(item)
    elif isinstance(data, dict):
        yield data
        yield from _json_nodes(data.get("@graph", []))


def _page_title(head: str, metas: dict[str, str], linked: dict[str, Any]) -> str:
    """og:title, JSON-LD headline, twitter:title, the one <h1>, else the <title> trimmed."""
    headline = linked.get("headline")
    for candidate in (metas.get("og:title"), headline, metas.get("twitter:title")):
        if isinstance(candidate, str) and candidate.strip():
            return _one_line(candidate)
    headings = [match.group(1) for match in islice(_H1.finditer(head), 2)]
    if len(headings) == 1 and plain_text(headings[0]):
        return _one_line(plain_text(headings[0]))
    match = _TITLE_TAG.search(head)
    return _trim_site_name(plain_text(match.group(1))) if match else ""


def _trim_site_name(title: str) -> str:
    """'Story | Site' -> 'Story': the longest part between separators."""
    parts = _TITLE_SEPARATORS.split(title)
    return max(parts, key=len).strip() if len(parts) > 1 else title.strip()


def _one_line(text: str) -> str:
    return " ".join(unescape(text).split())


def _byline(metas: dict[str, str], linked: dict[str, Any]) -> str:
    names = _author_names(linked.get("author"))
    if names:
        return ", ".join(names)
    for key in _AUTHOR_KEYS:
        value = metas.get(key, "")
        if value and not value.startswith(("http://", "https://")):
            return _one_line(value)
    return ""


def _author_names(author: Any) -> list[str]:
    """Names from a JSON-LD author: a string, a Person, or a list of either."""
    if isinstance(author, str):
        return [_one_line(author)] if author.strip() else []
    if isinstance(author, dict):
        name = author.get("name")
        return [_one_line(name)] if isinstance(name, str) and name.strip() else []
    if isinstance(author, list):
        return [name for item in author for name in _author_names(item)]
    return []


def _published(head: str, metas: dict[str, str], linked: dict[str, Any]) -> datetime | None:
    candidates = [metas.get(key, "") for key in _DATE_KEYS]
    candidates.append(str(linked.get("datePublished") or ""))
    time_tag = _TIME_TAG.search(head)
    candidates.append(time_tag.group(1) if time_tag else "")
    for value in candidates:
        when = parse_datetime(value)
        if when is not None:
            return when
    return None


def parse_datetime(value: object) -> datetime | None:
    """An ISO 8601 date or datetime (or a YAML-loaded one) in UTC; None if it is not one."""
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, date):
        when = datetime(value.year, value.month, value.day)
    else:
        try:
            when = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


def _canonical(head: str, metas: dict[str, str], linked: dict[str, Any], url: str) -> str:
    for tag in _LINK_TAG.findall(head):
        attrs = _attributes(tag)
        if "canonical" in attrs.get("rel", "").lower().split() and attrs.get("href"):
            return urljoin(url, attrs["href"].strip())
    for candidate in (metas.get("og:url"), linked.get("url")):
        if isinstance(candidate, str) and candidate.strip():
            return urljoin(url, candidate.strip())
    return url


def text_of_document(content: str, url: str = "") -> Extracted:
    """Clean text from HTML or plain text (files, feed summaries), front matter honoured."""
    front, body = split_front_matter(content)
    fields = _front_matter(front)
    title = trim_site_suffix(_field(fields, "title", "post_title"))
    if looks_like_html(body):
        page = extract_page(body, url, title=title)
    elif title:
        page = Extracted(title=title, text=lead_with_title(title, clean_text(body)))
    else:
        text = clean_text(body)
        page = Extracted(title=text.split("\n\n", 1)[0][:200] if text else "", text=text)
    return _with_front_matter(page, fields)


def _front_matter(front: str) -> dict[str, Any]:
    """Front matter as YAML; scrapers write broken YAML too, so `key: value` lines as a fallback."""
    if not front:
        return {}
    try:
        fields = yaml.safe_load(front)
    except yaml.YAMLError:
        fields = None
    if isinstance(fields, dict):
        return fields
    lines = (_FRONT_LINE.match(line) for line in front.splitlines())
    return {m.group(1): m.group(2).strip().strip("\"'") for m in lines if m and m.group(2).strip()}


def _field(fields: dict[str, Any], *names: str) -> str:
    """The first of `names` that front matter gives, as one line of plain text."""
    for name in names:
        value = fields.get(name)
        if isinstance(value, list) and value:
            value = value[0]
        if isinstance(value, str | int | float) and str(value).strip():
            return _one_line(plain_text(str(value)))
    return ""


def _with_front_matter(page: Extracted, fields: dict[str, Any]) -> Extracted:
    """The front matter's author, date and URL win over what the body suggests."""
    if not fields:
        return page
    published = next(
        (
            when
            for name in ("published_at", "published", "post_date", "date")
            if (when := parse_datetime(fields.get(name))) is not None
        ),
        page.published,
    )
    return replace(
        page,
        byline=_field(fields, "author", "byline") or page.byline,
        published=published,
        canonical_url=_field(fields, "url", "canonical_url", "permalink") or page.canonical_url,
    )


def article_from_feed(item: Item, clean: bool = True) -> Article:
    """The article a feed item carries itself; with `clean=False` cleaning waits for readable()."""
    article = Article(
        url=item.url,
        title=item.title,
        text=item.content or item.summary,
        byline=", ".join(item.authors),
        published=item.published,
        source="feed",
        cleaned=False,
    )
    return readable(article) if clean else article


def readable(article: Article) -> Article:
    """The article with cleaned text, cleaning it now if that was put off."""
    if article.cleaned:
        return article
    body = clean_text(plain_text_paragraphs(article.text))
    return replace(article, text=lead_with_title(article.title, body), cleaned=True)


def plain_text_paragraphs(markup: str) -> str:
    """Feed HTML as plain text, keeping paragraph and line breaks."""
    spaced = re.sub(r"(?i)</p\s*>|<br\s*/?>\s*<br\s*/?>", "\n\n", markup)
    spaced = re.sub(r"(?i)<br\s*/?>", "\n", spaced)
    return "\n\n".join(plain_text(part) for part in spaced.split("\n\n"))


# ----------------------------------------------------------------- the pool


def default_worker_count() -> int:
    """One worker per core, less one for the UI and the network, at least one, at most four."""
    return max(1, min(4, (os.cpu_count() or 2) - 1))


def serve_extractions(connection: Connection, memory_limit: int | None) -> None:
    """A worker process's loop: receive (html, url, site junk), send back the Extracted."""
    _settle_worker(memory_limit)
    connection.send(("ready", None))
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        html, url, junk = job
        try:
            reply: tuple[str, object] = ("ok", extract_page(html, url, junk))
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
    """Runs extract_page in worker processes, each page within a deadline.

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
        worker = await self._acquire()
        healthy = False
        try:
            status, value = await self._run(worker, (cap_markup(html), url, tuple(site_junk)))
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
            context.set_forkserver_preload(["desk.core.extract"])
            _ensure_resource_tracker()
            ours, theirs = context.Pipe()
            process = context.Process(
                target=serve_extractions,
                args=(theirs, self.memory_limit),
                name="desk-extract",
                daemon=True,
            )
            try:  # the first start launches the forkserver: off the event loop
                await asyncio.to_thread(process.start)
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

    async def _run(self, worker: _Worker, job: tuple[str, str, tuple[str, ...]]) -> tuple[str, Any]:
        try:
            worker.connection.send(job)
        except OSError:
            raise ExtractionFailed("the extraction worker had died", job[1] or None) from None
        return await self._reply(worker, self.timeout, job[1])

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
