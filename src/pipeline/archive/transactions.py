"""Transactions the database may abort on its own, run again from the start.

Several writers share one PostgreSQL archive (crawl workers on many machines). A writer's batch
can then be chosen as the victim of a deadlock — one writer holding an article row it updated
while it waits for the near-copy linking lock, the other holding that lock while it links the
same row into a cluster — or fail a serializable check. PostgreSQL's advice for both is to run the
transaction again: nothing of the aborted one was committed, and the second attempt usually
finds the other writer gone. Every other error is raised at once.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["ATTEMPTS", "TRANSIENT_SQLSTATES", "in_transaction", "is_transient"]

log = logging.getLogger(__name__)

T = TypeVar("T")

# deadlock_detected, serialization_failure
TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})
# Tries in all, and the base of the pause before the next (doubled each time, with jitter).
ATTEMPTS = 4
PAUSE_SECONDS = 0.05


def is_transient(exc: BaseException) -> bool:
    """True when ``exc`` is a database abort that a new attempt of the transaction may pass."""
    if not isinstance(exc, DBAPIError):
        return False
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code in TRANSIENT_SQLSTATES


def in_transaction(sessions: sessionmaker[Session], work: Callable[[Session], T], *,
                   attempts: int = ATTEMPTS, pause: float = PAUSE_SECONDS) -> T:
    """``work(session)`` in one transaction of ``sessions``, committed; run again, from a new
    transaction, when the database aborted it as a deadlock victim or a serialization failure
    (at most ``attempts`` tries; the last error is raised)."""
    for attempt in range(1, attempts + 1):
        try:
            with sessions.begin() as session:
                return work(session)
        except DBAPIError as exc:
            if attempt == attempts or not is_transient(exc):
                raise
            wait = pause * 2 ** (attempt - 1) * (1 + random.random())
            log.warning("transaction aborted by the database (%s), try %d of %d in %.2f s",
                        getattr(exc.orig, "sqlstate", "?"), attempt + 1, attempts, wait)
            time.sleep(wait)
    raise AssertionError("unreachable")  # the loop returns or raises
