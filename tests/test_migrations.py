"""Migrations are frozen: a revision carries what it needs and imports nothing from ``pipeline``.

An applied revision never runs again on that archive, so what it does must not drift with the
live code. Revision 0004 writes the search fold out (PostgreSQL ``translate()`` strings, the
Python fold of the SQLite backfill); the tests below fail when the live fold stops agreeing with
it, which is the signal that a fold change needs a new revision (and ``rebuild_index``).
"""

from __future__ import annotations

import ast
import importlib
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import text

from pipeline.archive import db
from pipeline.text.fold import FOLD_TABLE, LATIN_BLOCKS, fold

VERSIONS = Path(__file__).resolve().parent.parent / "src" / "pipeline" / "archive" / "migrations" / "versions"
REVISIONS = sorted(p for p in VERSIONS.glob("*.py") if p.name != "__init__.py")


def revision_0004() -> ModuleType:
    return importlib.import_module("pipeline.archive.migrations.versions.0004_search")


def imported_modules(path: Path) -> Iterator[str]:
    """Every module a file imports, at any depth (relative imports as ``.name``)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield "." * node.level + (node.module or "")
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "import_module", "__import__"):
            yield from (str(a.value) for a in node.args if isinstance(a, ast.Constant))


def test_the_revisions_are_found() -> None:
    assert [p.name[:4] for p in REVISIONS] == ["0001", "0002", "0003", "0004", "0005", "0006", "0007", "0009",
                                               "0011", "0014", "0015", "0016"]


def test_the_head_constant_is_alembics_head() -> None:
    """Read commands compare archives with ``HEAD_REVISION`` instead of loading Alembic."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(db._alembic_config(db.make_engine("sqlite://")))
    assert db.head_revision() == script.get_current_head()


@pytest.mark.parametrize("path", REVISIONS, ids=[p.name for p in REVISIONS])
def test_no_revision_imports_pipeline(path: Path) -> None:
    bad = [m for m in imported_modules(path) if m.split(".")[0] in ("pipeline", "crawler") or m.startswith(".")]
    assert not bad, f"{path.name} imports {bad}: a revision must carry what it needs (frozen)"


def test_the_import_check_sees_nested_imports(tmp_path: Path) -> None:
    sample = tmp_path / "rev.py"
    sample.write_text("def upgrade():\n    from pipeline.text.fold import FOLD_TABLE\n", encoding="utf-8")
    assert list(imported_modules(sample)) == ["pipeline.text.fold"]


def current_translation(odd_spaces: str, deleted: str) -> tuple[str, str]:
    """The ``translate()`` from/to strings the live fold gives, built as revision 0004 was."""
    pairs = sorted((chr(k), v) for k, v in FOLD_TABLE.items() if len(v) == 1)
    src = "".join(k for k, _ in pairs) + odd_spaces + deleted
    dst = "".join(v for _, v in pairs) + " " * len(odd_spaces)
    return src, dst


def test_frozen_translate_strings_equal_the_current_fold() -> None:
    """A failure here means the fold changed: add a revision that replaces ``baotinh_fold``."""
    rev = revision_0004()
    assert current_translation(rev.ODD_SPACES, rev.DELETED) == (rev.FOLD_FROM, rev.FOLD_TO)
    assert all(len(src) == len(dst) for src, dst in rev.FOLD_LETTERS)
    assert "'" not in rev.FOLD_FROM + rev.FOLD_TO  # pasted into SQL between quotes


VIETNAMESE = (
    "KIM THÀNH, Ðồng Nai, hoà bình", "Huyện ủy Kim Thành", "ĐẠI HỘI ĐẢNG BỘ tỉnh Hải Dương",
    "Nguyễn Văn Thành, Thừa Thiên Huế", "vải\u00a0thiều\u200bThanh\u00adHà", "12:30 — 5% «ngoặc»",
)


def test_frozen_translate_strings_fold_like_the_current_fold() -> None:
    """PostgreSQL's lower(translate(t, FROM, TO)), emulated, equals the live fold on NFC text
    made of the folded letters, marks, odd spaces and invisibles (the joiner aside: SQL drops
    every one, the live fold only those next to a letter)."""
    rev = revision_0004()
    table = str.maketrans(rev.FOLD_FROM[:len(rev.FOLD_TO)], rev.FOLD_TO, rev.FOLD_FROM[len(rev.FOLD_TO):])
    samples = [chr(k) for k in FOLD_TABLE] + [c for c in rev.ODD_SPACES + rev.DELETED if c != "\u200d"]
    for sample in samples + list(VIETNAMESE):
        nfc = unicodedata.normalize("NFC", sample)
        assert nfc.translate(table).lower() == fold(nfc), repr(sample)


