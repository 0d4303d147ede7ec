"""trafilatura's regex tests on id and class asked only of elements that have the attribute.

trafilatura finds a page's main content and discards its furniture with
XPath expressions whose `re:test(@class, '...')` calls lxml runs as a
Python call per element, whether or not the element has a class: about a
third of the 1.1 ms a news page spends in OVERALL_DISCARD_XPATH, and of
BODY_XPATH's, goes to elements with no such attribute. With no attribute,
re:test tests the empty string; for a pattern that cannot match the empty
string the answer is false, so `re:test(@class, 'p')` is rewritten
`(@class and re:test(@class, 'p'))`, which XPath's `and` leaves unasked
when the element has no class. Patterns that match the empty string are
left as they are. The same nodes, in the same order, on every expression
(by construction; checked on the 181 pages of the extraction benchmark and
in tests).
"""

from __future__ import annotations

import re

from lxml import etree

GUARDED = ("BODY_XPATH", "OVERALL_DISCARD_XPATH")
"""The lists of trafilatura.xpaths rewritten: the ones desk's extraction runs on every page."""
_REGEXP_NS = "http://exslt.org/regular-expressions"
_RE_TEST = re.compile(r"re:test\((@[\w-]+(?:\|@[\w-]+)*), '([^']*)'(?:, '([^']*)')?\)")
_INSTALLED = "_desk_guarded"
ORIGINALS: dict[str, list[etree.XPath]] = {}
"""Each guarded list's expressions as trafilatura wrote them (for tests and comparison)."""


def install() -> bool:
    """Rewrite the GUARDED lists' expressions in place; False (nothing changed) if one is missing.

    Idempotent; call after importing trafilatura, in each process that extracts.
    """
    from trafilatura import xpaths

    if getattr(xpaths, _INSTALLED, False):
        return True
    lists = {name: getattr(xpaths, name, None) for name in GUARDED}
    if not all(isinstance(found, list) for found in lists.values()):
        return False
    for name, expressions in lists.items():
        assert isinstance(expressions, list)
        ORIGINALS[name] = list(expressions)
        expressions[:] = [guarded(expression) for expression in expressions]
    setattr(xpaths, _INSTALLED, True)
    return True


def guarded(expression: etree.XPath) -> etree.XPath:
    """The expression with each re:test that cannot match '' asked only when its nodes exist."""
    path = _RE_TEST.sub(_guard, expression.path)
    if path == expression.path:
        return expression
    return etree.XPath(path, namespaces={"re": _REGEXP_NS})


def _guard(call: re.Match[str]) -> str:
    nodes, pattern, flags = call.group(1), call.group(2), call.group(3) or ""
    compiled = re.compile(pattern, re.IGNORECASE if "i" in flags else 0)
    if compiled.search("") is not None:
        return call.group(0)  # true for an element without the attribute: must be asked
    return f"({nodes} and {call.group(0)})"
