"""Upkeep where writes end: PostgreSQL's recent search tiers kept up to date (issue 15).

:mod:`pipeline.archive.recent_index` closes the open tier once it has passed its span of ids and
builds the tiers below it. The commands that write articles (``baotinh crawl``, a worker's job,
``db copy``, ``backfill``, ``import warc``) call :func:`upkeep_for` when their writes are done,
and ``baotinh db maintain`` (cron) calls the same library, with ``force`` on request. On SQLite
there is nothing to keep: FTS5 reads its doclists newest first.
"""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from pipeline.archive.recent_index import SPAN, TIERS, RecentIndex, maintain_recent_index, newest_run
from pipeline.config import Settings
from pipeline.errors import ConfigError

__all__ = ["describe_recent_index", "is_postgresql", "left_for_later", "upkeep_after_writes", "upkeep_for"]


def is_postgresql(url: str) -> bool:
    """Whether ``url`` names a PostgreSQL database (from the URL alone: nothing is opened)."""
    try:
        return make_url(url).get_backend_name() == "postgresql"
    except ArgumentError:
        return False


def left_for_later(state: RecentIndex) -> bool:
    """True when a due build gave up (it waited too long for open transactions, or failed);
    False when it was not due, was built, or another process is building it."""
    return not state.rebuilt and bool(state.note) and not state.busy


def describe_recent_index(state: RecentIndex) -> str:
    """One line of what :func:`maintain_recent_index` found and did.

    >>> describe_recent_index(RecentIndex((), 1_000_000, rebuilt=False))
    'recent search tiers: none valid, not due'
    """
    run = newest_run(state.tiers)
    found = f"{len(run)} over ids >= {state.covered_from} of {state.top:,}" if run else "none valid"
    if state.rebuilt:
        done = f"rebuilt, {found}" if run else "dropped (BAOTINH_SEARCH_TIERS=off)"
        return f"recent search tiers: {done}, {state.seconds:.1f} s"
    if state.note:
        return f"recent search tiers: {found}; {state.note}"
    return f"recent search tiers: {found}, not due"


def upkeep_after_writes(url: str, *, span: int | None = None, tiers: bool = True) -> str | None:
    """Build the recent search tiers of the PostgreSQL archive at ``url`` when due, after a command's writes.

    Returns None when all is well (nothing due, built, or built by another process), else one
    line saying what went wrong, for a ``warning:`` on stderr. Never raises: the command's own
    work is done and committed, and its exit code is its own. On any other database it opens
    nothing and returns None. Call it with no session of the caller's open: the concurrent build
    waits for every transaction open on ``articles``. ``tiers`` False: the tiers are dropped
    (``BAOTINH_SEARCH_TIERS=off``).
    """
    if not is_postgresql(url):
        return None
    from pipeline.archive import db

    try:
        engine = db.make_engine(url)
    except Exception as exc:  # the URL worked for the command's writes; whatever breaks now is a warning
        return f"the recent search tiers were not maintained: {_one_line(exc)}"
    try:
        state = maintain_recent_index(engine, span=span or SPAN, tiers=TIERS if tiers else None)
    except Exception as exc:  # the server went away, a statement failed: the next run tries again
        return f"the recent search tiers were not maintained: {_one_line(exc)}"
    finally:
        engine.dispose()
    if state is not None and left_for_later(state):
        return describe_recent_index(state)
    return None


def upkeep_for(settings: Settings, url: str | None = None) -> str | None:
    """:func:`upkeep_after_writes` of the database ``url`` (default: the archive's) with the
    settings' span and tiers; a malformed setting is the line returned, as any other failure."""
    target = url or settings.database_url
    if not is_postgresql(target):
        return None
    try:
        span, tiers = settings.recent_span, settings.search_tiers
    except ConfigError as exc:
        return str(exc)
    return upkeep_after_writes(target, span=span, tiers=tiers)


def _one_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc) or type(exc).__name__
    return text.strip().splitlines()[0]
