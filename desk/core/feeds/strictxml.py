"""The strict lxml reader: well-formed RSS and Atom (UTF-8 XML) -> a title and Items.

A parser that loads and expands nothing reads the tree, some twenty times
faster than feedparser. The reader reproduces feedparser's titles, links,
ids, dates and authors (its element matching, xml:base handling, date
parser and text repairs included), so an item keeps its identity whichever
path read its feed. A document lxml rejects raises MalformedXML, in words,
and goes to the tolerant parser instead (see feeds).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import lru_cache
from typing import Any

import re2
from lxml import etree

from desk.core.feeds.dates import parse_date
from desk.core.feeds.text import author_names, clean_title, fallback_id, join_url, short_reason
from desk.core.models import Item
from desk.core.safetext import without_sequences

FeedTree = tuple[str, tuple[Item, ...]]
"""A feed's title and its items, as the strict reader found them."""


class MalformedXML(ValueError):
    """lxml's strict parser rejects the document (or it needs a DTD); the message says why."""


def read_strictly(xml: bytes, feed_url: str) -> FeedTree | None:
    """RSS or Atom from UTF-8 XML; None if it is well-formed but neither, or empty.

    Raises MalformedXML when the strict parser will not read the document as
    it stands: a bare '&', an undefined entity, an unbound prefix...
    """
    try:
        root = etree.fromstring(xml, strict_parser())
    except (etree.LxmlError, ValueError) as exc:
        raise MalformedXML(_lxml_reason(exc)) from None
    if _uses_dtd_entities(root):
        raise MalformedXML("entities from a DTD, which desk does not load")
    return _read_tree(root, feed_url)


# --- a parser that loads nothing ------------------------------------------------


class _NothingExternal(etree.Resolver):  # type: ignore[misc]
    """Answers every request for a DTD or an external entity with an empty document."""

    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:
        """Nothing is read from disk or network, whatever the document asks for."""
        return self.resolve_string("", context)


def strict_parser() -> Any:
    """A parser that loads nothing, expands no entity and stops at the first error."""
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        recover=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )
    parser.resolvers.add(_NothingExternal())
    return parser


def _uses_dtd_entities(root: Any) -> bool:
    """Entity references left unexpanded because they come from an external DTD (RSS 0.91's)."""
    if not root.getroottree().docinfo.doctype:
        return False
    return next(root.iter(etree.Entity), None) is not None


_LXML_REASONS = (
    (re.compile(r"xmlParseEntityRef: no name"), "a bare '&'"),
    (re.compile(r"Entity '(\w+)' not defined"), r"undefined entity &\1;"),
    (re.compile(r"Namespace prefix (\S+) .*not defined"), r"undeclared namespace prefix '\1'"),
)


def _lxml_reason(exc: Exception) -> str:
    """lxml's complaint in words, with its line number."""
    message = short_reason(getattr(exc, "msg", None) or exc)
    for pattern, words in _LXML_REASONS:
        found = pattern.search(message)
        if found:
            line = getattr(exc, "lineno", None)
            return found.expand(words) + (f" at line {line}" if line else "")
    return message


# --- reading the tree ---------------------------------------------------------

# Element names are matched as feedparser matches them: namespace URIs mapped to
# its standard prefixes (an unknown URI keeps the document's prefix), names
# lower-cased, RSS and Atom namespaces all meaning "no prefix".
_NAMESPACES = {
    "http://backend.userland.com/rss": "",
    "http://blogs.law.harvard.edu/tech/rss": "",
    "http://purl.org/rss/1.0/": "",
    "http://my.netscape.com/rdf/simple/0.9/": "",
    "http://purl.org/atom/ns#": "",
    "http://www.w3.org/2005/atom": "",
    "http://purl.org/rss/1.0/modules/rss091#": "",
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://purl.org/dc/terms/": "dcterms",
    "http://www.itunes.com/dtds/podcast-1.0.dtd": "itunes",
    "http://example.com/dtds/podcast-1.0.dtd": "itunes",
    "http://search.yahoo.com/mrss": "media",
    "http://search.yahoo.com/mrss/": "media",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf",
    "http://www.w3.org/1999/xhtml": "xhtml",
}
_ROLES = {
    "rss": "rss",
    "rdf:rdf": "rss",
    "feed": "feed",
    "channel": "channel",
    "item": "item",
    "entry": "item",
    "title": "title",
    "dc:title": "title",
    "media:title": "media_title",
    "link": "link",
    "guid": "id",
    "id": "id",
    "pubdate": "published",
    "published": "published",
    "issued": "published",
    "dcterms:issued": "published",
    "updated": "updated",
    "modified": "updated",
    "lastbuilddate": "updated",
    "dc:date": "updated",
    "dcterms:modified": "updated",
    "description": "summary",
    "summary": "summary",
    "dc:description": "summary",
    "itunes:summary": "summary",
    "media:description": "summary",
    "abstract": "abstract",
    "content:encoded": "content",
    "content": "content",
    "body": "content",
    "xhtml:body": "content",
    "fullitem": "content",
    "author": "author",
    "dc:creator": "author",
    "dc:author": "author",
    "itunes:author": "author",
    "managingeditor": "author",
    "name": "name",
    "itunes:name": "name",
}
_UNKNOWN_NAMESPACE = "?"
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_COPIED_TO_SUMMARY = {"text/plain"} | _HTML_TYPES
_SAFE_SCHEMES = frozenset(
    "file ftp gopher h323 hdl http https imap magnet mailto mms news nntp prospero rsync rtsp "
    "rtspu sftp shttp sip sips snews svn svn+ssh telnet wais aim callto cvs facetime feed git "
    "gtalk irc ircs irc6 itms msnim skype ssh smb ymsg".split()
)


