"""Raw captures in WARC/1.1 (ISO 28500): what the crawler received, byte for byte.

Every HTTP exchange becomes a ``request``/``response`` pair in a gzip WARC file under
``<archive>/captures/``; each record is its own gzip member, so a file cut short by a killed
process still reads up to its last complete record, and a new file is opened on every start
(never appended to one that may be truncated). Files rotate by size and open with a
``warcinfo`` record.

Digests (documented choice):

* ``WARC-Payload-Digest: sha1:<base32>`` over the entity body as received (still
  content-encoded), as web archives conventionally write it; it is also the key of the revisit
  index (table ``captures``), so identical payloads fetched again become ``revisit`` records
  (profile *identical-payload-digest*) instead of being stored twice.
* ``WARC-Block-Digest: sha256:<base32>`` over the whole block (HTTP headers + body), so every
  record carries a SHA-256 that ``warcio check`` verifies too.

Articles point to their capture by ``capture_warc`` (path relative to the archive folder),
``capture_offset``, ``capture_length`` (of the gzip member), ``capture_record_id`` and
``capture_digest`` (the payload digest).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import os
import socket
import uuid
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session
from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline import __version__
from pipeline.errors import ArchiveError
from pipeline.archive.models import Capture
from pipeline.record import ArticleRecord

try:  # ISA-L's deflate: about 6× faster than zlib at level 1 on news pages, and smaller
    from isal import isal_zlib as _fast_zlib
except ImportError:  # pragma: no cover - isal ships wheels for the usual platforms
    _fast_zlib = None  # type: ignore[assignment]

__all__ = [
    "CaptureArchiver",
    "CaptureRef",
    "CapturedArticle",
    "CapturedResponse",
    "Exchange",
    "WarcFileWriter",
    "WarcInfo",
    "add_captures",
    "find_capture",
    "find_latest_response",
    "find_original",
    "read_capture",
    "read_record",
    "sha1_base32",
    "with_capture",
]

DEFAULT_MAX_BYTES = 1024 ** 3
# gzip level of each record. The writer runs once per fetched page in the crawler process, whose
# CPU bounds the crawl, so speed wins: on 80 KB provincial pages zlib takes 0.8 ms at level 1
# (1.0 at 3, 3.7 at warcio's 9); ISA-L (``isal``, levels 0–3) takes 0.13 ms at level 1 for a
# member 4% smaller than zlib's level 1. Either way each record is a standard gzip member.
DEFAULT_GZIP_LEVEL = 1
# How many payload digests and URLs a run remembers for revisits; older ones are looked up in
# the index, so memory stays flat however long the crawl.
REMEMBERED = 20_000


def gzip_compressor(level: int) -> Any:
    """A compressor object writing one gzip member (ISA-L when installed and level ≤ 3)."""
    if _fast_zlib is not None and 0 <= level <= 3:
        return _fast_zlib.compressobj(level, _fast_zlib.DEFLATED, 16 + 15)
    return zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS | 16)


REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
# A 304 answer to a conditional GET: the server says the page is the one captured before.
NOT_MODIFIED_PROFILE = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
# Headers that describe how the bytes travelled, not the bytes we keep: the body is stored
# de-chunked, so a chunked Transfer-Encoding would make readers try to de-chunk it again.
_RENAMED_HEADERS = {"transfer-encoding"}


def sha1_base32(data: bytes) -> str:
    """``sha1:<BASE32>``, the conventional WARC payload digest."""
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def sha256_base32(data: bytes) -> str:
    return "sha256:" + base64.b32encode(hashlib.sha256(data).digest()).decode("ascii")


def warc_date(moment: datetime) -> str:
    """WARC-Date in UTC with microseconds (WARC/1.1 allows sub-second precision)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_warc_date(value: str) -> datetime:
    text = value.rstrip("Z")
    fmt = "%Y-%m-%dT%H:%M:%S.%f" if "." in text else "%Y-%m-%dT%H:%M:%S"
    return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc)


