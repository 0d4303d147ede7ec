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

from desk.core.article import maincontent, quickprune, xpathguard

_BLOCKS = {"p", "head", "item", "quote", "code", "list", "table", "div", "row", "body"}
_PARSER = etree.HTMLParser(
    collect_ids=False,
    default_doctype=False,
    encoding="utf-8",
    remove_comments=True,
    remove_pis=True,
)
"""The parser trafilatura's load_html reads pages with (its HTML_PARSER), its elements all
HtmlElements: lxml.html's own lookup is a Python call for each element it hands out (some
1,100 a page, 0.15 ms) to give forms, inputs, labels, selects and text areas classes of their
own, whose form methods neither trafilatura nor desk calls."""
_PARSER.set_element_class_lookup(
    etree.ElementDefaultClassLookup(
        element=lxml_html.HtmlElement,
        comment=lxml_html.HtmlComment,
        pi=lxml_html.HtmlProcessingInstruction,
        entity=lxml_html.HtmlEntity,
    )
)
_NOT_XML = ("\ufffe", "\uffff")
"""What load_html removes beyond the controls that a safe text no longer has."""


def story_text(html: str, url: str = "", utf8: bytes | None = None) -> str:
    """The page's story as paragraphs: trafilatura's main content, else the fallback.

    `utf8`, when given, is `html` as UTF-8 bytes, and `html` is safe text
    (`safe_text` changes nothing in it): the parser then reads those bytes.
    """
    return main_text(html, url, utf8) or _fallback_text(html)


EXTRACTION_OPTIONS: dict[str, Any] = {
    "fast": True,
    "favor_recall": True,
    "include_comments": False,
    "include_tables": True,
    "with_metadata": False,
}
"""trafilatura.bare_extraction's options for desk (maincontent.main_body follows the same)."""


def main_text(html: str, url: str = "", utf8: bytes | None = None) -> str:
    """trafilatura's main content as paragraphs (the cleaner's input), or '' when it finds none."""
    import trafilatura  # here, not at the top: it takes 80 ms that commands not extracting skip

    quickprune.install()
    xpathguard.install()
    shortcut = maincontent.install()
    tree = parsed_as_trafilatura_would(html, utf8) if utf8 is not None else None
    if tree is not None and shortcut:  # bare_extraction's body, less what desk never reads
        body = maincontent.main_body(tree, url)
    else:
        doc = trafilatura.bare_extraction(
            html if tree is None else tree, url=url or None, **EXTRACTION_OPTIONS
        )
        body = getattr(doc, "body", None)
    return tree_text(body).strip() if body is not None else ""


def parsed_as_trafilatura_would(html: str, utf8: bytes) -> Any:
    """The tree trafilatura's load_html builds from the safe text `html`, read from its UTF-8
    bytes, or None when load_html would first repair the text or might reject it.

    load_html takes a str through a regex over every character (invalid XML characters), a
    check of the doctype and of the first lines, and an encoding to UTF-8 before it parses:
    twice the parse's own time. A safe text has no control character left, so when it has
    no U+FFFE/U+FFFF, starts as an HTML document whose doctype line holds no slash and has
    no self-closing <html/> in its first lines, those steps change nothing and the parse of
    its bytes is the same tree, its elements all HtmlElements (`_PARSER`; checked on the 181
    pages of the extraction benchmark).
    """
    beginning = html[:50].lower()
    if "html" not in beginning or any(mark in html for mark in _NOT_XML):
        return None
    first_lines = html[:4096].splitlines()[:4]
    if "doctype" in beginning and "/" in first_lines[0].split(">", 1)[0]:
        return None  # load_html may rewrite an XHTML doctype
    if any("<html" in line and line.endswith("/>") for line in first_lines):
        return None
    try:
        tree = lxml_html.fromstring(utf8, parser=_PARSER)
    except (etree.ParserError, ValueError):
        return None
    return tree if tree is not None and len(tree) >= 1 else None


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
