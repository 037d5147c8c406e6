"""Full-text search of the archive: one behaviour on SQLite (FTS5) and PostgreSQL (tsvector).

Both engines index a folded copy of title, description, text and author (``pipeline.text.fold``:
lower case, no tone marks, đ→d), so "kim thanh", "KIM THÀNH" and "Kim Thành" meet. The folded
text lives only in the index (a contentless FTS5 table; a generated ``tsvector`` on
PostgreSQL), both maintained by the database itself (triggers, generated column).

Ranking every hit of a very common word is what makes naive full-text search slow; here every
statement is bounded by ``CANDIDATE_CAP`` candidates, the newest matches by id:

- candidates: one read of at most ``CANDIDATE_CAP + 1`` matches in id order (FTS5 walks its
  doclists backwards; the articles table is joined only for filters or facets). The total is
  exact up to the cap, reported as an estimate (``total_is_estimate``) beyond it;
- relevance: BM25 over the candidates only (``rowid >= floor``), then an exact-diacritic
  re-ranking of the top ``RERANK_WINDOW`` (typed with diacritics);
- newest/oldest: few matches are sorted; many are found by walking the ``published_at`` index
  with a per-article FTS5 check, so the first page costs a few index steps;
- facets: one GROUP BY over the candidates (estimates when the total is);
- snippets: for the page's hits only, over a window around the first match.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (Engine, Select, and_, bindparam, column, func, literal_column, or_,
                        select, table, text)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import Boolean

from pipeline.text.dates import VN_TZ
from pipeline.text.fold import fold, fold_aligned
from pipeline.archive.models import Article, Source
from pipeline.search.query import ParsedQuery, QueryError, Term, parse_query

__all__ = [
    "CANDIDATE_CAP", "QueryError", "SearchHit", "SearchQuery", "SearchResult", "Snippet",
    "filtered_articles", "parse_query", "rebuild_index", "search",
]

SORTS = ("relevance", "newest", "oldest")
# Relevance is ranked among at most this many matches (the newest); totals are exact up to it.
CANDIDATE_CAP = 2000
# With diacritics typed, this many top candidates are re-ranked by exact-diacritic matches.
RERANK_WINDOW = 100
MAX_LIMIT = 500
SNIPPET_WORDS = 30
# Snippets are cut from this many characters either side of the first match of a body.
SNIPPET_CHARS = 400
# FTS5 column weights (title, description, text, author) and PostgreSQL's {D, C, B, A}.
FTS5_WEIGHTS = (10.0, 4.0, 1.0, 2.0)
PG_WEIGHTS = "{0.2, 0.1, 0.4, 1.0}"
FTS_TABLE = "articles_fts"
FTS = table(FTS_TABLE, column("rowid"))


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
    sort: str = "relevance"
    limit: int = 20
    offset: int = 0
    facets: bool = False

    @property
    def is_empty(self) -> bool:
        """True when nothing at all was asked (the bare search page)."""
        return not (self.text or self.sites or self.provinces or self.date_from or self.date_to
                    or self.author or self.section or self.language)


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

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "url": self.url, "canonical_url": self.canonical_url, "site": self.site,
            "site_name": self.site_name, "province": self.province, "title": self.title,
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


# -- the text match as a dialect-neutral SQL element -----------------------------------------
class TextMatch(ColumnElement[bool]):
    """``articles.id`` matches a parsed query; compiled per dialect."""

    inherit_cache = False
    type = Boolean()

    def __init__(self, parsed: ParsedQuery) -> None:
        self.parsed = parsed


@compiles(TextMatch, "sqlite")
def compile_match_sqlite(element: TextMatch, compiler: Any, **kw: Any) -> str:
    param = compiler.process(bindparam(None, element.parsed.to_fts5(), unique=True), **kw)
    return f"articles.id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH {param})"


@compiles(TextMatch, "postgresql")
def compile_match_pg(element: TextMatch, compiler: Any, **kw: Any) -> str:
    param = compiler.process(bindparam(None, element.parsed.to_tsquery(), unique=True), **kw)
    return f"articles.search_vector @@ to_tsquery('simple', {param})"


@compiles(TextMatch)
def compile_match_other(element: TextMatch, compiler: Any, **kw: Any) -> str:
    raise QueryError("full-text search needs SQLite (FTS5) or PostgreSQL")


# -- filters ---------------------------------------------------------------------------------
def check_query(query: SearchQuery) -> ParsedQuery:
    """Validate the options and parse the text; raise :class:`QueryError` with a fix."""
    if query.sort not in SORTS:
        raise QueryError(f"unknown sort {query.sort!r}; use one of: {', '.join(SORTS)}")
    if not 1 <= query.limit <= MAX_LIMIT:
        raise QueryError(f"limit must be between 1 and {MAX_LIMIT}")
    if query.offset < 0:
        raise QueryError("offset cannot be negative")
    if query.date_from and query.date_to and query.date_from > query.date_to:
        raise QueryError(f"the date range is empty: {query.date_from} is after {query.date_to}")
    parsed = parse_query(query.text)
    if parsed.is_empty and query.text.strip():
        raise QueryError(f"the query {query.text!r} has no word to search for; type letters or digits")
    return parsed


def local_day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=VN_TZ)


def escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filter_conditions(query: SearchQuery) -> list[ColumnElement[bool]]:
    """The WHERE conditions of every filter (not the text match)."""
    return site_conditions(query) + article_conditions(query)


def site_conditions(query: SearchQuery) -> list[ColumnElement[bool]]:
    """The site and province filters (both select sites)."""
    conds: list[ColumnElement[bool]] = []
    if query.sites:
        conds.append(Article.site.in_(query.sites))
    if query.provinces:
        names = [fold(p).strip() for p in query.provinces]
        in_province = select(Source.id).where(or_(
            func.baotinh_fold(Source.province_before).in_(names),
            func.baotinh_fold(Source.province_after).in_(names)))
        conds.append(Article.site.in_(in_province))
    return conds


def article_conditions(query: SearchQuery) -> list[ColumnElement[bool]]:
    """The filters other than site and province: date, author, section, language, duplicates."""
    conds: list[ColumnElement[bool]] = []
    if query.date_from:
        conds.append(Article.published_at >= local_day_start(query.date_from))
    if query.date_to:
        conds.append(Article.published_at < local_day_start(query.date_to + timedelta(days=1)))
    if query.author:
        pattern = "%" + escape_like(fold(query.author).strip()) + "%"
        conds.append(func.baotinh_fold(Article.author).like(pattern, escape="\\"))
    if query.section:
        conds.append(func.baotinh_fold(Article.section) == fold(query.section).strip())
    if query.language:
        conds.append(Article.language == query.language)
    duplicate_of = getattr(Article, "duplicate_of", None)
    if query.exclude_duplicates and duplicate_of is not None:
        conds.append(duplicate_of.is_(None))
    return conds


def filtered_articles(query: SearchQuery) -> Select[int]:
    """``SELECT articles.id`` with every filter and the text match; no order, no paging.

    Works on both backends (the match compiles per dialect); the export reuses it.
    """
    parsed = check_query(query)
    stmt = select(Article.id).where(*filter_conditions(query))
    if not parsed.is_empty:
        stmt = stmt.where(TextMatch(parsed))
    return stmt


# -- bounded candidates ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Candidates:
    """The newest (by id) matches passing the filters, at most ``CANDIDATE_CAP`` of them.

    ``total`` is exact when ``is_estimate`` is False; ``floor`` is the lowest candidate id when
    the cap was hit. ``facet_rows`` holds (site, year, count) of the candidates when facets were asked.
    """

    total: int
    is_estimate: bool
    floor: int | None
    facet_rows: tuple[tuple[str | None, str | None, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Page:
    ids: tuple[int, ...]
    scores: dict[int, float]
    candidates: Candidates


def fts_table() -> Any:
    """The FTS5 table as SQLAlchemy sees it (one object, so statements share one FROM)."""
    return FTS


def year_expr(dialect: str) -> Any:
    if dialect == "sqlite":
        return func.strftime("%Y", Article.published_at, "+7 hours")
    return func.to_char(func.timezone("Asia/Ho_Chi_Minh", Article.published_at), "YYYY")


def date_id_bounds(session: Session, query: SearchQuery) -> list[ColumnElement[bool]]:
    """Id bounds implied by the date filters (ids of the dated articles in range).

    Exact, not a heuristic: every article in the date range has an id between these bounds.
    Read from the ``published_at`` index; lets FTS5 skip the matches outside the id range,
    which is most of them when ids follow the publication order, as in a crawl.
    """
    if session.get_bind().dialect.name != "sqlite" or not (query.date_from or query.date_to):
        return []
    in_range = article_conditions(replace(query, author=None, section=None, language=None,
                                          exclude_duplicates=False))
    lo, hi = session.execute(select(func.min(Article.id), func.max(Article.id)).where(*in_range)).one()
    if lo is None:
        return [literal_column("0") == 1]
    return [fts_table().c.rowid >= lo, fts_table().c.rowid <= hi]


def match_rows(session: Session, parsed: ParsedQuery, query: SearchQuery, *,
               with_meta: bool) -> Select[Any]:
    """``id`` of every match passing the filters (plus site and year with ``with_meta``).

    On SQLite the FTS5 index drives: the articles table is joined only when a filter or the
    facets need it, and the query can be ordered by the FTS rowid without a sort.
    """
    dialect = session.get_bind().dialect.name
    conds = filter_conditions(query)
    meta = (Article.site.label("site"), year_expr(dialect).label("year")) if with_meta else ()
    if dialect != "sqlite" or parsed.is_empty:
        stmt = select(Article.id.label("id"), *meta).where(*conds)
        return stmt.where(TextMatch(parsed)) if not parsed.is_empty else stmt
    fts = fts_table()
    match: ColumnElement[bool] = literal_column(FTS_TABLE).op("MATCH")(parsed.to_fts5())
    # Site and province filters become a set of ids read from the (site, published_at)
    # index: probing that in-memory set per match is ~10× cheaper than an article row lookup.
    site_conds, conds = site_conditions(query), article_conditions(query)
    if site_conds:
        # "+ 0": a filter on each match, never a probe of FTS5 per id of the set.
        match = and_(match, (fts.c.rowid + 0).in_(select(Article.id).where(*site_conds)))
    if not conds and not with_meta:
        return select(fts.c.rowid.label("id")).select_from(fts).where(match)
    # "rowid + 0" keeps the planner from driving from the articles table and probing FTS5
    # once per article (what SQLite's CROSS JOIN would say; SQLAlchemy cannot spell it).
    return (select(fts.c.rowid.label("id"), *meta)
            .select_from(fts.join(Article.__table__, Article.id == fts.c.rowid + 0))
            .where(match, *conds, *date_id_bounds(session, query)))


def id_column(session: Session, parsed: ParsedQuery) -> Any:
    """The id column ``match_rows`` orders by (the FTS5 rowid when FTS5 drives)."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    return fts_table().c.rowid if sqlite and not parsed.is_empty else Article.id