def fold_samples() -> list[str]:
    """Every letter of the fold's blocks, each mark, space and invisible, and Vietnamese text."""
    singles = [chr(c) for lo, hi in LATIN_BLOCKS for c in range(lo, hi + 1)]
    singles += [chr(c) for c in range(0x300, 0x370)] + [chr(c) for c in range(0x2000, 0x2010)]
    singles += ["\u00a0", "\u00ad", "\u202f", "\u205f", "\u3000", "\u2060", "\ufeff", "İ", "ß", "Ω"]
    texts = [
        *VIETNAMESE, unicodedata.normalize("NFD", "Nguyễn Văn Thành, Thừa Thiên Huế"),
        "a\u200db \u200d c\u200d", "Guðrún Ólafsdóttir", "Ελληνικά άλφα", "Ǆemal İstanbul", "naïve café",
        "x\u0301\u0323y", "Русский ё",
    ]
    return singles + texts + ["".join(singles)]


def test_frozen_sqlite_fold_equals_the_current_fold() -> None:
    """The SQLite backfill's fold (revision 0004) still folds like ``pipeline.text.fold.fold``."""
    fold_0004 = revision_0004().fold_0004
    assert fold_0004(None) is None
    for sample in fold_samples():
        assert fold_0004(sample) == fold(sample), repr(sample)


def insert_article(conn: object, url: str, title: str, body: str) -> None:
    now = datetime(2026, 11, 25, tzinfo=UTC)
    conn.execute(text(  # type: ignore[attr-defined]
        "INSERT INTO articles (canonical_url, url, title, text, tags, captions, images, word_count, "
        "content_sha256, flags, first_seen_at, last_seen_at) VALUES (:u, :u, :t, :b, '[]', '[]', '[]', "
        "2, :h, '{}', :now, :now)"), {"u": url, "t": title, "b": body, "h": "0" * 64, "now": now})


def test_0004_backfills_the_sqlite_index_with_its_own_fold(tmp_path: Path) -> None:
    """Articles archived before the search revision are found after it, folded as it folds."""
    engine = db.make_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    db.upgrade(engine, "0003")
    with engine.begin() as conn:
        insert_article(conn, "https://a.vn/1", "Kim Thành đón Tết", "Người dân Đồng Nai vui xuân.")
    db.upgrade(engine)
    with engine.connect() as conn:
        found = conn.execute(text("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'dong nai'")).all()
        by_title = conn.execute(
            text("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'kim thanh don tet'")).all()
    engine.dispose()
    assert found == [(1,)] and by_title == [(1,)]


@pytest.mark.postgres
def test_0004_pg_fold_function_equals_the_current_fold(pg_url: str) -> None:
    """The SQL ``baotinh_fold`` the revision installs folds Vietnamese NFC text like the live fold."""
    engine = db.make_engine(pg_url)
    db.upgrade(engine)
    samples = [*VIETNAMESE, "naïve café"]
    with engine.connect() as conn:
        folded = [conn.scalar(text("SELECT baotinh_fold(:t)"), {"t": s}) for s in samples]
    engine.dispose()
    assert folded == [fold(s) for s in samples]


KILL_IN_A_TABLE_REBUILD = """
import os, sys
sys.path[:0] = ['src', '.']
from sqlalchemy import event
from sqlalchemy.engine import Engine
from pipeline.archive import db

def on_connect(dbapi_conn, record):
    def trace(sql):
        if '_alembic_tmp_articles' in sql:
            os._exit(137)  # as if killed (-9) in the middle of a table rebuild
    dbapi_conn.set_trace_callback(trace)

event.listen(Engine, 'connect', on_connect)
db.upgrade(db.make_engine(sys.argv[1]))
"""


def test_a_migration_killed_half_way_leaves_the_archive_as_it_was(tmp_path: Path) -> None:
    """SQLite runs the chain in one transaction: a kill never leaves a half-migrated archive
    (it once left revision 0001 and ``_alembic_tmp_articles``, and every later run exited 74)."""
    import subprocess
    import sys

    from sqlalchemy import inspect

    from .conftest import ROOT

    url = f"sqlite:///{tmp_path / 'baotinh.sqlite'}"
    killed = subprocess.run([sys.executable, "-c", KILL_IN_A_TABLE_REBUILD, url], cwd=ROOT, check=False)
    assert killed.returncode == 137
    engine = db.make_engine(url)
    try:
        assert db.current_revision(engine) is None
        assert "_alembic_tmp_articles" not in inspect(engine).get_table_names()
        db.upgrade(engine)  # the next run migrates as if nothing had happened
        assert db.current_revision(engine) == db.head_revision()
    finally:
        engine.dispose()
