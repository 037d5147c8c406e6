"""Dataset exports: the selected articles streamed at constant memory into JSONL, CSV, Parquet
or WARC files, with a manifest and a datasheet beside them.

    >>> opts = ExportOptions(format="parquet", output=Path("out"))   # doctest: +SKIP
    >>> export_articles(session, opts, archive_dir=Path("archive"))   # doctest: +SKIP

Rows are read in batches of :data:`BATCH_ROWS` (``yield_per`` + ``fetchmany(BATCH_ROWS)``:
``partitions()`` without an explicit size yields one-row partitions on SQLite, 70 times slower).
The export's SQLite connection runs without memory-mapped I/O (see :data:`_EXPORT_PRAGMAS`).
Everything is written under ``*.partial`` names and renamed only when the export is complete;
``manifest.json`` comes last, so a folder with a manifest is a finished export.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import Select, func, inspect, or_, select
from sqlalchemy.orm import Session

from pipeline.archive.models import Article, ArticleVersion, CrawlRun, Source
from pipeline.errors import ArchiveError, InputError
from pipeline.export.datasheet import render_readme
from pipeline.export.formats import (
    DEFAULT_FIELDS,
    EXTRA_FIELDS,
    PARTIAL_SUFFIX,
    WriterOptions,
    WrittenFile,
    check_layout,
    data_files_pattern,
    field_specs,
    make_writer,
    publish_files,
)
from pipeline.export.manifest import (
    MANIFEST_NAME,
    README_NAME,
    ExportStats,
    build_manifest,
    file_entry,
    read_manifest,
    write_json_atomic,
)
from pipeline.export.orthography import AS_PUBLISHED, check_orthography, row_converter
from pipeline.export.warc import CAPTURE_COLUMNS, INDEX_FIELDS, CaptureRow, WarcExportWriter
from pipeline.record import RECORD_FIELDS
from pipeline.search import SearchQuery, filtered_articles
from pipeline.search.province import province_expr, province_now_expr

__all__ = [
    "BATCH_ROWS",
    "ExportOptions",
    "ExportResult",
    "ProgressCallback",
    "check_options",
    "export_articles",
    "prepare_output",
    "select_article_ids",
]

# 1,000 rows: as fast as 5,000 (13,900 against 13,400 rows/s to Parquet) but a fifth of the
# Python strings alive at once (each also caches its UTF-8 form once pyarrow reads it): peak RSS
# of a Parquet export 270 MB instead of 345 MB.
BATCH_ROWS = 1000
# SQLite settings of the export's connection, restored afterwards. No memory-mapped I/O: mapped
# pages of the database file count in the process's RSS, so with the search's 64 GiB mmap
# (archive.sqlite.tune_sqlite_reads) peak RSS grew with the data read (2.3 GB at 1,000,000 articles,
# 2.06 GB of it file-backed); an export reads every page once, where pread costs no more.
# A modest page cache: each row is read once, in rowid order.
_EXPORT_PRAGMAS = {"mmap_size": 0, "cache_size": -8 * 1024}
ProgressCallback = Callable[[int, int], None]
# Files an export writes; anything else in an output folder is not ours to replace.
_EXPORT_FILE_RE = re.compile(r"^(articles-\d{5}\.[a-z.]+|index\.cdxj|manifest\.json|README\.md)$")
# Columns read for the manifest's statistics whatever --fields says.
_STAT_COLUMNS = ("site", "published_at", "extractor_version", "crawl_run_id")
_TIMESTAMP_FIELDS = frozenset(s.name for s in field_specs((*RECORD_FIELDS, *EXTRA_FIELDS)) if s.type == "timestamp")
# Identity of an article, shared by its history rows.
_IDENTITY_FIELDS = ("id", "key", "url", "canonical_url", "site", "language", "first_seen_at", "last_seen_at",
                    "province", "province_now")


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportOptions:
    """What to export, where, and how (one object instead of a dozen loose flags)."""

    format: str
    output: Path
    query: SearchQuery = field(default_factory=SearchQuery)
    fields: tuple[str, ...] = DEFAULT_FIELDS
    all_versions: bool = False
    shard_size: int | None = None
    compress: str | None = None
    bom: bool = False
    since_export: Path | None = None
    overwrite: bool = False
    command: str = ""
    # "as-published" (the papers' spelling) or "modern" (one tone placement); see orthography.
    orthography: str = AS_PUBLISHED
    row_group_rows: int = 50_000
    # A row group is held in memory until written: at 32 MiB the 200,000-article export peaked at
    # 273-309 MB (target < 300), at 16 MiB 267 MB, and readers lose nothing at that size.
    row_group_bytes: int = 16 * 1024 * 1024

    def effective_fields(self) -> tuple[str, ...]:
        """The exported fields: ``version`` is added to tell history rows apart."""
        if self.all_versions and "version" not in self.fields:
            return (*self.fields, "version")
        return self.fields


@dataclass(frozen=True, slots=True)
class ExportResult:
    """A finished export."""

    folder: Path
    articles: int
    versions: int
    files: tuple[str, ...]
    manifest: dict[str, Any]

    @property
    def rows(self) -> int:
        return self.articles + self.versions


# -- selection ------------------------------------------------------------------------------
def select_article_ids(query: SearchQuery, since: datetime | None = None) -> Select[Any]:
    """``SELECT articles.id`` of the articles to export: the search filters, and with ``since``
    only those new or changed since then.

    A change is a new article, a new version (``version_since``), a withdrawal, or an update by
    a crawl run that was still running at ``since`` (the archive keeps no per-row update time
    for older rows, so this errs towards exporting a row twice rather than missing it).
    """
    stmt = filtered_articles(query)
    if since is not None:
        late_runs = select(CrawlRun.id).where(or_(CrawlRun.finished_at.is_(None), CrawlRun.finished_at >= since))
        stmt = stmt.where(or_(
            Article.first_seen_at >= since,
            Article.version_since >= since,
            Article.withdrawn_at >= since,
            Article.crawl_run_id.in_(late_runs),
        ))
    return stmt


# -- output folder --------------------------------------------------------------------------
def prepare_output(folder: Path, *, overwrite: bool) -> list[str]:
    """Make ``folder`` ready: removes stale ``*.partial`` files of an interrupted export and
    refuses a folder holding files unless ``overwrite``; returns the export files to replace."""
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} exists and is not a folder; choose another --output")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the output folder {folder}: {exc.strerror}") from None
    for stale in folder.glob("*" + PARTIAL_SUFFIX):
        stale.unlink()
    existing = sorted(p.name for p in folder.iterdir())
    if existing and not overwrite:
        raise InputError(f"{folder} already exists and is not empty; use --overwrite or another --output")
    foreign = [name for name in existing if not _EXPORT_FILE_RE.match(name)]
    if foreign:
        raise InputError(f"{folder} holds {foreign[0]!r}, which is not part of an export; "
                         "choose another --output")
    return existing


def _discard_partials(folder: Path) -> None:
    for path in folder.glob("*" + PARTIAL_SUFFIX):
        path.unlink(missing_ok=True)


# -- streaming ------------------------------------------------------------------------------
@dataclass(slots=True)
class _Tracker:
    """Counts rows written and reports them to the progress callback."""

    total: int
    progress: ProgressCallback | None
    done: int = 0

    def advance(self, rows: int) -> None:
        self.done += rows
        if self.progress is not None:
            self.progress(self.done, self.total)


def _stream(session: Session, stmt: Select[Any], handle: Callable[[Sequence[Any]], None]) -> None:
    """Call ``handle`` on each batch of ``BATCH_ROWS`` rows of ``stmt``.

    A loop over ``Result.partitions()`` keeps the previous batch alive while the next one is
    fetched (the loop variable and the generator frame both hold it): twice the memory. Here
    the batch is dropped before the next fetch.
    """
    # Core execution on the session's connection: same transaction (one consistent snapshot),
    # without the ORM's per-row overhead. yield_per streams (server-side cursor on PostgreSQL).
    result = session.connection().execute(stmt.execution_options(yield_per=BATCH_ROWS))
    while True:
        batch = result.fetchmany(BATCH_ROWS)
        if not batch:
            break
        handle(batch)
        del batch


def _projector(indices: Sequence[int]) -> Callable[[Any], tuple[Any, ...]]:
    if len(indices) == 1:
        only = indices[0]
        return lambda row: (row[only],)
    getter = itemgetter(*indices)
    return lambda row: getter(row)  # type: ignore[no-any-return]


# Fields computed from the article's site (sources table) and date, not columns of articles.
_COMPUTED = {"province": province_expr, "province_now": province_now_expr}


def _article_columns(names: Sequence[str]) -> list[Any]:
    return [_COMPUTED[n]().label(n) if n in _COMPUTED else getattr(Article, n) for n in names]


def _with_sources(stmt: Select[Any], names: Sequence[str]) -> Select[Any]:
    """``stmt`` joined to the sources table when a computed field needs it."""
    return stmt.outerjoin(Source, Source.id == Article.site) if set(names) & set(_COMPUTED) else stmt


def _unique(names: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(names))


def _parse_ts(value: Any) -> Any:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _history_value(name: str, data: dict[str, Any], version_row: dict[str, Any],
                   article_row: dict[str, Any]) -> Any:
    """A history row's field: the version's own columns (its provenance: extractor version,
    digest, run), else its saved values, else the article's identity (URL, site... do not
    change between versions)."""
    if name != "id" and version_row.get(name) is not None:
        return version_row[name]
    if name in data and name != "id":
        value = data[name]
        return _parse_ts(value) if name in _TIMESTAMP_FIELDS else value
    if name in _IDENTITY_FIELDS:
        return article_row[name]
    return None


def _history_stmt(ids: Select[Any], article_names: Sequence[str]) -> Select[Any]:
    version_cols = [c for c in ArticleVersion.__table__.columns if c.name != "article_id"]
    stmt = (select(*[c.label(f"v_{c.name}") for c in version_cols],
                   *[c.label(f"a_{n}") for n, c in zip(article_names, _article_columns(article_names),
                                                       strict=True)])
            .join(Article, Article.id == ArticleVersion.article_id))
    return (
        _with_sources(stmt, article_names)
        .where(ArticleVersion.article_id.in_(ids))
        .order_by(ArticleVersion.article_id, ArticleVersion.version)
    )


def _history_rows(session: Session, ids: Select[Any], fields: Sequence[str],
                  handle: Callable[[list[tuple[Any, ...]]], None]) -> None:
    identity = [n for n in _IDENTITY_FIELDS if n in fields or n == "id"]

    def convert(part: Sequence[Any]) -> None:
        out = []
        for row in part:
            m = row._mapping
            version_row = {k[2:]: v for k, v in m.items() if k.startswith("v_")}
            article_row = {k[2:]: v for k, v in m.items() if k.startswith("a_")}
            data = version_row.get("data") or {}
            out.append(tuple(_history_value(f, data, version_row, article_row) for f in fields))
        handle(out)

    _stream(session, _history_stmt(ids, identity), convert)


def _require_history(session: Session) -> None:
    if not inspect(session.connection()).has_table(ArticleVersion.__tablename__):
        raise ArchiveError("this archive keeps no version history (table article_versions); "
                           "run `baotinh db upgrade`")


def _require_captures(session: Session) -> None:
    columns = {c["name"] for c in inspect(session.connection()).get_columns(Article.__tablename__)}
    missing = [c for c in CAPTURE_COLUMNS if c not in columns]
    if missing:
        raise ArchiveError(f"this archive keeps no WARC captures (no column {missing[0]}); "
                           "run `baotinh db upgrade` and crawl again")


@contextmanager
def _export_connection(session: Session) -> Iterator[None]:
    """Apply :data:`_EXPORT_PRAGMAS` to the session's SQLite connection for the export, then
    restore the previous values (the connection goes back to a pool shared with search)."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        yield
        return
    saved = {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar() for name in _EXPORT_PRAGMAS}
    for name, value in _EXPORT_PRAGMAS.items():
        conn.exec_driver_sql(f"PRAGMA {name}={int(value)}")
    try:
        yield
    finally:
        for name, previous in saved.items():
            if previous is not None:
                conn.exec_driver_sql(f"PRAGMA {name}={int(previous)}")


