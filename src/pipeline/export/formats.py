"""File formats of dataset exports: the field schema and one sharded writer per format.

Every writer writes to ``*.partial`` names only; :func:`publish_files` renames them to their
final names once the whole export is complete, so an interrupted export never leaves a
half-written file under a final name.

Timestamps: Parquet stores them as ``timestamp[us, tz=Asia/Ho_Chi_Minh]`` (UTC instants on
disk, the zone in the Arrow schema), so every reader gets the same instant and pandas/polars
show Vietnamese local time; JSONL and CSV carry ISO 8601 strings with the ``+07:00`` offset.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from pipeline.errors import InputError
from pipeline.record import RECORD_FIELDS

if TYPE_CHECKING:  # pyarrow is imported where Parquet is written: the CLI starts without it
    import pyarrow as pa

__all__ = [
    "csv_value",
    "DEFAULT_FIELDS",
    "EXTRA_FIELDS",
    "FORMATS",
    "PARTIAL_SUFFIX",
    "FieldSpec",
    "ShardWriter",
    "ShardedWriter",
    "WriterOptions",
    "WrittenFile",
    "arrow_schema",
    "check_layout",
    "data_files_pattern",
    "field_specs",
    "file_extension",
    "make_writer",
    "publish_files",
    "shard_name",
    "sync_folder",
]

FORMATS = ("jsonl", "csv", "parquet", "warc")
COMPRESSIONS = ("gz", "zst")
PARTIAL_SUFFIX = ".partial"
TIMEZONE = "Asia/Ho_Chi_Minh"
_ARROW_SLICE = 1000
_DICTIONARY_FIELDS = frozenset({
    "site", "province", "province_now", "author", "section", "tags", "language", "date_source", "modified_source",
    "source_agency", "flags", "extractor_version", "crawl_run_id", "version",
})

_STR = "string"
_TS = "timestamp"
_INT = "int64"
_STRLIST = "list<string>"
_IMAGES = "list<struct<url: string, caption: string>>"

# Type and meaning of every field an export can carry (the record's fields first).
_FIELD_TYPES: dict[str, tuple[str, str]] = {
    "url": (_STR, "URL the article was fetched from"),
    "canonical_url": (_STR, "normalised URL; the archive's key"),
    "site": (_STR, "registry id of the paper"),
    "title": (_STR, "headline as printed"),
    "description": (_STR, "lead (sapo) as printed"),
    "author": (_STR, "byline as printed (a pen name or initials, not an identified person)"),
    "published_at": (_TS, "publication time given by the page"),
    "modified_at": (_TS, "last modification time given by the page"),
    "section": (_STR, "section (chuyên mục) of the paper"),
    "tags": (_STRLIST, "tags given by the page"),
    "language": (_STR, "language code"),
    "text": (_STR, "body text, NFC, paragraphs separated by newlines, without byline and captions"),
    "captions": (_STRLIST, "photo captions"),
    "images": (_IMAGES, "body images with their captions"),
    "word_count": (_INT, "words in text"),
    "content_sha256": (_STR, "SHA-256 of the normalised text"),
    "fetched_at": (_TS, "time of the capture the record was extracted from"),
    "date_source": (_STR, "where published_at was read (date line, meta tag, ...)"),
    "modified_source": (_STR, "where modified_at was read"),
    "source_agency": (_STR, "news agency credited (e.g. TTXVN), when given"),
    "flags": (_STRLIST, "quality flags set by extraction"),
    "extractor_version": (_STR, "version of the extractor that made the record"),
    "id": (_INT, "article id in the archive"),
    "key": (_STR, "stable article key: base32(sha256(canonical_url))[:12], lower case; cite as /a/<key>"),
    "first_seen_at": (_TS, "first time the archive saw the article"),
    "last_seen_at": (_TS, "last time the archive saw the article"),
    "crawl_run_id": (_INT, "crawl run that last changed the article"),
    "version": (_INT, "version number (history rows with --all-versions)"),
    "province": (_STR, "province at publication: before 1 July 2025 the province of that time "
                       "(registry's province_before), from then on the merged one; null when undated"),
    "province_now": (_STR, "province of the paper today, after the July 2025 merger (registry's province_after)"),
}
EXTRA_FIELDS: tuple[str, ...] = ("id", "first_seen_at", "last_seen_at", "crawl_run_id", "version", "key",
                                 "province", "province_now")
# What an export carries when --fields is not given: the stable key, the record, then the
# province then and now.
DEFAULT_FIELDS: tuple[str, ...] = ("key", *RECORD_FIELDS, "province", "province_now")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One exported field: its name, logical type and meaning (for the manifest and README)."""

    name: str
    type: str
    description: str

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "type": self.type, "description": self.description}


