"""The search backends, one per database, and the choice of one for a session's engine."""

from __future__ import annotations

from sqlalchemy.orm import Session

from pipeline.search.backends.base import UNSUPPORTED, Relevance, SearchBackend, TextMatch
from pipeline.search.backends.postgres import PostgresBackend
from pipeline.search.backends.sqlite import SqliteBackend
from pipeline.search.query import QueryError

__all__ = ["PostgresBackend", "Relevance", "SearchBackend", "SqliteBackend", "TextMatch",
           "backend_for"]

# Backends hold no state: one of each serves every engine of its dialect.
BACKENDS: dict[str, SearchBackend] = {"sqlite": SqliteBackend(), "postgresql": PostgresBackend()}


def backend_for(session: Session) -> SearchBackend:
    """The backend of the database ``session`` is bound to; :class:`QueryError` for any other."""
    backend = BACKENDS.get(session.get_bind().dialect.name)
    if backend is None:
        raise QueryError(UNSUPPORTED)
    return backend
