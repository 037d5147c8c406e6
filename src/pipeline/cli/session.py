"""How a command reaches the archive: its settings, and one session opener for every command.

Write commands (``reextract``, ``dedup --rebuild``, …) bring the schema up to date first, then
run in one transaction that commits when the command succeeds. Read commands (``stats``,
``runs``, ``health``, ``search``, ``show``, ``history``, ``verify``, ``export``, ``dedup``)
never migrate and never create anything: no folder, no database file, no table; SQLite is
opened read-only, so a read-only archive (a mounted snapshot) works. A missing archive stops
them with one ``error:`` line naming the path and exit code 66; a schema missing or behind
with one line naming the fix (``baotinh db upgrade``) and exit code 74, like any archive that
cannot be opened (a damaged file: 74; a file that is not a baotinh archive: 65).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from pipeline.config import Settings
from pipeline.errors import ArchiveDamagedError, ArchiveNotReadyError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

# pipeline.archive (and Alembic with it) is imported by the functions that open the archive:
# `baotinh --help`, `extract` or `sites` never need it.

__all__ = ["ArchiveNotReadyError", "archive_session", "open_engine", "settings_of", "upkeep_after_writes"]


def settings_of(ctx: click.Context) -> Settings:
    """The :class:`Settings` the root ``baotinh`` group built from its options and environment."""
    obj = ctx.find_root().obj
    assert isinstance(obj, Settings)
    return obj


def open_engine(url: str, *, write: bool, tune_reads: bool = False, damaged_ok: bool = False) -> Engine:
    """An engine on the archive at ``url``, its schema at the head revision.

    ``write`` migrates the schema first (creating the SQLite file and folder when needed);
    otherwise the database is opened read-only: a missing one raises
    :class:`~pipeline.errors.ArchiveMissingError` (exit 66), an outdated schema
    :class:`ArchiveNotReadyError`, and nothing is created. ``tune_reads`` memory-maps SQLite for
    random reads (search). ``damaged_ok`` lets a read go on when the schema cannot be read
    because the file is damaged (``verify`` reports the damage itself).
    """
    from pipeline.archive import db
    from pipeline.archive.sqlite import install_sqlite_functions

    engine = db.make_engine(url, check_writable=write, read_only=not write)
    if tune_reads:
        install_sqlite_functions(engine, tune_reads=True)
    try:
        if write:
            db.upgrade(engine)
        else:
            _check_schema(engine, damaged_ok=damaged_ok)
    except BaseException:
        engine.dispose()
        raise
    return engine


def _check_schema(engine: Engine, *, damaged_ok: bool) -> None:
    from pipeline.archive import db

    try:
        db.check_schema(engine)
    except ArchiveDamagedError:
        if not damaged_ok:
            raise


@contextmanager
def archive_session(ctx: click.Context, *, write: bool, tune_reads: bool = False,
                    damaged_ok: bool = False) -> Iterator[Session]:
    """A session on the archive for one command (see the module's docstring and :func:`open_engine`).

    A write session is one transaction, committed when the block ends without an error; a
    read session commits nothing.
    """
    from pipeline.archive import db

    engine = open_engine(settings_of(ctx).database_url, write=write, tune_reads=tune_reads,
                         damaged_ok=damaged_ok)
    try:
        if write:
            with db.make_sessionmaker(engine).begin() as session:
                yield session
        else:
            with db.make_sessionmaker(engine)() as session:
                yield session
    finally:
        engine.dispose()


def upkeep_after_writes(settings: Settings, url: str | None = None) -> None:
    """After a command's writes on PostgreSQL, build the recent search tiers when due.

    Silent when all is well (cron mail stays empty); a failure is one ``warning:`` line on
    stderr and never changes the command's exit code. On SQLite nothing is opened. ``url``:
    the database written (default: the archive's).
    """
    from pipeline.archive.upkeep import upkeep_for

    problem = upkeep_for(settings, url)
    if problem:
        click.echo(f"warning: {problem}", err=True)