@dataclass(frozen=True, slots=True)
class WrittenFile:
    """A file of the export, relative to the export folder, with the rows it holds."""

    name: str
    rows: int


def field_specs(names: Sequence[str]) -> list[FieldSpec]:
    """Specs of ``names``; raises :class:`InputError` naming an unknown field."""
    specs = []
    for name in names:
        if name not in _FIELD_TYPES:
            known = ", ".join((*RECORD_FIELDS, *EXTRA_FIELDS))
            raise InputError(f"unknown field {name!r}; choose among: {known}")
        specs.append(FieldSpec(name, *_FIELD_TYPES[name]))
    return specs


def _arrow_type(logical: str) -> pa.DataType:
    import pyarrow as pa

    return {
        _STR: pa.string(),
        _TS: pa.timestamp("us", tz=TIMEZONE),
        _INT: pa.int64(),
        _STRLIST: pa.list_(pa.string()),
        _IMAGES: pa.list_(pa.struct([("url", pa.string()), ("caption", pa.string())])),
    }[logical]


def arrow_schema(specs: Sequence[FieldSpec]) -> pa.Schema:
    """The Parquet/Arrow schema of an export, with field descriptions as metadata."""
    import pyarrow as pa

    return pa.schema(
        [pa.field(s.name, _arrow_type(s.type), metadata={"description": s.description}) for s in specs],
        metadata={"timezone": TIMEZONE, "dataset": "baotinh"},
    )


def shard_name(index: int, extension: str) -> str:
    """Stable shard names: ``articles-00000.parquet``, ``articles-00001.parquet``, ..."""
    return f"articles-{index:05d}.{extension}"


def publish_files(folder: Path, names: Sequence[str]) -> None:
    """Rename ``name.partial`` to ``name`` for every file, then fsync the folder."""
    for name in names:
        os.replace(folder / (name + PARTIAL_SUFFIX), folder / name)
    sync_folder(folder)


def sync_folder(folder: Path) -> None:
    """fsync a folder so renames in it survive a crash (no-op where unsupported)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync_close(fh: IO[bytes]) -> None:
    fh.flush()
    os.fsync(fh.fileno())
    fh.close()


class ShardWriter(Protocol):
    """What a format must do with one shard."""

    def write_rows(self, rows: Sequence[tuple[Any, ...]]) -> None: ...

    def close(self) -> None: ...


class ShardedWriter:
    """Splits a stream of rows into shards of ``shard_size`` rows, each with a stable name."""

    def __init__(self, folder: Path, extension: str, open_shard: Callable[[Path], ShardWriter],
                 shard_size: int | None) -> None:
        self._folder = folder
        self._extension = extension
        self._open_shard = open_shard
        self._shard_size = shard_size
        self._current: ShardWriter | None = None
        self._current_rows = 0
        self.files: list[WrittenFile] = []

    def write_rows(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Write rows, opening and closing shards as they fill."""
        start = 0
        while start < len(rows):
            if self._current is None:
                self._open_next()
            assert self._current is not None
            room = len(rows) - start if self._shard_size is None else self._shard_size - self._current_rows
            chunk = rows[start:start + room]
            self._current.write_rows(chunk)
            self._current_rows += len(chunk)
            start += len(chunk)
            if self._shard_size is not None and self._current_rows >= self._shard_size:
                self._close_current()

    def close(self) -> list[WrittenFile]:
        """Close the last shard (an empty export still gets one, empty, shard)."""
        if self._current is None and not self.files:
            self._open_next()
        self._close_current()
        return self.files

    def _open_next(self) -> None:
        name = shard_name(len(self.files), self._extension)
        self._current = self._open_shard(self._folder / (name + PARTIAL_SUFFIX))
        self._current_rows = 0
        self.files.append(WrittenFile(name, 0))

    def _close_current(self) -> None:
        if self._current is None:
            return
        self._current.close()
        last = self.files[-1]
        self.files[-1] = WrittenFile(last.name, self._current_rows)
        self._current = None


