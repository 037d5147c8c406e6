"""The SQLite search index rows of new articles, which the store writes itself.

``articles_fts`` is a contentless FTS5 table over the folded title, description, text and author
(revision 0004). The store inserts the index row of every article it inserts (revision 0006
dropped the insert trigger), using the fold the crawler's extraction worker computed when the
item carries one; an edit or a deletion of an article is re-indexed by the update and delete
triggers, whoever makes it. PostgreSQL keeps a generated ``tsvector`` column: nothing to write.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from pipeline.record import StoreItem
from pipeline.text.fold import fold

__all__ = ["FTS_TABLE", "index_new_articles", "search_row"]

FTS_TABLE = "articles_fts"
_INSERT = text(f"INSERT INTO {FTS_TABLE}(rowid, title, description, text, author) "
               "VALUES (:id, :title, :description, :text, :author)")


def _fold(value: str | None) -> str | None:
    return None if value is None else fold(value)


def search_row(article_id: int, item: StoreItem) -> dict[str, Any]:
    """The index row of one article: its folded fields (NULL stays NULL), the worker's text fold."""
    record = item.record
    folded_text = item.folded_text if item.folded_text is not None else fold(record.text)
    return {"id": article_id, "title": _fold(record.title), "description": _fold(record.description),
            "text": folded_text, "author": _fold(record.author)}


def index_new_articles(session: Session, articles: Iterable[tuple[int, StoreItem]]) -> None:
    """Index articles just inserted, given as (id, item); SQLite only (one executemany)."""
    if session.get_bind().dialect.name != "sqlite":
        return
    rows = [search_row(article_id, item) for article_id, item in articles]
    if rows:
        session.execute(_INSERT, rows)