def find_candidates(session: Session, parsed: ParsedQuery, query: SearchQuery, *,
                    with_meta: bool) -> Candidates:
    """The newest ``CANDIDATE_CAP`` matches, counted and (with ``with_meta``) grouped in SQL.

    Every statement reads at most ``CANDIDATE_CAP + 1`` matches in id order (FTS5 walks its
    doclists backwards), never every match of a common word.
    """
    id_col = id_column(session, parsed)
    newest = match_rows(session, parsed, query, with_meta=False).order_by(id_col.desc())
    # One pass yields both the count and the floor (plain ints: no Row objects to build).
    ids = session.scalars(newest.limit(CANDIDATE_CAP + 1)).all()
    n = len(ids)
    capped = n > CANDIDATE_CAP
    floor = ids[CANDIDATE_CAP - 1] if capped else None
    meta: tuple[tuple[str | None, str | None, int], ...] = ()
    if with_meta:
        rows = match_rows(session, parsed, query, with_meta=True).order_by(id_col.desc())
        sub = rows.limit(CANDIDATE_CAP).subquery()
        grouped = select(sub.c.site, sub.c.year, func.count()).group_by(sub.c.site, sub.c.year)
        meta = tuple((site, year, int(k)) for site, year, k in session.execute(grouped))
    return Candidates(min(n, CANDIDATE_CAP), capped, None if floor is None else int(floor), meta)


