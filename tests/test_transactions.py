"""A transaction PostgreSQL aborts as a deadlock victim is run again (issue 15: writers on many
machines); any other error is raised at once."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pipeline.archive import db
from pipeline.archive.transactions import in_transaction


def test_a_deadlock_victim_is_run_again(pg_url: str) -> None:
    """Two writers lock two rows in opposite orders: PostgreSQL aborts one; it is run again and
    both transactions end committed."""
    engine = db.make_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE pair (id integer PRIMARY KEY, n integer NOT NULL)"))
        conn.execute(text("INSERT INTO pair VALUES (1, 0), (2, 0)"))
    sessions = db.make_sessionmaker(engine)
    both_hold_one = threading.Barrier(2, timeout=10)
    attempts = {"a": 0, "b": 0}
    errors: list[BaseException] = []

    def writer(name: str, first: int, second: int) -> None:
        def work(session: Session) -> None:
            attempts[name] += 1
            session.execute(text("SET LOCAL deadlock_timeout = '100ms'"))
            session.execute(text("UPDATE pair SET n = n + 1 WHERE id = :i"), {"i": first})
            if attempts[name] == 1:
                both_hold_one.wait()  # each holds its first row: the second updates deadlock
            session.execute(text("UPDATE pair SET n = n + 1 WHERE id = :i"), {"i": second})

        try:
            in_transaction(sessions, work, pause=0.01)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=("a", 1, 2)), threading.Thread(target=writer, args=("b", 2, 1))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    assert sorted(attempts.values()) == [1, 2]  # the victim ran twice, the other once
    with engine.connect() as conn:
        assert [tuple(r) for r in conn.execute(text("SELECT id, n FROM pair ORDER BY id"))] == [(1, 2), (2, 2)]
    engine.dispose()


def test_other_errors_are_raised_at_once(pg_url: str) -> None:
    engine = db.make_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE one (id integer PRIMARY KEY)"))
        conn.execute(text("INSERT INTO one VALUES (1)"))
    tries = []

    def work(session: Session) -> None:
        tries.append(1)
        session.execute(text("INSERT INTO one VALUES (1)"))

    with pytest.raises(IntegrityError):
        in_transaction(db.make_sessionmaker(engine), work)
    assert len(tries) == 1
    engine.dispose()
