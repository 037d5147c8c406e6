"""WARC exports: the archive's raw captures of the selected articles, copied byte for byte
into new WARC files, with a CDXJ index (``index.cdxj``) for replay tools (pywb and others).

Each source record is read at the offset and length the archive stores for the article; with
gzip WARC files every record is its own gzip member, so copied members concatenate into a
valid ``.warc.gz``. Each output file opens with a ``warcinfo`` record describing the export.
"""

from __future__ import annotations

import gzip
import io
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from pipeline import __version__
from pipeline.errors import ArchiveError
from pipeline.export.formats import PARTIAL_SUFFIX, FieldSpec, WrittenFile, shard_name

__all__ = ["CAPTURE_COLUMNS", "INDEX_FIELDS", "CaptureRow", "WarcExportWriter", "surt_key", "warc_timestamp"]

CAPTURE_COLUMNS = ("capture_warc", "capture_offset", "capture_length", "capture_record_id", "capture_digest")
INDEX_NAME = "index.cdxj"
_GZIP_MAGIC = b"\x1f\x8b"
# What a WARC export describes in its manifest: the JSON fields of each index.cdxj line, which
# follows "SURT-key 14-digit-timestamp {json}".
INDEX_FIELDS = (
    FieldSpec("url", "string", "URL of the captured page (WARC-Target-URI)"),
    FieldSpec("mime", "string", "media type of the HTTP response"),
    FieldSpec("status", "string", "HTTP status code"),
    FieldSpec("digest", "string", "payload digest (WARC-Payload-Digest)"),
    FieldSpec("length", "string", "bytes of the record (one gzip member) in its file"),
    FieldSpec("offset", "string", "byte offset of the record in its file"),
    FieldSpec("filename", "string", "WARC file of this export holding the record"),
    FieldSpec("record_id", "string", "WARC-Record-ID of the record in the archive"),
    FieldSpec("key", "string", "stable key of the article (base32(sha256(canonical_url))[:12])"),
    FieldSpec("province", "string", "province at publication (before 1 July 2025: the province of that time)"),
    FieldSpec("province_now", "string", "province of the paper today, after the July 2025 merger"),
)


@dataclass(frozen=True, slots=True)
class CaptureRow:
    """Where an article's capture lives in the archive's WARC files."""

    article_id: int
    canonical_url: str
    warc: str
    offset: int
    length: int
    record_id: str | None
    digest: str | None
    key: str | None = None  # the article's stable key (revision 0009)
    province: str | None = None
    province_now: str | None = None


def surt_key(url: str) -> str:
    """Sort-friendly URI Reordering Transform of ``url``, as CDX(J) indexes key records.

    >>> surt_key("https://www.BaoHaiDuong.vn/chinh-tri/a-1.html?b=2&a=1#top")
    'vn,baohaiduong)/chinh-tri/a-1.html?a=1&b=2'
    """
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    key = ",".join(reversed(host.split(".")))
    default_port = {"http": 80, "https": 443}.get(parts.scheme.lower())
    if parts.port is not None and parts.port != default_port:
        key += f":{parts.port}"
    path = parts.path or "/"
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return f"{key}){path}{'?' + query if query else ''}".lower()


def warc_timestamp(warc_date: str) -> str:
    """``2026-11-25T17:57:09Z`` → ``20261125175709`` (the 14-digit CDX timestamp)."""
    digits = "".join(ch for ch in warc_date if ch.isdigit())
    return digits[:14].ljust(14, "0")


