"""Manifests and datasheets of dataset exports, and their verification.

``manifest.json`` records what an export holds and how it was made (command, filters, software,
counts, time span, sites, crawl runs, schema) and a SHA-256 and size for every file, so an
export can be cited and checked; ``README.md`` is a short datasheet for people.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import InputError
from pipeline.export.formats import PARTIAL_SUFFIX, FieldSpec

__all__ = [
    "MANIFEST_NAME",
    "MANIFEST_VERSION",
    "README_NAME",
    "VerifyReport",
    "file_entry",
    "read_manifest",
    "render_readme",
    "sha256_file",
    "verify_export",
    "write_json_atomic",
]

MANIFEST_NAME = "manifest.json"
README_NAME = "README.md"
MANIFEST_VERSION = 1


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def file_entry(folder: Path, name: str, rows: int | None) -> dict[str, Any]:
    """The manifest entry of one file: name, size, SHA-256 and rows (None for README)."""
    path = folder / name
    entry: dict[str, Any] = {"path": name, "bytes": path.stat().st_size, "sha256": sha256_file(path)}
    if rows is not None:
        entry["rows"] = rows
    return entry


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write JSON to ``path.partial``, fsync, and rename over ``path``."""
    tmp = path.with_name(path.name + PARTIAL_SUFFIX)
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=2)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def read_manifest(folder_or_file: Path) -> dict[str, Any]:
    """A previous export's manifest (the folder or the ``manifest.json`` itself)."""
    path = folder_or_file / MANIFEST_NAME if folder_or_file.is_dir() else folder_or_file
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"no export manifest at {path}") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the export manifest {path}: {exc}") from None
    if not isinstance(data, dict) or "files" not in data or "exported_at" not in data:
        raise InputError(f"{path} is not a baotinh export manifest")
    return data


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """Outcome of :func:`verify_export`: the files checked and the problems found."""

    folder: Path
    checked: int
    problems: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_export(folder: Path) -> VerifyReport:
    """Check every file of an export against its manifest: presence, size and SHA-256.

    Files in the folder that the manifest does not list, and leftover ``*.partial`` files,
    are problems too: a verified export is exactly what was published.
    """
    manifest = read_manifest(folder)
    if folder.is_file():
        folder = folder.parent
    problems: list[str] = []
    listed = set()
    for entry in manifest["files"]:
        name = entry["path"]
        listed.add(name)
        problems.extend(_check_file(folder, entry))
    for path in sorted(folder.iterdir()):
        if path.name not in listed and path.name != MANIFEST_NAME:
            what = "an unfinished file" if path.name.endswith(PARTIAL_SUFFIX) else "not in the manifest"
            problems.append(f"{path.name}: {what}")
    return VerifyReport(folder, len(listed), tuple(problems))


def _check_file(folder: Path, entry: dict[str, Any]) -> list[str]:
    path = folder / entry["path"]
    if not path.is_file():
        return [f"{entry['path']}: missing"]
    size = path.stat().st_size
    if size != entry["bytes"]:
        return [f"{entry['path']}: {size} bytes, the manifest says {entry['bytes']}"]
    if sha256_file(path) != entry["sha256"]:
        return [f"{entry['path']}: SHA-256 differs from the manifest"]
    return []


def render_readme(manifest: dict[str, Any], specs: Sequence[FieldSpec], data_files: str) -> str:
    """The datasheet of an export (Markdown with a Hugging Face dataset-card header)."""
    counts = manifest["counts"]
    span = manifest["time_span"]
    sites = manifest["sites"]
    site_lines = "\n".join(
        f"| {sid} | {info.get('name') or ''} | {info.get('province') or ''} | {info['articles']} |"
        for sid, info in sorted(sites.items())
    )
    field_lines = "\n".join(f"| `{s.name}` | {s.type} | {s.description} |" for s in specs)
    options = manifest["options"]
    filters = json.dumps(manifest["filters"], ensure_ascii=False) if manifest["filters"] else "none"
    since = manifest.get("since_export")
    incremental = (f"Incremental: only articles new or changed since the export of "
                   f"{since['exported_at']}.\n" if since else "")
    return f"""---
language:
- vi
license: other
pretty_name: baotinh export of Vietnamese provincial press articles
configs:
- config_name: default
  data_files: "{data_files}"
---

# baotinh export ({options['format']})

Articles of Vietnam's provincial press from the baotinh archive, exported on
{manifest['exported_at']} by baotinh {manifest['software']['version']}.

- Rows: {counts['rows']} ({counts['articles']} articles, {counts['versions']} earlier versions)
- Published between {span['published_min'] or 'unknown'} and {span['published_max'] or 'unknown'}
  ({span['articles_without_date']} articles without a publication date)
- Filters: {filters}
{incremental}
Command: `{manifest['command'] or '(library call: pipeline.export.dataset.export_articles)'}`

## How the data was collected

Pages were fetched by the baotinh crawler (robots.txt obeyed, identified User-Agent, throttled)
from each paper's sitemaps, feeds and section listings. Text and metadata were extracted from
the HTML (trafilatura plus rules for Vietnamese pages), normalised to Unicode NFC with
whitespace collapsed, and dated in Asia/Ho_Chi_Minh time (UTC+7). The crawl runs that produced
these records are listed in `manifest.json` (`crawl_runs`, and `coverage_ledger` when the
archive keeps one).

## Sites

| site | name | province | articles |
|---|---|---|---|
{site_lines}

## Fields{' of index.cdxj' if options['format'] == 'warc' else ''}

| field | type | meaning |
|---|---|---|
{field_lines}

Timestamps carry their offset (ISO 8601 in JSONL/CSV; UTC instants with zone
`Asia/Ho_Chi_Minh` in Parquet). A field the page did not give is null, never a guess; in CSV
null is an empty cell and lists are JSON strings.

## Caveats

- Bylines are as printed: often initials or pen names, sometimes a news agency; they do not
  identify people reliably.
- Dates are those printed by the papers; pages without a readable date have a null
  `published_at`.
- Coverage depends on what each paper's sitemaps, feeds and listings exposed when crawled; an
  article missing here may exist on the paper's site.
- Syndicated stories (e.g. from TTXVN) can appear in several papers.

## Rights

The texts, photos and captions belong to their papers and authors. This export is provided for
research, preservation and reference; reuse beyond what the law allows (quotation, research
exceptions) needs the rights holders' permission. Cite the paper and the article URL together
with this dataset.

## Reading

- pyarrow: `pyarrow.dataset.dataset(PATH, format="parquet", exclude_invalid_files=True)`
- pandas: `pandas.read_parquet(PATH + "/articles-00000.parquet")`, or
  `pandas.read_json(FILE, lines=True)` for JSONL
- polars: `polars.read_parquet(PATH + "/articles-*.parquet")`
- DuckDB: `SELECT * FROM read_parquet('PATH/articles-*.parquet')`
- Hugging Face: `datasets.load_dataset(PATH)` (this file's header names the data files)
- WARC: `index.cdxj` indexes the records of `articles-*.warc.gz` for pywb and other replay tools

## Verification

`manifest.json` lists every file with its size and SHA-256. Check the export with:

    baotinh export verify PATH
"""
