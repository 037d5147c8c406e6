"""PostgreSQL's index over the newest articles (issue 15): when it is built again, and that the
newest matches read from it are the archive's newest matches."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from pipeline.archive import recent_index
from pipeline.archive.models import Article
from pipeline.archive.recent_index import (
    LOCK_KEY,
    RECENT_INDEX,
    bound_of,
    is_due,
    maintain_recent_index,
    new_bound,
    recent_bound,
)
from pipeline.search import SearchQuery, parse_query, search
from pipeline.search.backends import postgres
from pipeline.search.backends.base import newest_rows
from pipeline.search.backends.postgres import PostgresBackend
from tests.conftest import PgCopy
from tests.test_search import fill_corpus, open_corpus

WORDS = ("kim thanh", "huyen", "thanh", "hai duong", "và", "dong nai OR binh duong", "nông thôn -mới")


def test_the_bound_and_when_it_moves() -> None:
    assert bound_of("(id >= 800001)") == 800001
    assert bound_of(None) is None and bound_of("(site = 'x')") is None
    assert new_bound(1_000_000, 200_000) == 800_001
    assert new_bound(5, 200_000) == 1
    assert is_due(None, 0, 10)
    assert not is_due(1, 19, 10) and is_due(1, 20, 10)


@pytest.fixture
def pg_session(pg_copy: PgCopy) -> Iterator[Session]:
    session = open_corpus(pg_copy(fill_corpus))
    yield session
    session.close()
    session.get_bind().dispose()  # type: ignore[union-attr]


def engine_of(session: Session) -> Engine:
    """The session's engine, its transaction ended (a concurrent build waits for open ones)."""
    session.rollback()
    bind = session.get_bind()
    assert isinstance(bind, Engine)
    return bind


def test_the_migration_builds_it_and_maintenance_moves_it(pg_session: Session) -> None:
    top = int(pg_session.scalar(select(func.max(Article.id))) or 0)
    engine = engine_of(pg_session)
    with engine.connect() as conn:
        assert recent_bound(conn) == 1  # the migration, on an archive of fewer than its span
    kept = maintain_recent_index(engine, span=top)  # covers top ids of 2 × top: not due
    assert kept is not None and not kept.rebuilt and kept.bound == 1
    moved = maintain_recent_index(engine, span=top // 4)
    assert moved is not None and moved.rebuilt and moved.bound == top - top // 4 + 1
    with engine.connect() as conn:
        assert recent_bound(conn) == moved.bound
        names = conn.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'articles' "
                                  "AND indexname LIKE 'ix_articles_search_recent%'")).scalars().all()
    assert names == [RECENT_INDEX]


def test_a_build_under_way_elsewhere_is_left_to_it(pg_session: Session) -> None:
    engine = engine_of(pg_session)
    with engine.connect() as other:
        other.execute(text("SELECT pg_advisory_lock(:k)"), {"k": LOCK_KEY})
        state = maintain_recent_index(engine, force=True)
        other.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
    assert state is not None and not state.rebuilt and "another process" in state.note


def test_a_transaction_left_open_does_not_hold_the_build_for_ever(pg_session: Session,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    engine = engine_of(pg_session)
    monkeypatch.setattr(recent_index, "WAIT_SECONDS", 1)
    with engine.connect() as idle:
        idle.execute(text("SELECT count(*) FROM articles"))  # a transaction open on the table
        state = maintain_recent_index(engine, force=True, span=5)
    assert state is not None and not state.rebuilt and state.bound == 1
    assert "left for the next time" in state.note and "lock timeout" in state.note
    again = maintain_recent_index(engine, force=True, span=5)  # the half-made index is dropped first
    assert again is not None and again.rebuilt


def test_an_interrupted_build_is_cleaned_up(pg_session: Session) -> None:
    """A killed build leaves its half-made index behind; the next build drops it first."""
    engine = engine_of(pg_session)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"CREATE INDEX {RECENT_INDEX}_new ON articles (id)"))
    state = maintain_recent_index(engine, force=True, span=5)
    assert state is not None and state.rebuilt
    with engine.connect() as conn:
        assert recent_bound(conn) == state.bound


def test_the_newest_matches_from_it_are_the_archives(pg_session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the recent index over the newest third, every read gives what the plain walk gives,
    the index is what PostgreSQL reads, and a query with too few matches there falls back."""
    top = int(pg_session.scalar(select(func.max(Article.id))) or 0)
    engine = engine_of(pg_session)
    state = maintain_recent_index(engine, span=max(1, top // 3), force=True)
    assert state is not None and state.bound is not None
    pg_session.execute(text("ANALYZE articles"))
    monkeypatch.setattr(postgres, "RECENT_DENSE", 0)  # no key walk: the recent index when it may do
    backend = PostgresBackend()
    from_recent = 0
    for words in WORDS:
        parsed, query = parse_query(words), SearchQuery(text=words)
        for n in (1, 3, 10, 1000):
            ids, bound = backend.newest_ids(pg_session, parsed, query, n)
            assert list(ids) == list(newest_rows(pg_session, backend, parsed, query, n)), (words, n)
            if bound == state.bound - 1:
                from_recent += 1
                assert all(i >= state.bound for i in ids)
    assert from_recent >= 3
    # A small table: the planner would walk the key; made to use a text index, it takes the recent one.
    pg_session.execute(text("SET enable_seqscan = off; SET enable_indexscan = off"))
    plan = "\n".join(pg_session.execute(text(
        f"EXPLAIN SELECT id FROM articles WHERE id >= {state.bound} AND "
        "search_vector @@ to_tsquery('simple', 'kim & thanh') ORDER BY id + 0 DESC LIMIT 3")).scalars())
    assert RECENT_INDEX in plan


def test_search_is_the_same_with_and_without_it(pg_session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    top = int(pg_session.scalar(select(func.max(Article.id))) or 0)
    engine = engine_of(pg_session)
    maintain_recent_index(engine, span=max(1, top // 3), force=True)
    monkeypatch.setattr(postgres, "RECENT_DENSE", 0)
    with_index = [search(pg_session, SearchQuery(text=w, limit=50)) for w in WORDS]
    pg_session.execute(text(f"DROP INDEX {RECENT_INDEX}"))
    without = [search(pg_session, SearchQuery(text=w, limit=50)) for w in WORDS]
    for a, b in zip(with_index, without, strict=True):
        assert [h.id for h in a.hits] == [h.id for h in b.hits] and a.total == b.total