@dataclass(frozen=True, slots=True, kw_only=True)
class Exchange:
    """One HTTP exchange as the crawler saw it (body exactly as received, still encoded)."""

    url: str
    method: str = "GET"
    request_headers: Sequence[tuple[str, str]] = ()
    status: int = 200
    reason: str = ""
    protocol: str = "HTTP/1.1"
    response_headers: Sequence[tuple[str, str]] = ()
    body: bytes = b""
    date: datetime
    ip_address: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CaptureRef:
    """Where one response (or revisit) record lies, and what it holds."""

    warc: str  # relative to the archive folder
    offset: int
    length: int
    record_id: str
    digest: str  # payload sha1, base32
    sha256: str  # payload sha256, hex
    uri: str
    date: datetime
    status: int
    rec_type: str = "response"
    refers_to: str | None = None  # the original's record id, for revisits


class Unset:
    """Marks a value nobody computed (``None`` is a real SimHash result: text too short)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET = Unset()


@dataclass(frozen=True, slots=True, kw_only=True)
class CapturedArticle(ArticleRecord):
    """An :class:`ArticleRecord` that knows the capture it was extracted from.

    A subclass, so every consumer of records keeps working; ``as_dict`` leaves the capture out
    (it is archive bookkeeping, not part of the published record).
    """

    capture: CaptureRef | None = None
    # The text's SimHash when the extraction worker computed it (UNSET: the store computes it).
    simhash: int | None | Unset = UNSET
    # ``fold(text)`` when the extraction worker computed it (the FTS trigger then takes it).
    folded_text: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out = ArticleRecord.as_dict(self)
        for key in ("capture", "simhash", "folded_text"):
            out.pop(key, None)
        return out


def with_capture(record: ArticleRecord, capture: CaptureRef | None, *,
                 simhash: int | None | Unset = UNSET, folded_text: str | None = None) -> ArticleRecord:
    """``record`` carrying ``capture`` and what the worker precomputed (unchanged when none)."""
    if capture is None and isinstance(simhash, Unset) and folded_text is None:
        return record
    values = {f.name: getattr(record, f.name) for f in fields(ArticleRecord)}
    return CapturedArticle(**values, capture=capture, simhash=simhash, folded_text=folded_text)


@dataclass(frozen=True, slots=True, kw_only=True)
class WarcInfo:
    """What the ``warcinfo`` record at the head of each file says."""

    crawl_run: int | None = None
    site: str | None = None
    robots: str = "obey"
    user_agent: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    def fields(self, filename: str) -> dict[str, str]:
        import warcio

        out = {
            "software": f"baotinh/{__version__} (warcio/{getattr(warcio, '__version__', '?')})",
            "format": "WARC File Format 1.1",
            "conformsTo": "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "hostname": socket.gethostname(),
            "isPartOf": f"baotinh-crawl-{self.crawl_run}" if self.crawl_run is not None else "baotinh",
            "robots": self.robots,
            "filename": filename,
        }
        if self.crawl_run is not None:
            out["crawl-run"] = str(self.crawl_run)
        if self.site:
            out["site"] = self.site
        if self.user_agent:
            out["http-header-user-agent"] = self.user_agent
        out.update(self.extra)
        return out


class WarcFileWriter:
    """Writes records into size-rotated gzip WARC files; one writer per thread.

    >>> w = WarcFileWriter(Path("archive"), max_bytes=1 << 30)   # doctest: +SKIP
    >>> ref = w.write_exchange(exchange)                         # doctest: +SKIP
    """

    def __init__(self, archive_dir: Path, *, max_bytes: int = DEFAULT_MAX_BYTES,
                 info: WarcInfo | None = None, prefix: str = "baotinh",
                 gzip_level: int = DEFAULT_GZIP_LEVEL) -> None:
        self.archive_dir = archive_dir
        self.captures_dir = archive_dir / "captures"
        self.max_bytes = max_bytes
        self.gzip_level = gzip_level
        # warcio builds each record uncompressed into this buffer; we gzip it as one member.
        self._buffer = io.BytesIO()
        self.info = info or WarcInfo()
        self.prefix = prefix
        self._file: IO[bytes] | None = None
        self._path: Path | None = None
        self._writer: WARCWriter | None = None
        self._sequence = 0
        self.files: list[Path] = []

    # -- files ---------------------------------------------------------------------------
    def _open_next(self) -> None:
        self.close()
        self.captures_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
        site = self.info.site or "mixed"
        while True:
            self._sequence += 1
            name = f"{self.prefix}-{site}-{stamp}-{os.getpid()}-{self._sequence:05d}.warc.gz"
            path = self.captures_dir / name
            try:
                # "x": never append to (or clobber) a file a killed process may have cut short.
                self._file = open(path, "xb")
                break
            except FileExistsError:
                continue
        self._path = path
        self._writer = WARCWriter(self._buffer, gzip=False, warc_version="WARC/1.1")
        info = self._writer.create_warcinfo_record(name, self.info.fields(name))
        self._emit(self._file, self._writer, info)
        self._file.flush()
        self.files.append(path)

    def _emit(self, out: IO[bytes], writer: WARCWriter, record: ArcWarcRecord) -> tuple[int, int]:
        """Write one record as its own gzip member; returns (offset, length) in the file."""
        self._buffer.seek(0)
        self._buffer.truncate()
        writer.write_record(record)
        packer = gzip_compressor(self.gzip_level)
        member = packer.compress(self._buffer.getvalue()) + packer.flush()
        offset = out.tell()
        out.write(member)
        return offset, len(member)

    def _ensure_open(self) -> tuple[IO[bytes], WARCWriter, Path]:
        if self._file is None or (self._file.tell() >= self.max_bytes):
            self._open_next()
        assert self._file is not None and self._writer is not None and self._path is not None
        return self._file, self._writer, self._path

    def close(self) -> None:
        """Close the current file (the next write opens a new one)."""
        if self._file is not None:
            self._file.close()
        self._file, self._writer, self._path = None, None, None

    # -- records -------------------------------------------------------------------------
    def write_exchange(self, exchange: Exchange, original: CaptureRef | None = None) -> CaptureRef:
        """Write the request and the response (a revisit when ``original`` is given)."""
        out, writer, path = self._ensure_open()
        not_modified = original is not None and exchange.status == 304
        payload_sha1 = original.digest if not_modified and original else sha1_base32(exchange.body)
        payload_sha256 = original.sha256 if not_modified and original else hashlib.sha256(exchange.body).hexdigest()
        http_headers = _response_headers(exchange)
        record_id = f"<urn:uuid:{uuid.uuid4()}>"
        date = warc_date(exchange.date)
        warc_headers: dict[str, str] = {"WARC-Record-ID": record_id, "WARC-Date": date}
        if exchange.ip_address:
            warc_headers["WARC-IP-Address"] = exchange.ip_address
        if original is None:
            block = hashlib.sha256(http_headers.to_bytes())
            block.update(exchange.body)
            warc_headers["WARC-Payload-Digest"] = payload_sha1
            warc_headers["WARC-Block-Digest"] = "sha256:" + base64.b32encode(block.digest()).decode("ascii")
            record = writer.create_warc_record(
                exchange.url, "response", payload=io.BytesIO(exchange.body),
                length=len(exchange.body), http_headers=http_headers, warc_headers_dict=warc_headers,
            )
        else:
            warc_headers["WARC-Block-Digest"] = sha256_base32(http_headers.to_bytes())
            warc_headers["WARC-Refers-To"] = original.record_id
            record = writer.create_revisit_record(
                exchange.url, payload_sha1, original.uri, warc_date(original.date),
                http_headers=http_headers, warc_headers_dict=warc_headers,
            )
            record.rec_headers.replace_header("WARC-Profile", NOT_MODIFIED_PROFILE if not_modified else REVISIT_PROFILE)
        offset, length = self._emit(out, writer, record)
        self._emit(out, writer, _request_record(writer, exchange, record_id, date))
        out.flush()
        return CaptureRef(
            warc=str(path.relative_to(self.archive_dir)), offset=offset, length=length,
            record_id=record_id, digest=payload_sha1, sha256=payload_sha256, uri=exchange.url,
            date=parse_warc_date(date), status=exchange.status,
            rec_type="revisit" if original is not None else "response",
            refers_to=original.record_id if original is not None else None,
        )


def _response_headers(exchange: Exchange) -> StatusAndHeaders:
    headers = [
        (f"X-Archive-Orig-{k}" if k.lower() in _RENAMED_HEADERS else k, v)
        for k, v in exchange.response_headers
    ]
    status = f"{exchange.status} {exchange.reason}".strip()
    return StatusAndHeaders(status, headers, protocol=exchange.protocol or "HTTP/1.1")


def _request_record(writer: WARCWriter, exchange: Exchange, concurrent_to: str, date: str) -> ArcWarcRecord:
    from urllib.parse import urlsplit

    parts = urlsplit(exchange.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = list(exchange.request_headers)
    if not any(k.lower() == "host" for k, _ in headers):
        headers.insert(0, ("Host", parts.netloc))
    http = StatusAndHeaders(f"{exchange.method} {target}", headers, protocol="HTTP/1.1", is_http_request=True)
    warc_headers = {"WARC-Date": date, "WARC-Concurrent-To": concurrent_to,
                    "WARC-Block-Digest": sha256_base32(http.to_bytes())}
    return writer.create_warc_record(exchange.url, "request", payload=io.BytesIO(b""), length=0,
                                     http_headers=http, warc_headers_dict=warc_headers)


# -- the revisit index (table ``captures``) ---------------------------------------------------
def ref_from_row(row: Capture) -> CaptureRef:
    return CaptureRef(
        warc=row.warc, offset=row.offset, length=row.length, record_id=row.record_id,
        digest=row.payload_digest, sha256=row.payload_sha256, uri=row.uri, date=row.date,
        status=row.status, rec_type=row.rec_type, refers_to=row.refers_to,
    )


_ORIGINAL = (
    select(Capture.__table__)
    .where(Capture.payload_digest == bindparam("digest"), Capture.rec_type == "response")
    .order_by(Capture.id).limit(1)
)
_LATEST_RESPONSE = (
    select(Capture.__table__)
    .where(Capture.uri == bindparam("uri"), Capture.rec_type == "response", Capture.status == 200)
    .order_by(Capture.id.desc()).limit(1)
)


def find_original(db: Session | Connection, digest: str) -> CaptureRef | None:
    """The first ``response`` record holding a payload with this digest, if any."""
    row = db.execute(_ORIGINAL, {"digest": digest}).first()
    return ref_from_row(row) if row is not None else None  # type: ignore[arg-type]


def find_latest_response(db: Session | Connection, uri: str) -> CaptureRef | None:
    """The latest 200 ``response`` record of a URI (what a 304 confirms)."""
    row = db.execute(_LATEST_RESPONSE, {"uri": uri}).first()
    return ref_from_row(row) if row is not None else None  # type: ignore[arg-type]


def find_capture(session: Session, record_id: str) -> CaptureRef | None:
    """The capture with this WARC-Record-ID."""
    row = session.scalars(select(Capture).where(Capture.record_id == record_id).limit(1)).first()
    return ref_from_row(row) if row is not None else None


def add_captures(session: Session, refs: Iterable[CaptureRef], *, run_id: int | None = None) -> None:
    """Index written records (response and revisit) in the ``captures`` table (one executemany)."""
    rows = [
        {"record_id": r.record_id, "uri": r.uri, "date": r.date, "warc": r.warc, "offset": r.offset,
         "length": r.length, "payload_digest": r.digest, "payload_sha256": r.sha256, "status": r.status,
         "rec_type": r.rec_type, "refers_to": r.refers_to, "crawl_run_id": run_id}
        for r in refs
    ]
    if rows:
        session.execute(insert(Capture), rows)


class CaptureArchiver:
    """WARC writer + revisit index: what the crawler's capture middleware drives.

    Not thread-safe: call it from one thread (the middleware's writer thread). Index rows are
    written in batches (``flush``); records are on disk before their row exists, so the index
    never points at bytes that were not written.
    """

    def __init__(self, archive_dir: Path, sessions: Any, *, max_bytes: int = DEFAULT_MAX_BYTES,
                 info: WarcInfo | None = None, batch: int = 50, gzip_level: int = DEFAULT_GZIP_LEVEL) -> None:
        self.writer = WarcFileWriter(archive_dir, max_bytes=max_bytes, info=info, gzip_level=gzip_level)
        self.sessions = sessions
        self.batch = batch
        self.pending: list[CaptureRef] = []
        # this run's payloads and URLs (bounded: older ones are found through the index)
        self.seen: dict[str, CaptureRef] = {}
        self.latest: dict[str, CaptureRef] = {}
        self._reader: Connection | None = None
        self.run_id: int | None = info.crawl_run if info else None
        self.written = 0
        self.revisits = 0

    def capture(self, exchange: Exchange) -> CaptureRef:
        """Write one exchange; identical payloads seen before, and 304s, become revisits."""
        original = None
        if exchange.status == 200 and exchange.body:
            digest = sha1_base32(exchange.body)
            original = self.seen.get(digest)
            if original is None:
                original = self._lookup(find_original, digest)
        elif exchange.status == 304:
            original = self.latest.get(exchange.url)
            if original is None:
                original = self._lookup(find_latest_response, exchange.url)
        ref = self.writer.write_exchange(exchange, original)
        if ref.rec_type == "response" and exchange.status == 200:
            _remember(self.seen, ref.digest, ref, replace=False)
            _remember(self.latest, ref.uri, ref, replace=True)
        self.written += 1
        self.revisits += ref.rec_type == "revisit"
        self.pending.append(ref)
        if len(self.pending) >= self.batch:
            self.flush()
        return ref

    def flush(self) -> None:
        """Write the pending index rows (one transaction)."""
        if not self.pending:
            return
        refs, self.pending = self.pending, []
        with self.sessions.begin() as session:
            add_captures(session, refs, run_id=self.run_id)

    def _lookup(self, find: Any, key: str) -> CaptureRef | None:
        """One index lookup on the archiver's own connection (a session per page costs more
        than the query); the read transaction ends at once so it never holds up the writers."""
        if self._reader is None:
            bind = self.sessions.kw.get("bind")
            if not isinstance(bind, Engine):
                with self.sessions() as session:
                    return find(session, key)  # type: ignore[no-any-return]
            self._reader = bind.connect()
        try:
            return find(self._reader, key)  # type: ignore[no-any-return]
        finally:
            self._reader.rollback()

    def close(self) -> None:
        self.flush()
        self.writer.close()
        if self._reader is not None:
            self._reader.close()
            self._reader = None


def _remember(memory: dict[str, CaptureRef], key: str, ref: CaptureRef, *, replace: bool) -> None:
    """Keep ``ref`` under ``key``, forgetting the oldest entry beyond :data:`REMEMBERED`."""
    if key in memory:
        if not replace:
            return
        del memory[key]  # re-inserted last: the dict's order is the age
    memory[key] = ref
    if len(memory) > REMEMBERED:
        del memory[next(iter(memory))]


# -- reading ----------------------------------------------------------------------------------
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
