"""Feed bytes -> Items: RSS 0.9x/1.0/2.0, Atom 0.3/1.0 and JSON Feed 1.x.

Parsers only ever see bytes, never a URL or a path (feedparser fetches
anything that looks like a URL with blocking urllib). XML that declares
entities is refused before parsing.

XML takes a fast path: desk settles the charset itself (BOM, valid UTF-8, the
declared encoding, the HTTP charset, then windows-1252; never mojibake, never
an exception) and reads UTF-8 bytes with a strict lxml parser that loads and
expands nothing, some twenty times faster than feedparser. A document lxml
rejects (a bare ``&``, an undefined ``&nbsp;``, an unbound prefix...) goes to
feedparser, which is tolerant, and the feed gets a warning in words. The fast
path reproduces feedparser's titles, links, ids, dates and authors (its
element matching, xml:base handling and date parser included), so an item
keeps its identity whichever path read it.
"""

from __future__ import annotations

import calendar
import codecs
import contextlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from html import unescape
from typing import Any
from urllib.parse import urljoin

import feedparser
from feedparser.datetimes import _parse_date as _feedparser_date
from lxml import etree

from desk.core.models import Item, short_hash

_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
TITLE_MAX = 1000
"""Titles longer than this many characters are cut at a word and end in an ellipsis."""


class FeedParseError(ValueError):
    """The bytes are not a feed desk can read."""


@dataclass(frozen=True)
class ParsedFeed:
    """The items of one feed document, its title, and any warning."""

    title: str
    items: tuple[Item, ...]
    warning: str = ""


def parse_feed(
    body: bytes, feed_url: str, content_type: str = "", charset: str | None = None
) -> ParsedFeed:
    """Parse a feed document from bytes; raise FeedParseError if it is not one.

    `charset` is the one the HTTP Content-Type named, if any: it is used only
    when the document declares no encoding and is not UTF-8.
    """
    head = body[:2048].lstrip()
    if "json" in content_type or head.startswith(b"{"):
        return _parse_json_feed(body, feed_url)
    _refuse_entities(body)
    return _parse_xml_feed(body, feed_url, charset)


def plain_text(markup: str) -> str:
    """Markup stripped and entities decoded, on one line."""
    if "<" in markup:
        markup = _TAG.sub(" ", markup)
    if "&" in markup:
        markup = unescape(markup)
    return " ".join(markup.split())


def _refuse_entities(xml: bytes) -> None:
    if _ENTITY_DECL.search(xml[:65536]):
        raise FeedParseError("the XML declares entities, which desk refuses to expand")


def _title(markup: str) -> str:
    """A title as plain text, at most TITLE_MAX characters."""
    text = plain_text(markup)
    if len(text) <= TITLE_MAX:
        return text
    cut = text[: TITLE_MAX - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut[-80:] else cut).rstrip() + "…"


def _urljoin(base: str, uri: str) -> str:
    """urljoin as feedparser does it: extra slashes after the scheme dropped, '' if invalid."""
    if _PLAIN_HTTP_URL.fullmatch(uri):
        return uri  # what urljoin would return, six times faster
    uri = _URI_SLASHES.sub(r"\1\3", uri)
    try:
        return urljoin(base, uri)
    except ValueError:
        return ""


_URI_SLASHES = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*://)(/*)(.*?)")
# Absolute http(s) URLs that urljoin gives back unchanged: no whitespace, brackets or
# ';' (urlsplit strips, validates or re-splits those), no empty '?' or '#'.
_PLAIN_HTTP_URL = re.compile(
    r"https?://[^\s/?#;\[\]][^\s?#;\[\]]*(?:\?[^\s#;\[\]]+)?(?:#[^\s\[\]]+)?"
)


# --- charset ----------------------------------------------------------------

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']\s*([A-Za-z0-9._:-]+)""")
# What browsers do (WHATWG Encoding): legacy labels mean their supersets.
_SUPERSETS = {
    "ascii": "cp1252",
    "iso8859-1": "cp1252",
    "iso8859-9": "cp1254",
    "tis-620": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
    "big5": "big5hkscs",
}
_NOT_ASCII_COMPATIBLE = ("utf-16", "utf-32", "utf-7", "unicode", "raw_unicode", "idna", "punycode")
_STRAY_BYTE = re.compile("[\udc80-\udcff]")


