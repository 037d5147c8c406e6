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
def test_read_command_on_a_fresh_folder_creates_nothing(tmp_path: Path, args: tuple[str, ...]) -> None:
    archive = tmp_path / "archive"
    result = run_cli(*args, archive=archive)
    assert result.returncode == 74, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "baotinh db upgrade" in lines[0]
    assert not archive.exists() and _files(tmp_path) == []


def test_export_on_a_fresh_folder_creates_nothing(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    result = run_cli("export", "--format", "jsonl", "--output", str(tmp_path / "out"), archive=archive)
    assert result.returncode == 74 and "baotinh db upgrade" in result.stderr
    assert _files(tmp_path) == []


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
