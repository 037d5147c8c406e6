"""An export killed part way (issue 14, acceptance 3's finding): ``export verify`` names the
interrupted export clearly, whether the kill left ``*.partial`` files beside a finished export or
final-named files without their manifest (the manifest is written last)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.export.manifest import read_manifest, sha256_file, verify_export


def _export(folder: Path) -> None:
    """A one-file export as ``baotinh export`` leaves it."""
    folder.mkdir()
    data = folder / "articles-00000.jsonl"
    data.write_text('{"id": 1}\n', encoding="utf-8")
    entry = {"path": data.name, "bytes": data.stat().st_size, "sha256": sha256_file(data), "rows": 1}
    manifest = {"exported_at": "2026-11-29T20:00:00+07:00", "files": [entry]}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def test_leftovers_of_a_later_interrupted_export_are_named(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    _export(folder)
    assert verify_export(folder).ok
    (folder / "articles-00000.jsonl.partial").write_text("{}", encoding="utf-8")
    problems = verify_export(folder).problems
    assert len(problems) == 1 and "interrupted" in problems[0] and "again" in problems[0]


def test_files_without_their_manifest_are_an_interrupted_export(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    _export(folder)
    (folder / "manifest.json").unlink()  # killed after publishing its files, before the manifest
    with pytest.raises(InputError, match="interrupted before it finished; run it again"):
        read_manifest(folder)
    with pytest.raises(InputError, match="^no export manifest at [^:]*$"):
        read_manifest(tmp_path / "nowhere")