@lru_cache(maxsize=2048)
def _role_of_tag(tag: str) -> str:
    """The role of an element named in a namespace desk knows, else '?' or ''."""
    namespace, _, local = tag[1:].partition("}") if tag[:1] == "{" else ("", "", tag)
    namespace = namespace.lower()
    if "backend.userland.com/rss" in namespace:
        namespace = "http://backend.userland.com/rss"
    if namespace and namespace not in _NAMESPACES:
        return _UNKNOWN_NAMESPACE
    prefix = _NAMESPACES.get(namespace, "")
    return _ROLES.get(f"{prefix}:{local.lower()}" if prefix else local.lower(), "")


def _role(element: Any) -> str:
    """What an element means to desk: 'title', 'link', 'item'... or ''."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    role = _role_of_tag(tag)
    if role != _UNKNOWN_NAMESPACE:
        return role
    local = tag.partition("}")[2].lower()
    return _ROLES.get(f"{element.prefix}:{local}" if element.prefix else local, "")


def _read_tree(root: Any, feed_url: str) -> FeedTree | None:
    """RSS or Atom read from a well-formed tree; None if the tree is neither, or empty."""
    if _role(root) not in ("rss", "feed"):
        return None
    roles: dict[Any, str] = {}  # role by tag, for this document (see _fields)
    top = _fields(root, roles)
    channel = top.get("channel", [None])[0]
    base = _base(root, feed_url)
    head = _fields(channel, roles) if channel is not None else top
    head_base = base if channel is None else _base(channel, base)
    entries = head.get("item", []) + (top.get("item", []) if channel is not None else [])
    title = _first_title(head.get("title", []))
    if not entries and not title:
        return None
    items = tuple(
        [_read_entry(entry, _base(entry, head_base), feed_url, roles) for entry in entries]
    )
    return clean_title(_repaired(title)), items


_TEXT_ROLES = frozenset({"summary", "abstract", "content"})


def _fields(element: Any, roles: dict[Any, str]) -> dict[str, list[Any]]:
    """The element's children by role, in document order; summaries and contents under "text".

    `roles` remembers each tag's role for the document: an unknown namespace's
    role depends on its prefix, which one document does not vary.
    """
    fields: dict[str, list[Any]] = {}
    for child in element[:]:  # a slice lists the children twice as fast as iterating
        tag = child.tag
        role = roles.get(tag)
        if role is None:
            role = roles[tag] = _role(child)
        if not role:
            continue
        field = "text" if role in _TEXT_ROLES else role
        found = fields.get(field)
        if found is None:
            fields[field] = [child]
        else:
            found.append(child)
    return fields


def _base(element: Any, parent: str) -> str:
    """The base URI inside an element: its xml:base resolved as feedparser does."""
    if not element.keys():  # most elements have no attributes, so no base of their own
        return parent
    rel = element.get(_XML_BASE) or element.get("base")
    if not rel:
        return parent
    if not parent:
        return join_url("", rel)
    uri = join_url(parent, rel)
    return uri if uri.strip().split(":", 1)[0] in _SAFE_SCHEMES else parent


def _read_entry(entry: Any, base: str, feed_url: str, roles: dict[Any, str]) -> Item:
    """One item or entry, normalised like feedparser's entry plus desk's rules."""
    fields = _fields(entry, roles)
    title = clean_title(_repaired(_entry_title(fields, entry)))
    link = _link(fields, base)
    url = join_url(feed_url, link) if link else ""
    published = _last_date(fields.get("published"))
    updated = _last_date(fields.get("updated"))
    summary, content = _entry_texts(fields, entry, roles)
    ident = _ident(fields, entry, base) or url
    return Item(
        feed_url=feed_url,
        id=ident or fallback_id(title, published or updated, summary, content),
        url=url,
        title=title,
        summary=summary,
        content=content,
        published=published or updated,
        updated=updated,
        authors=_authors(fields.get("author")),
    )


def _authors(elements: list[Any] | None) -> tuple[str, ...]:
    """The names of the entry's authors that have one."""
    return author_names(_author(element) for element in elements or ())


