"""Damaged archives (issue 14, item 3): one ``error:`` line and exit 74, or 65 for a file that is
not a baotinh archive, never a traceback; ``verify`` reports the damage as findings (exit 1) and
still checks the records it can read."""

from __future__ import annotations

import random
import shutil
import sqlite3
from pathlib import Path

from .conftest import CliResult, run_cli

READ_COMMANDS = (("stats",), ("search", "kim"), ("show", "1"), ("runs",), ("health",), ("history", "1"),
                 ("dedup",), ("export", "--format", "jsonl", "--output", "{out}"))
WRITE_COMMANDS = (("dedup", "--rebuild"), ("db", "upgrade"), ("reextract",))
PAGE = 4096


def _copy(demo_archive: Path, tmp_path: Path) -> Path:
    archive = tmp_path / "archive"
    shutil.copytree(demo_archive, archive)
    return archive


def _one_error_line(result: CliResult) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def run_in_process(args: tuple[str, ...], archive: Path, tmp_path: Path) -> CliResult:
    """``baotinh --archive ARCHIVE ARGS`` in this process (the real CLI, without a new interpreter
    for each of the many commands); an exception the CLI let through is reported as a traceback."""
    from click.testing import CliRunner

    from pipeline.cli.main import cli

    argv = ["--archive", str(archive), *(a.replace("{out}", str(tmp_path / "out")) for a in args)]
    result = CliRunner(env={"BAOTINH_DB": None}).invoke(cli, argv, prog_name="baotinh")
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += f"Traceback: {result.exception!r}\n"
    return CliResult(result.exit_code, result.stdout, stderr)


def _garble(path: Path, first_page: int, pages: int) -> None:
    """Overwrite ``pages`` pages from ``first_page`` (1-based, as SQLite counts) with seeded noise."""
    noise = random.Random(14).randbytes(pages * PAGE)
    with open(path, "r+b") as fh:
        fh.seek((first_page - 1) * PAGE)
        fh.write(noise)


def _root_page(path: Path, table: str) -> int:
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA page_size").fetchone()[0] == PAGE
        row = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()
    conn.close()
    return int(row[0])


def test_a_file_that_is_not_sqlite_is_not_an_archive(demo_archive: Path, tmp_path: Path) -> None:
    archive = _copy(demo_archive, tmp_path)
    (archive / "baotinh.sqlite").write_bytes(b"<html>not a database, a page saved over it</html>\n" * 200)
    for args in (*READ_COMMANDS, ("verify",), *WRITE_COMMANDS):
        result = run_in_process(args, archive, tmp_path)
        assert result.returncode == 65, (args, result.stderr)
        assert "not a baotinh archive" in _one_error_line(result)


def test_another_programs_database_is_not_an_archive(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    with sqlite3.connect(archive / "baotinh.sqlite") as conn:
        conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT)")
    conn.close()
    for args in (("stats",), ("search", "kim"), ("verify",)):
        result = run_in_process(args, archive, tmp_path)
        assert result.returncode == 65, (args, result.stderr)
        assert "not a baotinh archive" in _one_error_line(result) and "photos" in result.stderr


def test_a_truncated_database_gives_one_line_and_74(demo_archive: Path, tmp_path: Path) -> None:
    archive = _copy(demo_archive, tmp_path)
    database = archive / "baotinh.sqlite"
    with open(database, "r+b") as fh:
        fh.truncate(database.stat().st_size // 2)
    for args in (*READ_COMMANDS, *WRITE_COMMANDS):
        result = run_in_process(args, archive, tmp_path)
        assert result.returncode == 74, (args, result.stderr)
        assert "is damaged" in _one_error_line(result)
    verify = run_in_process(("verify",), archive, tmp_path)
    assert verify.returncode == 1 and "Traceback" not in verify.stderr, verify.stderr
    assert "damaged: database" in verify.stderr and "malformed" in verify.stderr
    assert "problems" in verify.stdout
    for args in (("stats",), ("serve", "--port", "0")):  # and in a process of its own, as cron runs it
        alone = run_cli(*args, archive=archive, timeout=60)
        assert alone.returncode == 74 and "is damaged" in _one_error_line(alone), args


def test_verify_reports_garbled_pages_and_checks_what_it_can(demo_archive: Path, tmp_path: Path) -> None:
    archive = _copy(demo_archive, tmp_path)
    database = archive / "baotinh.sqlite"
    _garble(database, _root_page(database, "articles"), 1)
    result = run_in_process(("verify", "--json"), archive, tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    report = result.json()
    assert isinstance(report, dict)
    assert any(line.startswith("articles cannot be read") for line in report["database"]), report
    assert any("page" in line.lower() for line in report["database"]), report  # quick_check's own lines
    assert report["records"] > 0 and report["problems"] == []  # the captures were still checked
    text = run_in_process(("verify",), archive, tmp_path)
    assert text.returncode == 1 and "damaged: database: articles cannot be read" in text.stderr
    for args in (("search", "kim"), ("show", "1")):
        damaged = run_in_process(args, archive, tmp_path)
        assert damaged.returncode == 74 and "is damaged" in _one_error_line(damaged), args


def test_verify_of_a_sound_archive_finds_no_database_damage(demo_archive: Path, tmp_path: Path) -> None:
    result = run_in_process(("verify", "--json"), demo_archive, tmp_path)
    assert result.returncode == 0, result.stderr
    report = result.json()
    assert isinstance(report, dict) and report["database"] == [] and report["records"] > 0