class WarcExportWriter:
    """Copies capture records into sharded ``articles-NNNNN.warc.gz`` files and indexes them."""

    def __init__(self, folder: Path, archive_dir: Path, shard_size: int | None, description: str) -> None:
        self._folder = folder
        # Capture paths are relative to the archive folder (see pipeline.archive.captures).
        self._archive_dir = archive_dir
        self._shard_size = shard_size
        self._description = description
        self._out: io.BufferedWriter | None = None
        self._rows_in_shard = 0
        self._index: list[str] = []
        self.files: list[WrittenFile] = []

    def write_captures(self, rows: Sequence[CaptureRow]) -> None:
        """Copy each row's capture record into the current shard."""
        for row in rows:
            if self._out is None:
                self._open_shard()
            assert self._out is not None
            data = self._read_record(row)
            if not data.startswith(_GZIP_MAGIC):
                # An uncompressed source record is wrapped in its own gzip member (content unchanged).
                data = gzip.compress(data, mtime=0)
            offset = self._out.tell()
            self._out.write(data)
            self._index.append(self._index_line(row, data, offset))
            self._rows_in_shard += 1
            if self._shard_size is not None and self._rows_in_shard >= self._shard_size:
                self._close_shard()

    def close(self) -> list[WrittenFile]:
        """Close the last shard and write the sorted CDXJ index; returns every file written."""
        if self._out is None and not self.files:
            self._open_shard()
        self._close_shard()
        self._index.sort()
        path = self._folder / (INDEX_NAME + PARTIAL_SUFFIX)
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.writelines(self._index)
            fh.flush()
            os.fsync(fh.fileno())
        return [*self.files, WrittenFile(INDEX_NAME, len(self._index))]

    def _open_shard(self) -> None:
        name = shard_name(len(self.files), "warc.gz")
        self._out = open(self._folder / (name + PARTIAL_SUFFIX), "wb")  # noqa: SIM115 - shard kept open until rotated
        self._rows_in_shard = 0
        self.files.append(WrittenFile(name, 0))
        writer = WARCWriter(self._out, gzip=True)
        info = writer.create_warcinfo_record(name, {
            "software": f"baotinh/{__version__}",
            "format": "WARC File Format 1.1",
            "description": self._description,
        })
        writer.write_record(info)

    def _close_shard(self) -> None:
        if self._out is None:
            return
        self._out.flush()
        os.fsync(self._out.fileno())
        self._out.close()
        self._out = None
        last = self.files[-1]
        self.files[-1] = WrittenFile(last.name, self._rows_in_shard)

    def _source_path(self, warc: str) -> Path:
        path = Path(warc)
        return path if path.is_absolute() else self._archive_dir / path

    def _read_record(self, row: CaptureRow) -> bytes:
        path = self._source_path(row.warc)
        try:
            with open(path, "rb") as fh:
                fh.seek(row.offset)
                data = fh.read(row.length)
        except OSError as exc:
            raise ArchiveError(f"capture of {row.canonical_url} unreadable: {path}: {exc.strerror}") from None
        if len(data) != row.length:
            raise ArchiveError(f"capture of {row.canonical_url} truncated in {path} "
                               f"(offset {row.offset}, {len(data)} of {row.length} bytes)")
        return data

    def _index_line(self, row: CaptureRow, data: bytes, offset: int) -> str:
        record = _parse_record(data, row)
        headers = record.rec_headers
        url = headers.get_header("WARC-Target-URI") or row.canonical_url
        digest = headers.get_header("WARC-Payload-Digest")
        if row.digest and digest and not _same_digest(row.digest, digest):
            raise ArchiveError(f"capture of {row.canonical_url} in {row.warc} has digest {digest}, "
                               f"the archive expects {row.digest}; run `baotinh verify`")
        fields: dict[str, Any] = {"url": url}
        if record.http_headers is not None:
            mime = record.http_headers.get_header("Content-Type") or ""
            fields["mime"] = mime.split(";")[0].strip()
            fields["status"] = record.http_headers.get_statuscode()
        fields.update(digest=digest or row.digest, length=str(len(data)), offset=str(offset),
                      filename=self.files[-1].name)
        if row.record_id:
            fields["record_id"] = row.record_id
        if row.key:
            fields["key"] = row.key
        # Extra JSON keys of a CDXJ line: replay tools (pywb) read the ones they know, skip these.
        fields.update((k, v) for k, v in (("province", row.province), ("province_now", row.province_now)) if v)
        stamp = warc_timestamp(headers.get_header("WARC-Date") or "")
        return f"{surt_key(url)} {stamp} {json.dumps(fields, ensure_ascii=False)}\n"


def _parse_record(data: bytes, row: CaptureRow) -> Any:
    try:
        for record in ArchiveIterator(io.BytesIO(data)):
            return record
    except Exception as exc:  # warcio raises several unrelated types on bad input
        raise ArchiveError(f"capture of {row.canonical_url} in {row.warc} at {row.offset} "
                           f"is not a WARC record: {exc}") from None
    raise ArchiveError(f"capture of {row.canonical_url} in {row.warc} at {row.offset} is empty")


def _same_digest(a: str, b: str) -> bool:
    # Digests may be written with or without the algorithm label ("sha1:..." / "...").
    return a.split(":")[-1].lower() == b.split(":")[-1].lower()