def rank_candidates(session: Session, parsed: ParsedQuery, query: SearchQuery,
                    candidates: Candidates, window: tuple[int, int]) -> Page:
    """The candidates ordered by BM25 (ties by id), ``window`` = (offset, limit)."""
    dialect = session.get_bind().dialect.name
    id_col = id_column(session, parsed)
    matches = match_rows(session, parsed, query, with_meta=False)
    if candidates.floor is not None:
        matches = matches.where(id_col >= candidates.floor)
    if dialect == "sqlite":
        score = func.bm25(literal_column(FTS_TABLE), *FTS5_WEIGHTS)
        order: tuple[Any, ...] = (score, id_col)
    else:
        score = func.ts_rank_cd(text(f"'{PG_WEIGHTS}'::float4[]"), literal_column("articles.search_vector"),
                                func.to_tsquery("simple", parsed.to_tsquery()))
        order = (score.desc(), id_col)
    stmt = matches.add_columns(score.label("score")).order_by(*order).limit(window[1]).offset(window[0])
    rows = session.execute(stmt).all()
    sign = -1.0 if dialect == "sqlite" else 1.0
    return Page(tuple(r.id for r in rows), {r.id: sign * float(r.score) for r in rows}, candidates)


def date_order(query: SearchQuery, *, dated_only: bool) -> tuple[Any, ...]:
    """ORDER BY for the date sorts: undated last, then date, then id (the same direction)."""
    if query.sort == "oldest":
        head = () if dated_only else (Article.published_at.is_(None),)
        return (*head, Article.published_at, Article.id)
    head = () if dated_only else (Article.published_at.is_(None),)
    return (*head, Article.published_at.desc(), Article.id.desc())


