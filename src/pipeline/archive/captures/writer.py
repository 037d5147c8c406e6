"""Writing WARC files: one gzip member per record, size-rotated files that open with ``warcinfo``."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import uuid
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline.archive.captures.format import (
    NOT_MODIFIED_PROFILE,
    REVISIT_PROFILE,
    Exchange,
    WarcInfo,
    parse_warc_date,
    sha1_base32,
    sha256_base32,
    warc_date,
)
from pipeline.record import CaptureRef

try:  # ISA-L's deflate: about 6× faster than zlib at level 1 on news pages, and smaller
    from isal import isal_zlib as _fast_zlib
except ImportError:  # pragma: no cover - isal ships wheels for the usual platforms
    _fast_zlib = None  # type: ignore[assignment]

__all__ = ["DEFAULT_GZIP_LEVEL", "DEFAULT_MAX_BYTES", "WarcFileWriter", "gzip_compressor"]

DEFAULT_MAX_BYTES = 1024 ** 3
# gzip level of each record. The writer runs once per fetched page in the crawler process, whose
# CPU bounds the crawl, so speed wins: on 80 KB provincial pages zlib takes 0.8 ms at level 1
# (1.0 at 3, 3.7 at warcio's 9); ISA-L (``isal``, levels 0–3) takes 0.13 ms at level 1 for a
# member 4% smaller than zlib's level 1. Either way each record is a standard gzip member.
DEFAULT_GZIP_LEVEL = 1


def gzip_compressor(level: int) -> Any:
    """A compressor object writing one gzip member (ISA-L when installed and level ≤ 3)."""
    if _fast_zlib is not None and 0 <= level <= 3:
        return _fast_zlib.compressobj(level, _fast_zlib.DEFLATED, 16 + 15)
    return zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS | 16)


# Headers that describe how the bytes travelled, not the bytes we keep: the body is stored
# de-chunked, so a chunked Transfer-Encoding would make readers try to de-chunk it again.
_RENAMED_HEADERS = {"transfer-encoding"}


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
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        site = self.info.site or "mixed"
        while True:
            self._sequence += 1
            name = f"{self.prefix}-{site}-{stamp}-{os.getpid()}-{self._sequence:05d}.warc.gz"
            path = self.captures_dir / name
            try:
                # "x": never append to (or clobber) a file a killed process may have cut short.
                self._file = open(path, "xb")  # noqa: SIM115 - rotating writer: open until the file is rotated
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

