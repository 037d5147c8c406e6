"""Parsing helpers shared by discovery: tolerant HTML parsing and absolute links."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

import lxml.etree as etree
import lxml.html

__all__ = ["absolute_url", "parse_html"]


def parse_html(html: str | bytes) -> Any | None:
    """The lxml document of a page, None for an empty or unparsable one."""
    if not html or not html.strip():
        return None
    try:
        return lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None


def absolute_url(base_url: str, href: str) -> str:
    """``href`` resolved against ``base_url``; ``href`` itself when it cannot be."""
    try:
        return urljoin(base_url, href.strip())
    except ValueError:
        return href
