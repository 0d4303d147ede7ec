"""Trying things before relying on them: `desk match` (watchlists over files), `desk extract`, `desk check`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path

from desk.cli.common import (
    load_watchlist_folder,
    locations_of,
    match_watchlists_dir,
    read_input,
    shorten,
)
from desk.cli.parser import EXIT_BAD_INPUT, EXIT_FOUND_PROBLEMS, EXIT_OK
from desk.core.article.extract import Extracted, ExtractionFailed, Extractor, text_of_document
from desk.core.errors import DeskError, plural
from desk.core.feeds.charset import decode_text
from desk.core.feeds.fetch import Fetcher, FetchError
from desk.core.feeds.parse import feed_kind
from desk.core.match.matcher import Matcher, describe_evidence
from desk.core.match.semantic import MODEL_NAME, default_encoder
from desk.core.match.watchlists import load_watchlists
from desk.core.models import Hit, Verdict
from desk.core.settings.config import (
    Settings,
    load_feeds,
    load_settings,
)


def run_match(args: argparse.Namespace) -> int:
    """`desk match`: the watchlists over files; exit 1 if none fired."""
    folder = Path(args.watchlists) if args.watchlists else match_watchlists_dir(args)
    watchlists = load_watchlist_folder(folder)
    if not watchlists:  # load_watchlist_folder has said why, in one line per file
        return EXIT_BAD_INPUT
    matcher = Matcher(watchlists)
    fired = 0
    for name in args.files:
        text = text_of_document(read_input(name)).text
        verdicts = [v for v in matcher.assess(text) if v.fired]
        fired += bool(verdicts)
        _print_verdicts(name, verdicts, args.json)
    return EXIT_OK if fired else EXIT_FOUND_PROBLEMS


def _print_verdicts(name: str, verdicts: list[Verdict], as_json: bool) -> None:
    """The hits of the watchlists that fired, and the evidence each added up to."""
    hits = sorted((h for v in verdicts for h in v.hits), key=lambda h: (h.start, h.watchlist))
    if as_json:
        if verdicts:
            print(json.dumps(_match_json(name, verdicts, hits)))
        return
    if not verdicts:
        print(f"{name}: no watchlist fired")
        return
    print(f"{name}:")
    for hit in hits:
        text = shorten(" ".join(hit.text.split()), 60)  # a vote's hit is the whole lead
        print(
            f'  {hit.watchlist:22} {hit.score:5.1f}  {hit.start:>6}-{hit.end:<6} "{text}"  (term: {shorten(hit.term)})'
        )
    for verdict in verdicts:
        print(f"  {verdict.watchlist:22} {describe_evidence(verdict.parts, verdict.fire_at)}")


def _match_json(name: str, verdicts: list[Verdict], hits: list[Hit]) -> dict[str, object]:
    """DESIGN's shape for `desk match --json`, plus each watchlist's evidence."""
    return {
        "file": name,
        "watchlists": [v.watchlist for v in verdicts],
        "hits": [h.to_json() for h in hits],
        "evidence": [
            {
                "watchlist": v.watchlist,
                "total": round(v.total, 2),
                "fire_at": v.fire_at,
                "parts": [part.to_json() for part in v.parts],
            }
            for v in verdicts
        ],
    }


def run_extract(args: argparse.Namespace) -> int:
    """`desk extract`: the cleaned text of a page, from a file or a URL."""
    source: str = args.source
    if source.startswith(("http://", "https://")):
        content, url = asyncio.run(_download(source)), source
    else:
        content, url = read_input(source), ""
    kind = feed_kind(content)
    if kind is not None:  # its XML would come out as the "article"
        raise DeskError(
            f"this is {'a' if kind == 'JSON' else 'an'} {kind} feed, not an article page; "
            "add it to feeds.yaml and "
            "`desk poll` fetches its articles",
            source,
        )
    try:
        extracted = asyncio.run(_extract_in_worker(content, url))
    except ExtractionFailed as exc:
        raise DeskError(exc.message, source) from None
    if args.json:
        data = {
            "title": extracted.title,
            "byline": extracted.byline,
            "published": extracted.published.isoformat() if extracted.published else None,
            "canonical_url": extracted.canonical_url,
            "text": extracted.text,
        }
        print(json.dumps(data, ensure_ascii=False))
    else:
        print(extracted.text)
    return EXIT_OK


async def _extract_in_worker(content: str, url: str) -> Extracted:
    """text_of_document in a worker process, so a pathological page ends at the deadline."""
    async with Extractor(workers=1) as extractor:
        return await extractor.extract_document(content, url)


async def _download(url: str) -> str:
    settings = Settings()
    fetcher = Fetcher(settings)
    try:
        page = await fetcher.get(url, max_bytes=settings.max_page_bytes, accept="text/html")
    except FetchError as exc:
        raise DeskError(f"{url}: {exc}") from None
    finally:
        await fetcher.aclose()
    return decode_text(page.body, page.charset)


def _vote_model() -> None:
    """The examples' vote's model, loaded as a match would load it (SemanticUnavailable if not)."""
    default_encoder()


def run_check(args: argparse.Namespace) -> int:
    """`desk check`: validate everything; exit 1 on any error."""
    where = locations_of(args)
    problems = 0
    for what, check in (
        ("settings", lambda: load_settings(where.settings_file)),
        ("feeds", lambda: load_feeds(where.feeds_file)),
    ):
        problems += _report_check(what, check)
    result = load_watchlists(where.watchlists_dir)
    for error in result.errors:
        print(f"desk: {error}", file=sys.stderr)
    for watchlist in result.watchlists:
        examples = watchlist.semantic.examples.texts if watchlist.semantic else ()
        voted = f", {plural(len(examples), 'example')}" if examples else ""
        print(f"ok  watchlist {watchlist.id}: {plural(len(watchlist.terms), 'term')}{voted}")
    if not result.watchlists and not result.errors:
        print(f"desk: no watchlists in {where.watchlists_dir}", file=sys.stderr)
        problems += 1
    if any(watchlist.semantic for watchlist in result.watchlists):
        problems += _report_check(f"examples' vote ({MODEL_NAME})", _vote_model)
    problems += len(result.errors)
    return EXIT_FOUND_PROBLEMS if problems else EXIT_OK


def _report_check(what: str, check: Callable[[], object]) -> int:
    try:
        loaded = check()
    except DeskError as exc:
        print(f"desk: {exc}", file=sys.stderr)
        return 1
    count = f": {plural(len(loaded), 'feed')}" if isinstance(loaded, list) else ""
    if count == ": 0 feeds":
        count += " (none configured yet: add them to feeds.yaml)"
    print(f"ok  {what}{count}")
    return 0
