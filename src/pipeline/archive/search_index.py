"""The search index rows of articles, which the store writes itself with the worker's fold.

SQLite: ``articles_fts`` is a contentless FTS5 table over the folded title, description, text and
author (revision 0004). The store inserts the index row of every article it inserts (revision
0006 dropped the insert trigger); an edit or a deletion is re-indexed by the update and delete
triggers, whoever makes it.

PostgreSQL: ``articles.search_vector`` is a plain ``tsvector`` (revision 0007). The store inserts
each article with its vector built from the folded fields (:mod:`.tsvector`: the server only
parses it), byte-identical to the SQL fold. Bulk rewrites (re-extraction, index rebuilds)
write the vectors of many rows in one statement, under :func:`vectors_written`; any other edit
of the text is re-folded by the table's trigger.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import lru_cache
from typing import Any

from sqlalchemy import Dialect, bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.types import JSON, Integer, Text

from pipeline.archive.models import Article
from pipeline.archive.tsvector import tsvector_literal
from pipeline.record import StoreItem
from pipeline.text.fold import fold
from pipeline.text.simhash import BAND_WIDTHS

__all__ = ["FTS_TABLE", "FoldedFields", "folded_fields", "index_new_articles", "insert_articles_pg",
           "rebuild_vectors", "search_row", "vectors_written", "write_vectors"]

FTS_TABLE = "articles_fts"
_INSERT = text(f"INSERT INTO {FTS_TABLE}(rowid, title, description, text, author) "
               "VALUES (:id, :title, :description, :text, :author)")
# (title, description, text, author), folded; NULL stays NULL.
FoldedFields = tuple[str | None, str | None, str | None, str | None]
# A vector the store could not build (see tsvector_literal) is folded by the server.
_VECTOR_UPDATE = text(
    "UPDATE articles AS a SET search_vector = coalesce(v.vec::tsvector, baotinh_folded_vector("
    "baotinh_fold(a.title), baotinh_fold(a.description), baotinh_fold(a.text), baotinh_fold(a.author))) "
    "FROM unnest(:ids, :vecs) AS v(id, vec) WHERE a.id = v.id"
).bindparams(bindparam("ids", type_=ARRAY(Integer)), bindparam("vecs", type_=ARRAY(Text)))
REBUILD_BATCH = 2000
# Rows a part of the store's pipeline holds at most (see insert_articles_pg).
PIPELINE_PART = 10


def pipeline_parts(count: int) -> Iterator[tuple[int, int]]:
    """The (start, end) of the parts of ``count`` rows: :data:`PIPELINE_PART` rows, then half
    of what is left, down to single rows (50: 10, 10, 10, 10, 5, 2, 1, 1, 1), so that the
    server has only about one row left to insert when the last one is sent."""
    start = 0
    while start < count:
        end = start + min(PIPELINE_PART, max(1, (count - start) // 2))
        yield start, end
        start = end


def _fold(value: str | None) -> str | None:
    return None if value is None else fold(value)


def folded_fields(title: str | None, description: str | None, body: str | None, author: str | None,
                  *, folded_text: str | None = None) -> FoldedFields:
    """The four indexed fields folded (``folded_text``: the worker's fold of ``body``, when known)."""
    return (_fold(title), _fold(description), folded_text if folded_text is not None else _fold(body),
            _fold(author))


def _item_fields(item: StoreItem) -> FoldedFields:
    r = item.record
    return folded_fields(r.title, r.description, r.text, r.author, folded_text=item.folded_text)


def _row_fields(row: dict[str, Any], item: StoreItem | None) -> FoldedFields:
    if item is not None:
        return _item_fields(item)
    return folded_fields(row.get("title"), row.get("description"), row.get("text"), row.get("author"))


def search_row(article_id: int, item: StoreItem) -> dict[str, Any]:
    """The FTS5 row of one article: its folded fields (NULL stays NULL), the worker's text fold."""
    title, description, folded_text, author = _item_fields(item)
    return {"id": article_id, "title": title, "description": description, "text": folded_text,
            "author": author}


def index_new_articles(session: Session, articles: Iterable[tuple[int, StoreItem]]) -> None:
    """Index articles just inserted, given as (id, item); SQLite only (one executemany)."""
    if session.get_bind().dialect.name != "sqlite":
        return
    rows = [search_row(article_id, item) for article_id, item in articles]
    if rows:
        session.execute(_INSERT, rows)


@lru_cache(maxsize=16)
def _insert_statement(dialect: Dialect, columns: tuple[str, ...]) -> tuple[str, tuple[Any, ...]]:
    """The store's INSERT of one article with its vector and SimHash bands, and the bind
    processors of ``columns`` (JSON, aware datetimes) for ``dialect``.

    A JSON value is bound as its text (``json.dumps``, what SQLAlchemy's processor wraps in
    psycopg's ``Jsonb`` for psycopg to dump the same way): a plain string costs the driver
    less than a ``Jsonb`` object, and the server reads it as the column's type.

    One statement per row: the article, ``ON CONFLICT DO NOTHING``, and its bands inserted from
    what the INSERT returned, so a row another writer stored meanwhile gets no bands and returns
    no id. The statement text is fixed, so psycopg prepares it once per connection.
    """
    table = Article.__table__
    processors = tuple(json.dumps if isinstance(table.c[c].type.dialect_impl(dialect), JSON)
                       else table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns)
    names = ", ".join(f'"{c}"' for c in columns)
    values = ", ".join(["%s"] * len(columns))
    sql = (f"WITH a AS (INSERT INTO articles ({names}, search_vector) VALUES ({values}, %s::tsvector) "
           "ON CONFLICT (canonical_url) DO NOTHING RETURNING id, simhash), "
           "b AS (INSERT INTO simhash_bands (article_id, band, key, simhash) "
           f"SELECT a.id, k.band, (a.simhash >> k.shift) & k.mask, a.simhash FROM a, {_BAND_SLICES} "
           "WHERE a.simhash IS NOT NULL) SELECT id FROM a")
    return sql, processors


def _band_slices() -> str:
    """The bands of :func:`~pipeline.text.simhash.band_keys` as SQL rows (band, shift, mask): a
    band's key is ``(simhash >> shift) & mask`` on the signed BIGINT too (``>>`` copies the sign
    bit into the high bits, which the mask of 10–11 bits drops), so the server computes the keys
    and the row binds no arrays (dumping two lists a row cost the writer more than the
    server's shifts)."""
    rows, shift = [], 0
    for band, width in enumerate(BAND_WIDTHS):
        rows.append(f"({band}, {shift}, {(1 << width) - 1})")
        shift += width
    return f"(VALUES {', '.join(rows)}) AS k(band, shift, mask)"


_BAND_SLICES = _band_slices()


def insert_articles_pg(session: Session, rows: list[dict[str, Any]], items: dict[str, StoreItem],
                       prepare: Callable[[list[dict[str, Any]]], None] | None = None, *,
                       lock: int | None = None) -> dict[str, int]:
    """Insert article ``rows`` (PostgreSQL) with their vectors and SimHash bands; a URL already
    there is left alone. Returns the ids of the rows this call inserted, by canonical URL.

    A row's vector is its ``search_vector`` value when ``prepare`` gave it one; else it is made
    from the row's item in ``items`` (by canonical URL; the worker's fold of the text when known)
    or from the row's values. Its bands come from its ``simhash`` (signed). The rows go part by
    part (:func:`pipeline_parts`) through psycopg's pipeline mode, without waiting for the
    server: it inserts one part (vectors parsed, GIN and TOAST written) while this process
    prepares the next; the results are read once, at the end, with the advisory ``lock`` (when
    given) taken in the same round trip. Every row must have the same keys.
    """
    raw = session.connection().connection.driver_connection
    assert raw is not None
    sent: list[tuple[str, Any]] = []
    with _pipeline(raw):
        for start, end in pipeline_parts(len(rows)):
            part = rows[start:end]
            if prepare is not None:
                prepare(part)
            if not start:  # the columns of the prepared rows
                columns = tuple(c for c in part[0] if c != "search_vector")
                sql, processors = _insert_statement(session.get_bind().dialect, columns)
            for row in part:
                vector = row["search_vector"] if "search_vector" in row else tsvector_literal(
                    _row_fields(row, items.get(row["canonical_url"])))
                values = [row[c] if p is None else p(row[c]) for c, p in zip(columns, processors, strict=True)]
                cursor = raw.cursor()
                cursor.execute(sql, (*values, vector), prepare=True)
                sent.append((row["canonical_url"], cursor))
        if lock is not None:
            raw.cursor().execute("SELECT pg_advisory_xact_lock(%s)", (lock,))
    inserted = {}
    for url, cursor in sent:
        returned = cursor.fetchone()
        if returned is not None:
            inserted[url] = returned[0]
    return inserted


def _pipeline(raw: Any) -> AbstractContextManager[Any]:
    """psycopg's pipeline mode on ``raw`` when its libpq has it (14+); else nothing."""
    try:
        from psycopg import Pipeline
    except ImportError:
        return nullcontext()
    pipeline = getattr(raw, "pipeline", None)
    return pipeline() if pipeline is not None and Pipeline.is_supported() else nullcontext()


@contextmanager
def vectors_written(session: Session) -> Iterator[None]:
    """Within the block, updates of article texts leave ``search_vector`` to the caller (PostgreSQL).

    The caller writes the vectors of the rows it changes (:func:`write_vectors`) before the
    transaction ends. Elsewhere than on PostgreSQL it does nothing.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        session.execute(text("SELECT set_config('baotinh.vectors_written', 'on', true)"))
    yield
    # On an exception the transaction is rolled back, and the setting with it.
    if postgres:
        session.execute(text("SELECT set_config('baotinh.vectors_written', 'off', true)"))


def write_vectors(session: Session, rows: Sequence[tuple[int, FoldedFields]]) -> None:
    """Set the vectors of ``rows`` (id, folded fields) in one statement; PostgreSQL only."""
    if not rows or session.get_bind().dialect.name != "postgresql":
        return
    session.execute(_VECTOR_UPDATE, {"ids": [i for i, _ in rows],
                                     "vecs": [tsvector_literal(fields) for _, fields in rows]})


def rebuild_vectors(session: Session, *, batch: int = REBUILD_BATCH) -> int:
    """Recompute every article's vector from the Python fold, ``batch`` rows a statement.

    Returns how many articles were indexed. PostgreSQL only.
    """
    done, last = 0, 0
    source = select(Article.id, Article.title, Article.description, Article.text, Article.author)
    with vectors_written(session):
        while True:
            chunk = session.execute(source.where(Article.id > last).order_by(Article.id).limit(batch)).all()
            if not chunk:
                return done
            write_vectors(session, [(r.id, folded_fields(r.title, r.description, r.text, r.author))
                                    for r in chunk])
            done += len(chunk)
            last = chunk[-1].id
