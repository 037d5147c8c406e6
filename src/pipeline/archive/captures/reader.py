"""Reading captures back: one gzip member, its WARC record, the response body it holds."""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session
from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

from pipeline.archive.captures.format import parse_warc_date
from pipeline.archive.captures.index import find_capture
from pipeline.errors import ArchiveError
from pipeline.record import CaptureRef

__all__ = ["CapturedResponse", "read_capture", "read_member", "read_record"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CapturedResponse:
    """A response read back from a WARC record (body decoded from its content-encoding)."""

    uri: str
    status: int
    headers: dict[str, str]
    body: bytes
    date: datetime
    record_id: str
    rec_type: str


def read_member(archive_dir: Path, warc: str, offset: int, length: int) -> bytes:
    """The raw bytes of one gzip member; raises :class:`ArchiveError` when it is not there."""
    path = archive_dir / warc
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            data = fh.read(length)
    except OSError as exc:
        raise ArchiveError(f"cannot read capture {warc}: {exc.strerror}") from None
    if len(data) != length:
        raise ArchiveError(f"capture {warc} is truncated at offset {offset}")
    return data


def read_record(data: bytes) -> tuple[ArcWarcRecord, bytes, bytes]:
    """Parse one gzip member: the record, its raw payload (as stored) and its decoded body."""
    try:
        gzip.decompress(data)  # a corrupted member fails its CRC here
        record = next(iter(ArchiveIterator(io.BytesIO(data), no_record_parse=False)))
        raw = record.raw_stream.read()
    except Exception as exc:  # warcio and gzip raise many kinds; all mean "unreadable"
        raise ArchiveError(f"unreadable WARC record: {type(exc).__name__}: {exc}") from None
    decoded = _decode_body(record, raw)
    return record, raw, decoded


def _decode_body(record: ArcWarcRecord, raw: bytes) -> bytes:
    encoding = (record.http_headers.get_header("Content-Encoding") or "").lower() if record.http_headers else ""
    if encoding in ("gzip", "x-gzip"):
        return gzip.decompress(raw)
    if encoding == "deflate":
        import zlib

        try:
            return zlib.decompress(raw)
        except zlib.error:
            return zlib.decompress(raw, -zlib.MAX_WBITS)
    if encoding == "br":
        import brotli  # type: ignore[import-not-found]

        return bytes(brotli.decompress(raw))
    return raw


def read_capture(archive_dir: Path, ref: CaptureRef, session: Session | None = None) -> CapturedResponse:
    """The response a capture holds; a revisit is followed to its original (needs ``session``)."""
    record, _raw, body = read_record(read_member(archive_dir, ref.warc, ref.offset, ref.length))
    rec_type = record.rec_headers.get_header("WARC-Type")
    if rec_type == "revisit":
        refers = record.rec_headers.get_header("WARC-Refers-To") or ref.refers_to
        original = find_capture(session, refers) if session is not None and refers else None
        if original is None:
            raise ArchiveError(f"revisit {ref.record_id} refers to {refers}, which is not in the index")
        _orig, _raw, body = read_record(read_member(archive_dir, original.warc, original.offset, original.length))
    headers = {k.lower(): v for k, v in (record.http_headers.headers if record.http_headers else [])}
    status = int(record.http_headers.get_statuscode() or 0) if record.http_headers else 0
    return CapturedResponse(
        uri=record.rec_headers.get_header("WARC-Target-URI"), status=status, headers=headers,
        body=body, date=parse_warc_date(record.rec_headers.get_header("WARC-Date")),
        record_id=record.rec_headers.get_header("WARC-Record-ID"), rec_type=rec_type,
    )
