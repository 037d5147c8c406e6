"""Charset detection and decoding of HTML bytes, cp1258 included.

Pure functions, no I/O: BOM, HTTP charset, ``<meta>`` charset, UTF-8, then cp1258 or
windows-1252, whichever reads as Vietnamese. A declaration the bytes contradict loses to them.

Example:
    >>> decode_html("<p>Hải Dương</p>".encode("utf-8"), http_charset="iso-8859-1")
    ('<p>Hải Dương</p>', 'utf-8')
"""

from __future__ import annotations

import codecs
import re
import unicodedata

__all__ = ["decode_html"]

BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
META_CHARSET_RE = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)"""
    rb"""|<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:\-]+)""",
    re.IGNORECASE,
)
# In cp1258 the tones are mostly combining marks (bytes CC, D2, DE, EC, F2) right after a vowel
# byte; in Western text those bytes (Ì Ò Þ ì ò) almost never follow a vowel.
CP1258_TONE_RE = re.compile(
    rb"[aeiouyAEIOUY\xe2\xea\xf4\xe3\xf5\xfd\xc2\xca\xd4\xc3\xd5\xdd][\xcc\xd2\xde\xec\xf2]"
)
HIGH_BYTE_RE = re.compile(rb"[\x80-\xff]")


def lookup_codec(label: str | None) -> str | None:
    """Python's codec name for a charset label, or None if unknown.

    As in browsers (WHATWG), latin-1 and ASCII labels mean windows-1252.
    """
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'").lower()).name
    except (LookupError, ValueError):
        return None
    return "cp1252" if name in {"iso8859-1", "latin-1", "ascii"} else name


def find_meta_charset(body: bytes) -> str | None:
    """The charset declared by ``<meta charset>``, ``http-equiv`` or an XML declaration."""
    match = META_CHARSET_RE.search(body[:4096])
    if match is None:
        return None
    label = match.group(1) or match.group(2)
    return label.decode("ascii", "replace")


def looks_cp1258(body: bytes) -> bool:
    """True when single-byte text is Vietnamese in cp1258: tone marks after vowels abound."""
    tones = len(CP1258_TONE_RE.findall(body))
    return tones > 0 and tones * 5 >= len(HIGH_BYTE_RE.findall(body))


def decode_single_byte(body: bytes) -> tuple[str, str]:
    """Decode bytes that are not UTF-8: cp1258 if they read as Vietnamese, else windows-1252."""
    if looks_cp1258(body):
        return unicodedata.normalize("NFC", body.decode("cp1258", "replace")), "cp1258"
    return body.decode("cp1252", "replace"), "cp1252"


def decode_mostly_utf8(body: bytes) -> str | None:
    """UTF-8 text when the bytes are UTF-8 but for a few broken sequences, else None."""
    text = body.decode("utf-8", "replace")
    broken = text.count("\ufffd") - body.decode("utf-8", "ignore").count("\ufffd")
    multibyte = sum(1 for c in text if ord(c) > 0x7F and c != "\ufffd")
    return text if broken * 50 <= multibyte and multibyte > 0 else None


def decode_declared(body: bytes, codec: str, utf8: str | None) -> tuple[str, str] | None:
    """Decode with a declared charset unless the bytes contradict the declaration."""
    if codec == "utf-8":
        if utf8 is not None:
            return utf8, "utf-8"
        mostly = decode_mostly_utf8(body)
        return (mostly, "utf-8") if mostly is not None else None
    if utf8 is not None and not utf8.isascii():
        # Valid multi-byte UTF-8 is practically never legacy single-byte text: trust the bytes.
        return utf8, "utf-8"
    if codec == "cp1252":
        # Old Vietnamese sites send cp1258 under a Western label; the letters tell them apart.
        return decode_single_byte(body)
    try:
        text = body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None
    # cp1258 spells most tones as combining marks; NFC makes them ordinary letters.
    return unicodedata.normalize("NFC", text) if codec == "cp1258" else text, codec


def decode_html(body: bytes, *, http_charset: str | None = None) -> tuple[str, str]:
    """Decode an HTML page; returns (text, Python codec name used). Never raises.

    Order: BOM, HTTP charset, ``<meta>`` charset in the first 4 KB, UTF-8, then cp1258 or
    windows-1252 (whichever reads as Vietnamese). A declaration contradicted by the bytes (a
    page declaring ISO-8859-1 that sends UTF-8) loses to the bytes.
    """
    for bom, codec in BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(codec, "replace"), codec
    try:
        utf8: str | None = body.decode("utf-8")
    except UnicodeDecodeError:
        utf8 = None
    for label in (http_charset, find_meta_charset(body)):
        declared = lookup_codec(label)
        if declared is None or declared.startswith(("utf-16", "utf-32")):
            continue  # an ASCII-compatible page cannot be UTF-16 whatever it says
        result = decode_declared(body, declared, utf8)
        if result is not None:
            return result
    if utf8 is not None:
        return utf8, "utf-8"
    mostly = decode_mostly_utf8(body)
    if mostly is not None:
        return mostly, "utf-8"
    return decode_single_byte(body)