# -- the export -----------------------------------------------------------------------------
def check_options(options: ExportOptions) -> None:
    """Raise :class:`InputError` for options no export can honour (before anything is opened)."""
    check_layout(options.format, options.compress)
    if options.shard_size is not None and options.shard_size < 1:
        raise InputError("--shard-size must be at least 1")
    if not options.fields:
        raise InputError("--fields is empty; name at least one field")
    field_specs(options.effective_fields())
    check_orthography(options.orthography, options.format)


def _since_time(path: Path | None) -> tuple[datetime | None, dict[str, Any] | None]:
    if path is None:
        return None, None
    previous = read_manifest(path)
    try:
        since = datetime.fromisoformat(previous["exported_at"])
    except (TypeError, ValueError):
        raise InputError(f"the manifest at {path} has no valid exported_at") from None
    return since, {"path": str(path), "exported_at": previous["exported_at"]}


def _count(session: Session, ids: Select[Any], all_versions: bool) -> int:
    total = session.scalar(select(func.count()).select_from(ids.subquery())) or 0
    if all_versions:
        total += session.scalar(
            select(func.count()).select_from(ArticleVersion).where(ArticleVersion.article_id.in_(ids))
        ) or 0
    return total


def export_articles(session: Session, options: ExportOptions, *, archive_dir: Path,
                    progress: ProgressCallback | None = None,
                    now: datetime | None = None) -> ExportResult:
    """Export the articles selected by ``options.query`` into ``options.output``.

    Streams at constant memory, writes ``*.partial`` files renamed at the end, then
    ``README.md`` and ``manifest.json``. Raises :class:`InputError` for bad options or an
    output folder in use, :class:`ArchiveError` when the archive lacks what the format needs.
    """
    check_options(options)
    if options.format == "warc":
        _require_captures(session)
    if options.all_versions:
        _require_history(session)
    since, since_info = _since_time(options.since_export)
    folder = options.output
    previous = prepare_output(folder, overwrite=options.overwrite)
    exported_at = (now or datetime.now(UTC)).astimezone(UTC)
    ids = select_article_ids(options.query, since)
    stats = ExportStats()
    started = time.monotonic()
    try:
        with _export_connection(session):
            total = _count(session, ids, options.all_versions)
            if options.format == "warc":
                files = _write_warc(session, ids, options, archive_dir, stats, total, progress)
            else:
                files = _write_rows(session, ids, options, stats, total, progress)
            manifest = _finish(session, folder, options, files, previous, stats, exported_at, since_info,
                               time.monotonic() - started)
    except BaseException:
        # Ctrl-C or an error: leave nothing half-written behind (SIGKILL leaves .partial files,
        # which the next export into this folder removes).
        _discard_partials(folder)
        raise
    return ExportResult(folder, stats.articles, stats.versions,
                        tuple(e["path"] for e in manifest["files"]), manifest)


