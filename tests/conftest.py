"""Shared fixtures: archives in tmp folders, the demo paper served for real, the CLI in a
subprocess, and real PostgreSQL when it is there (required under CI=true)."""

from __future__ import annotations

import contextlib
import functools
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
    base_url: str
    articles_dir: Path
    access_log: Path
    process: subprocess.Popen[bytes]

    def requests(self) -> list[dict[str, object]]:
        if not self.access_log.exists():
            return []
        return [json.loads(line) for line in self.access_log.read_text().splitlines() if line.strip()]


def start_demo_server(articles_dir: Path, access_log: Path) -> ServedSite:
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline.demo", "--port", "0", "--articles", str(articles_dir),
         "--access-log", str(access_log)],
        stdout=subprocess.PIPE, cwd=ROOT,
    )
    assert proc.stdout is not None
    base_url = proc.stdout.readline().decode().strip()
    assert base_url.startswith("http://127.0.0.1:"), base_url
    return ServedSite(base_url, articles_dir, access_log, proc)


@pytest.fixture
def demo_articles(tmp_path: Path) -> Path:
    """A private copy of the demo paper's articles, which a test may change."""
    from pipeline.demo import site as demo_site

    src = Path(demo_site.__file__).parent / "articles"
    dst = tmp_path / "articles"
    shutil.copytree(src, dst)
    return dst


@pytest.fixture
def demo_server(demo_articles: Path, tmp_path: Path) -> Iterator[ServedSite]:
    """The demo paper served for real by a subprocess on 127.0.0.1, ephemeral port."""
    served = start_demo_server(demo_articles, tmp_path / "access.jsonl")
    try:
        yield served
    finally:
        served.process.terminate()
        served.process.wait(timeout=10)


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


@pytest.fixture(scope="session")
def _pg_template() -> Iterator[str]:
    """One PostgreSQL database migrated to head for the whole session: the template of the others.

    Its engine is disposed before any copy is made (CREATE DATABASE ... TEMPLATE refuses a
    template that has a session open), and the template is dropped at the end of the session.
    """
    _need_pg()
    from sqlalchemy import create_engine, text

    from pipeline.archive import db

    name = f"baotinh_template_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine = db.make_engine(_pg_database(name))
        db.upgrade(engine)
        engine.dispose()
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_migrated_url(_pg_template: str) -> Iterator[str]:
    """A fresh PostgreSQL database already migrated to head (a copy of the session's template)."""
    with _pg_created(template=_pg_template) as url:
        yield url


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite archive migrated to head for the whole session."""
    from pipeline.archive import db

    path = tmp_path_factory.mktemp("template") / "baotinh.sqlite"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    engine.dispose()  # the last connection checkpoints the WAL into the file
    assert not path.with_name(path.name + "-wal").exists()
    return path


MigratedSqlite = Callable[[Path], str]


@pytest.fixture
def migrated_sqlite(_sqlite_template: Path) -> MigratedSqlite:
    """``migrated_sqlite(path)``: a copy of the migrated template at ``path``; returns its URL."""
    def copy(path: Path) -> str:
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_sqlite_template, path)
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
