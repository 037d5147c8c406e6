"""The article record: one result type shared by extraction, the archive and exports.

Field names are part of the public contract (the JSON of ``baotinh extract``, the columns of
the archive and of every export); add fields, never rename them.

Also here, because the crawler's extraction workers import this module and must stay free of
SQLAlchemy and warcio (each would cost a worker about a second to import): :class:`CaptureRef`,
where the raw bytes of a page lie in the WARC files, and :class:`StoreItem`, what the crawler
hands the archive for one article.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

# The record's fields in their published order.
RECORD_FIELDS: tuple[str, ...] = (
    "url",
    "canonical_url",
    "site",
    "title",
    "description",
    "author",
    "published_at",
    "modified_at",
    "section",
    "tags",
    "language",
    "text",
    "captions",
    "images",
    "word_count",
    "content_sha256",
    "fetched_at",
    # Provenance of the metadata (issue 3), kept beside the values they explain.
    "date_source",
    "modified_source",
    "source_agency",
    "flags",
    "extractor_version",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Image:
    """An image of the article body with its caption (``None`` when it has none)."""

    url: str
    caption: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"url": self.url, "caption": self.caption}


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleRecord:
    """A normalised article. A field the page does not give is ``None``, never a guess.

    >>> r = ArticleRecord(url="https://x.vn/a-1.html", canonical_url="https://x.vn/a-1.html",
    ...                   site="x", text="Xin chào", word_count=2, content_sha256="…")
    >>> r.as_dict()["title"] is None
    True
    """

    url: str
    canonical_url: str
    site: str | None
    title: str | None = None
    description: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    modified_at: datetime | None = None
    section: str | None = None
    tags: tuple[str, ...] = ()
    language: str | None = None
    text: str = ""
    captions: tuple[str, ...] = ()
    images: tuple[Image, ...] = ()
    word_count: int = 0
    content_sha256: str = ""
    fetched_at: datetime | None = None
    date_source: str | None = None
    modified_source: str | None = None
    source_agency: str | None = None
    flags: tuple[str, ...] = field(default=())
    extractor_version: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict: datetimes as ISO 8601 with offset, tuples as lists."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = to_jsonable(value)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class CaptureRef:
    """Where one response (or revisit) record lies in the WARC files, and what it holds."""

    warc: str  # relative to the archive folder
    offset: int
    length: int
    record_id: str
    digest: str  # payload sha1, base32
    sha256: str  # payload sha256, hex
    uri: str
    date: datetime
    status: int
    rec_type: str = "response"
    refers_to: str | None = None  # the original's record id, for revisits


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreItem:
    """One article as the crawler hands it to the archive: the record and what came with it.

    ``simhash_known`` tells a SimHash the extraction worker computed (``simhash`` is then the
    hash, or ``None`` for a text too short to have one) from none computed (the store computes
    it). ``folded_text`` is ``fold(record.text)`` when the worker computed it (the store writes it
    to the search index instead of folding again).

    >>> r = ArticleRecord(url="https://x.vn/a-1.html", canonical_url="https://x.vn/a-1.html", site="x")
    >>> StoreItem.of(r).simhash_known
    False
    """

    record: ArticleRecord
    capture: CaptureRef | None = None
    simhash: int | None = None
    simhash_known: bool = False
    folded_text: str | None = None

    @classmethod
    def of(cls, value: ArticleRecord | StoreItem) -> StoreItem:
        """``value`` as an item: a bare record carries nothing else."""
        return value if isinstance(value, StoreItem) else cls(record=value)


def to_jsonable(value: Any) -> Any:
    """Convert record values to JSON-friendly values (ISO datetimes, lists, dicts)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Image):
        return value.as_dict()
    if isinstance(value, (tuple, list)):
        return [to_jsonable(v) for v in value]
    return value