def exists_match(parsed: ParsedQuery) -> ColumnElement[bool]:
    """Per-article FTS5 check (``rowid =`` lookup), for walking a date index."""
    fts = fts_table()
    inner: Select[Any] = (select(literal_column("1")).select_from(fts)
             .where(literal_column(FTS_TABLE).op("MATCH")(parsed.to_fts5()), fts.c.rowid == Article.id))
    return inner.exists()


def walk_by_date(session: Session, parsed: ParsedQuery, query: SearchQuery) -> tuple[int, ...]:
    """A page in date order read from the ``published_at`` index, each article checked.

    Used on SQLite when matches are many: the first page is found after a few index steps.
    SQLite sorts NULL lowest, so "newest" (DESC) already puts undated articles last and the
    index serves it; "oldest" reads the dated articles first, then the undated ones.
    """
    base = select(Article.id).where(*filter_conditions(query))
    if not parsed.is_empty:
        base = base.where(exists_match(parsed))
    if query.sort != "oldest":
        stmt = base.order_by(Article.published_at.desc(), Article.id.desc())
        return tuple(session.scalars(stmt.limit(query.limit).offset(query.offset)))
    dated = base.where(Article.published_at.is_not(None))
    ids = tuple(session.scalars(dated.order_by(*date_order(query, dated_only=True))
                                .limit(query.limit).offset(query.offset)))
    if len(ids) == query.limit:
        return ids
    n_dated = query.offset + len(ids) if ids else int(
        session.scalar(select(func.count()).select_from(dated.subquery())) or 0)
    undated = base.where(Article.published_at.is_(None)).order_by(Article.id)
    rest = session.scalars(undated.limit(query.limit - len(ids)).offset(max(0, query.offset - n_dated)))
    return ids + tuple(rest)