def _entry_title(fields: dict[str, list[Any]], entry: Any) -> str:
    """The entry's first title that is not empty, else a media:title at any depth (feedparser's)."""
    return _first_title(fields.get("title", ())) or _first_title(_descendants(entry, "media_title"))


def _entry_texts(
    fields: dict[str, list[Any]], entry: Any, roles: dict[Any, str]
) -> tuple[str, str]:
    """Summary and content; with neither, a media:description at any depth (YouTube's)."""
    summary, content = _texts(fields.get("text", ()), roles)
    if not summary and not content:
        summary = next((_markup(el) for el in _descendants(entry, "summary")), "")
    return summary, content


def _first_title(elements: Iterable[Any]) -> str:
    """feedparser keeps the first title that is not empty."""
    for element in elements:
        markup = _inner(element).strip()
        if markup:
            return markup
    return ""


def _descendants(entry: Any, role: str) -> Iterator[Any]:
    """Elements of a role below the entry's children (not in its source): a last resort."""
    for child in entry:  # rare, so roles are not memoised here
        for element in child.iterdescendants():
            if _role(element) == role and not _in_source(element, entry):
                yield element


def _in_source(element: Any, entry: Any) -> bool:
    parent = element.getparent()
    while parent is not None and parent is not entry:
        if isinstance(parent.tag, str) and parent.tag.rpartition("}")[2].lower() == "source":
            return True
        parent = parent.getparent()
    return False


def _inner(element: Any) -> str:
    """The element's content: its text, with any child elements kept as markup."""
    if not len(element):
        return element.text or ""
    children = "".join(etree.tostring(child, encoding=str, with_tail=True) for child in element)
    return str(element.text or "") + _XMLNS.sub("", children)


_XMLNS = re.compile(r"""\sxmlns(?::\w+)?=(?:"[^"]*"|'[^']*')""")


def _text(element: Any) -> str:
    """The element's text and its descendants', stripped."""
    if len(element):
        return "".join(element.itertext()).strip()
    return (element.text or "").strip()


def _link(fields: dict[str, list[Any]], base: str) -> str:
    """The last link element that names the page, else the first guid that is a permalink."""
    link: str | None = None
    for element in fields.get("link", ()):
        link = _link_value(element, base, link)
    if link is None:
        permalinks = (el for el in fields.get("id", ()) if _is_permalink(el))
        link = next((_resolved_id(el, base) for el in permalinks), None)
    return link or ""


def _link_value(element: Any, base: str, current: str | None) -> str | None:
    """An RSS <link>'s text, or an Atom <link>'s href if it is rel=alternate to an HTML page."""
    if not element.keys():  # RSS's: no href, and no xml:base of its own
        return _link_text(element, base)
    base = _base(element, base)
    href = _attr(element, "url", "uri", "href")
    if href is None:
        return _link_text(element, base)
    rel = (_attr(element, "rel") or "alternate").lower()
    default_type = "application/atom+xml" if rel == "self" else "text/html"
    kind = _content_type(_attr(element, "type") or default_type)
    if rel == "alternate" and kind in _HTML_TYPES:
        return join_url(base, href)
    return current


def _link_text(element: Any, base: str) -> str:
    """A link written as text, resolved against the base, with "&amp;" read as feedparser reads it."""
    text = _text(element)
    text = join_url(base, text) if text else ""
    return _AMP_ENTITY.sub(r"&\1", text.replace("&amp;", "&")) if "&" in text else text


_AMP_ENTITY = re.compile(r"&([A-Za-z0-9_]+);")


def _attr(element: Any, *names: str) -> str | None:
    """The first of the named attributes present, matched without regard to case."""
    attributes = element.items()
    if not attributes:
        return None
    for name in names:
        for key, value in reversed(attributes):  # of two spellings of a name, the last counts
            if key.lower() == name:
                return str(value)
    return None


