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

__all__ = ["json_names", "json_text", "read_json_ld", "walk_json_ld"]

# How deep a JSON-LD document is read (lists and ``@graph`` levels): real pages use two or
# three; a hostile one nests a thousand, which must cost nothing and raise nothing.
MAX_DEPTH = 16
# How many objects of one document are looked at, at most.
MAX_NODES = 1000

ARTICLE_TYPES = frozenset(
    {"newsarticle", "article", "blogposting", "reportagenews", "analysisnewsarticle",
     "opinionnewsarticle", "webpage", "liveblogposting"}
)


def read_json_ld(tree: HtmlElement) -> dict[str, Any]:
    """The first article-like JSON-LD object of the page ({} when there is none)."""
    for script in tree.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "")
        except (ValueError, RecursionError):  # malformed, or nested deeper than the parser goes
            continue
        for node in walk_json_ld(data):
            kind = node.get("@type")
            kinds = kind if isinstance(kind, list) else [kind]
            if any(isinstance(k, str) and k.lower() in ARTICLE_TYPES for k in kinds) and (
                "datePublished" in node or "headline" in node
            ):
                return node
    return {}


def walk_json_ld(data: Any, *, max_depth: int = MAX_DEPTH, max_nodes: int = MAX_NODES) -> Iterator[dict[str, Any]]:
    """The objects of a JSON-LD document in document order, ``@graph`` members included.

    Iterative, and bounded: nothing below ``max_depth`` levels, at most ``max_nodes`` objects.

    >>> [n["name"] for n in walk_json_ld([{"name": "a", "@graph": [{"name": "b"}]}, {"name": "c"}])]
    ['a', 'b', 'c']
    >>> deep = []
    >>> for _ in range(5000):
    ...     deep = [deep]
    >>> list(walk_json_ld(deep))
    []
    """
    stack: list[tuple[Any, int]] = [(data, 0)]
    seen = 0
    while stack and seen < max_nodes:
        value, depth = stack.pop()
        if depth > max_depth:
            continue
        if isinstance(value, list):
            stack.extend((item, depth + 1) for item in reversed(value))
        elif isinstance(value, dict):
            seen += 1
            yield value
            if "@graph" in value:
                stack.append((value["@graph"], depth + 1))


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