def _write_rows(session: Session, ids: Select[Any], options: ExportOptions, stats: ExportStats,
                total: int, progress: ProgressCallback | None) -> list[WrittenFile]:
    fields = options.effective_fields()
    writer = make_writer(options.output, WriterOptions(
        format=options.format, fields=fields, shard_size=options.shard_size,
        compress=options.compress, bom=options.bom, row_group_rows=options.row_group_rows,
        row_group_bytes=options.row_group_bytes))
    names = _unique([*fields, *_STAT_COLUMNS])
    idx = {n: i for i, n in enumerate(names)}
    project = _projector([idx[f] for f in fields])
    convert = row_converter(fields, options.orthography) or (lambda row: row)
    stmt = _with_sources(select(*_article_columns(names)), names).where(Article.id.in_(ids)).order_by(Article.id)
    tracker = _Tracker(total, progress)

    def write_articles(part: Sequence[Any]) -> None:
        stats.add_articles(part, idx)
        writer.write_rows([convert(project(r)) for r in part])
        tracker.advance(len(part))

    def write_history(rows: list[tuple[Any, ...]]) -> None:
        writer.write_rows([convert(r) for r in rows])
        stats.versions += len(rows)
        tracker.advance(len(rows))

    _stream(session, stmt, write_articles)
    if options.all_versions:
        _history_rows(session, ids, fields, write_history)
    return writer.close()


