"""Bad input gets one clear line on stderr, a non-zero exit, and leaves the archive as it was."""

from __future__ import annotations

import hashlib
import os
import socket
from pathlib import Path

import pytest

from .conftest import ROOT, MigratedSqlite, run_cli


def _one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def _digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


@pytest.fixture
def populated_archive(archive: Path, migrated_sqlite: MigratedSqlite) -> Path:
    """An archive with a schema (a copy of the migrated template), whose bytes must not change."""
    migrated_sqlite(archive / "baotinh.sqlite")
    return archive


def test_missing_file(populated_archive: Path) -> None:
    before = _digest(populated_archive / "baotinh.sqlite")
    r = run_cli("extract", "/nonexistent/page.html", archive=populated_archive)
    assert r.returncode == 2
    assert "no such file" in _one_error_line(r.stderr)
    assert _digest(populated_archive / "baotinh.sqlite") == before


def test_non_html_file(tmp_path: Path) -> None:
    binary = tmp_path / "photo.jpg"
    binary.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(2000))
    r = run_cli("extract", str(binary))
    assert r.returncode == 65
    line = _one_error_line(r.stderr)
    assert line.startswith("error:") and "HTML" in line

    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    r = run_cli("extract", str(empty))
    assert r.returncode == 65
    _one_error_line(r.stderr)


def test_unknown_site_id(populated_archive: Path) -> None:
    before = _digest(populated_archive / "baotinh.sqlite")
    r = run_cli("crawl", "no-such-paper", archive=populated_archive)
    assert r.returncode == 78
    assert "unknown site id 'no-such-paper'" in _one_error_line(r.stderr)
    r = run_cli("extract", str(ROOT / "README.md"), "--site", "no-such-paper")
    assert r.returncode == 78
    assert _digest(populated_archive / "baotinh.sqlite") == before


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_url(populated_archive: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(populated_archive / "baotinh.sqlite")
    articles_before = conn.execute("select count(*) from articles").fetchone()[0]
    conn.close()
    url = f"http://127.0.0.1:{_closed_port()}/"
    r = run_cli("crawl", "--url", url, "--max-pages", "3", archive=populated_archive)
    assert r.returncode == 1
    line = _one_error_line(r.stderr)
    assert "cannot reach" in line and "127.0.0.1" in line
    conn = sqlite3.connect(populated_archive / "baotinh.sqlite")
    assert conn.execute("select count(*) from articles").fetchone()[0] == articles_before
    status = conn.execute("select status from crawl_runs order by id desc limit 1").fetchone()[0]
    conn.close()
    assert status == "failed"


def test_unwritable_database_path(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        # root writes anywhere; a path under a regular file cannot be created by anyone.
        blocker = tmp_path / "file"
        blocker.write_text("x")
        db_url = f"sqlite:///{blocker}/sub/baotinh.sqlite"
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        db_url = f"sqlite:///{ro}/baotinh.sqlite"
    r = run_cli("--db", db_url, "db", "upgrade")
    assert r.returncode == 74
    assert "cannot create the archive folder" in _one_error_line(r.stderr) or "not writable" in r.stderr
    r = run_cli("--db", db_url, "stats")
    assert r.returncode == 66  # a read finds no archive there (EX_NOINPUT), and creates none


def test_bad_database_url() -> None:
    r = run_cli("--db", "nonsense://", "stats")
    assert r.returncode == 78
    _one_error_line(r.stderr)


def test_bad_flags() -> None:
    r = run_cli("crawl", "demo", "--since", "06/08/2019")
    assert r.returncode == 2
    assert "YYYY-MM-DD" in r.stderr
    r = run_cli("crawl", "demo", "--max-pages", "0")
    assert r.returncode == 2