# -- byte streams ---------------------------------------------------------------------------
class _CompressedStream:
    """A binary file, optionally gzip or zstd compressed, fsynced on close."""

    def __init__(self, path: Path, compress: str | None) -> None:
        self._raw = open(path, "wb")  # noqa: SIM115 - stream object: closed (fsynced) by close()
        self._zst: Any = None
        self._gz: gzip.GzipFile | None = None
        self.stream: IO[bytes]
        if compress == "gz":
            # mtime=0 and no file name: the same data gives the same bytes (reproducible hashes).
            self._gz = gzip.GzipFile(filename="", mode="wb", fileobj=self._raw, mtime=0, compresslevel=6)
            self.stream = self._gz  # type: ignore[assignment]
        elif compress == "zst":
            import zstandard

            self._zst = zstandard.ZstdCompressor(level=3).stream_writer(self._raw, closefd=False)
            self.stream = self._zst
        else:
            self.stream = self._raw

    def close(self) -> None:
        if self._gz is not None:
            self._gz.close()
        if self._zst is not None:
            self._zst.close()
        _fsync_close(self._raw)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


class JsonlShard:
    """One JSON object a line, keys in field order, UTF-8 (not ASCII-escaped)."""

    def __init__(self, path: Path, fields: Sequence[str], compress: str | None) -> None:
        self._out = _CompressedStream(path, compress)
        self._buffer = io.BufferedWriter(self._out.stream, buffer_size=1 << 20)  # type: ignore[arg-type]
        self._fields = tuple(fields)

    def write_rows(self, rows: Sequence[tuple[Any, ...]]) -> None:
        fields = self._fields
        dumps = json.dumps
        write = self._buffer.write
        # One line at a time into a buffered writer: no joined string of a whole batch of texts.
        # (The 2.3 GB peak once seen at 1M rows was SQLite's mmap, not this: see export._EXPORT_PRAGMAS.)
        for row in rows:
            write(dumps({f: _json_value(v) for f, v in zip(fields, row, strict=True)},
                        ensure_ascii=False).encode("utf-8"))
            write(b"\n")

    def close(self) -> None:
        self._buffer.flush()
        self._buffer.detach()
        self._out.close()


