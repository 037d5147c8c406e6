"""A full disk during a crawl (issue 14, item 9).

A crawl that fills its disk must stop at once, say so (exit 74) and close its run with the
counts it actually wrote. Closing a run is a write too, so the crawl keeps a small reserve of
space (:class:`DiskReserve`, a file in the archive's ``locks/`` folder) that it gives back when
the disk fills: the closing transaction, the last WARC record and the log's last lines fit in
it. :func:`is_disk_full` tells a full disk apart from other write errors, whichever layer raised
it (the OS, SQLite, PostgreSQL through SQLAlchemy).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

__all__ = ["DEFAULT_RESERVE_BYTES", "DISK_FULL", "RESERVE_NAME", "DiskReserve", "describe", "is_disk_full"]

# Scrapy's finish reason of a crawl stopped by a full disk (the run is then ``interrupted``).
DISK_FULL = "disk_full"
# Bytes kept back for closing the run when the disk fills (Scrapy setting BAOTINH_DISK_RESERVE).
DEFAULT_RESERVE_BYTES = 1024 * 1024
RESERVE_NAME = "disk-reserve"
_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_FULL_WORDS = ("database or disk is full", "no space left on device", "disk quota exceeded")
_PG_DISK_FULL = "53100"  # PostgreSQL's SQLSTATE disk_full


def is_disk_full(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or an exception it wraps) says the disk is full.

    >>> import sqlite3
    >>> is_disk_full(sqlite3.OperationalError("database or disk is full"))
    True
    >>> is_disk_full(OSError(errno.ENOSPC, "No space left on device"))
    True
    >>> is_disk_full(sqlite3.OperationalError("database is locked"))
    False
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in _FULL_ERRNOS:
            return True
        if getattr(exc, "sqlstate", None) == _PG_DISK_FULL:
            return True
        if any(word in str(exc).lower() for word in _FULL_WORDS):
            return True
        wrapped = getattr(exc, "orig", None)  # SQLAlchemy's DBAPIError keeps the driver's error
        exc = wrapped if isinstance(wrapped, BaseException) else (exc.__cause__ or exc.__context__)
    return False


def describe(exc: BaseException, limit: int = 200) -> str:
    """``exc`` in one short line: the driver's own error rather than SQLAlchemy's wrapping (which
    carries the statement and its parameters, an article's text included).

    >>> describe(OSError(errno.ENOSPC, "No space left on device"))
    '[Errno 28] No space left on device'
    """
    orig = getattr(exc, "orig", None)
    text = str(orig if isinstance(orig, BaseException) else exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return line if len(line) <= limit else line[: limit - 1] + "…"


class DiskReserve:
    """``size`` bytes held in ``folder/disk-reserve`` while a crawl runs, given back when the disk
    fills (:meth:`release`). One crawl at a time holds an archive, so one file per archive; a
    killed crawl's file is taken over by the next one."""

    def __init__(self, folder: Path, size: int = DEFAULT_RESERVE_BYTES) -> None:
        self.path = folder / RESERVE_NAME
        self.size = size
        self.held = False

    def take(self) -> bool:
        """Write the reserve file; False (and no file) when the disk has not even that much."""
        if self.size <= 0:
            return False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("wb") as f:
                f.write(b"\0" * self.size)  # written, not sparse: the blocks must be really taken
                f.flush()
                os.fsync(f.fileno())
        except OSError:
            self.path.unlink(missing_ok=True)
            return False
        self.held = True
        return True

    def release(self) -> bool:
        """Give the space back; True when there was a reserve to give."""
        had = self.held
        self.held = False
        try:
            self.path.unlink(missing_ok=True)
        except OSError:
            return False
        return had
