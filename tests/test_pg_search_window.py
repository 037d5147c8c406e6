"""PostgreSQL search paths that differ from SQLite's give the same results (issue 15): windows of recent ids,
scores read by key, vectors kept in the row."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from pipeline.archive.recent_index import RECENT_INDEX
from pipeline.search import SearchQuery, parse_query, ranking
from pipeline.search.backends import postgres
from pipeline.search.backends.base import newest_rows
from pipeline.search.backends.postgres import PostgresBackend
from pipeline.search.candidates import find_candidates
from pipeline.search.ranking import KnownScores, rank_candidates


def test_windows_give_the_newest_matches(pg_session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = PostgresBackend()
    # The small corpus's matches are all "few": read every time unless windows are forced.
    assert backend.newest_ids(pg_session, parse_query("huyen"), SearchQuery(text="huyen"), 3)[1] is None
    monkeypatch.setattr(postgres, "FEW_MATCHES", 0)
    monkeypatch.setattr(postgres, "DENSE_SHARE", 10)
    # Without the recent index (tests/test_recent_index.py has its own): windows and walks only.
    pg_session.execute(text(f"DROP INDEX {RECENT_INDEX}"))
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


def test_scores_read_by_key_rank_as_the_sql_did(pg_session: Session) -> None:
    """The candidates' scores read by key order every window as the ranking statement over the
    matches did: as typed and as phrases, with offsets and left-out ids."""
    backend = PostgresBackend()
    for words in ("kim thanh", "thanh", "hai duong", "dong nai OR binh duong", "nông thôn -mới", "huyện kim"):
        parsed = parse_query(words)
        query = SearchQuery(text=words)
        candidates = find_candidates(pg_session, backend, parsed, query, with_meta=False)
        known: KnownScores = {}
        for window, exclude in (((0, 50), ()), ((2, 5), ()), ((0, 7), candidates.ids[:3])):
            for phrases in (False, True) if parsed.has_runs else (False,):
                sql = rank_candidates(pg_session, backend, parsed, query, candidates, window, exclude,
                                      phrases=phrases)
                by_key = rank_candidates(pg_session, backend, parsed, query, candidates, window, exclude,
                                         known=known, phrases=phrases)
                assert by_key.ids == sql.ids and by_key.scores == pytest.approx(sql.scores), (words, window)
        plain = known[False]
        assert plain is not None and set(plain) == set(candidates.ids), words
        assert set(known.get(True) or ()) <= set(plain)


def test_vectors_are_kept_in_the_row(pg_session: Session) -> None:
    """Revision 0015: ``search_vector`` stored MAIN (in the row), lz4 where the server has it."""
    storage, compression = pg_session.execute(text(
        "SELECT attstorage, attcompression FROM pg_attribute "
        "WHERE attrelid = 'articles'::regclass AND attname = 'search_vector'")).one()
    has_lz4 = pg_session.scalar(text(
        "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"))
    assert storage == "m"
    assert compression == ("l" if has_lz4 else "")


def test_one_read_for_both_forms_gives_the_window_of_two_rankings(pg_session: Session,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """``score_window`` (phrase and words scored in one statement) fills the re-ranking window
    with the ids, in the order, of the two SQL rankings it replaces: side by side first, then the
    words' order of the others."""
    backend = PostgresBackend()
    checked = 0
    for size in (3, 5, 20):
        monkeypatch.setattr(ranking, "RERANK_WINDOW", size)
        for words in ("kim thanh", "hai duong", "nông thôn -mới", "huyện kim", "dong nai OR binh duong"):
            parsed = parse_query(words)
            query = SearchQuery(text=words)
            candidates = find_candidates(pg_session, backend, parsed, query, with_meta=False)
            if candidates.total <= size:
                continue
            window = (0, size)
            adjacent = rank_candidates(pg_session, backend, parsed, query, candidates, window, phrases=True)
            plain = rank_candidates(pg_session, backend, parsed, query, candidates, window)
            expected = adjacent.ids if len(adjacent.ids) == size else \
                tuple(dict.fromkeys(adjacent.ids + plain.ids))[:size]
            known: KnownScores = {}
            got = ranking.window_of(pg_session, backend, parsed, query, candidates, known)
            assert got.ids == expected, (words, size)
            checked += 1
            assert {i: got.scores[i] for i in adjacent.ids if i in got.scores} == pytest.approx(
                {i: adjacent.scores[i] for i in adjacent.ids if i in got.scores})
    assert checked >= 4
