"""Opening the archive's database: engines, sessions, and schema upgrades through Alembic.

Read engines (``make_engine(url, read_only=True)``) never create anything: a missing SQLite
file is :class:`ArchiveMissingError`, the file is opened with ``mode=ro`` (and ``immutable=1``
when its folder cannot be written, a mounted snapshot: WAL would need a ``-shm`` file there).
On every engine, database errors that mean damage ("database disk image is malformed") or a
foreign file ("file is not a database") become typed :mod:`pipeline.errors` exceptions, so the
CLI says one line instead of a traceback.
"""

from __future__ import annotations

import os
import sqlite3
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sqlalchemy import URL, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.errors import (
    ArchiveDamagedError,
    ArchiveError,
    ArchiveMissingError,
    ArchiveNotReadyError,
    ConfigError,
    NotAnArchiveError,
)

if TYPE_CHECKING:  # Alembic is imported only to migrate: read commands start without it
    from alembic.config import Config

__all__ = [
    "UPGRADE_HINT", "check_schema", "current_revision", "head_revision", "make_engine", "make_sessionmaker",
    "readonly_url", "shown_url", "translate_error", "upgrade",
]

UPGRADE_HINT = "baotinh db upgrade"


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


def _on_sqlite_read_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    """A read connection changes nothing: no journal mode switch, and no write is accepted."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA query_only=ON")
    cur.close()


# Writers compress new long values (texts, vectors) with LZ4 when the server has it: pglz cost
# about 0.1 ms an article of the store's INSERT (a fifth of it). Reading mixes both alike.
_PG_LZ4 = ("SELECT set_config('default_toast_compression', 'lz4', false) FROM pg_settings "
           "WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)")


def _on_pg_write_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute(_PG_LZ4)
    dbapi_conn.commit()  # a session setting made in a rolled-back transaction would not last


def _is_readonly_uri(parsed: URL) -> bool:
    return parsed.query.get("mode") == "ro" or parsed.query.get("immutable") == "1"


def shown_url(url: str | URL) -> str:
    """The archive as a person knows it: a SQLite file's path, otherwise the URL without password."""
    parsed = make_url(url) if isinstance(url, str) else url
    database = parsed.database or ""
    if parsed.get_backend_name() == "sqlite" and database and database != ":memory:":
        return database.removeprefix("file:").split("?", 1)[0]
    return parsed.render_as_string(hide_password=True)


def translate_error(exc: BaseException, shown: str) -> ArchiveError | None:
    """The typed error for a database error on the archive ``shown``; ``None`` when it is not one of ours.

    >>> str(translate_error(sqlite3.DatabaseError("file is not a database"), "x.sqlite"))
    'x.sqlite is not a baotinh archive: not an SQLite database file'
    """
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    detail = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    lowered = detail.lower()
    if "file is not a database" in lowered or "file is encrypted" in lowered:
        return NotAnArchiveError(f"{shown} is not a baotinh archive: not an SQLite database file")
    # sqlite3 raises the bare DatabaseError for SQLITE_CORRUPT and its kin ("vtable constructor failed").
    corrupt = type(orig) is sqlite3.DatabaseError
    if corrupt or "malformed" in lowered or "database corrupt" in lowered or "disk i/o error" in lowered:
        return ArchiveDamagedError(f"the archive database {shown} is damaged ({detail}); "
                                   "`baotinh verify` reports what can still be read", detail=detail)
    if "does not exist" in lowered and "database" in lowered:
        return ArchiveMissingError(f"no archive database {shown}: {detail}")
    if "readonly database" in lowered:
        return ArchiveError(f"the archive database {shown} is read-only ({detail})")
    return None


def _install_error_translation(engine: Engine) -> None:
    shown = shown_url(engine.url)

    def on_error(context: ExceptionContext) -> None:
        typed = translate_error(context.original_exception, shown)
        if typed is not None:
            raise typed from None

    event.listen(engine, "handle_error", on_error)


