"""PostgreSQL's indexes over the newest articles, a range of ids each (issue 15): which tiers an
archive wants, when they are built again, and that the newest matches read from them are the
archive's newest matches."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from pipeline.archive import recent_index
from pipeline.archive.models import Article
from pipeline.archive.recent_index import (
    LOCK_KEY,
    RECENT_INDEX,
    TIER_PREFIX,
    Tier,
    is_due,
    maintain_recent_index,
    newest_run,
    parse_tier,
    read_tiers,
    wanted_tiers,
)
from pipeline.search import SearchQuery, parse_query, search
from pipeline.search.backends import postgres
from pipeline.search.backends.base import newest_rows
from pipeline.search.backends.postgres import PostgresBackend

WORDS = ("kim thanh", "huyen", "thanh", "hai duong", "và", "dong nai OR binh duong", "nông thôn -mới")


def test_tiers_wanted_read_and_run() -> None:
    assert parse_tier("a", "(id >= 800000)") == Tier("a", 800000, None)
    assert parse_tier("b", "((id >= 600000) AND (id < 800000))") == Tier("b", 600000, 800000)
    assert parse_tier("c", None) is None and parse_tier("d", "(site = 'x')") is None
    wanted = wanted_tiers(1_000_000, 200_000, 4)
    assert [(t.low, t.high) for t in wanted] == [(1_000_000, None), (800_000, 1_000_000), (600_000, 800_000),
                                                 (400_000, 600_000), (200_000, 400_000)]
    assert [t.name for t in wanted] == [RECENT_INDEX] + [f"{TIER_PREFIX}{k}" for k in (4, 3, 2, 1)]
    assert [(t.low, t.high) for t in wanted_tiers(5, 200_000)] == [(0, None)]
    assert not is_due(wanted, 1_199_999, 200_000, 4) and is_due(wanted, 1_200_000, 200_000, 4)
    assert is_due(wanted[:-1], 1_000_000, 200_000, 4)  # a tier missing
    # the run to read: from the open tier down while each tier goes on where the last ended
    old_open = Tier(RECENT_INDEX, 800_000, None)
    assert newest_run(wanted) == tuple((t.low, t.high) for t in wanted)
    assert newest_run((old_open, *wanted[1:])) == ((800_000, None), (600_000, 800_000), (400_000, 600_000),
                                                   (200_000, 400_000))
    assert newest_run((wanted[0], wanted[1], wanted[3])) == ((1_000_000, None), (800_000, 1_000_000))  # a gap
    assert newest_run(wanted[1:]) == ()  # no open tier: nothing to read


def engine_of(session: Session) -> Engine:
    """The session's engine, its transaction ended (a concurrent build waits for open ones)."""
    session.rollback()
    bind = session.get_bind()
    assert isinstance(bind, Engine)
    return bind


def run_of(engine: Engine) -> tuple[tuple[int, int | None], ...]:
    with engine.connect() as conn:
        return newest_run(read_tiers(conn))


def test_the_migration_builds_the_open_tier_and_maintenance_the_rest(pg_session: Session) -> None:
    top = int(pg_session.scalar(select(func.max(Article.id))) or 0)
    engine = engine_of(pg_session)
    assert run_of(engine) == ((0, None),)  # the migration, on an archive of fewer than its span
    kept = maintain_recent_index(engine)
    assert kept is not None and not kept.rebuilt and kept.covered_from == 0
    span = top // 3
    moved = maintain_recent_index(engine, span=span, tiers=2)
    first = top // span
    assert moved is not None and moved.rebuilt
    assert run_of(engine) == ((first * span, None), ((first - 1) * span, first * span),
                              ((first - 2) * span, (first - 1) * span))
    with engine.connect() as conn:
        names = conn.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'articles' AND "
                                  f"(indexname LIKE '{RECENT_INDEX}%' OR indexname LIKE '{TIER_PREFIX}%')")
                             ).scalars().all()
    assert sorted(names) == sorted([RECENT_INDEX, f"{TIER_PREFIX}{first - 1}", f"{TIER_PREFIX}{first - 2}"])
    again = maintain_recent_index(engine, span=span, tiers=1)  # one closed tier: the oldest is dropped
    assert again is not None and again.rebuilt and len(run_of(engine)) == 2