def _utf8_document(body: bytes, charset: str | None) -> tuple[bytes, str]:
    """The XML as UTF-8 bytes that lxml reads as declared, and a note if the charset was guessed."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return _without_declaration(body[len(bom) :].decode(codec, "replace")), ""
    match = _DECLARED.match(body)
    label = match.group(1).decode("ascii") if match else ""
    declared = _codec(label)
    if _is_utf8(body):
        if label.lower() in ("", "utf-8", "utf8"):
            return body, ""  # lxml reads it as it is: the common case costs one validation
        wrong = f"declares {label} but is UTF-8" if not body.isascii() else ""
        return _without_declaration(body.decode("utf-8")), wrong
    text, codec, trusted = _decode_legacy(body, declared, _codec(charset or ""))
    if trusted:
        return _without_declaration(text), ""
    said = f"declares {label}" if label else "declares no encoding"
    return _without_declaration(text), f"{said} and is not UTF-8; read as {codec}"


def _codec(label: str) -> str:
    """Python's name for a charset label usable on an ASCII-compatible document, else ''."""
    try:
        label = label.strip().strip("\"'")
        name = codecs.lookup(label).name if label else ""
        b"<".decode(name or "ascii")
    except (LookupError, ValueError):
        return ""
    return "" if name.startswith(_NOT_ASCII_COMPATIBLE) else name


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _decode_legacy(body: bytes, declared: str, http: str) -> tuple[str, str, bool]:
    """Decode a document that is not UTF-8, and say whether its own labels were right.

    In order: the declared encoding, the HTTP charset (each as its WHATWG
    superset first), UTF-8 with a few stray bytes, windows-1252, latin-1.
    """
    for codec in _candidates(declared, http):
        try:
            return body.decode(codec), codec, True
        except UnicodeDecodeError:
            continue
    mixed = _utf8_with_strays(body)
    if mixed is not None:
        return mixed, "UTF-8 with stray windows-1252 bytes", False
    try:
        return body.decode("cp1252"), "windows-1252", False
    except UnicodeDecodeError:
        return body.decode("latin-1"), "latin-1", False


def _candidates(declared: str, http: str) -> Iterator[str]:
    seen = {"", "utf-8"}
    for codec in (_SUPERSETS.get(declared, ""), declared, _SUPERSETS.get(http, ""), http):
        if codec not in seen:
            seen.add(codec)
            yield codec


def _utf8_with_strays(body: bytes) -> str | None:
    """UTF-8 with a few stray single bytes (read as windows-1252), or None if mostly not UTF-8."""
    text = body.decode("utf-8", "surrogateescape")
    strays = len(_STRAY_BYTE.findall(text))
    if len(body) - len(text) <= strays:  # fewer valid multi-byte characters than stray bytes
        return None
    return _STRAY_BYTE.sub(lambda m: bytes([ord(m[0]) - 0xDC00]).decode("cp1252", "replace"), text)


def _without_declaration(text: str) -> bytes:
    return _XML_DECL.sub("", text, count=1).encode("utf-8")


# --- fast path: strict lxml ---------------------------------------------------


def _parse_xml_feed(body: bytes, feed_url: str, charset: str | None) -> ParsedFeed:
    stripped = body.lstrip()
    xml, note = _utf8_document(stripped, charset)
    if xml is not stripped:
        _refuse_entities(xml)  # again: a UTF-16 body hid its declarations from the first look
    parsed, malformed = _parse_strictly(xml, feed_url)
    if parsed is None:
        return _parse_leniently(xml, feed_url, _joined(note, malformed))
    return replace(parsed, warning=note)


def _parse_strictly(xml: bytes, feed_url: str) -> tuple[ParsedFeed | None, str]:
    """The fast path on UTF-8 XML: the feed, or None and why feedparser must read it instead.

    The reason is a warning for the feed, or '' when the document is
    well-formed but not RSS or Atom as desk reads them (feedparser knows more
    formats, or says why it is not a feed).
    """
    try:
        root = etree.fromstring(xml, _strict_parser())
    except (etree.LxmlError, ValueError) as exc:
        return None, _malformed(_lxml_reason(exc))
    if _uses_dtd_entities(root):
        return None, _malformed("entities from a DTD, which desk does not load")
    return _read_tree(root, feed_url), ""


def _malformed(reason: str) -> str:
    return f"malformed feed ({reason}); read with the tolerant parser"


class _NothingExternal(etree.Resolver):  # type: ignore[misc]
    """Answers every request for a DTD or an external entity with an empty document."""

    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:
        """Nothing is read from disk or network, whatever the document asks for."""
        return self.resolve_string("", context)


