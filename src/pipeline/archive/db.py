"""Opening the archive's database: engines, sessions, and schema upgrades through Alembic."""

from __future__ import annotations

import os
import sqlite3
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.errors import ArchiveError, ConfigError

__all__ = ["current_revision", "head_revision", "make_engine", "make_sessionmaker", "upgrade"]


def _sqlite_path(url: str) -> Path | None:
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def _check_sqlite_writable(path: Path) -> None:
    """Fail early, in one line, when the SQLite file or its folder cannot be written."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ArchiveError(f"cannot create the archive folder {folder}: {exc.strerror}") from None
    if path.exists() and not os.access(path, os.W_OK):
        raise ArchiveError(f"the database {path} is not writable; check its permissions")
    if not os.access(folder, os.W_OK):
        raise ArchiveError(f"the archive folder {folder} is not writable; choose another --archive or --db")


def _on_sqlite_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets readers (search, the web UI) work while a crawl writes.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_engine(url: str, *, check_writable: bool = True) -> Engine:
    """An engine for ``url``; SQLite files get WAL, foreign keys and a busy timeout.

    Raises :class:`ConfigError` for a malformed URL or a missing driver, and
    :class:`ArchiveError` when a SQLite file cannot be written.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"not a database URL: {url!r} (e.g. sqlite:///archive/baotinh.sqlite)") from None
    path = _sqlite_path(url)
    if path is not None and check_writable:
        _check_sqlite_writable(path)
    try:
        if parsed.get_backend_name() == "sqlite":
            engine = create_engine(parsed, connect_args={"timeout": 30})
            event.listen(engine, "connect", _on_sqlite_connect)
            # The search index's triggers fold text with a Python function (đ→d, tones).
            from pipeline.archive.sqlite import install_sqlite_functions

            install_sqlite_functions(engine)
        else:
            engine = create_engine(parsed, pool_pre_ping=True)
    except NoSuchModuleError:
        raise ConfigError(f"no database driver for {parsed.drivername!r}") from None
    except ModuleNotFoundError as exc:
        raise ConfigError(
            f"the driver for {parsed.drivername!r} is not installed ({exc.name}); "
            "for PostgreSQL: pip install 'baotinh[postgres]'"
        ) from None
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def _alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("pipeline.archive.migrations")))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    script = ScriptDirectory.from_config(_alembic_config(create_engine("sqlite://")))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (no-op when it is already there)."""
    try:
        if revision == "head" and current_revision(engine) == head_revision():
            return
        command.upgrade(_alembic_config(engine), revision)
    except OperationalError as exc:
        raise ArchiveError(f"cannot open the archive database: {exc.orig}") from None
