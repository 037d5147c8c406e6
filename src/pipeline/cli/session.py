"""How a command reaches the archive: its settings, and one session opener for every command.

Write commands (``reextract``, ``dedup --rebuild``, …) bring the schema up to date first, then
run in one transaction that commits when the command succeeds. Read commands (``stats``,
``runs``, ``health``, ``search``, ``show``, ``history``, ``verify``, ``export``, ``dedup``)
never migrate and never create anything: no folder, no database file, no table. When the
schema is missing or behind they stop with one ``error:`` line naming the fix
(``baotinh db upgrade``) and exit code 74, like any archive that cannot be opened.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pipeline.config import Settings
from pipeline.errors import ArchiveError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

# pipeline.archive (and Alembic with it) is imported by the functions that open the archive:
# `baotinh --help`, `extract` or `sites` never need it.

__all__ = ["ArchiveNotReadyError", "archive_session", "open_engine", "settings_of"]

UPGRADE_HINT = "baotinh db upgrade"


class ArchiveNotReadyError(ArchiveError):
    """The archive has no schema, or an older one, and the command may not migrate it."""


def settings_of(ctx: click.Context) -> Settings:
    """The :class:`Settings` the root ``baotinh`` group built from its options and environment."""
    obj = ctx.find_root().obj
    assert isinstance(obj, Settings)
    return obj


def open_engine(url: str, *, write: bool, tune_reads: bool = False) -> Engine:
    """An engine on the archive at ``url``, its schema at the head revision.

    ``write`` migrates the schema first (creating the SQLite file and folder when needed);
    otherwise a missing database or an outdated schema raises :class:`ArchiveNotReadyError`
    and nothing is created. ``tune_reads`` memory-maps SQLite for random reads (search).
    """
    from pipeline.archive import db
    from pipeline.archive.sqlite import install_sqlite_functions

    engine = db.make_engine(url, check_writable=write)
    if tune_reads:
        install_sqlite_functions(engine, tune_reads=True)
    try:
        if write:
            db.upgrade(engine)
        else:
            _require_current_schema(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def _require_current_schema(engine: Engine) -> None:
    from sqlalchemy.exc import OperationalError

    from pipeline.archive import db

    shown = engine.url.render_as_string(hide_password=True)
    if engine.url.get_backend_name() == "sqlite":
        database = engine.url.database
        if database and database != ":memory:" and not Path(database).is_file():
            raise ArchiveNotReadyError(f"no archive database at {database}; create it with: {UPGRADE_HINT}")
    try:
        current = db.current_revision(engine)
    except OperationalError as exc:
        raise ArchiveError(f"cannot open the archive database: {exc.orig}") from None
    head = db.head_revision()
    if current is None:
        raise ArchiveNotReadyError(f"the archive {shown} has no schema; create it with: {UPGRADE_HINT}")
    if current != head:
        raise ArchiveNotReadyError(f"the archive {shown} has schema revision {current}, this baotinh "
                                   f"needs {head}; upgrade it with: {UPGRADE_HINT}")


@contextmanager
def archive_session(ctx: click.Context, *, write: bool, tune_reads: bool = False) -> Iterator[Session]:
    """A session on the archive for one command (see the module's docstring).

    A write session is one transaction, committed when the block ends without an error; a
    read session commits nothing.
    """
    from pipeline.archive import db

    engine = open_engine(settings_of(ctx).database_url, write=write, tune_reads=tune_reads)
    try:
        if write:
            with db.make_sessionmaker(engine).begin() as session:
                yield session
        else:
            with db.make_sessionmaker(engine)() as session:
                yield session
    finally:
        engine.dispose()
