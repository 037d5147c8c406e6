"""PostgreSQL search: ``articles.search_vector`` (tsvector, GIN; written by the store) and ``ts_rank_cd``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Integer, Select, String, any_, bindparam, cast, func, literal_column, select, text, union_all
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from pipeline.archive.models import Article
from pipeline.archive.recent_index import TIERS_SQL, newest_run, tiers_of
from pipeline.archive.search_index import rebuild_vectors
from pipeline.search.backends.base import (
    Relevance,
    TextMatch,
    newest_rows,
    plain_match_rows,
)
from pipeline.search.model import SearchQuery
from pipeline.search.query import ParsedQuery

__all__ = ["PostgresBackend"]

# Matches of at least one article in DENSE_SHARE are found by walking the key backwards: at
# 1 M articles a walk beat a window from about 1 in 25 ("và của được", 4.8 %: 41 vs 93 ms).
DENSE_SHARE = 25
# With the tiers, the key walk is kept for the commonest words only: "và của được" (one
# article in 21) took 24 ms from a tier, 52 by the walk; "và" 9.6 by the walk, 301 from a tier.
RECENT_DENSE = 14
PHRASE_MARGIN = 4
# Up to about sqrt(FEW_MATCHES * articles) expected matches, every match is read and sorted
# (20,000 at 1 M articles): cheaper than intersecting them with a window of ids.
FEW_MATCHES = 400
# ts_rank_cd weights of the {D, C, B, A} labels (author, text, description, title).
PG_WEIGHTS = "{0.2, 0.1, 0.4, 1.0}"


@compiles(TextMatch, "postgresql")
def compile_match_pg(element: TextMatch, compiler: Any, **kw: Any) -> str:
    param = compiler.process(bindparam(None, element.parsed.to_tsquery(), unique=True), **kw)
    return f"articles.search_vector @@ to_tsquery('simple', {param})"


def _rank_sql(vector: str, query: str) -> str:
    """``ts_rank_cd`` of ``vector`` against ``query`` (SQL), weighted by field."""
    return f"ts_rank_cd('{PG_WEIGHTS}'::float4[], {vector}, {query})"


_RANK_SQL = _rank_sql("search_vector", "q.q")
# The candidates' scores by key. With a phrase, only the candidates holding it are scored: the
# check in the select list, never the WHERE (there PostgreSQL chose the GIN index for a phrase of
# common words: 130 ms instead of 6).
_SCORE_ALL = ("SELECT id, " + _RANK_SQL + " FROM articles, (SELECT to_tsquery('simple', %(query)s) AS q) AS q "
              "WHERE id = ANY(%(ids)s::int[])")
_SCORE_MATCHING = ("SELECT id, CASE WHEN search_vector @@ q.q THEN " + _RANK_SQL + " END "
                   "FROM articles, (SELECT to_tsquery('simple', %(query)s) AS q) AS q WHERE id = ANY(%(ids)s::int[])")

# Both forms from one read of each vector: the subquery (kept apart by OFFSET 0) checks the
# phrase once and hands the vector on still compressed, so each row is decompressed twice (the
# check, one score), not three or four times.
_SCORE_SPLIT = (
    f"SELECT id, CASE WHEN m THEN {_rank_sql('v', 'pq')} END, CASE WHEN m THEN NULL ELSE {_rank_sql('v', 'w.q')} END "
    "FROM (SELECT id, search_vector AS v, search_vector @@ p.q AS m, p.q AS pq FROM articles, "
    "(SELECT to_tsquery('simple', %(phrases)s) AS q) AS p WHERE id = ANY(%(ids)s::int[]) OFFSET 0) AS s, "
    "(SELECT to_tsquery('simple', %(words)s) AS q) AS w")


def ids_literal(ids: Sequence[int]) -> str:
    """``ids`` as a PostgreSQL array literal."""
    return "{" + ",".join(map(str, ids)) + "}"


def _rank(parsed: ParsedQuery) -> ColumnElement[Any]:
    """``ts_rank_cd`` of ``articles.search_vector`` against ``parsed``, weighted by field."""
    return func.ts_rank_cd(text(f"'{PG_WEIGHTS}'::float4[]"), literal_column("articles.search_vector"),
                           func.to_tsquery("simple", parsed.to_tsquery()))


def _ids(session: Session, stmt: Select[Any]) -> Sequence[int]:
    """The ids ``stmt`` selects, read through the driver's cursor: up to 2,001 one-int tuples,
    no result rows built (the statement's parameters are strings, numbers and datetimes, which
    psycopg adapts itself)."""
    compiled = stmt.compile(dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True})
    return [i for (i,) in _fetch(session, str(compiled), compiled.params)]


def _fetch(session: Session, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The rows of ``sql`` as the driver's tuples, on the session's connection and transaction."""
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(sql, params)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _top_and_tiers(session: Session) -> tuple[int, tuple[tuple[int, int | None], ...]]:
    """The highest article id, and the id ranges of the tiers to read, newest first."""
    top, tiers = session.connection().execute(text(
        f"SELECT (SELECT max(id) FROM articles), (SELECT array_agg(ARRAY[relname, predicate]) FROM ({TIERS_SQL}) "
        "AS t(relname, predicate))")).one()
    return int(top or 0), newest_run(tiers_of(tiers or ()))


