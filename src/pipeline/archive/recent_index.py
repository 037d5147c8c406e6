"""PostgreSQL: GIN indexes over the newest articles' search vectors, a range of ids each (issue 15).

A search ranks the newest ``CANDIDATE_CAP`` matches of its words. The archive's GIN index finds
matches in no useful order, so for a word in one article of a hundred the whole archive's
matches were read (14,000 rows for "kim thanh" at 1 M articles, ~26 ms) to keep the newest
2,001. These partial indexes ("tiers") each hold a range of ids: the open tier every id from
``k × SPAN`` on, below it ``TIERS`` closed tiers of ``SPAN`` ids each. A search reads the tiers
newest first in one statement that stops as soon as it has its matches (``UNION ALL`` under a
``LIMIT``: PostgreSQL never runs the later branches), and asks the archive's index only when
the tiers hold too few (``pipeline.search.backends.postgres``).

Only the open tier takes new articles, so a new article is written into two GIN indexes (the
archive's and the open tier); measured with the store benchmark, the second one's upkeep was
within the noise (both take new entries into their pending lists). Once the open tier covers
``SPAN`` ids, :func:`maintain_recent_index` closes it: it builds the closed tier of those ids
and a new open tier, then drops the old open tier and the closed tiers beyond ``TIERS`` —
without blocking writers (``CREATE INDEX CONCURRENTLY``), under an advisory lock so that two
machines never build at once. The crawl, ``db copy`` and ``baotinh db maintain`` call it; a
search reads the tiers' ranges from the catalog, and uses only an unbroken run of them from the
open tier down (a tier missing or half built ends the run). SQLite has nothing of this: FTS5
reads its doclists newest first.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

__all__ = ["RECENT_INDEX", "SPAN", "TIERS", "RecentIndex", "Tier", "drop_tiers", "is_due", "maintain_recent_index",
           "newest_run", "parse_tier", "read_tiers", "wanted_tiers"]

RECENT_INDEX = "ix_articles_search_recent"  # the open tier (revision 0016)
TIER_PREFIX = "ix_articles_search_ids_"  # closed tiers, named by their first id ÷ SPAN
# Ids a closed tier covers. A word in one article of a hundred has its 2,001 newest matches
# within about one tier; "hai duong" (one in 110) within two.
SPAN = 200_000
TIERS = 4
# Taken (pg_try_advisory_lock) while tiers are built: one builder on the whole server.
LOCK_KEY = 0x6261_6F74_696E_6801  # "baotinh" + 1
# How long a build waits for the transactions open on the table before it gives up.
WAIT_SECONDS = 60
_BUILDING = RECENT_INDEX + "_new"
_LOW = re.compile(r"\bid\s*>=\s*(\d+)")
_HIGH = re.compile(r"\bid\s*<\s*(\d+)")
# Every valid tier's name and predicate, as PostgreSQL prints it ("((id >= 2) AND (id < 4))").
TIERS_SQL = (
    "SELECT c.relname::text, pg_get_expr(i.indpred, i.indrelid) "
    "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
    f"WHERE i.indrelid = 'articles'::regclass AND i.indisvalid AND (c.relname = '{RECENT_INDEX}' "
    f"OR c.relname LIKE '{TIER_PREFIX}%')")


@dataclass(frozen=True, slots=True)
class Tier:
    """A partial GIN index over the ids from ``low`` up to ``high`` (excluded; None: no end)."""

    name: str
    low: int
    high: int | None


@dataclass(frozen=True, slots=True)
class RecentIndex:
    """What :func:`maintain_recent_index` found and did."""

    tiers: tuple[Tier, ...]  # the valid tiers afterwards
    top: int  # the highest article id
    rebuilt: bool  # True when anything was built
    seconds: float = 0.0
    note: str = ""
    busy: bool = False  # another process holds the build's lock

    @property
    def covered_from(self) -> int | None:
        """The lowest id of the unbroken run of tiers from the open one (None: no open tier)."""
        run = newest_run(self.tiers)
        return run[-1][0] if run else None


def parse_tier(name: str, predicate: str | None) -> Tier | None:
    low = _LOW.search(predicate or "")
    if low is None:
        return None
    high = _HIGH.search(predicate or "")
    return Tier(name, int(low.group(1)), int(high.group(1)) if high else None)


def read_tiers(conn: Connection) -> tuple[Tier, ...]:
    """The valid tiers of the archive, newest first."""
    return tiers_of(conn.execute(text(TIERS_SQL)).all())


def tiers_of(rows: Iterable[Sequence[str | None]]) -> tuple[Tier, ...]:
    """Tiers from (name, predicate) rows, newest first."""
    found = (parse_tier(str(name), predicate) for name, predicate in rows)
    return tuple(sorted((t for t in found if t is not None), key=lambda t: -t.low))


def newest_run(tiers: Sequence[Tier]) -> tuple[tuple[int, int | None], ...]:
    """The (low, high) ranges to read, newest first: the open tier, then each tier that goes on
    where the last ended (overlaps cut off, so no id is read twice); a gap ends the run."""
    open_tiers = [t for t in tiers if t.high is None]
    if not open_tiers:
        return ()
    first = max(open_tiers, key=lambda t: t.low)
    run: list[tuple[int, int | None]] = [(first.low, None)]
    for tier in sorted((t for t in tiers if t.high is not None), key=lambda t: -t.low):
        edge = run[-1][0]
        if tier.low < edge <= tier.high:  # type: ignore[operator]
            run.append((tier.low, edge))
    return tuple(run)


def wanted_tiers(top: int, span: int = SPAN, tiers: int | None = TIERS) -> tuple[Tier, ...]:
    """The tiers an archive whose highest id is ``top`` should have, newest first: the open
    one and ``tiers`` closed ones (None: none at all, the archive's index alone)."""
    if tiers is None:
        return ()
    first = top // span
    below = range(first - 1, max(-1, first - 1 - tiers), -1)
    closed = (Tier(f"{TIER_PREFIX}{k}", k * span, (k + 1) * span) for k in below)
    return (Tier(RECENT_INDEX, first * span, None), *closed)


def is_due(have: Sequence[Tier], top: int, span: int = SPAN, tiers: int | None = TIERS) -> bool:
    """True when the tiers are not those :func:`wanted_tiers` gives (the open tier has passed
    ``span`` ids, a tier is missing, or one is left over)."""
    return {(t.low, t.high) for t in have} != {(t.low, t.high) for t in wanted_tiers(top, span, tiers)}


def maintain_recent_index(engine: Engine, *, span: int = SPAN, tiers: int | None = TIERS,
                          force: bool = False) -> RecentIndex | None:
    """Bring the tiers to what :func:`wanted_tiers` gives (``force``: build every one again;
    ``tiers`` None: drop them all, for an archive that puts its writers' speed first); None on
    a database other than PostgreSQL.

    Writers go on meanwhile: each index is built concurrently; the open tier is built under
    another name, then takes the old one's place. A build another process has under way is left
    to it; so is one that waited ``WAIT_SECONDS`` for transactions open on the table (its note
    says so, and the next call finishes the work).
    """
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        top = int(conn.execute(text("SELECT coalesce(max(id), 0) FROM articles")).scalar() or 0)
        have = read_tiers(conn)
        if not force and not is_due(have, top, span, tiers):
            return RecentIndex(have, top, rebuilt=False)
        if not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar():
            return RecentIndex(have, top, rebuilt=False, note="another process is building it", busy=True)
        try:
            return _rebuild(conn, wanted_tiers(top, span, tiers), top, force=force)
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})


