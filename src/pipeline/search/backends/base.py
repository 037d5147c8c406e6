"""What differs between the search databases, as one small typed protocol.

Each backend (:mod:`.sqlite`: FTS5 and BM25; :mod:`.postgres`: tsvector and ``ts_rank_cd``)
says how to find the matches, how to score them and how to rebuild its index; the candidate
sets, ranking windows, date sorts, snippets and facets around them are written once.

:class:`TextMatch` is the text match as a dialect-neutral SQL element for statements built
without a session (``filtered_articles``, read by the export); each backend module registers
how it compiles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Select, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import Boolean

from pipeline.archive.models import Article
from pipeline.search.filters import filter_conditions
from pipeline.search.model import SearchQuery
from pipeline.search.query import ParsedQuery, QueryError

__all__ = ["Relevance", "SearchBackend", "TextMatch", "UNSUPPORTED", "newest_rows",
           "plain_match_rows"]

UNSUPPORTED = "full-text search needs SQLite (FTS5) or PostgreSQL"


@dataclass(frozen=True, slots=True)
class Relevance:
    """A backend's score of a match; ``higher_is_better`` False when lower means more relevant."""

    score: ColumnElement[Any]
    higher_is_better: bool


class SearchBackend(Protocol):
    """The search operations that depend on the database; chosen once per engine."""

    def match_rows(self, session: Session, parsed: ParsedQuery, query: SearchQuery) -> Select[Any]:
        """``id`` of every match passing the filters."""
        ...

    def id_column(self, parsed: ParsedQuery) -> Any:
        """The id column :meth:`match_rows` orders by."""
        ...

    def relevance(self, parsed: ParsedQuery) -> Relevance:
        """The relevance score of a row of :meth:`match_rows`."""
        ...

    def article_match(self, parsed: ParsedQuery) -> ColumnElement[bool]:
        """``articles.id`` matches ``parsed``, checked article by article (for a date-index walk)."""
        ...

    def rebuild_index(self, session: Session) -> None:
        """Re-fold every article into the index."""
        ...

    def ids_condition(self, ids: Sequence[int]) -> ColumnElement[bool]:
        """``articles.id`` is one of ``ids`` (up to ``CANDIDATE_CAP`` of them), as the database likes it."""
        ...

    def score_candidates(self, session: Session, parsed: ParsedQuery, ids: Sequence[int], *,
                         all_match: bool) -> dict[int, float] | None:
        """The scores under ``parsed`` of the candidates ``ids`` that match it, read by key in one
        statement (``all_match``: every one does), or None when ranking is better left to SQL."""
        ...

    def score_window(self, session: Session, phrases: ParsedQuery, words: ParsedQuery,
                     ids: Sequence[int]) -> tuple[dict[int, float], dict[int, float]] | None:
        """In one statement, the scores under ``phrases`` of the candidates holding them side by
        side, and under ``words`` of the others; None when ranking is better left to SQL."""
        ...

    def newest_ids(self, session: Session, parsed: ParsedQuery, query: SearchQuery,
                   n: int) -> tuple[Sequence[int], int | None]:
        """The ids of the newest ``n`` matches, newest first, and an id bound they lie above.

        The bound (``None``: none) is exact, not a heuristic: statements over the newest
        matches may add ``id > bound`` without changing what they return.
        """
        ...


class TextMatch(ColumnElement[bool]):
    """``articles.id`` matches a parsed query; compiled per dialect (see the backend modules)."""

    inherit_cache = False
    type = Boolean()

    def __init__(self, parsed: ParsedQuery) -> None:
        self.parsed = parsed


@compiles(TextMatch)
def compile_match_other(element: TextMatch, compiler: Any, **kw: Any) -> str:
    raise QueryError(UNSUPPORTED)


def plain_match_rows(parsed: ParsedQuery, query: SearchQuery) -> Select[Any]:
    """``articles.id`` filtered, and matched when there are words."""
    stmt = select(Article.id.label("id")).where(*filter_conditions(query))
    return stmt.where(TextMatch(parsed)) if not parsed.is_empty else stmt


def newest_rows(session: Session, backend: SearchBackend, parsed: ParsedQuery, query: SearchQuery, n: int,
                bound: int | None = None) -> Sequence[int]:
    """The newest ``n`` match ids (above ``bound`` when given), in one statement."""
    id_col = backend.id_column(parsed)
    rows = backend.match_rows(session, parsed, query)
    if bound is not None:
        rows = rows.where(id_col > bound)
    # Core rows through the session's connection: no ORM row processing for 2,001 ids.
    return session.connection().execute(rows.order_by(id_col.desc()).limit(n)).scalars().all()
