"""SQLite search: the contentless FTS5 table ``articles_fts``, its MATCH and BM25.

The FTS5 index drives: the articles table is joined only when a filter or the facets need it,
and matches are read in rowid order without a sort (FTS5 walks its doclists backwards).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Select, and_, bindparam, column, func, literal_column, select, table, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from pipeline.archive.models import Article
from pipeline.search.backends.base import (
    Relevance,
    TextMatch,
    newest_rows,
    plain_match_rows,
)
from pipeline.search.filters import article_conditions, site_conditions
from pipeline.search.model import SearchQuery
from pipeline.search.query import ParsedQuery

__all__ = ["FTS_TABLE", "SqliteBackend"]

FTS_TABLE = "articles_fts"
# One table object, so statements share one FROM.
FTS = table(FTS_TABLE, column("rowid"))
# FTS5 column weights: title, description, text, author.
FTS5_WEIGHTS = (10.0, 4.0, 1.0, 2.0)


@compiles(TextMatch, "sqlite")
def compile_match_sqlite(element: TextMatch, compiler: Any, **kw: Any) -> str:
    param = compiler.process(bindparam(None, element.parsed.to_fts5(), unique=True), **kw)
    return f"articles.id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH {param})"


def fts_match(parsed: ParsedQuery) -> ColumnElement[bool]:
    return literal_column(FTS_TABLE).op("MATCH")(parsed.to_fts5())


def date_id_bounds(session: Session, query: SearchQuery) -> list[ColumnElement[bool]]:
    """Id bounds implied by the date filters (ids of the dated articles in range).

    Exact, not a heuristic: every article in the date range has an id between these bounds.
    Read from the ``published_at`` index; lets FTS5 skip the matches outside the id range,
    which is most of them when ids follow the publication order, as in a crawl.
    """
    if not (query.date_from or query.date_to):
        return []
    in_range = article_conditions(replace(query, author=None, section=None, language=None,
                                          exclude_duplicates=False))
    lo, hi = session.execute(select(func.min(Article.id), func.max(Article.id)).where(*in_range)).one()
    if lo is None:
        return [literal_column("0") == 1]
    return [FTS.c.rowid >= lo, FTS.c.rowid <= hi]


class SqliteBackend:
    """FTS5 MATCH and BM25."""

    def match_rows(self, session: Session, parsed: ParsedQuery, query: SearchQuery) -> Select[Any]:
        if parsed.is_empty:
            return plain_match_rows(parsed, query)
        match = fts_match(parsed)
        # Site and province filters become a set of ids read from the (site, published_at)
        # index: probing that in-memory set per match is ~10× cheaper than an article row lookup.
        site_conds, conds = site_conditions(query), article_conditions(query)
        if site_conds:
            # "+ 0": a filter on each match, never a probe of FTS5 per id of the set.
            match = and_(match, (FTS.c.rowid + 0).in_(select(Article.id).where(*site_conds)))
        if not conds:
            return select(FTS.c.rowid.label("id")).select_from(FTS).where(match)
        # "rowid + 0" keeps the planner from driving from the articles table and probing FTS5
        # once per article (what SQLite's CROSS JOIN would say; SQLAlchemy cannot spell it).
        return (select(FTS.c.rowid.label("id"))
                .select_from(FTS.join(Article.__table__, Article.id == FTS.c.rowid + 0))
                .where(match, *conds, *date_id_bounds(session, query)))

    def id_column(self, parsed: ParsedQuery) -> Any:
        return Article.id if parsed.is_empty else FTS.c.rowid

    def relevance(self, parsed: ParsedQuery) -> Relevance:
        # BM25 as FTS5 computes it: lower is better.
        return Relevance(func.bm25(literal_column(FTS_TABLE), *FTS5_WEIGHTS), higher_is_better=False)

    def article_match(self, parsed: ParsedQuery) -> ColumnElement[bool]:
        """A ``rowid =`` lookup in FTS5 per article, for walking a date index."""
        inner: Select[Any] = (select(literal_column("1")).select_from(FTS)
                              .where(fts_match(parsed), FTS.c.rowid == Article.id))
        return inner.exists()

    def newest_ids(self, session: Session, parsed: ParsedQuery, query: SearchQuery,
                   n: int) -> tuple[Sequence[int], int | None]:
        # FTS5 walks its doclists backwards in rowid order: one statement reads n matches.
        return newest_rows(session, self, parsed, query, n), None

    def ids_condition(self, ids: Sequence[int]) -> ColumnElement[bool]:
        # The ids written into the statement, not bound one by one: SQLite before 3.32 allows
        # only 999 parameters, fewer than the candidates.
        return Article.id.in_(bindparam("candidate_ids", [int(i) for i in ids], expanding=True,
                                        literal_execute=True))

    def score_candidates(self, session: Session, parsed: ParsedQuery, ids: Sequence[int], *,
                         all_match: bool) -> dict[int, float] | None:
        # BM25 needs the FTS5 cursor of a MATCH: ranked in SQL, over the candidates' id range.
        return None

    def score_window(self, session: Session, phrases: ParsedQuery, words: ParsedQuery,
                     ids: Sequence[int]) -> tuple[dict[int, float], dict[int, float]] | None:
        return None  # as score_candidates: ranked in SQL

    def rebuild_index(self, session: Session) -> None:
        session.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('delete-all')"))
        session.execute(text(
            f"INSERT INTO {FTS_TABLE}(rowid, title, description, text, author) "
            "SELECT id, baotinh_fold(title), baotinh_fold(description), baotinh_fold(text), "
            "baotinh_fold(author) FROM articles"))