def drop_tiers(engine: Engine) -> int:
    """Drop every tier (before a bulk load: each would take every row a second time); how many.
    Nothing on a database other than PostgreSQL."""
    if engine.dialect.name != "postgresql":
        return 0
    with engine.begin() as conn:
        names = [t.name for t in read_tiers(conn)]
        for name in names:
            conn.execute(text(f"DROP INDEX IF EXISTS {name}"))
    return len(names)


def _create(conn: Connection, name: str, tier: Tier) -> None:
    where = f"id >= {int(tier.low)}" + ("" if tier.high is None else f" AND id < {int(tier.high)}")
    conn.execute(text(f"CREATE INDEX CONCURRENTLY {name} ON articles USING gin (search_vector) WHERE {where}"))


def _rebuild(conn: Connection, wanted: tuple[Tier, ...], top: int, *, force: bool) -> RecentIndex:
    start = time.perf_counter()
    # A concurrent build waits for every transaction open on the table; one left open for long
    # (an idle session) would hold it for ever. Past this, the work is left for the next time.
    conn.execute(text(f"SET lock_timeout = '{WAIT_SECONDS}s'"))
    try:
        # Builds interrupted earlier (a killed process, a lock timeout) leave invalid indexes
        # behind, and an open tier built but not yet renamed.
        conn.execute(text(f"DROP INDEX CONCURRENTLY IF EXISTS {_BUILDING}"))
        for name in conn.execute(text(
                "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE i.indrelid = 'articles'::regclass AND NOT i.indisvalid "
                f"AND (c.relname LIKE '{RECENT_INDEX}%' OR c.relname LIKE '{TIER_PREFIX}%')")).scalars().all():
            conn.execute(text(f"DROP INDEX CONCURRENTLY IF EXISTS {name}"))
        have = {t.name: t for t in read_tiers(conn)}
        # The closed tiers first: meanwhile the old open tier still covers their ids.
        for tier in wanted[1:]:
            old = have.get(tier.name)
            if old is not None and (old.low, old.high) == (tier.low, tier.high) and not force:
                continue
            if old is not None:
                conn.execute(text(f"DROP INDEX CONCURRENTLY IF EXISTS {tier.name}"))
            _create(conn, tier.name, tier)
        old_open = have.get(RECENT_INDEX)
        if wanted and (force or old_open is None or old_open.low != wanted[0].low):
            _create(conn, _BUILDING, wanted[0])
            # Between these two a search finds no open tier and asks the archive's index.
            conn.execute(text(f"DROP INDEX CONCURRENTLY IF EXISTS {RECENT_INDEX}"))
            conn.execute(text(f"ALTER INDEX {_BUILDING} RENAME TO {RECENT_INDEX}"))
        names = {t.name for t in wanted}
        for name in have:
            if name not in names:
                conn.execute(text(f"DROP INDEX CONCURRENTLY IF EXISTS {name}"))
    except OperationalError as exc:
        reason = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
        return RecentIndex(read_tiers(conn), top, rebuilt=False,
                           note=f"not rebuilt, left for the next time: {reason}")
    finally:
        conn.execute(text("RESET lock_timeout"))
    return RecentIndex(read_tiers(conn), top, rebuilt=True, seconds=time.perf_counter() - start)