def sort_by_date(session: Session, parsed: ParsedQuery, query: SearchQuery,
                 candidates: Candidates) -> Page:
    """Matches ordered by publication date (undated last), then id; exact totals up to the cap.

    Few matches (all among the candidates): sort them. Many: walk the date index (SQLite).
    """
    if session.get_bind().dialect.name == "sqlite" and (candidates.is_estimate or parsed.is_empty):
        return Page(walk_by_date(session, parsed, query), {}, candidates)
    matches = match_rows(session, parsed, query, with_meta=False).subquery()
    stmt = (select(Article.id).join(matches, matches.c.id == Article.id)
            .order_by(*date_order(query, dated_only=False)).limit(query.limit).offset(query.offset))
    return Page(tuple(session.scalars(stmt)), {}, candidates)


# -- exact-diacritic re-ranking ---------------------------------------------------------------
def has_word(text: str, word: str) -> bool:
    """True if ``word`` occurs in ``text`` as a whole word (not inside a longer one).

    ``str.find`` then a look at the two neighbours: several times faster than a regex with
    look-arounds over a long article, and the first occurrence usually settles it.
    """
    at = text.find(word)
    while at >= 0:
        end = at + len(word)
        before = text[at - 1] if at else " "
        after = text[end] if end < len(text) else " "
        if not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_"):
            return True
        at = text.find(word, at + 1)
    return False


def exact_hits(words: frozenset[str], texts: str) -> int:
    """How many of the typed (with diacritics) ``words`` occur as typed in ``texts``."""
    if not words:
        return 0
    lowered = unicodedata.normalize("NFC", texts).lower()
    return sum(1 for w in words if has_word(lowered, w))


def rerank_exact(session: Session, parsed: ParsedQuery, page: Page) -> tuple[int, ...]:
    """Candidates re-ordered: more words matched with their exact diacritics first."""
    rows = session.execute(select(Article.id, Article.title, Article.description, Article.text)
                           .where(Article.id.in_(page.ids))).all()
    words = frozenset(w for t in parsed.terms for w in t.exact)
    exact = {r.id: exact_hits(words, " ".join(x or "" for x in (r.title, r.description, r.text)))
             for r in rows}
    return tuple(sorted(page.ids, key=lambda i: (-exact.get(i, 0), -page.scores.get(i, 0.0), i)))


def rank_page(session: Session, parsed: ParsedQuery, query: SearchQuery,
              candidates: Candidates) -> Page:
    end = query.offset + query.limit
    if not parsed.has_diacritics or end > RERANK_WINDOW:
        return rank_candidates(session, parsed, query, candidates, (query.offset, query.limit))
    page = rank_candidates(session, parsed, query, candidates, (0, RERANK_WINDOW))
    ordered = rerank_exact(session, parsed, page)
    return Page(ordered[query.offset:end], page.scores, candidates)


# -- snippets --------------------------------------------------------------------------------
def term_pattern(terms: tuple[Term, ...]) -> re.Pattern[str] | None:
    """A regex over folded text matching any word of the terms (whole syllables, or prefixes)."""
    alts = set()
    for t in terms:
        for i, w in enumerate(t.words):
            last = i == len(t.words) - 1
            alts.add(re.escape(w) + (r"[^\W_]*" if t.prefix and last else ""))
    if not alts:
        return None
    return re.compile(r"(?<![^\W_])(?:" + "|".join(sorted(alts, key=len, reverse=True)) + r")(?![^\W_])")


