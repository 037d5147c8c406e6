"""One WARC record to import, read from a file (WARC, WARC.gz, WACZ) or handed over as bytes.

A :class:`WarcSource` is what the import reads: the record's WARC headers, its HTTP answer
(status, headers, body de-chunked and decoded) and where it came from (the file or the memento
URL, the record's offset). Its ``key`` says which capture it is, so that importing it twice adds
nothing: the ``WARC-Source-URI`` when the record names one (a memento URL, a Common Crawl file
and offset), else its ``WARC-Record-ID``.
"""

from __future__ import annotations

import dataclasses
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator

from pipeline.errors import InputError

__all__ = ["SOURCE_URI_HEADER", "WarcSource", "expand_paths", "iter_file", "iter_stream"]

# The header a record carries when it was fetched from a web archive (helper "backfill").
SOURCE_URI_HEADER = "WARC-Source-URI"
WARC_SUFFIXES = (".warc", ".warc.gz", ".wacz")
# Headers that describe how the bytes travelled; the body is kept de-chunked and decoded, so
# they are kept renamed (as the archive's own writer keeps Transfer-Encoding).
_TRAVEL_HEADERS = frozenset({"transfer-encoding", "content-encoding", "content-length"})


@dataclass(frozen=True, slots=True, kw_only=True)
class WarcSource:
    """One WARC record and its provenance.

    ``source`` is the file the record was read from (as given) or the URL it was fetched from;
    ``offset`` its offset in that file (in the WACZ member for a WACZ); ``note`` free provenance
    text shown beside it (a memento URL, "commoncrawl CC-MAIN-2019-…").
    """

    rec_type: str  # response, request, metadata, warcinfo, revisit, resource …
    url: str  # WARC-Target-URI ("" when the record has none)
    date: datetime | None  # WARC-Date, aware (UTC)
    record_id: str  # WARC-Record-ID
    source: str
    offset: int | None = None
    status: int | None = None  # HTTP status of a response record
    reason: str = ""
    protocol: str = "HTTP/1.1"
    headers: tuple[tuple[str, str], ...] = ()  # HTTP response headers (travel headers renamed)
    body: bytes = b""  # the entity body, de-chunked and decoded
    payload_digest: str | None = None  # WARC-Payload-Digest of the source record
    source_uri: str | None = None  # WARC-Source-URI, when the record names one
    note: str | None = None

    @property
    def key(self) -> str:
        """Which capture this is: a second import of the same key adds nothing."""
        return self.source_uri or self.record_id

    @property
    def content_type(self) -> str:
        for name, value in self.headers:
            if name.lower() == "content-type":
                return value.split(";", 1)[0].strip().lower()
        return ""

    @classmethod
    def from_bytes(cls, data: bytes, *, source: str, offset: int | None = None,
                   note: str | None = None) -> WarcSource:
        """The first record of ``data`` (one WARC record, plain or one gzip member).

        >>> WarcSource.from_bytes(b"not a warc", source="x")
        Traceback (most recent call last):
        ...
        pipeline.errors.InputError: x: not a WARC record (...)
        """
        try:
            record = next(iter(ArchiveIterator(io.BytesIO(data))))
            return _source_of(record, source=source, offset=offset, note=note)
        except StopIteration:
            raise InputError(f"{source}: no WARC record in {len(data)} bytes") from None
        except Exception as exc:  # warcio raises many kinds; all mean "not a record"
            raise InputError(f"{source}: not a WARC record ({type(exc).__name__}: {exc})") from None


def _source_of(record: Any, *, source: str, offset: int | None, note: str | None = None) -> WarcSource:
    headers = record.rec_headers
    rec_type = (headers.get_header("WARC-Type") or "").lower()
    status: int | None = None
    reason, protocol, body = "", "HTTP/1.1", b""
    http_headers: tuple[tuple[str, str], ...] = ()
    http = record.http_headers
    if rec_type == "response" and http is not None and not getattr(http, "is_http_request", False):
        code = http.get_statuscode()
        status = int(code) if code and code.isdigit() else None
        reason = http.statusline.partition(" ")[2]
        protocol = http.protocol or "HTTP/1.1"
        http_headers = tuple((f"X-Archive-Orig-{k}" if k.lower() in _TRAVEL_HEADERS else k, v)
                             for k, v in http.headers)
        body = record.content_stream().read()
    else:
        record.content_stream().read()  # consume, so the iterator's offsets stay right
    return WarcSource(
        rec_type=rec_type, url=headers.get_header("WARC-Target-URI") or "",
        date=_parse_date(headers.get_header("WARC-Date")), record_id=headers.get_header("WARC-Record-ID") or "",
        source=source, offset=offset, status=status, reason=reason, protocol=protocol,
        headers=http_headers, body=body, payload_digest=headers.get_header("WARC-Payload-Digest"),
        source_uri=headers.get_header(SOURCE_URI_HEADER), note=note,
    )


def _parse_date(value: str | None) -> datetime | None:
    """WARC-Date (``2019-08-06T12:05:01Z``, with or without fractions) as an aware datetime."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def iter_stream(stream: IO[bytes], *, source: str) -> Iterator[WarcSource]:
    """Every record of one WARC stream (plain or gzip), with its offset."""
    records = ArchiveIterator(stream)
    try:
        for record in records:
            read = _source_of(record, source=source, offset=None)
            # asked after the record is read: asked before, warcio skips the record to find its end
            yield dataclasses.replace(read, offset=records.get_record_offset())
    except Exception as exc:  # a truncated or damaged file: what was read so far stands
        raise InputError(f"{source}: not a readable WARC file ({type(exc).__name__}: {exc})") from None


def iter_file(path: Path) -> Iterator[WarcSource]:
    """Every record of a WARC, WARC.gz or WACZ file (a WACZ's ``archive/*.warc[.gz]``, in order)."""
    source = str(path.resolve())
    try:
        if path.name.lower().endswith(".wacz"):
            yield from _iter_wacz(path)
            return
        with open(path, "rb") as fh:
            yield from iter_stream(fh, source=source)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None


def _iter_wacz(path: Path) -> Iterator[WarcSource]:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise InputError(f"{path}: not a WACZ file (not a zip)") from None
    with archive:
        members = sorted(n for n in archive.namelist()
                         if n.startswith("archive/") and n.lower().endswith((".warc", ".warc.gz")))
        if not members:
            raise InputError(f"{path}: a WACZ without archive/*.warc.gz")
        for name in members:
            with archive.open(name) as member:
                yield from iter_stream(member, source=f"{path.resolve()}!{name}")


def expand_paths(paths: tuple[Path, ...] | list[Path]) -> list[Path]:
    """The WARC files named: files as given, folders searched (recursively) for
    ``*.warc``, ``*.warc.gz`` and ``*.wacz``, sorted; :class:`InputError` for a missing path."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(WARC_SUFFIXES)))
        elif path.is_file():
            out.append(path)
        else:
            raise InputError(f"no such file or folder: {path}")
    return out
