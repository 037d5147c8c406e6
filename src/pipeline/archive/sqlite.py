"""SQLite connection set-up for the archive: the ``baotinh_fold`` function and read tuning.

The FTS5 index holds folded text (``pipeline.text.fold``). The store writes the index rows of the
articles it inserts; SQLite learns the fold through a Python function registered on every new
connection of an engine (``db.make_engine`` does it), which the index's update and delete
triggers, ``rebuild_index`` and the migrations call.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event

from pipeline.text.fold import fold

__all__ = ["install_sqlite_functions", "register_sqlite_functions", "sqlite_fold", "tune_sqlite_reads"]

# Per-connection read tuning (see tune_sqlite_reads): address space, not memory, for mmap.
SQLITE_MMAP_BYTES = 64 * 1024**3
SQLITE_CACHE_KIB = 64 * 1024


def sqlite_fold(value: str | None) -> str | None:
    """``baotinh_fold`` as SQLite calls it (NULL stays NULL)."""
    return None if value is None else fold(value)


def register_sqlite_functions(dbapi_conn: Any, _record: Any = None) -> None:
    """Register ``baotinh_fold`` on one raw sqlite3 connection (the FTS triggers call it)."""
    dbapi_conn.create_function("baotinh_fold", 1, sqlite_fold, deterministic=True)


def tune_sqlite_reads(dbapi_conn: Any, _record: Any = None) -> None:
    """Read-side PRAGMAs for search: memory-mapped I/O and a larger page cache.

    A search touches a few thousand scattered pages (FTS5 doclists, article rows); through
    mmap they cost a memory read instead of a ``pread`` each, about three times faster.
    Both are per connection and do not change the file.
    """
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cur.close()


def install_sqlite_functions(engine: Engine, *, tune_reads: bool = False) -> None:
    """Make every new connection of a SQLite ``engine`` know ``baotinh_fold``.

    ``db.make_engine`` calls this; editing an article without it fails in the FTS trigger.
    ``tune_reads`` also memory-maps the database and enlarges the page cache: right for search
    and the web UI (random reads, 2–3× faster lookups), wrong for long sequential readers such
    as exports, whose resident memory would grow with every mapped page.
    """
    if engine.dialect.name != "sqlite":
        return
    listeners = (register_sqlite_functions, tune_sqlite_reads) if tune_reads else (register_sqlite_functions,)
    for listener in listeners:
        if not event.contains(engine, "connect", listener):
            event.listen(engine, "connect", listener)