def make_snippet(original: str, terms: tuple[Term, ...], words: int = SNIPPET_WORDS) -> Snippet:
    """The ~``words``-word window of ``original`` holding the most matches, matches marked.

    Matching runs on a length-preserving fold of the NFC text, so spans cut the original.
    """
    nfc = unicodedata.normalize("NFC", original)
    folded = fold_aligned(nfc)
    pattern = term_pattern(terms)
    spans = [m.span() for m in pattern.finditer(folded)] if pattern else []
    tokens = [m.span() for m in re.finditer(r"\S+", nfc)]
    if not tokens:
        return Snippet(())
    start_tok = best_window(tokens, spans, words)
    lo = tokens[start_tok][0]
    hi = tokens[min(start_tok + words, len(tokens)) - 1][1]
    segments: list[tuple[str, bool]] = []
    if start_tok > 0:
        segments.append(("… ", False))
    pos = lo
    for s, e in spans:
        if s < lo or e > hi:
            continue
        if s > pos:
            segments.append((nfc[pos:s], False))
        segments.append((nfc[s:e], True))
        pos = e
    if pos < hi:
        segments.append((nfc[pos:hi], False))
    if hi < len(nfc.rstrip()):
        segments.append((" …", False))
    return Snippet(tuple(segments))


def best_window(tokens: list[tuple[int, int]], spans: list[tuple[int, int]], words: int) -> int:
    """Index of the first token of the window with the most match spans (earliest on ties)."""
    if not spans or len(tokens) <= words:
        return 0
    starts = [t[0] for t in tokens]
    token_of = [bisect.bisect_right(starts, s) - 1 for s, _ in spans]
    counts = Counter(token_of)
    best, best_count = 0, -1
    for first in sorted(set(token_of)):
        begin = max(0, first - words // 4)
        n = sum(c for t, c in counts.items() if begin <= t < begin + words)
        if n > best_count:
            best, best_count = begin, n
    return min(best, max(0, len(tokens) - words))


def snippet_source(article: Any, terms: tuple[Term, ...]) -> str:
    """The text to cut the snippet from: the body when it matches, else description/title.

    Only a bounded window of a long body is returned (``SNIPPET_CHARS`` either side of its
    first match, cut at spaces, "…" marking the cuts), so snippets cost the same for short
    and very long articles.
    """
    pattern = term_pattern(terms)
    for candidate in (article.text, article.description, article.title):
        if not candidate:
            continue
        if pattern is None:
            return str(candidate)
        at = find_first_match(str(candidate), pattern)
        if at is not None:
            return cut_around(unicodedata.normalize("NFC", str(candidate)), at)
    return str(article.text or article.description or article.title or "")


def find_first_match(original: str, pattern: re.Pattern[str]) -> int | None:
    """Offset (in the NFC text) of the first match, folding the text chunk by chunk."""
    nfc = unicodedata.normalize("NFC", original)
    step, overlap = 2 * SNIPPET_CHARS, 100
    for lo in range(0, len(nfc), step):
        # Chunks overlap so a phrase across a chunk boundary is still seen whole.
        found = pattern.search(fold_aligned(nfc[lo:lo + step + overlap]))
        if found:
            return lo + found.start()
    return None


def cut_around(nfc: str, at: int) -> str:
    """``SNIPPET_CHARS`` either side of ``at``, cut at spaces, with "…" where text was cut."""
    if len(nfc) <= 2 * SNIPPET_CHARS:
        return nfc
    lo = max(0, at - SNIPPET_CHARS)
    hi = min(len(nfc), at + SNIPPET_CHARS)
    if lo > 0:
        space = nfc.find(" ", lo)
        lo = space + 1 if 0 <= space < at else lo
    if hi < len(nfc):
        space = nfc.rfind(" ", at, hi)
        hi = space if space > at else hi
    return ("… " if lo > 0 else "") + nfc[lo:hi] + (" …" if hi < len(nfc) else "")


# -- facets ----------------------------------------------------------------------------------
def count_facets(session: Session, rows: tuple[tuple[str | None, str | None, int], ...]
                 ) -> dict[str, list[tuple[str, int]]]:
    """Counts by site, province and year from the candidates' (site, year, count) groups.

    One GROUP BY over at most ``CANDIDATE_CAP`` candidates instead of three queries that
    re-read every match; the province of a site comes from the small sources table.
    Ordered by count, then key (code-point order on both backends).
    """
    provinces: dict[str, str | None] = {sid: prov for sid, prov in session.execute(select(
        Source.id, func.coalesce(Source.province_after, Source.province_before)))}
    sites: Counter[str] = Counter()
    years: Counter[str] = Counter()
    for site, year, n in rows:
        if site is not None:
            sites[site] += n
        if year is not None:
            years[year] += n
    by_province: Counter[str] = Counter()
    for site, n in sites.items():
        province = provinces.get(site)
        if province is not None:
            by_province[province] += n
    return {name: sorted(((str(k), n) for k, n in counts.items()), key=lambda kn: (-kn[1], kn[0]))
            for name, counts in (("site", sites), ("province", by_province), ("year", years))}


# -- the entry point -------------------------------------------------------------------------
HIT_COLUMNS = (Article.id, Article.url, Article.canonical_url, Article.site, Article.title,
               Article.description, Article.author, Article.section, Article.published_at,
               Article.text)


def load_hits(session: Session, ids: tuple[int, ...], scores: dict[int, float],
              parsed: ParsedQuery) -> tuple[SearchHit, ...]:
    """The page's hits with snippets; reads only the columns a hit shows (no ORM objects)."""
    rows = session.execute(
        select(*HIT_COLUMNS, Source.name.label("site_name"),
               func.coalesce(Source.province_after, Source.province_before).label("province"))
        .outerjoin(Source, Source.id == Article.site).where(Article.id.in_(ids))).all()
    by_id = {r.id: r for r in rows}
    hits = []
    for i in ids:
        a = by_id[i]
        snippet = make_snippet(snippet_source(a, parsed.terms), parsed.terms)
        hits.append(SearchHit(
            id=a.id, url=a.url, canonical_url=a.canonical_url, site=a.site, site_name=a.site_name,
            province=a.province, title=a.title, description=a.description, author=a.author,
            section=a.section, published_at=a.published_at, score=scores.get(i), snippet=snippet))
    return tuple(hits)


def search(session: Session, query: SearchQuery) -> SearchResult:
    """Run ``query``: the page of hits with snippets, the total, and facets when asked.

    An empty query text lists the filtered articles, newest first.

    >>> search(session, SearchQuery(text="kim thanh", sites=("baohaiduong",)))  # doctest: +SKIP
    """
    parsed = check_query(query)
    candidates = find_candidates(session, parsed, query, with_meta=query.facets)
    if query.sort == "relevance" and not parsed.is_empty:
        page = rank_page(session, parsed, query, candidates)
    else:
        # Without words there is no relevance: list the filtered articles newest first.
        by_date = replace(query, sort="newest") if query.sort == "relevance" else query
        page = sort_by_date(session, parsed, by_date, candidates)
    facets = count_facets(session, candidates.facet_rows) if query.facets else {}
    hits = load_hits(session, page.ids, page.scores, parsed)
    return SearchResult(query=query, total=candidates.total, hits=hits, facets=facets,
                        total_is_estimate=candidates.is_estimate)


def rebuild_index(session: Session) -> int:
    """Re-fold every article into the search index; returns how many were indexed.

    Needed after the fold changes or a bulk load that bypassed the triggers.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        session.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('delete-all')"))
        session.execute(text(
            f"INSERT INTO {FTS_TABLE}(rowid, title, description, text, author) "
            "SELECT id, baotinh_fold(title), baotinh_fold(description), baotinh_fold(text), "
            "baotinh_fold(author) FROM articles"))
    elif dialect == "postgresql":
        # The tsvector is a generated column: rewriting a source column recomputes it.
        session.execute(text("UPDATE articles SET title = title"))
    else:
        raise QueryError("full-text search needs SQLite (FTS5) or PostgreSQL")
    return int(session.scalar(select(func.count()).select_from(Article)) or 0)
