"""The records of a search: what is asked (:class:`SearchQuery`) and what comes back.

Plain frozen values with no database in them; the web UI, the CLI and the export read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

__all__ = ["MAX_LIMIT", "SORTS", "SearchHit", "SearchQuery", "SearchResult", "Snippet"]

SORTS = ("relevance", "newest", "oldest")
MAX_LIMIT = 500


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchQuery:
    """What the user asks: the query text, filters, sort and page."""

    text: str = ""
    sites: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    author: str | None = None
    section: str | None = None
    language: str | None = None
    exclude_duplicates: bool = False
    # Province today (after the 2025 merger); ``provinces`` is the province at publication.
    provinces_now: tuple[str, ...] = ()
    tag: str | None = None
    sort: str = "relevance"
    limit: int = 20
    offset: int = 0
    facets: bool = False

    @property
    def is_empty(self) -> bool:
        """True when nothing at all was asked (the bare search page)."""
        return not (self.text or self.sites or self.provinces or self.date_from or self.date_to
                    or self.author or self.section or self.language or self.provinces_now
                    or self.tag)


@dataclass(frozen=True, slots=True)
class Snippet:
    """A window of the original text; ``is_match`` marks the pieces to highlight."""

    segments: tuple[tuple[str, bool], ...] = ()

    def as_text(self, left: str = "«", right: str = "»") -> str:
        return "".join(f"{left}{s}{right}" if m else s for s, m in self.segments)


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchHit:
    id: int
    url: str
    canonical_url: str
    site: str | None
    site_name: str | None
    province: str | None
    title: str | None
    description: str | None
    author: str | None
    section: str | None
    published_at: datetime | None
    score: float | None
    snippet: Snippet
    province_now: str | None = None
    key: str | None = None  # the stable key (``/a/<key>``), the same in every copy of the archive

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "key": self.key, "url": self.url, "canonical_url": self.canonical_url, "site": self.site,
            "site_name": self.site_name, "province": self.province,
            "province_now": self.province_now, "title": self.title,
            "description": self.description, "author": self.author, "section": self.section,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "score": self.score, "snippet": self.snippet.as_text(),
            "snippet_segments": [[s, m] for s, m in self.snippet.segments],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchResult:
    query: SearchQuery
    total: int
    hits: tuple[SearchHit, ...]
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    # True when ``total`` is a lower bound ("≥ total"): the match set exceeded the cap.
    total_is_estimate: bool = False
    # The query as understood, in words, per interface language: {"vi": 'Tìm: …', "en": 'Searching: …'}.
    parsed_query: dict[str, str] = field(default_factory=dict)

    def understood(self, lang: str = "en") -> str:
        """The parsed query shown back (``Searching: "dong nai" OR "binh duong"``); "" when none."""
        return self.parsed_query.get(lang) or self.parsed_query.get("en", "")
