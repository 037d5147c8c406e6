"""Shared fixtures: archives in tmp folders, the demo paper served for real, the CLI in a
subprocess, and real PostgreSQL when it is there (required under CI=true)."""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pipeline.demo import RunningServer

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("BAOTINH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> object:
        return json.loads(self.stdout)


def run_cli(*args: str, archive: Path | None = None, db: str | None = None,
            env: dict[str, str] | None = None, input: bytes | None = None,
            timeout: float = 300) -> CliResult:
    """Run ``baotinh`` in a subprocess, as a user would."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("BAOTINH_")}
    full_env.update(env or {})
    if archive is not None:
        full_env["BAOTINH_ARCHIVE"] = str(archive)
    if db is not None:
        full_env["BAOTINH_DB"] = db
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", *args], env=full_env, input=input,
        capture_output=True, timeout=timeout, check=False, cwd=ROOT,
    )
    return CliResult(proc.returncode, proc.stdout.decode("utf-8", "replace"),
                     proc.stderr.decode("utf-8", "replace"))


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    path = tmp_path / "archive"
    path.mkdir()
    return path


@dataclass
class ServedSite:
    """The demo paper served on 127.0.0.1 (a server thread in the test's process)."""

    base_url: str
    articles_dir: Path
    server: RunningServer

    def requests(self) -> list[dict[str, object]]:
        """Every request answered so far, oldest first, as JSON-ready dicts."""
        return [record.as_dict() for record in self.server.access_log.records()]

    def stop(self) -> None:
        """Stop serving (a test of what happens when the paper's server is gone)."""
        self.server.stop()


def start_demo_server(articles_dir: Path) -> ServedSite:
    from pipeline.demo import DemoSite
    from pipeline.demo.server import start_server

    running = start_server(DemoSite(articles_dir))
    return ServedSite(running.base_url, articles_dir, running)


@pytest.fixture
def demo_articles(tmp_path: Path) -> Path:
    """A private copy of the demo paper's articles, which a test may change."""
    from pipeline.demo import site as demo_site

    src = Path(demo_site.__file__).parent / "articles"
    dst = tmp_path / "articles"
    shutil.copytree(src, dst)
    return dst


@pytest.fixture
def demo_server(demo_articles: Path) -> Iterator[ServedSite]:
    """The demo paper served for real on 127.0.0.1, ephemeral port."""
    served = start_demo_server(demo_articles)
    try:
        yield served
    finally:
        served.stop()


@pytest.fixture(scope="session")
def demo_archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The bundled demo paper crawled once (``baotinh demo``, offline) for the session.

    Shared: tests only read it, or copy it (``shutil.copytree``) before they change anything.
    """
    archive = tmp_path_factory.mktemp("demo") / "archive"
    result = run_cli("demo", archive=archive, timeout=120)
    assert result.returncode == 0, result.stderr
    assert not (archive / "baotinh.sqlite-wal").exists()
    yield archive


@functools.cache
def _pg_unavailable() -> str | None:
    """Why PostgreSQL cannot be used (asked once per session), or None when it can."""
    try:
        import psycopg  # noqa: F401
        from sqlalchemy import create_engine, text

        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure means: no usable server
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}"


def _need_pg() -> None:
    reason = _pg_unavailable()
    if reason:
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: PostgreSQL tests must run)")
        pytest.skip(reason)


def _pg_database(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


@contextlib.contextmanager
def _pg_created(template: str | None = None) -> Iterator[str]:
    """A new database (a copy of ``template`` when given), dropped on exit; yields its URL."""
    from sqlalchemy import create_engine, text

    name = f"baotinh_t_{uuid.uuid4().hex[:10]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
        try:
            yield _pg_database(name)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, EMPTY PostgreSQL database for one test (dropped afterwards)."""
    _need_pg()
    with _pg_created() as url:
        yield url


Fill = Callable[[Engine], None]  # writes into a migrated archive; a template's contents


class TemplateDatabases:
    """Archives migrated (and optionally filled) once per session, copied for each test.

    SQLite templates are files in a session folder, copied with :func:`shutil.copyfile`;
    PostgreSQL templates are databases that ``CREATE DATABASE ... TEMPLATE`` copies. A template
    is named by its fill function (``None``: only migrated). Every engine on a template is
    disposed before it is copied (PostgreSQL refuses a template with a session open).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._sqlite: dict[str, Path] = {}
        self._pg: dict[str, str] = {}

    @staticmethod
    def _name(fill: Fill | None) -> str:
        return "migrated" if fill is None else f"{fill.__module__}.{fill.__qualname__}"

    @staticmethod
    def _build(url: str, fill: Fill | None) -> None:
        from pipeline.archive import db

        engine = db.make_engine(url)
        try:
            db.upgrade(engine)
            if fill is not None:
                fill(engine)
        finally:
            engine.dispose()  # on SQLite, the last connection checkpoints the WAL into the file

    def sqlite(self, fill: Fill | None = None) -> Path:
        name = self._name(fill)
        if name not in self._sqlite:
            path = self.folder / f"{len(self._sqlite)}.sqlite"
            self._build(f"sqlite:///{path}", fill)
            assert not path.with_name(path.name + "-wal").exists()
            self._sqlite[name] = path
        return self._sqlite[name]

    def postgresql(self, fill: Fill | None = None) -> str:
        """The name of the PostgreSQL template database for ``fill``."""
        name = self._name(fill)
        if name not in self._pg:
            from sqlalchemy import create_engine, text

            database = f"baotinh_template_{uuid.uuid4().hex[:10]}"
            admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{database}"'))
            admin.dispose()
            self._pg[name] = database  # dropped by close() even when the build fails
            self._build(_pg_database(database), fill)
        return self._pg[name]

    def close(self) -> None:
        if not self._pg:
            return
        from sqlalchemy import create_engine, text

        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for database in self._pg.values():
                conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def db_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TemplateDatabases]:
    templates = TemplateDatabases(tmp_path_factory.mktemp("templates"))
    try:
        yield templates
    finally:
        templates.close()


PgCopy = Callable[..., str]


@pytest.fixture
def pg_copy(db_templates: TemplateDatabases) -> Iterator[PgCopy]:
    """``pg_copy(fill=None)``: a new PostgreSQL database copied from a template; returns its URL."""
    _need_pg()
    with contextlib.ExitStack() as stack:
        def copy(fill: Fill | None = None) -> str:
            return stack.enter_context(_pg_created(template=db_templates.postgresql(fill)))

        yield copy


@pytest.fixture
def pg_session(pg_copy: PgCopy) -> Iterator[Session]:
    """A session on a PostgreSQL copy of the search corpus (``tests/test_search.py``)."""
    from tests.test_search import fill_corpus, open_corpus  # that module imports this one

    session = open_corpus(pg_copy(fill_corpus))
    yield session
    session.close()
    session.get_bind().dispose()  # type: ignore[union-attr]


@pytest.fixture
def pg_migrated_url(pg_copy: PgCopy) -> str:
    """A fresh PostgreSQL database already migrated to head (``pg_url`` gives an empty one)."""
    return pg_copy()


MigratedSqlite = Callable[..., str]


@pytest.fixture
def migrated_sqlite(db_templates: TemplateDatabases) -> MigratedSqlite:
    """``migrated_sqlite(path, fill=None)``: a copy of a migrated template at ``path``; its URL."""
    def copy(path: Path, fill: Fill | None = None) -> str:
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(db_templates.sqlite(fill), path)
        return f"sqlite:///{path}"

    return copy


@pytest.fixture
def sqlite_engine(migrated_sqlite: MigratedSqlite, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a migrated SQLite archive at ``tmp_path/db/baotinh.sqlite``."""
    from pipeline.archive import db

    engine = db.make_engine(migrated_sqlite(tmp_path / "db" / "baotinh.sqlite"))
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """An engine on a migrated archive, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_engine")
        return
    from pipeline.archive import db

    pg = db.make_engine(request.getfixturevalue("pg_migrated_url"))
    yield pg
    pg.dispose()


# -- `make check` leaves the slow tests out ---------------------------------------------------
# Besides the tests marked by hand, a test is slow when it (or a fixture or a helper of its module
# that it calls) runs the CLI or a server in a subprocess, or when it needs PostgreSQL.
SLOW_FIXTURES = frozenset({"demo_server", "pg_url", "pg_migrated_url", "pg_copy", "pg_session"})
SLOW_NAMES = frozenset({"run_cli", "start_demo_server", "serve_site", "subprocess", "Popen"})
SLOW_MODULES = frozenset({"test_web_browser"})


def _names_used(func: object, module: object, depth: int = 2) -> set[str]:
    """Global names used by ``func``, and by the functions of ``module`` it calls (``depth`` deep)."""
    code = getattr(func, "__code__", None)
    if code is None:
        return set()
    names = set(code.co_names)
    if depth > 0:
        for name in list(names):
            helper = getattr(module, name, None)
            if inspect.isfunction(helper) and helper.__module__ == getattr(module, "__name__", None):
                names |= _names_used(helper, module, depth - 1)
    return names


def _is_slow(item: pytest.Item) -> bool:
    if not isinstance(item, pytest.Function):
        return False
    if item.module is not None and item.module.__name__.rsplit(".", 1)[-1] in SLOW_MODULES:
        return True
    if SLOW_FIXTURES & set(item.fixturenames):
        return True
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "postgresql" in callspec.params.values():
        return True
    funcs: list[object] = [item.function]
    for defs in item._fixtureinfo.name2fixturedefs.values():
        funcs.extend(d.func for d in defs)
    return any(SLOW_NAMES & _names_used(f, inspect.getmodule(f)) for f in funcs)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _is_slow(item):
            item.add_marker(pytest.mark.slow)


def csv_row(row: dict[str, str]) -> dict[str, object]:
    """A row of an exported CSV back in the archive's shapes (lists as JSON, empty as None)."""
    out: dict[str, object] = {}
    for key, value in row.items():
        if key in ("tags", "captions", "images", "flags"):
            out[key] = json.loads(value)
        elif key == "word_count":
            out[key] = int(value)
        else:
            out[key] = value if value != "" else None
    return out