def _strict_parser() -> Any:
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
    message = _short(getattr(exc, "msg", None) or exc)
    for pattern, words in _LXML_REASONS:
        found = pattern.search(message)
        if found:
            line = getattr(exc, "lineno", None)
            return found.expand(words) + (f" at line {line}" if line else "")
    return message


def _joined(*notes: str) -> str:
    return "; ".join(note for note in notes if note)


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


def _read_tree(root: Any, feed_url: str) -> ParsedFeed | None:
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
    items = tuple(_read_entry(entry, _base(entry, head_base), feed_url, roles) for entry in entries)
    return ParsedFeed(_title(_repaired(title)), items)


_TEXT_ROLES = frozenset({"summary", "abstract", "content"})


def _fields(element: Any, roles: dict[Any, str]) -> dict[str, list[Any]]:
    """The element's children by role, in document order; summaries and contents under "text".

    `roles` remembers each tag's role for the document: an unknown namespace's
    role depends on its prefix, which one document does not vary.
    """
    fields: dict[str, list[Any]] = {}
    for child in element:
        tag = child.tag
        role = roles.get(tag)
        if role is None:
            role = roles[tag] = _role(child)
        if role:
            fields.setdefault("text" if role in _TEXT_ROLES else role, []).append(child)
    return fields


def _base(element: Any, parent: str) -> str:
    """The base URI inside an element: its xml:base resolved as feedparser does."""
    rel = element.get(_XML_BASE) or element.get("base")
    if not rel:
        return parent
    if not parent:
        return _urljoin("", rel)
    uri = _urljoin(parent, rel)
    return uri if uri.strip().split(":", 1)[0] in _SAFE_SCHEMES else parent


def _read_entry(entry: Any, base: str, feed_url: str, roles: dict[Any, str]) -> Item:
    """One item or entry, normalised like feedparser's entry plus desk's rules."""
    fields = _fields(entry, roles)
    title = _first_title(fields.get("title", []))
    if not title:  # feedparser falls back on a media:title at any depth
        title = _first_title(_descendants(entry, "media_title"))
    link = _link(fields, base)
    url = _urljoin(feed_url, link) if link else ""
    published = _last_date(fields.get("published"))
    updated = _last_date(fields.get("updated"))
    summary, content = _texts(fields.get("text", []), roles)
    if not summary and not content:  # YouTube: the text is in media:group/media:description
        summary = next((_markup(el) for el in _descendants(entry, "summary")), "")
    clean_title = _title(_repaired(title))
    ident = _ident(fields, entry, base) or url
    return Item(
        feed_url=feed_url,
        id=ident or short_hash(clean_title, str(published or updated or "")),
        url=url,
        title=clean_title,
        summary=summary,
        content=content,
        published=published or updated,
        updated=updated,
        authors=tuple(name for child in fields.get("author", []) if (name := _author(child))),
    )


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
        return str(element.text or "")
    children = "".join(etree.tostring(child, encoding=str, with_tail=True) for child in element)
    return str(element.text or "") + _XMLNS.sub("", children)


_XMLNS = re.compile(r"""\sxmlns(?::\w+)?=(?:"[^"]*"|'[^']*')""")


def _text(element: Any) -> str:
    return ("".join(element.itertext()) if len(element) else str(element.text or "")).strip()


def _link(fields: dict[str, list[Any]], base: str) -> str:
    """The last link element that names the page, else the first guid that is a permalink."""
    link: str | None = None
    for element in fields.get("link", []):
        link = _link_value(element, base, link)
    if link is None:
        permalinks = (el for el in fields.get("id", []) if _is_permalink(el))
        link = next((_resolved_id(el, base) for el in permalinks), None)
    return link or ""


def _link_value(element: Any, base: str, current: str | None) -> str | None:
    """An RSS <link>'s text, or an Atom <link>'s href if it is rel=alternate to an HTML page."""
    base = _base(element, base)
    href = _attr(element, "url", "uri", "href")
    if href is None:
        text = _text(element)
        text = _urljoin(base, text) if text else ""
        return _AMP_ENTITY.sub(r"&\1", text.replace("&amp;", "&")) if "&" in text else text
    rel = (_attr(element, "rel") or "alternate").lower()
    default_type = "application/atom+xml" if rel == "self" else "text/html"
    kind = _content_type(_attr(element, "type") or default_type)
    if rel == "alternate" and kind in _HTML_TYPES:
        return _urljoin(base, href)
    return current


