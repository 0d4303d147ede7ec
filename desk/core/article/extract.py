"""Extraction as the rest of desk imports it, and feed items made readable.

The API: `extract_page` and `text_of_document` turn a page or any document
into `Extracted` in this process (`desk.core.article.document`); an `Extractor` does
the same in worker processes, each page within a deadline, and raises
`ExtractionFailed` otherwise (`desk.core.article.extractpool`). Their names are
re-exported here (`__all__`) so callers need one import.

This module itself owns the articles a feed carries: `article_from_feed`
(cleaning possibly put off) and `readable`, which cleans the feed's markup
with its paragraph and line breaks kept (`plain_text_paragraphs`).
"""

from __future__ import annotations

from dataclasses import replace

from desk.core.article.clean import clean_text
from desk.core.article.document import (
    MAX_HTML_CHARS,
    MAX_TAGS,
    Extracted,
    cap_markup,
    extract_page,
    fragment_text,
    looks_like_html,
    plain_text_paragraphs,
    text_of_document,
)
from desk.core.article.extractpool import (
    ExtractionFailed,
    Extractor,
    default_worker_count,
    headless_worker_count,
)
from desk.core.article.headline import lead_with_title
from desk.core.article.pagemeta import PageMetadata, page_metadata
from desk.core.article.pagetext import main_text, tree_text
from desk.core.models import Article, Item

__all__ = [
    "MAX_HTML_CHARS",
    "MAX_TAGS",
    "Extracted",
    "ExtractionFailed",
    "Extractor",
    "PageMetadata",
    "article_from_feed",
    "cap_markup",
    "default_worker_count",
    "extract_page",
    "fragment_text",
    "headless_worker_count",
    "looks_like_html",
    "main_text",
    "page_metadata",
    "plain_text_paragraphs",
    "readable",
    "text_of_document",
    "tree_text",
]


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