def test_a_build_under_way_elsewhere_is_left_to_it(pg_session: Session) -> None:
    engine = engine_of(pg_session)
    with engine.connect() as other:
        other.execute(text("SELECT pg_advisory_lock(:k)"), {"k": LOCK_KEY})
        state = maintain_recent_index(engine, force=True)
        other.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
    assert state is not None and not state.rebuilt and state.busy and "another process" in state.note


def test_a_transaction_left_open_does_not_hold_the_build_for_ever(pg_session: Session,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    engine = engine_of(pg_session)
    monkeypatch.setattr(recent_index, "WAIT_SECONDS", 1)
    with engine.connect() as idle:
        idle.execute(text("SELECT count(*) FROM articles"))  # a transaction open on the table
        state = maintain_recent_index(engine, force=True, span=5)
    assert state is not None and not state.rebuilt and not state.busy
    assert "left for the next time" in state.note and "lock timeout" in state.note
    again = maintain_recent_index(engine, span=5)  # the half-made index is dropped first
    assert again is not None and again.rebuilt and not is_due(again.tiers, again.top, 5)


def test_an_interrupted_build_is_cleaned_up(pg_session: Session) -> None:
    """A killed build leaves its half-made index behind; the next build drops it first."""
    engine = engine_of(pg_session)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"CREATE INDEX {RECENT_INDEX}_new ON articles (id)"))
        conn.execute(text(f"UPDATE pg_index SET indisvalid = false WHERE indexrelid = '{RECENT_INDEX}_new'::regclass"))
    state = maintain_recent_index(engine, force=True, span=5)
    assert state is not None and state.rebuilt
    with engine.connect() as conn:
        assert conn.scalar(text(f"SELECT to_regclass('{RECENT_INDEX}_new')")) is None


def test_the_newest_matches_from_the_tiers_are_the_archives(pg_session: Session,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """With tiers of a sixth of the archive, every read gives what the plain walk gives, the
    tiers are what PostgreSQL reads, and a query with too few matches there falls back."""
    top = int(pg_session.scalar(select(func.max(Article.id))) or 0)
    engine = engine_of(pg_session)
    span = max(1, top // 6)
    state = maintain_recent_index(engine, span=span, tiers=3)
    assert state is not None and state.covered_from is not None and state.covered_from > 1
    pg_session.execute(text("ANALYZE articles"))
    monkeypatch.setattr(postgres, "RECENT_DENSE", 0)  # no key walk: the tiers when they may do
    backend = PostgresBackend()
    from_tiers = 0
    for words in WORDS:
        parsed, query = parse_query(words), SearchQuery(text=words)
        for n in (1, 3, 10, 1000):
            ids, bound = backend.newest_ids(pg_session, parsed, query, n)
            assert list(ids) == list(newest_rows(pg_session, backend, parsed, query, n)), (words, n)
            if bound is not None and ids and bound == ids[-1] - 1:
                from_tiers += 1
    assert from_tiers >= 3
    # A small table: the planner would walk the key; made to use a text index, it takes a tier.
    pg_session.execute(text("SET enable_seqscan = off; SET enable_indexscan = off"))
    low, high = newest_run(state.tiers)[1]
    plan = "\n".join(pg_session.execute(text(
        f"EXPLAIN SELECT id FROM articles WHERE id >= {low} AND id < {high} AND "
        "search_vector @@ to_tsquery('simple', 'kim & thanh') ORDER BY id + 0 DESC LIMIT 3")).scalars())
    assert f"{TIER_PREFIX}{low // span}" in plan


def test_search_is_the_same_with_and_without_them(pg_session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    top = int(pg_session.scalar(select(func.max(Article.id))) or 0)
    maintain_recent_index(engine_of(pg_session), span=max(1, top // 6), tiers=3)
    monkeypatch.setattr(postgres, "RECENT_DENSE", 0)
    with_tiers = [search(pg_session, SearchQuery(text=w, limit=50)) for w in WORDS]
    pg_session.execute(text(f"DROP INDEX {RECENT_INDEX}"))
    without = [search(pg_session, SearchQuery(text=w, limit=50)) for w in WORDS]
    for a, b in zip(with_tiers, without, strict=True):
        assert [h.id for h in a.hits] == [h.id for h in b.hits] and a.total == b.total