def _tiered(matches: Select[Any], run: Sequence[tuple[int, int | None]], n: int) -> Select[Any]:
    """The newest ``n`` of ``matches`` from the tiers: one branch a tier, newest first, under one
    LIMIT (PostgreSQL runs a branch only while the LIMIT still wants rows). The ranges are
    literals: the planner proves each tier's predicate from them."""
    def branch(low: int, high: int | None) -> Select[Any]:
        stmt = matches.where(Article.id >= literal_column(str(int(low))))
        return stmt if high is None else stmt.where(Article.id < literal_column(str(int(high))))

    tiers = union_all(*(branch(low, high) for low, high in run)).subquery("tiers")
    return select(tiers.c.id).limit(n)


def _estimated_rows(session: Session, stmt: Select[Any]) -> int:
    """The planner's estimate of the rows of ``stmt`` (an EXPLAIN, no execution)."""
    compiled = stmt.compile(dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True})
    plan = session.connection().exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}", compiled.params).scalar()
    return int(plan[0]["Plan"]["Plan Rows"]) if plan else 0


class PostgresBackend:
    """The tsvector match and ``ts_rank_cd``."""

    def match_rows(self, session: Session, parsed: ParsedQuery, query: SearchQuery) -> Select[Any]:
        return plain_match_rows(parsed, query)

    def id_column(self, parsed: ParsedQuery) -> Any:
        return Article.id

    def relevance(self, parsed: ParsedQuery) -> Relevance:
        return Relevance(_rank(parsed), higher_is_better=True)

    def ids_condition(self, ids: Sequence[int]) -> ColumnElement[bool]:
        # One array parameter in its text form: no statement growing with the candidates, and
        # 2,000 ids joined in ~0.1 ms where the driver's array dumper took ~1.5 ms.
        array = bindparam(None, ids_literal(ids), type_=String)
        return Article.id == any_(cast(array, ARRAY(Integer)))

    def score_candidates(self, session: Session, parsed: ParsedQuery, ids: Sequence[int], *,
                         all_match: bool) -> dict[int, float] | None:
        """``ts_rank_cd`` of the candidates, their vectors read by key.

        About what one ranking statement cost when it found the candidates again through the
        index first; the windows of :mod:`pipeline.search.ranking` are then cut in Python.
        Written in SQL and read through the driver's own cursor: 2,000 (id, score) tuples, no
        statement to compile and no result rows to build (~3 ms of a search at 1 M articles).
        """
        if not ids:
            return {}
        rows = _fetch(session, _SCORE_ALL if all_match else _SCORE_MATCHING,
                      {"query": parsed.to_tsquery(), "ids": ids_literal(ids)})
        return {i: s for i, s in rows if s is not None}

    def score_window(self, session: Session, phrases: ParsedQuery, words: ParsedQuery,
                     ids: Sequence[int]) -> tuple[dict[int, float], dict[int, float]] | None:
        """Each candidate's vector read once for both forms of a query with runs: the phrase
        check and the phrase score where it holds, the words' score where it does not
        (2,000 candidates at 1 M articles: ~15 ms where the two statements took ~26)."""
        if not ids:
            return {}, {}
        rows = _fetch(session, _SCORE_SPLIT, {"phrases": phrases.to_tsquery(), "words": words.to_tsquery(),
                                              "ids": ids_literal(ids)})
        side_by_side = {i: p for i, p, _ in rows if p is not None}
        apart = {i: w for i, p, w in rows if p is None and w is not None}
        return side_by_side, apart

    def article_match(self, parsed: ParsedQuery) -> ColumnElement[bool]:
        return TextMatch(parsed)

    def newest_ids(self, session: Session, parsed: ParsedQuery, query: SearchQuery,
                   n: int) -> tuple[Sequence[int], int | None]:
        """The newest ``n`` matches: by a key walk, the recent tiers, a window of ids, or every match.

        GIN finds matches but not in id order. The planner's estimate of the matches chooses
        the cheapest read (measured at 1 M articles, vectors in the row):

        - common words (``DENSE_SHARE``, ``RECENT_DENSE`` when there are tiers): walking
          the primary key backwards and checking each row's vector finds ``n`` matches within a
          few thousand rows (~1 µs a row);
        - when the tiers of the newest articles (:mod:`pipeline.archive.recent_index`) should
          hold ``n`` matches: the tiers, newest first, in one statement — "kim thanh" 6–11 ms
          where every match of the archive cost 33–36, "hai duong" 7–14 where it cost 25–28;
          when they hold fewer, the matches below them (a phrase: only with ``PHRASE_MARGIN``);
        - rare words (``FEW_MATCHES``): every match from the GIN bitmap, sorted (~1.5 µs a
          match: 8,900 matches of "hai duong" in 21 ms, where a window cost 68 ms);
        - in between: PostgreSQL intersects the GIN bitmap with a window of recent ids sized for
          about ``2 n`` expected matches (the key range costs ~0.1 µs an id); a window holding
          fewer than ``n`` grows eightfold, and the whole table is read when no window does.
        """
        if parsed.is_empty:
            return newest_rows(session, self, parsed, query, n), None
        top, run = _top_and_tiers(session)
        expected = _estimated_rows(session, self.match_rows(session, parsed, query))
        if expected * (DENSE_SHARE if not run else RECENT_DENSE) >= top:  # the key walk stops early
            return newest_rows(session, self, parsed, query, n), None
        # "id + 0": no ordered walk of the key (the planner underrates each row's check);
        # the GIN bitmap (and the key range) intersected, the matches sorted.
        matches = self.match_rows(session, parsed, query).order_by((Article.id + 0).desc()).limit(n)
        # A phrase's estimate is its words' (PostgreSQL cannot tell how often they stand side
        # by side): the tiers only when even a quarter of that would fill them.
        margin = PHRASE_MARGIN if "<->" in parsed.to_tsquery() else 1
        if run and expected * (top - run[-1][0] + 1) >= margin * n * top:
            ids = _ids(session, _tiered(matches, run, n))
            if len(ids) >= n:
                return ids, ids[-1] - 1
            # Every match from the tiers' first id on is read: the rest lies below it (a phrase
            # the estimate took for its words, a filter). Those are read, not the tiers again.
            # "id + 0": a filter on the rows GIN finds, not a bitmap of every older id to AND in.
            older = matches.where(Article.id + 0 < literal_column(str(int(run[-1][0])))).limit(n - len(ids))
            return [*ids, *_ids(session, older)], None
        width = 2 * n * top // max(expected, 1)
        # Reading every match costs ~1.5 µs each, a window ~0.1 µs an id plus its matches: even
        # at about sqrt(FEW_MATCHES * articles) matches.
        if expected * expected > FEW_MATCHES * top:
            while width < top:
                ids = _ids(session, matches.where(Article.id > top - width))
                if len(ids) >= n:
                    return ids, top - width
                width *= 8
        return _ids(session, matches), None

    def rebuild_index(self, session: Session) -> None:
        # Folded in Python, written a batch of rows a statement (see search_index).
        rebuild_vectors(session)
