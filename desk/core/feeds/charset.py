"""A feed document's charset, decided: bytes of unknown encoding -> UTF-8 XML.

desk settles the charset itself rather than trusting any one label: a BOM,
then valid UTF-8, then the declared encoding, then the HTTP charset (each
read as its WHATWG superset), then UTF-8 with stray bytes, windows-1252 and
latin-1. The result is never mojibake and never an exception, and a guess
comes back with a note in words for the feed's warning.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator

from desk.core.safetext import safe_text

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


def utf8_document(body: bytes, charset: str | None) -> tuple[bytes, str]:
    """The XML as UTF-8 bytes that lxml reads as declared, and a note if the charset was guessed.

    `charset` is the one the HTTP Content-Type named, if any.
    """
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return _without_declaration(body[len(bom) :].decode(codec, "replace")), ""
    match = _DECLARED.match(body)
    label = match.group(1).decode("ascii") if match else ""
    if _is_utf8(body):
        if label.lower() in ("", "utf-8", "utf8"):
            return body, ""  # lxml reads it as it is: the common case costs one validation
        wrong = f"declares {label} but is UTF-8" if not body.isascii() else ""
        return _without_declaration(body.decode("utf-8")), wrong
    text, codec, trusted = _decode_legacy(body, _codec(label), _codec(charset or ""))
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


def decode_text(body: bytes, charset: str | None = None) -> str:
    """Bytes of a page or text file as safe text: the given charset, else UTF-8, else cp1252.

    Never raises: a wrong or unknown charset falls through to the next guess.
    The text is made safe here (`safe_text`), before any parser sees it: the
    HTML parser drops an escape's ESC but keeps its payload as text.
    """
    return safe_text(_decoded(body, charset))


def _decoded(body: bytes, charset: str | None) -> str:
    for encoding in (charset, "utf-8"):
        if encoding:
            try:
                return body.decode(_codec(encoding))
            except (LookupError, UnicodeDecodeError):
                continue
    return body.decode("cp1252", errors="replace")