def readonly_url(url: str, *, immutable: bool | None = None) -> str:
    """The SQLite URL opened with ``mode=ro`` (``immutable=1`` too when its folder is not writable).

    Other URLs come back unchanged. ``immutable`` ``None`` decides from the folder.

    >>> readonly_url("sqlite:///archive/baotinh.sqlite", immutable=False)
    'sqlite:///file:archive/baotinh.sqlite?mode=ro&uri=true'
    """
    path = _sqlite_path(url)
    if path is None or str(path).startswith("file:"):
        return url
    if immutable is None:
        immutable = _folder_is_readonly(path)
    extra = "&immutable=1" if immutable else ""
    return f"sqlite:///file:{quote(str(path))}?mode=ro{extra}&uri=true"


def _folder_is_readonly(path: Path) -> bool:
    """True when SQLite needs ``immutable=1`` to read ``path``: its folder cannot be written (a
    read-only mount), so WAL could not create its ``-shm`` file there.

    A snapshot taken with a ``-wal`` file holding transactions and its ``-shm`` file is read
    with ``mode=ro`` alone, which sees those transactions (``immutable`` would not).
    """
    folder = path.parent if str(path.parent) else Path(".")
    if os.access(folder, os.W_OK):
        return False
    wal, shm = path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")
    return not (wal.is_file() and wal.stat().st_size > 0 and shm.is_file())


def _require_sqlite_file(path: Path) -> None:
    """A read engine on a missing file would create it: name the missing path instead."""
    if path.is_file():
        return
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ArchiveMissingError(f"no archive at {folder}: the folder does not exist (check --archive or --db)")
    raise ArchiveMissingError(f"no archive database at {path} (check --archive or --db; "
                              "`baotinh crawl` or `baotinh db upgrade` creates one)")