def csv_value(value: Any) -> Any:
    """A value as a CSV cell: "" for None, ISO 8601 for times, JSON for lists and mappings."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value


class CsvShard:
    """RFC 4180 CSV for spreadsheets: CRLF rows, fields with newlines/quotes/commas quoted,
    lists as JSON strings, null as an empty cell, a header row, optional UTF-8 BOM."""

    def __init__(self, path: Path, fields: Sequence[str], compress: str | None, bom: bool) -> None:
        self._out = _CompressedStream(path, compress)
        # The BOM tells Excel the file is UTF-8; without it Vietnamese text shows as mojibake there.
        self._text = io.TextIOWrapper(self._out.stream, encoding="utf-8-sig" if bom else "utf-8",
                                      newline="", write_through=False)
        self._writer = csv.writer(self._text, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        self._writer.writerow(fields)

    def write_rows(self, rows: Sequence[tuple[Any, ...]]) -> None:
        self._writer.writerows([csv_value(v) for v in row] for row in rows)

    def close(self) -> None:
        self._text.flush()
        self._text.detach()
        self._out.close()


def _memory_pool() -> pa.MemoryPool:
    """jemalloc where pyarrow has it: measured here, it returns freed buffers to the system
    soonest (peak RSS of a Parquet export 266 MB, against 291 MB with malloc and 305 MB with
    mimalloc, pyarrow's default)."""
    import pyarrow as pa

    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:
        return pa.default_memory_pool()


class ParquetShard:
    """Parquet (zstd) with row groups bounded by rows and bytes, so memory stays constant."""

    def __init__(self, path: Path, schema: pa.Schema, row_group_rows: int, row_group_bytes: int) -> None:
        import pyarrow.parquet as pq

        self._path = path
        self._schema = schema
        self._pool = _memory_pool()
        # Dictionary encoding only where values repeat: on long unique texts it only costs memory.
        dictionary = [n for n in schema.names if n in _DICTIONARY_FIELDS]
        self._writer = pq.ParquetWriter(path, schema, compression="zstd", memory_pool=self._pool,
                                        use_dictionary=dictionary)
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0
        self._pending_bytes = 0
        self._row_group_rows = row_group_rows
        self._row_group_bytes = row_group_bytes

    def write_rows(self, rows: Sequence[tuple[Any, ...]]) -> None:
        # Rows become Arrow columns at once (UTF-8 buffers are far smaller than Python strings),
        # in slices, so conversion buffers stay small whatever the batch size.
        for start in range(0, max(len(rows), 1), _ARROW_SLICE):
            self._add_batch(rows[start:start + _ARROW_SLICE])
        if self._pending_rows >= self._row_group_rows or self._pending_bytes >= self._row_group_bytes:
            self._flush()

    def _add_batch(self, rows: Sequence[tuple[Any, ...]]) -> None:
        import pyarrow as pa

        columns = list(zip(*rows, strict=True)) if rows else [() for _ in self._schema]
        batch = pa.RecordBatch.from_arrays(
            [pa.array(col, type=f.type, memory_pool=self._pool) for col, f in zip(columns, self._schema, strict=True)],
            schema=self._schema,
        )
        self._pending.append(batch)
        self._pending_rows += batch.num_rows
        self._pending_bytes += batch.nbytes

    def _flush(self) -> None:
        if not self._pending:
            return
        import pyarrow as pa

        table = pa.Table.from_batches(self._pending, schema=self._schema)
        self._writer.write_table(table, row_group_size=max(table.num_rows, 1))
        self._pending, self._pending_rows, self._pending_bytes = [], 0, 0

    def close(self) -> None:
        self._flush()
        self._writer.close()
        with open(self._path, "rb+") as fh:
            os.fsync(fh.fileno())


@dataclass(frozen=True, slots=True, kw_only=True)
class WriterOptions:
    """How rows are laid out in files."""

    format: str
    fields: tuple[str, ...]
    shard_size: int | None = None
    compress: str | None = None
    bom: bool = False
    row_group_rows: int = 50_000
    row_group_bytes: int = 16 * 1024 * 1024


def file_extension(options: WriterOptions) -> str:
    """``jsonl``, ``jsonl.gz``, ``csv.zst``, ``parquet``..."""
    base = options.format
    return f"{base}.{options.compress}" if options.compress else base


def data_files_pattern(fmt: str, compress: str | None) -> str:
    """The glob of an export's data files (``articles-*.parquet``, ``articles-*.warc.gz``…)."""
    if fmt == "warc":
        return "articles-*.warc.gz"
    return f"articles-*.{file_extension(WriterOptions(format=fmt, fields=(), compress=compress))}"


def check_layout(fmt: str, compress: str | None) -> None:
    """Raise :class:`InputError` for a format, or a compression of it, that no export makes."""
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if compress is None:
        return
    if fmt == "warc":
        raise InputError("--compress does not apply to warc (records are gzip members already)")
    if compress not in COMPRESSIONS:
        raise InputError(f"unknown compression {compress!r}; use gz or zst")
    if fmt == "parquet":
        raise InputError("--compress applies to jsonl and csv; Parquet is always zstd-compressed inside")


def make_writer(folder: Path, options: WriterOptions) -> ShardedWriter:
    """A sharded writer of ``options.format`` rows (jsonl, csv or parquet) into ``folder``."""
    check_layout(options.format, options.compress)
    if options.format == "jsonl":
        def open_jsonl(path: Path) -> ShardWriter:
            return JsonlShard(path, options.fields, options.compress)
        return ShardedWriter(folder, file_extension(options), open_jsonl, options.shard_size)
    if options.format == "csv":
        def open_csv(path: Path) -> ShardWriter:
            return CsvShard(path, options.fields, options.compress, options.bom)
        return ShardedWriter(folder, file_extension(options), open_csv, options.shard_size)
    if options.format == "parquet":
        schema = arrow_schema(field_specs(options.fields))

        def open_parquet(path: Path) -> ShardWriter:
            return ParquetShard(path, schema, options.row_group_rows, options.row_group_bytes)
        return ShardedWriter(folder, "parquet", open_parquet, options.shard_size)
    raise InputError(f"unknown format {options.format!r}; use one of {', '.join(FORMATS)}")