def _capture_row(r: Any) -> CaptureRow:
    # id, canonical_url, the five capture columns; the key and the province then and now by label.
    m = r._mapping
    return CaptureRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], key=m.get("key"), province=m.get("province"),
                      province_now=m.get("province_now"))


def _write_warc(session: Session, ids: Select[Any], options: ExportOptions, archive_dir: Path,
                stats: ExportStats, total: int, progress: ProgressCallback | None) -> list[WrittenFile]:
    writer = WarcExportWriter(options.output, archive_dir, options.shard_size,
                              f"baotinh export: {options.command or 'library call'}")
    names = _unique(["id", "canonical_url", *CAPTURE_COLUMNS, *_STAT_COLUMNS, "key", *_COMPUTED])
    idx = {n: i for i, n in enumerate(names)}
    stmt = _with_sources(select(*_article_columns(names)), names).where(Article.id.in_(ids)).order_by(Article.id)
    tracker = _Tracker(total, progress)
    stats.captures = 0

    def copy_articles(part: Sequence[Any]) -> None:
        stats.add_articles(part, idx)
        captured = [_capture_row(r) for r in part if r[2] is not None]
        writer.write_captures(captured)
        stats.captures = (stats.captures or 0) + len(captured)
        tracker.advance(len(part))

    def copy_history(part: Sequence[Any]) -> None:
        captured = [_capture_row(r) for r in part if r[2] is not None]
        writer.write_captures(captured)
        stats.versions += len(part)
        stats.captures = (stats.captures or 0) + len(captured)
        tracker.advance(len(part))

    _stream(session, stmt, copy_articles)
    if options.all_versions:
        history = (select(ArticleVersion.article_id, Article.canonical_url,
                          *[getattr(ArticleVersion, c) for c in CAPTURE_COLUMNS], Article.key,
                          *_article_columns(list(_COMPUTED)))
                   .join(Article, Article.id == ArticleVersion.article_id)
                   .outerjoin(Source, Source.id == Article.site)
                   .where(ArticleVersion.article_id.in_(ids))
                   .order_by(ArticleVersion.article_id, ArticleVersion.version))
        _stream(session, history, copy_history)
    return writer.close()


