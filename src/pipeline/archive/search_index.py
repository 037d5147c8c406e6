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

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import cache
from typing import Any

from sqlalchemy import Column, MetaData, Table, bindparam, cast, select, text
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session
from sqlalchemy.types import Integer, Text

from pipeline.archive.models import Article
from pipeline.archive.tsvector import tsvector_literal
from pipeline.record import StoreItem
from pipeline.text.fold import fold

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
# Rows an INSERT of the store's pipeline (see insert_articles_pg).
PIPELINE_PART = 10


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


@cache
def _pg_articles() -> Table:
    """``articles`` with its PostgreSQL-only ``search_vector`` column (not in the ORM model)."""
    columns = [c._copy() for c in Article.__table__.columns]
    # No implicit RETURNING of the id of a one-row INSERT: in a pipeline its result comes later.
    return Table("articles", MetaData(), *columns, Column("search_vector", TSVECTOR), implicit_returning=False)


def insert_articles_pg(session: Session, rows: list[dict[str, Any]], items: dict[str, StoreItem],
                       prepare: Callable[[list[dict[str, Any]]], None] | None = None) -> None:
    """Insert article ``rows`` (PostgreSQL) with their vectors; a URL already there is left alone.

    ``items`` gives each row's item by canonical URL: its fields are folded here unless the
    extraction worker folded the text already (a row without an item is folded from its values).
    The rows go :data:`PIPELINE_PART` at a time through psycopg's pipeline mode, without
    waiting for the server: it inserts one part (vectors parsed, GIN and TOAST written) while
    this process prepares the next (``prepare``, then the vectors); the results are read once,
    at the end. Elsewhere than on psycopg the parts are sent one after the other.
    """
    stmt = (pg_insert(_pg_articles()).values(search_vector=cast(bindparam("vector_text", type_=Text), TSVECTOR))
            .on_conflict_do_nothing(index_elements=["canonical_url"]))
    with _pipeline(session.connection().connection.driver_connection):
        for start in range(0, len(rows), PIPELINE_PART):
            part = rows[start:start + PIPELINE_PART]
            if prepare is not None:
                prepare(part)
            session.execute(stmt, [{**row, "vector_text": tsvector_literal(
                _row_fields(row, items.get(row["canonical_url"])))} for row in part])


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