_AMP_ENTITY = re.compile(r"&([A-Za-z0-9_]+);")


def _attr(element: Any, *names: str) -> str | None:
    """The first of the named attributes present, matched without regard to case."""
    keys = element.keys()
    if not keys:
        return None
    attributes = {key.lower(): element.get(key) for key in keys}
    for name in names:
        if name in attributes:
            return str(attributes[name])
    return None


def _content_type(value: str) -> str:
    kind = value.lower()
    return {"text": "text/plain", "plain": "text/plain", "html": "text/html"}.get(
        kind, "application/xhtml+xml" if kind == "xhtml" else kind
    )


def _is_permalink(element: Any) -> bool:
    return (_attr(element, "ispermalink") or "true") == "true"


def _resolved_id(element: Any, base: str) -> str:
    """A guid or id; resolved against the base unless isPermaLink="false" (feedparser does)."""
    value = _text(element)
    return _urljoin(_base(element, base), value) if value and _is_permalink(element) else value


def _ident(fields: dict[str, list[Any]], entry: Any, base: str) -> str:
    """The last guid or id, else RSS 1.0's rdf:about."""
    ids = fields.get("id")
    if ids:
        return _resolved_id(ids[-1], base)
    return str(entry.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about") or "")


def _last_date(elements: list[Any] | None) -> datetime | None:
    """feedparser keeps the last date element of a kind, even when it does not parse."""
    return parse_date(_text(elements[-1])) if elements else None


def _texts(elements: list[Any], roles: dict[Any, str]) -> tuple[str, str]:
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
    return _SCRIPT_OR_STYLE.sub("", _inner(element).strip())


_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


_EMAIL = re.compile(
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
    """feedparser's two repairs: UTF-8 read as latin-1 decoded again, C1 controls as cp1252."""
    if text.isascii():
        return text
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        text = text.encode("latin-1").decode("utf-8")
    return text.translate(_CP1252_C1)


# --- dates --------------------------------------------------------------------

_RFC822 = re.compile(
    r"^(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+)?(\d{1,2})\s+"
    r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\s+(\d{4})\s+"
    r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s+(?:([+-]\d{2}):?(\d{2})|(gmt|ut|utc|z|[ecmp][sd]t))$",
    re.IGNORECASE,
)
_ISO8601 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?"
    r"([Zz]|[+-]\d{2}:?\d{2})?)?$"
)
_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
_ZONES = {"gmt": 0, "ut": 0, "utc": 0, "z": 0, "edt": -4, "est": -5, "cdt": -5, "cst": -6}
_ZONES |= {"mdt": -6, "mst": -7, "pdt": -7, "pst": -8}


def parse_date(value: str) -> datetime | None:
    """An RSS, Atom or Dublin Core date in UTC, or None if it cannot be read.

    The usual RFC 822 and RFC 3339 forms are read here; anything else goes to
    feedparser's date parser (two-digit years, swapped day and month, other
    languages...), so both parsing paths agree.
    """
    text = value.strip()
    if not text:
        return None
    try:
        found = _rfc822(text) or _iso8601(text)
    except (ValueError, OverflowError):
        found = None
    return found or _struct_time(_feedparser_parse_date(text))


def _feedparser_parse_date(text: str) -> Any:
    """feedparser's many date handlers; whatever one of them raises means "no date"."""
    try:
        return _feedparser_date(text)
    except Exception:
        return None


def _rfc822(text: str) -> datetime | None:
    match = _RFC822.match(text)
    if not match:
        return None
    day, month, year, hour, minute, second, zone_hours, zone_minutes, zone = match.groups()
    offset = _ZONES[zone.lower()] * 60 if zone else _offset_minutes(zone_hours, zone_minutes)
    month_number = _MONTHS[month[:3].lower()]
    stamp = datetime(int(year), month_number, int(day), int(hour), int(minute), int(second or 0))
    return _utc(stamp, offset)


def _iso8601(text: str) -> datetime | None:
    match = _ISO8601.match(text)
    if not match:
        return None
    year, month, day, hour, minute, second, zone = match.groups()
    offset = _offset_minutes(zone[:3], zone[-2:]) if zone and zone not in "Zz" else 0
    hms = (int(hour or 0), int(minute or 0), int(second or 0))
    return _utc(datetime(int(year), int(month), int(day), *hms), offset)


def _offset_minutes(signed_hours: str, minutes: str) -> int:
    """+05 30 -> 330, -03 30 -> -210."""
    sign = -1 if signed_hours[0] == "-" else 1
    return sign * (abs(int(signed_hours)) * 60 + int(minutes))


def _utc(local: datetime, offset_minutes: int) -> datetime:
    """A local time that is offset_minutes ahead of UTC, in UTC."""
    stamp = local.replace(tzinfo=UTC)
    return stamp - timedelta(minutes=offset_minutes) if offset_minutes else stamp


def _struct_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, TypeError):
        return None