# -- manifest and datasheet -----------------------------------------------------------------
def _options_section(options: ExportOptions) -> dict[str, Any]:
    """The ``options`` of the manifest: how the rows were laid out."""
    return {
        "format": options.format,
        "fields": [] if options.format == "warc" else list(options.effective_fields()),
        "all_versions": options.all_versions, "shard_size": options.shard_size,
        "compress": options.compress, "bom": options.bom, "orthography": options.orthography,
    }


def _finish(session: Session, folder: Path, options: ExportOptions, files: list[WrittenFile],
            previous: list[str], stats: ExportStats, exported_at: datetime,
            since_info: dict[str, Any] | None, seconds: float) -> dict[str, Any]:
    specs = list(INDEX_FIELDS) if options.format == "warc" else field_specs(options.effective_fields())
    manifest = build_manifest(session, stats, specs, command=options.command, query=options.query,
                              options=_options_section(options), since_export=since_info,
                              exported_at=exported_at, seconds=seconds)
    readme = render_readme(manifest, specs, data_files_pattern(options.format, options.compress))
    readme_partial = folder / (README_NAME + PARTIAL_SUFFIX)
    readme_partial.write_text(readme, encoding="utf-8", newline="\n")
    entries = [file_entry(folder, f.name + PARTIAL_SUFFIX, f.rows) for f in files]
    entries.append(file_entry(folder, README_NAME + PARTIAL_SUFFIX, None))
    for entry in entries:
        entry["path"] = entry["path"].removesuffix(PARTIAL_SUFFIX)
    manifest["files"] = entries
    manifest["counts"]["files"] = len(entries)
    published = [e["path"] for e in entries]
    # An older export in this folder loses its manifest first, so no moment shows a manifest
    # that does not match the files beside it.
    (folder / MANIFEST_NAME).unlink(missing_ok=True)
    publish_files(folder, published)
    for name in previous:
        if name not in published and name != MANIFEST_NAME:
            (folder / name).unlink(missing_ok=True)
    write_json_atomic(folder / MANIFEST_NAME, manifest)
    return manifest
