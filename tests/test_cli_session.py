"""One session opener for the CLI: read commands never migrate or create, write commands do."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from .conftest import run_cli

READ_COMMANDS = (
    ("stats",), ("runs",), ("runs", "show", "1"), ("health",), ("search", "kim thanh"), ("show", "1"),
    ("history", "1"), ("verify",), ("dedup",),
)


def _files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*")) if folder.exists() else []


@pytest.mark.parametrize("args", READ_COMMANDS, ids=lambda a: " ".join(a))
def test_read_command_on_a_missing_archive_creates_nothing(tmp_path: Path, args: tuple[str, ...]) -> None:
    archive = tmp_path / "mistyped" / "archive"
    result = run_cli(*args, archive=archive)
    assert result.returncode == 66, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: no archive") and str(archive) in lines[0]
    assert _files(tmp_path) == []


@pytest.mark.parametrize("args", [("stats",), ("health",), ("serve", "--port", "0")], ids=lambda a: a[0])
def test_a_mistyped_db_url_or_empty_folder_is_66(tmp_path: Path, args: tuple[str, ...]) -> None:
    url = f"sqlite:///{tmp_path}/x/y.sqlite"
    result = run_cli("--db", url, *args)
    assert result.returncode == 66 and f"{tmp_path}/x" in result.stderr, result.stderr
    assert _files(tmp_path) == []
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_cli(*args, archive=empty)
    assert result.returncode == 66 and f"{empty}/baotinh.sqlite" in result.stderr, result.stderr
    assert _files(empty) == []


def test_export_on_a_missing_archive_creates_nothing(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    result = run_cli("export", "--format", "jsonl", "--output", str(tmp_path / "out"), archive=archive)
    assert result.returncode == 66 and str(archive) in result.stderr
    assert _files(tmp_path) == []


def test_read_command_on_an_empty_database_names_the_fix(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "baotinh.sqlite").touch()
    result = run_cli("stats", archive=archive)
    assert result.returncode == 74 and "has no schema" in result.stderr and "baotinh db upgrade" in result.stderr
    assert (archive / "baotinh.sqlite").stat().st_size == 0


def test_read_command_on_an_older_schema_says_so_and_leaves_it(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    assert run_cli("db", "upgrade", "--revision", "0004", archive=archive).returncode == 0
    database = archive / "baotinh.sqlite"
    before = hashlib.sha256(database.read_bytes()).hexdigest()
    result = run_cli("stats", archive=archive)
    assert result.returncode == 74
    assert "schema revision 0004" in result.stderr and "baotinh db upgrade" in result.stderr
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before


def test_write_command_migrates_then_read_commands_work(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    rebuilt = run_cli("dedup", "--rebuild", archive=archive)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert (archive / "baotinh.sqlite").is_file()
    stats = run_cli("stats", archive=archive)
    assert stats.returncode == 0 and "0 articles in 0 sites" in stats.stdout
    assert run_cli("search", "kim thanh", archive=archive).returncode == 0
