"""The page in: refused when it is empty, binary, JSON or not HTML; decoded once and parsed
into ONE lxml tree without scripts and styles.

>>> parse_tree(decode_page(b"<html><body><p>Xin ch\\xc3\\xa0o</p></body></html>", None), "u").findtext(".//p")
'Xin chào'
"""

from __future__ import annotations

import re

import lxml.etree
import lxml.html
from lxml.html import HtmlElement

from pipeline.errors import ExtractionError
from pipeline.extract.markup import JUNK_XPATH
from pipeline.extract.selectors import compiled_xpath
from pipeline.text.charset import decode_html

__all__ = ["check_bytes", "check_markup", "decode_page", "parse_tree"]

XML_DECLARATION_RE = re.compile(r"^\s*<\?xml[^>]*\?>")
HTML_TAG_RE = re.compile(r"<(?:html|body|head|div|p|article|h1|!doctype)\b", re.IGNORECASE)


def decode_page(page: str | bytes, http_charset: str | None) -> str:
    """The page as text (decoded once). Text repair happens on every string taken from the
    tree (``normalise_text`` / ``clean_inline``): repairing the whole 100 KB document, inline
    CSS and all, cost three times trafilatura's own run time."""
    if isinstance(page, bytes):
        check_bytes(page)
        text, _codec = decode_html(page, http_charset=http_charset)
    else:
        text = page
    check_markup(text)
    return text


def check_bytes(page: bytes) -> None:
    """Refuse empty and binary payloads before decoding them."""
    head = page[:2048]
    if not page.strip():
        raise ExtractionError("the page is empty; nothing to extract")
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ExtractionError("the page is binary, not HTML; pass an HTML file")


def check_markup(text: str) -> None:
    """Refuse text that is not HTML (JSON, plain text)."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped:
        raise ExtractionError("the page is empty; nothing to extract")
    if stripped[0] in "{[":
        raise ExtractionError("the page is JSON, not HTML; pass an HTML file")
    if not HTML_TAG_RE.search(stripped[:20000]):
        raise ExtractionError("the page is not HTML (no HTML tags found); pass an HTML file")


def parse_tree(html: str, url: str) -> HtmlElement:
    """One lxml tree of the page (an XML declaration is dropped: lxml refuses it in str input)."""
    try:
        tree = lxml.html.document_fromstring(XML_DECLARATION_RE.sub("", html, count=1))
    except (lxml.etree.ParserError, ValueError) as exc:
        raise ExtractionError(f"cannot parse {url} as HTML: {exc}") from None
    for junk in compiled_xpath(JUNK_XPATH)(tree):
        junk.drop_tree()
    return tree
