"""The spelling of exported text: as the papers published it, or in one tone placement.

The archive keeps each page's orthography: "Thanh Hoá" and "Thanh Hóa", "thuỷ" and "thủy" stay
as printed. An export can ask for the modern placement instead (``--orthography modern``), for
NLP work that wants one spelling per word; it is applied to the words of the article (title,
description, text, captions, image captions, author) as the rows are written, never to the
archive. WARC exports copy the captured bytes and always stay as published.

    >>> convert = row_converter(("url", "title"), "modern")
    >>> convert(("https://baothanhhoa.vn/a.html", "Thanh Hoá"))
    ('https://baothanhhoa.vn/a.html', 'Thanh Hóa')
    >>> row_converter(("url", "title"), "as-published") is None
    True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from pipeline.errors import InputError
from pipeline.text.normalise import unify_tone_placement

__all__ = [
    "AS_PUBLISHED",
    "MODERN",
    "ORTHOGRAPHIES",
    "ORTHOGRAPHY_FIELDS",
    "ORTHOGRAPHY_NOTES",
    "check_orthography",
    "modern_value",
    "row_converter",
]

AS_PUBLISHED = "as-published"
MODERN = "modern"
ORTHOGRAPHIES = (AS_PUBLISHED, MODERN)
# The fields holding the article's words; URLs, names of sections and tags are left alone.
ORTHOGRAPHY_FIELDS = frozenset({"title", "description", "text", "captions", "images", "author"})
# What each choice means, for the datasheet.
ORTHOGRAPHY_NOTES: Mapping[str, str] = MappingProxyType({
    AS_PUBLISHED: ("Text is spelt as each paper published it: old and new tone placement "
                   "(\"Thanh Hoá\" / \"Thanh Hóa\", \"thuỷ\" / \"thủy\") both occur. Only broken "
                   "decoding was repaired (mojibake, decomposed text, Ð for Đ)."),
    MODERN: ("Text was converted to the modern tone placement at export time (\"Thanh Hoá\" → "
             "\"Thanh Hóa\", \"thuỷ\" → \"thủy\", \"uỷ\" → \"ủy\") in title, description, text, "
             "captions, image captions and author; the archive keeps each paper's own spelling."),
})

RowConverter = Callable[[tuple[Any, ...]], tuple[Any, ...]]


def check_orthography(orthography: str, fmt: str) -> None:
    """Raise :class:`InputError` for an unknown orthography, or ``modern`` with WARC."""
    if orthography not in ORTHOGRAPHIES:
        raise InputError(f"unknown orthography {orthography!r}; choose {' or '.join(ORTHOGRAPHIES)}")
    if orthography == MODERN and fmt == "warc":
        raise InputError("WARC exports copy the captured pages byte for byte; "
                         "--orthography modern applies to jsonl, csv and parquet")


def modern_value(value: Any) -> Any:
    """A field's value in the modern tone placement: strings, lists of them, image dicts.

    Anything else (None, numbers, an image without a caption) comes back unchanged.
    """
    if isinstance(value, str):
        return unify_tone_placement(value)
    if isinstance(value, list | tuple):
        return [modern_value(item) for item in value]
    if isinstance(value, Mapping) and isinstance(value.get("caption"), str):
        return {**value, "caption": unify_tone_placement(value["caption"])}
    return value


def row_converter(fields: Sequence[str], orthography: str) -> RowConverter | None:
    """A function rewriting a row of ``fields`` in ``orthography``; None when rows stay as they are."""
    if orthography == AS_PUBLISHED:
        return None
    positions = frozenset(i for i, name in enumerate(fields) if name in ORTHOGRAPHY_FIELDS)
    if not positions:
        return None

    def convert(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(modern_value(v) if i in positions else v for i, v in enumerate(row))

    return convert