def make_engine(url: str, *, check_writable: bool = True, read_only: bool = False) -> Engine:
    """An engine for ``url``; SQLite files get WAL, foreign keys and a busy timeout.

    ``read_only`` opens a SQLite file that must exist with ``mode=ro`` (see the module's
    docstring) and implies no writability check. Raises :class:`ConfigError` for a malformed URL
    or a missing driver, :class:`ArchiveMissingError` for a missing file to read, and
    :class:`ArchiveError` when a SQLite file cannot be written.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"not a database URL: {url!r} (e.g. sqlite:///archive/baotinh.sqlite)") from None
    path = _sqlite_path(url)
    if path is not None and read_only:
        _require_sqlite_file(Path(str(path).removeprefix("file:")))
        parsed = make_url(readonly_url(url))
    elif path is not None and check_writable:
        _check_sqlite_writable(path)
    try:
        if parsed.get_backend_name() == "sqlite":
            engine = create_engine(parsed, connect_args={"timeout": 30})
            reading = read_only or _is_readonly_uri(parsed)
            event.listen(engine, "connect", _on_sqlite_read_connect if reading else _on_sqlite_connect)
            # The search index's triggers fold text with a Python function (đ→d, tones).
            from pipeline.archive.sqlite import install_sqlite_functions

            install_sqlite_functions(engine)
        elif read_only and parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() == "psycopg":
            # Readers (search, the web UI) prepare nothing on the server: after five runs of one
            # search psycopg would, and PostgreSQL then switch to a generic plan that fetches and
            # sorts every match of a common word (325 ms instead of 14 for "và"). Writers keep
            # psycopg's default: their batched INSERTs are planned once.
            engine = create_engine(parsed, pool_pre_ping=True, connect_args={"prepare_threshold": None})
        else:
            engine = create_engine(parsed, pool_pre_ping=True)
            if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() == "psycopg":
                event.listen(engine, "connect", _on_pg_write_connect)
    except NoSuchModuleError:
        raise ConfigError(f"no database driver for {parsed.drivername!r}") from None
    except ModuleNotFoundError as exc:
        raise ConfigError(
            f"the driver for {parsed.drivername!r} is not installed ({exc.name}); "
            "for PostgreSQL: pip install 'baotinh[postgres]'"
        ) from None
    _install_error_translation(engine)
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def _alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("pipeline.archive.migrations")))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    """The newest revision this baotinh knows (a constant beside the migrations; a test keeps it
    equal to Alembic's head, so a read command need not load every migration script to know it)."""
    from pipeline.archive.migrations import HEAD_REVISION

    return HEAD_REVISION


def current_revision(engine: Engine) -> str | None:
    """The archive's schema revision (``None`` without a schema), read from Alembic's table."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return rows[0] if len(rows) == 1 else None


def _known_revision(revision: str) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    script = ScriptDirectory.from_config(_alembic_config(create_engine("sqlite://")))
    try:
        return script.get_revision(revision) is not None
    except (CommandError, KeyError, ValueError):
        return False


def check_schema(engine: Engine) -> None:
    """Make sure the archive's schema is at the head revision, changing nothing.

    Raises :class:`ArchiveNotReadyError` (no schema or an older one: the fix is
    ``baotinh db upgrade``), :class:`NotAnArchiveError` (another program's tables or an unknown
    revision), or the typed error of a damaged or unreadable database.
    """
    shown = shown_url(engine.url)
    try:
        current = current_revision(engine)
        tables = [] if current is not None else inspect(engine).get_table_names()
    except OperationalError as exc:
        raise ArchiveError(f"cannot open the archive database {shown}: {exc.orig}") from None
    head = head_revision()
    if current is None and tables:
        raise NotAnArchiveError(f"{shown} is not a baotinh archive: it has other tables "
                                f"({', '.join(sorted(tables)[:5])}) and no baotinh schema")
    if current is None:
        raise ArchiveNotReadyError(f"the archive {shown} has no schema; create it with: {UPGRADE_HINT}")
    if current != head and not _known_revision(current):
        raise NotAnArchiveError(f"{shown} has schema revision {current}, unknown to this baotinh "
                                "(a newer baotinh's archive, or not a baotinh archive)")
    if current != head:
        raise ArchiveNotReadyError(f"the archive {shown} has schema revision {current}, this baotinh "
                                   f"needs {head}; upgrade it with: {UPGRADE_HINT}")


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (no-op when it is already there).

    On SQLite the whole chain runs in one transaction (see :func:`_migration_engine`): a process
    killed half way leaves the archive as it was, never half migrated.
    """
    try:
        if revision == "head" and current_revision(engine) == head_revision():
            return
        from alembic import command

        migrating = _migration_engine(engine)
        try:
            command.upgrade(_alembic_config(migrating), revision)
        finally:
            if migrating is not engine:
                migrating.dispose()
    except OperationalError as exc:
        raise ArchiveError(f"cannot open the archive database: {exc.orig}") from None


def _migration_engine(engine: Engine) -> Engine:
    """The engine the migrations run on: ``engine`` itself, or for SQLite one whose transactions
    are SQLite's own.

    Python's sqlite3 opens a transaction only before INSERT/UPDATE/DELETE, so every CREATE,
    ALTER or DROP of a migration commits at once: a kill between two of them left an archive at
    revision 0001 with Alembic's ``_alembic_tmp_articles`` behind, which no later run could
    upgrade. Here the driver never begins on its own and each SQLAlchemy transaction is an
    explicit ``BEGIN``, so the chain commits once, at its end (SQLite's DDL is transactional).
    """
    if engine.dialect.name != "sqlite":
        return engine
    from sqlalchemy.pool import NullPool

    from pipeline.archive.sqlite import install_sqlite_functions

    migrating = create_engine(engine.url, poolclass=NullPool, connect_args={"timeout": 30})

    def on_connect(dbapi_conn: sqlite3.Connection, record: Any) -> None:
        _on_sqlite_connect(dbapi_conn, record)
        dbapi_conn.isolation_level = None  # the driver begins nothing; "begin" below does

    event.listen(migrating, "connect", on_connect)
    event.listen(migrating, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
    install_sqlite_functions(migrating)
    _install_error_translation(migrating)
    return migrating
