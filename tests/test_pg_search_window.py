"""PostgreSQL reads the newest matches from windows of recent ids: the same ids as a full read (issue 15)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from pipeline.search import SearchQuery, parse_query
from pipeline.search.backends.base import newest_rows
from pipeline.search.backends.postgres import PostgresBackend
from tests.conftest import PgCopy
from tests.test_search import fill_corpus, open_corpus


@pytest.fixture
def pg_session(pg_copy: PgCopy) -> Session:
    session = open_corpus(pg_copy(fill_corpus))
    yield session  # type: ignore[misc]
    session.close()
    session.get_bind().dispose()  # type: ignore[union-attr]


def test_windows_give_the_newest_matches(pg_session: Session) -> None:
    backend = PostgresBackend()
    pg_session.execute(text("ANALYZE articles"))  # the planner's estimates choose the path
    bounds = []
    for words in ("kim thanh", "huyen", "thanh", "hai duong", "và", "dong nai OR binh duong", "nông thôn -mới"):
        parsed = parse_query(words)
        query = SearchQuery(text=words)
        for n in (1, 3, 10, 1000):
            ids, bound = backend.newest_ids(pg_session, parsed, query, n)
            assert list(ids) == list(newest_rows(pg_session, backend, parsed, query, n)), (words, n)
            assert bound is None or all(i > bound for i in ids)
            bounds.append(bound)
    assert any(b is not None for b in bounds) and None in bounds  # both paths were taken
