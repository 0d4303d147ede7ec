"""An HTML page's story as raw paragraphs: the cleaner's input.

trafilatura finds the main content; desk turns its XML tree into paragraphs
(line breaks inside a paragraph kept, so the cleaner can repair words broken
across them, table cells kept apart). When trafilatura finds nothing, a
plain text rendering of the page's paragraphs, headings and list items is
the fallback.
"""

from __future__ import annotations

from typing import Any

from lxml import etree
from lxml import html as lxml_html

_BLOCKS = {"p", "head", "item", "quote", "code", "list", "table", "div", "row", "body"}


def story_text(html: str, url: str = "") -> str:
    """The page's story as paragraphs: trafilatura's main content, else the fallback."""
    return main_text(html, url) or _fallback_text(html)


def main_text(html: str, url: str = "") -> str:
    """trafilatura's main content as paragraphs (the cleaner's input), or '' when it finds none."""
    import trafilatura  # here, not at the top: it takes 80 ms that commands not extracting skip

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