_SHORT_TYPES = {
    "text": "text/plain",
    "plain": "text/plain",
    "html": "text/html",
    "xhtml": "application/xhtml+xml",
}


def _content_type(value: str) -> str:
    """A content type as a MIME type: Atom's 'text', 'html' and 'xhtml' spelt out."""
    kind = value.lower()
    return _SHORT_TYPES.get(kind, kind)


def _is_permalink(element: Any) -> bool:
    return (_attr(element, "ispermalink") or "true") == "true"


def _resolved_id(element: Any, base: str) -> str:
    """A guid or id; resolved against the base unless isPermaLink="false" (feedparser does)."""
    value = _text(element)
    return join_url(_base(element, base), value) if value and _is_permalink(element) else value


def _ident(fields: dict[str, list[Any]], entry: Any, base: str) -> str:
    """The last guid or id, else RSS 1.0's rdf:about."""
    ids = fields.get("id")
    if ids:
        return _resolved_id(ids[-1], base)
    return str(entry.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about") or "")


def _last_date(elements: list[Any] | None) -> datetime | None:
    """feedparser keeps the last date element of a kind, even when it does not parse."""
    return parse_date(_text(elements[-1])) if elements else None


def _texts(elements: Iterable[Any], roles: dict[Any, str]) -> tuple[str, str]:
    """Summary and content as feedparser fills them: a second summary becomes content."""
    summary: str | None = None
    contents: list[str] = []
    for element in elements:
        role = roles[element.tag]
        if role == "summary" and summary is not None and not contents:
            contents.append(_markup(element))
        elif role in ("summary", "abstract"):
            summary = _markup(element)
        else:
            contents.append(_markup(element))
            kind = _content_type(_attr(element, "type") or "text/html")
            if summary is None and kind in _COPIED_TO_SUMMARY:
                summary = contents[-1]
    return summary or "", "\n".join(contents)


def _markup(element: Any) -> str:
    """Text or HTML content without scripts and styles; Atom xhtml without its wrapping <div>."""
    if len(element) == 1 and not (element.text or "").strip():
        child = element[0]
        wrapped = isinstance(child.tag, str) and child.tag.rpartition("}")[2] == "div"
        if wrapped and not (child.tail or "").strip():
            element = child
    return _without_scripts(_inner(element).strip())


_SCRIPT_OR_STYLE = re2.compile(r"(?is)<script\b.*?</script\s*>|<style\b.*?</style\s*>")
"""RE2: an unclosed one costs linear time (quadratic with Python's re: 2 s at 100,000)."""


def _without_scripts(markup: str) -> str:
    """The markup without its <script> and <style> elements (plain text, as it is)."""
    if "<" not in markup:  # found by memchr, many times faster than the regex's search
        return markup
    return str(_SCRIPT_OR_STYLE.sub("", markup))


_EMAIL = re2.compile(  # RE2: "a"*50,000 + "@" took 10 s with Python's re
    r"(([a-zA-Z0-9\_\-\.\+]+)@((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.)|(([a-zA-Z0-9\-]+\.)+))"
    r"([a-zA-Z]{2,4}|[0-9]{1,3})(\]?))(\?subject=\S+)?"
)


def _author(element: Any) -> str:
    """An author's name: Atom's <name>, or RSS "email (Name)" / "Name <email>" without the email."""
    if len(element):
        names = [child for child in element if _role(child) == "name"]
        return _repaired(_text(names[-1])) if names else ""
    text = _text(element)
    email = _EMAIL.search(text) if "@" in text else None
    if email:
        text = text.replace(email.group(0), "").replace("()", "").replace("<>", "")
        text = text.replace("&lt;&gt;", "").strip()
        text = text[1:] if text.startswith("(") else text
        text = text[:-1] if text.endswith(")") else text
    return _repaired(text.strip())


_CP1252_C1 = {
    code: bytes([code]).decode("cp1252")
    for code in range(0x80, 0xA0)
    if code not in {0x81, 0x8D, 0x8F, 0x90, 0x9D}
}


def _repaired(text: str) -> str:
    """feedparser's two repairs: UTF-8 read as latin-1 decoded again, C1 controls as cp1252.

    An 8-bit escape sequence goes first, with its payload: only a lone C1
    control is a cp1252 character that lost its way.
    """
    if text.isascii():
        return text
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        text = text.encode("latin-1").decode("utf-8")
    return without_sequences(text).translate(_CP1252_C1)
