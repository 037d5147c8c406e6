"""The manifest of a dataset export: built from the export's statistics, written, verified.

``manifest.json`` records what an export holds and how it was made (command, filters, software,
counts, time span, sites, crawl runs, schema) and a SHA-256 and size for every file, so an
export can be cited and checked (``baotinh export verify``). The datasheet for people,
``README.md``, is written from it by :mod:`pipeline.export.datasheet`.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import sqlalchemy
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from pipeline import __version__
from pipeline.archive.models import CrawlRun, LedgerCount, Source
from pipeline.errors import InputError
from pipeline.export.formats import PARTIAL_SUFFIX, TIMEZONE, FieldSpec
from pipeline.search import SearchQuery

__all__ = [
    "MANIFEST_NAME",
    "MANIFEST_VERSION",
    "README_NAME",
    "ExportStats",
    "VerifyReport",
    "build_manifest",
    "file_entry",
    "query_filters",
    "read_manifest",
    "sha256_file",
    "verify_export",
    "write_json_atomic",
]

MANIFEST_NAME = "manifest.json"
README_NAME = "README.md"
MANIFEST_VERSION = 1


# -- building -------------------------------------------------------------------------------
@dataclass(slots=True)
class ExportStats:
    """Counters gathered while rows stream by (per-site counts, time span, provenance)."""

    articles: int = 0
    versions: int = 0
    sites: Counter[str] = field(default_factory=Counter)
    extractors: Counter[str] = field(default_factory=Counter)
    runs: set[int] = field(default_factory=set)
    published_min: datetime | None = None
    published_max: datetime | None = None
    undated: int = 0
    captures: int | None = None  # WARC exports: capture records copied

    def add_articles(self, rows: Sequence[Any], idx: dict[str, int]) -> None:
        """Count a batch of article rows; ``idx`` maps column names to positions in a row."""
        self.articles += len(rows)
        i_site, i_pub = idx["site"], idx["published_at"]
        i_ext, i_run = idx["extractor_version"], idx["crawl_run_id"]
        for row in rows:
            self.sites[row[i_site] or ""] += 1
            self.extractors[row[i_ext] or "unknown"] += 1
            if row[i_run] is not None:
                self.runs.add(row[i_run])
            published = row[i_pub]
            if published is None:
                self.undated += 1
                continue
            if self.published_min is None or published < self.published_min:
                self.published_min = published
            if self.published_max is None or published > self.published_max:
                self.published_max = published


def build_manifest(session: Session, stats: ExportStats, specs: Sequence[FieldSpec], *,
                   command: str, query: SearchQuery, options: dict[str, Any],
                   since_export: dict[str, Any] | None, exported_at: datetime,
                   seconds: float) -> dict[str, Any]:
    """The manifest of an export, without its ``files`` (added once the files are final).

    ``options`` is the export's ``options`` section (format, fields, all_versions, shard_size,
    compress, bom, orthography); ``since_export`` names the export an incremental one follows.
    """
    warc = options["format"] == "warc"
    return {
        "manifest_version": MANIFEST_VERSION,
        "dataset": "baotinh",
        "exported_at": exported_at.isoformat(),
        "command": command,
        "filters": query_filters(query),
        "options": options,
        "since_export": since_export,
        "software": _software(session),
        "extractor_versions": dict(sorted(stats.extractors.items())),
        "counts": {"articles": stats.articles, "versions": stats.versions,
                   "rows": stats.articles + stats.versions,
                   **({"captures": stats.captures} if stats.captures is not None else {})},
        "time_span": {
            "published_min": _jsonable(stats.published_min), "published_max": _jsonable(stats.published_max),
            "articles_without_date": stats.undated, "timezone": TIMEZONE,
        },
        "sites": _sites(session, stats.sites),
        "crawl_runs": _crawl_runs(session, stats.runs),
        "coverage_ledger": _coverage_ledger(session, stats.runs),
        "schema": {"fields": [s.as_dict() for s in specs],
                   **({"index": "index.cdxj: SURT key, 14-digit timestamp, JSON with these fields",
                       "records": "WARC/1.1 records copied byte for byte, one gzip member each"}
                      if warc else {})},
        "seconds": round(seconds, 3),
    }


def query_filters(query: SearchQuery) -> dict[str, Any]:
    """The filters of ``query`` that differ from the defaults (what selected the articles)."""
    # Paging and presentation options of search do not select anything for an export.
    skip = {"sort", "limit", "offset", "facets"}
    default = SearchQuery()
    return {k: _jsonable(v) for k, v in asdict(query).items()
            if k not in skip and v != getattr(default, k)}


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _software(session: Session) -> dict[str, Any]:
    return {
        "name": "baotinh", "version": __version__, "python": platform.python_version(),
        "sqlalchemy": sqlalchemy.__version__, "pyarrow": pa.__version__,
        "database": session.get_bind().dialect.name,
        "schema_revision": MigrationContext.configure(session.connection()).get_current_revision(),
    }


def _crawl_runs(session: Session, run_ids: set[int]) -> list[dict[str, Any]]:
    if not run_ids:
        return []
    runs = session.scalars(select(CrawlRun).where(CrawlRun.id.in_(sorted(run_ids))).order_by(CrawlRun.id))
    keys = ("id", "site_id", "started_at", "finished_at", "status", "pages_fetched", "articles_new",
            "articles_updated", "articles_unchanged", "errors", "software_version")
    return [{k: _jsonable(getattr(r, k)) for k in keys} for r in runs]


def _coverage_ledger(session: Session, run_ids: set[int]) -> dict[str, list[dict[str, Any]]] | None:
    """The coverage ledger (issue 6) of every run that produced the data; None in an archive
    older than the ledger (the table named by the model, never by a guess)."""
    from pipeline.crawling import ledger

    if not inspect(session.connection()).has_table(LedgerCount.__tablename__):
        return None
    return {str(run_id): [row.as_dict() for row in ledger.read_ledger(session, run_id)]
            for run_id in sorted(run_ids)}


def _sites(session: Session, counts: Counter[str]) -> dict[str, dict[str, Any]]:
    sources = {s.id: s for s in session.scalars(select(Source).where(Source.id.in_(list(counts))))}
    out = {}
    for site_id, n in sorted(counts.items()):
        src = sources.get(site_id)
        out[site_id] = {
            "articles": n,
            "name": src.name if src else None,
            "province": src.province_after if src else None,
            "province_before_2025": src.province_before if src else None,
        }
    return out


# -- files ----------------------------------------------------------------------------------


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
        if folder_or_file.is_dir() and any(folder_or_file.iterdir()):
            # files but no manifest: an export killed while it published them (the manifest comes last)
            raise InputError(f"no export manifest at {path}: the export into {path.parent} was interrupted "
                             "before it finished; run it again (with --overwrite)") from None
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
            what = ("an unfinished file of a later export that was interrupted (running the export again "
                    "removes it)" if path.name.endswith(PARTIAL_SUFFIX) else "not in the manifest")
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
