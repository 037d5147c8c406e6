"""PostgreSQL search: ``articles.search_vector`` (tsvector, GIN; written by the store) and ``ts_rank_cd``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, bindparam, func, literal_column, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from pipeline.archive.models import Article
from pipeline.archive.search_index import rebuild_vectors
from pipeline.search.backends.base import Relevance, TextMatch, meta_columns, plain_match_rows
from pipeline.search.model import SearchQuery
from pipeline.search.query import ParsedQuery

__all__ = ["PostgresBackend"]

# ts_rank_cd weights of the {D, C, B, A} labels (author, text, description, title).
PG_WEIGHTS = "{0.2, 0.1, 0.4, 1.0}"


@compiles(TextMatch, "postgresql")
def compile_match_pg(element: TextMatch, compiler: Any, **kw: Any) -> str:
    param = compiler.process(bindparam(None, element.parsed.to_tsquery(), unique=True), **kw)
    return f"articles.search_vector @@ to_tsquery('simple', {param})"


def year_expr() -> ColumnElement[Any]:
    """The year of ``published_at`` in Vietnam."""
    return func.to_char(func.timezone("Asia/Ho_Chi_Minh", Article.published_at), "YYYY")


class PostgresBackend:
    """The tsvector match and ``ts_rank_cd``; date sorts always sort the candidates."""

    walks_date_index = False

    def match_rows(self, session: Session, parsed: ParsedQuery, query: SearchQuery, *,
                   with_meta: bool) -> Select[Any]:
        return plain_match_rows(parsed, query, meta_columns(year_expr(), with_meta))

    def id_column(self, parsed: ParsedQuery) -> Any:
        return Article.id

    def relevance(self, parsed: ParsedQuery) -> Relevance:
        score = func.ts_rank_cd(text(f"'{PG_WEIGHTS}'::float4[]"), literal_column("articles.search_vector"),
                                func.to_tsquery("simple", parsed.to_tsquery()))
        return Relevance(score, higher_is_better=True)

    def article_match(self, parsed: ParsedQuery) -> ColumnElement[bool]:
        return TextMatch(parsed)

    def rebuild_index(self, session: Session) -> None:
        # Folded in Python, written a batch of rows a statement (see search_index).
        rebuild_vectors(session)