# --- fallback: feedparser -------------------------------------------------------


def _parse_leniently(xml: bytes, feed_url: str, warning: str = "") -> ParsedFeed:
    """feedparser on the UTF-8 document: tolerant of what lxml rejects, and twenty times slower."""
    headers = {"content-location": feed_url, "content-type": "application/xml"}
    try:
        parsed = feedparser.parse(xml, response_headers=headers)
    except Exception as exc:  # its tolerant parser has bugs of its own on broken input
        raise FeedParseError(f"not a feed (feedparser failed: {_short(exc)})") from None
    if not parsed.entries and not parsed.feed.get("title"):
        reason = parsed.get("bozo_exception") or "no feed found"
        raise FeedParseError(f"not a feed ({_short(reason)})")
    items = tuple(_item_from_entry(entry, feed_url) for entry in parsed.entries)
    if not warning and parsed.bozo:
        warning = f"malformed feed: {_short(parsed.bozo_exception)}"
    return ParsedFeed(_title(parsed.feed.get("title", "")), items, warning)


def _short(reason: object) -> str:
    text = str(reason).strip().splitlines()[0] if str(reason).strip() else type(reason).__name__
    return text[:160]


def _item_from_entry(entry: Any, feed_url: str) -> Item:
    raw_link = entry.get("link", "") or ""
    link = _urljoin(feed_url, raw_link) if raw_link else ""
    title = _title(entry.get("title", ""))
    # dict.get skips feedparser's deprecated updated->published fallback mapping.
    published = _struct_time(dict.get(entry, "published_parsed"))
    updated = _struct_time(dict.get(entry, "updated_parsed"))
    content = "\n".join(part.get("value", "") for part in entry.get("content", []) or [])
    authors = tuple(a.get("name", "") for a in entry.get("authors", []) if a.get("name"))
    ident = entry.get("id") or link or short_hash(title, str(published or updated or ""))
    return Item(
        feed_url=feed_url,
        id=str(ident),
        url=link,
        title=title,
        summary=entry.get("summary", "") or "",
        content=content,
        published=published or updated,
        updated=updated,
        authors=authors,
    )


# --- JSON Feed ------------------------------------------------------------------


def _parse_json_feed(body: bytes, feed_url: str) -> ParsedFeed:
    try:
        doc = json.loads(body.decode("utf-8-sig", errors="replace"))
    except json.JSONDecodeError as exc:
        raise FeedParseError(f"invalid JSON at line {exc.lineno} col {exc.colno}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise FeedParseError("JSON without an 'items' list is not a JSON Feed")
    items = tuple(
        _item_from_json(entry, feed_url) for entry in doc["items"] if isinstance(entry, dict)
    )
    skipped = len(doc["items"]) - len(items)
    warning = f"{skipped} malformed items skipped" if skipped else ""
    return ParsedFeed(_title(str(doc.get("title", ""))), items, warning)


def _item_from_json(entry: dict[str, Any], feed_url: str) -> Item:
    raw_link = str(entry.get("url") or entry.get("external_url") or "")
    link = _urljoin(feed_url, raw_link) if raw_link else ""
    title = _title(str(entry.get("title") or ""))
    published = _iso_date(entry.get("date_published"))
    updated = _iso_date(entry.get("date_modified"))
    authors = entry.get("authors") or ([entry["author"]] if entry.get("author") else [])
    names = tuple(str(a.get("name")) for a in authors if isinstance(a, dict) and a.get("name"))
    ident = entry.get("id") or link or short_hash(title, str(published or ""))
    return Item(
        feed_url=feed_url,
        id=str(ident),
        url=link,
        title=title,
        summary=str(entry.get("summary") or ""),
        content=str(entry.get("content_html") or entry.get("content_text") or ""),
        published=published or updated,
        updated=updated,
        authors=names,
    )


def _iso_date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
