"""The page's JSON-LD: the first article-like object, and its text and author values.

>>> json_names([{"@type": "Person", "name": "Thu Hà"}, {"@type": "Organization", "name": "Báo"}])
['Thu Hà']
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from lxml.html import HtmlElement

from pipeline.text.normalise import clean_inline

__all__ = ["json_names", "json_text", "read_json_ld"]

ARTICLE_TYPES = frozenset(
    {"newsarticle", "article", "blogposting", "reportagenews", "analysisnewsarticle",
     "opinionnewsarticle", "webpage", "liveblogposting"}
)


def read_json_ld(tree: HtmlElement) -> dict[str, Any]:
    """The first article-like JSON-LD object of the page ({} when there is none)."""
    for script in tree.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        for node in walk_json_ld(data):
            kind = node.get("@type")
            kinds = kind if isinstance(kind, list) else [kind]
            if any(isinstance(k, str) and k.lower() in ARTICLE_TYPES for k in kinds) and (
                "datePublished" in node or "headline" in node
            ):
                return node
    return {}


def walk_json_ld(data: Any) -> Iterator[dict[str, Any]]:
    """Every object of a JSON-LD document, ``@graph`` members included."""
    if isinstance(data, list):
        for item in data:
            yield from walk_json_ld(item)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from walk_json_ld(data["@graph"])


def json_text(value: Any) -> str | None:
    """A JSON-LD text value (the first of a list), cleaned."""
    if isinstance(value, list):
        value = value[0] if value else None
    return clean_inline(value) if isinstance(value, str) else None


def json_names(value: Any) -> list[str]:
    """Author names of a JSON-LD ``author`` value (persons only: organisations are the paper)."""
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        if isinstance(item, dict) and item.get("@type") != "Organization":
            name = json_text(item.get("name"))
            if name:
                names.append(name)
        elif isinstance(item, str) and clean_inline(item):
            names.append(clean_inline(item) or "")
    return names
