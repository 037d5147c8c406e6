"""PostgreSQL: a second, small GIN index over the newest articles' search vectors (issue 15).

A search ranks the newest ``CANDIDATE_CAP`` matches of its words. The archive's GIN index finds
matches in no useful order, so for a word in one article of a hundred the whole archive's
matches were read (14,000 rows for "kim thanh" at 1 M articles, ~26 ms) to keep the newest
2,001. This index holds only the articles from ``bound`` on (about ``RECENT_SPAN`` of them):
when they hold enough matches, the newest are read there (~5 ms), and the whole archive's index
is asked only when they do not.

The index is partial (``WHERE id >= bound``), so a new article is written into both indexes;
measured with the store benchmark, the second GIN's upkeep was within the noise (both take new
entries into their pending lists). As the archive grows the index covers ever more articles;
:func:`maintain_recent_index` builds a new one over the newest ``RECENT_SPAN`` once the old
covers ``2 × RECENT_SPAN`` ids, without blocking writers (``CREATE INDEX CONCURRENTLY``), under
an advisory lock so that two machines never build it at once. The crawl, ``db copy`` and
``baotinh db maintain`` call it; a search finds the bound in the catalog, and uses the archive's
index alone while no valid recent index exists. SQLite has nothing of this: FTS5 reads its
doclists newest first.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

__all__ = ["RECENT_INDEX", "RECENT_SPAN", "RecentIndex", "bound_of", "is_due", "maintain_recent_index", "new_bound",
           "recent_bound"]

RECENT_INDEX = "ix_articles_search_recent"
# The index is built over about this many newest ids, and built again once it covers twice as
# many. A word in one article of a hundred has its 2,001 newest matches among ~200,000.
RECENT_SPAN = 200_000
# Taken (pg_try_advisory_lock) while a new index is built: one builder on the whole server.
LOCK_KEY = 0x6261_6F74_696E_6801  # "baotinh" + 1
_BUILDING = RECENT_INDEX + "_new"
# How long a build waits for the transactions open on the table before it gives up.
WAIT_SECONDS = 60
_BOUND = re.compile(r"\bid\s*>=\s*(\d+)")


@dataclass(frozen=True, slots=True)
class RecentIndex:
    """What :func:`maintain_recent_index` found and did."""

    bound: int | None  # the index covers ids >= bound (None: no valid index)
    top: int  # the highest article id
    rebuilt: bool
    seconds: float = 0.0
    note: str = ""


def bound_of(predicate: str | None) -> int | None:
    """The bound in the recent index's predicate as PostgreSQL prints it ("(id >= 800001)")."""
    found = _BOUND.search(predicate or "")
    return int(found.group(1)) if found else None


def recent_bound(conn: Connection) -> int | None:
    """The lowest id the valid recent index covers, or None when there is none."""
    return bound_of(conn.execute(text(
        "SELECT pg_get_expr(i.indpred, i.indrelid) FROM pg_index i "
        "WHERE i.indexrelid = to_regclass(:name) AND i.indisvalid"), {"name": RECENT_INDEX}).scalar())


def new_bound(top: int, span: int) -> int:
    """The bound of an index over the newest ``span`` ids up to ``top``."""
    return max(1, top - span + 1)


def is_due(bound: int | None, top: int, span: int) -> bool:
    """True when there is no index, or it covers at least ``2 × span`` ids."""
    return bound is None or top - bound + 1 >= 2 * span


def maintain_recent_index(engine: Engine, *, span: int = RECENT_SPAN, force: bool = False) -> RecentIndex | None:
    """Build the recent index again when due (``force``: now); None on a database other than PostgreSQL.

    Writers go on meanwhile: the new index is built concurrently under another name, then
    takes the old one's place. A build another process has under way is left to it; so is one
    that waited ``WAIT_SECONDS`` for transactions open on the table (its note says so).
    """
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        top = int(conn.execute(text("SELECT coalesce(max(id), 0) FROM articles")).scalar() or 0)
        bound = recent_bound(conn)
        if not force and not is_due(bound, top, span):
            return RecentIndex(bound, top, rebuilt=False)
        if not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar():
            return RecentIndex(bound, top, rebuilt=False, note="another process is building it")
        try:
            return _rebuild(conn, new_bound(top, span), top, bound)
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})


def _rebuild(conn: Connection, bound: int, top: int, old: int | None) -> RecentIndex:
    start = time.perf_counter()
    # A concurrent build waits for every transaction open on the table; one left open for long
    # (an idle session) would hold it for ever. Past this, the build is left for the next time.
    conn.execute(text(f"SET lock_timeout = '{WAIT_SECONDS}s'"))
    try:
        # A build interrupted earlier (a killed process) leaves an invalid index under this name.
        conn.execute(text(f"DROP INDEX CONCURRENTLY IF EXISTS {_BUILDING}"))
        conn.execute(text(f"CREATE INDEX CONCURRENTLY {_BUILDING} ON articles "
                          f"USING gin (search_vector) WHERE id >= {int(bound)}"))
        # Between these two a search finds no recent index and asks the archive's: slower, not wrong.
        conn.execute(text(f"DROP INDEX CONCURRENTLY IF EXISTS {RECENT_INDEX}"))
        conn.execute(text(f"ALTER INDEX {_BUILDING} RENAME TO {RECENT_INDEX}"))
    except OperationalError as exc:
        reason = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
        return RecentIndex(old, top, rebuilt=False, note=f"not rebuilt, left for the next time: {reason}")
    finally:
        conn.execute(text("RESET lock_timeout"))
    return RecentIndex(bound, top, rebuilt=True, seconds=time.perf_counter() - start)
