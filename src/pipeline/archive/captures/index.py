"""The revisit index (table ``captures``) and :class:`CaptureArchiver`, which writes each exchange
once: identical payloads fetched again, and 304 answers, become ``revisit`` records."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from pipeline.archive.captures.format import Exchange, WarcInfo, sha1_base32
from pipeline.archive.captures.writer import DEFAULT_GZIP_LEVEL, DEFAULT_MAX_BYTES, WarcFileWriter
from pipeline.archive.models import Capture
from pipeline.record import CaptureRef

__all__ = ["CaptureArchiver", "add_captures", "find_capture", "find_latest_response", "find_original"]

# How many payload digests and URLs a run remembers for revisits; older ones are looked up in
# the index, so memory stays flat however long the crawl.
REMEMBERED = 20_000


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


def _capture_rows(refs: Iterable[CaptureRef], run_id: int | None) -> list[dict[str, Any]]:
    return [
        {"record_id": r.record_id, "uri": r.uri, "date": r.date, "warc": r.warc, "offset": r.offset,
         "length": r.length, "payload_digest": r.digest, "payload_sha256": r.sha256, "status": r.status,
         "rec_type": r.rec_type, "refers_to": r.refers_to, "crawl_run_id": run_id}
        for r in refs
    ]


def add_captures(session: Session, refs: Iterable[CaptureRef], *, run_id: int | None = None) -> None:
    """Index written records (response and revisit) in the ``captures`` table (one executemany)."""
    rows = _capture_rows(refs, run_id)
    if rows:
        session.execute(insert(Capture), rows)


class CaptureArchiver:
    """WARC writer + revisit index: what the crawler's capture middleware drives.

    Not thread-safe: call it from one thread (the middleware's writer thread). Each index row is
    committed right after its record is written (``batch=1``, the default), so a writer on
    another machine finds it at once; records are on disk before their row exists, so the index
    never points at bytes that were not written. A revisit is written only against a record
    the store holds: an index row whose file this machine cannot read is passed over.
    """

    def __init__(self, archive_dir: Path, sessions: Any, *, max_bytes: int = DEFAULT_MAX_BYTES,
                 info: WarcInfo | None = None, batch: int = 1, gzip_level: int = DEFAULT_GZIP_LEVEL) -> None:
        self.writer = WarcFileWriter(archive_dir, max_bytes=max_bytes, info=info, gzip_level=gzip_level)
        self.sessions = sessions
        self.batch = batch
        self.pending: list[CaptureRef] = []
        # this run's payloads and URLs (bounded: older ones are found through the index)
        self.seen: dict[str, CaptureRef] = {}
        self.latest: dict[str, CaptureRef] = {}
        self._reader: Connection | None = None
        self._writer_conn: Connection | None = None
        self.run_id: int | None = info.crawl_run if info else None
        self.written = 0
        self.revisits = 0
        self._held: set[str] = set()  # capture files seen in the store (they are never removed)

    def capture(self, exchange: Exchange) -> CaptureRef:
        """Write one exchange; identical payloads seen before, and 304s, become revisits."""
        original = None
        if exchange.status == 200 and exchange.body:
            digest = sha1_base32(exchange.body)
            original = self.seen.get(digest)
            if original is None:
                original = self._held_or_none(self._lookup(find_original, digest))
        elif exchange.status == 304:
            original = self.latest.get(exchange.url)
            if original is None:
                original = self._held_or_none(self._lookup(find_latest_response, exchange.url))
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

    def _held_or_none(self, ref: CaptureRef | None) -> CaptureRef | None:
        """``ref`` when its file is in this store (a revisit must resolve here), else None."""
        if ref is None or ref.warc in self._held:
            return ref
        if (self.writer.archive_dir / ref.warc).is_file():
            self._held.add(ref.warc)
            return ref
        return None

    def flush(self) -> None:
        """Write the pending index rows (one transaction)."""
        if not self.pending:
            return
        refs, self.pending = self.pending, []
        conn = self._index_connection()
        if conn is None:
            with self.sessions.begin() as session:
                add_captures(session, refs, run_id=self.run_id)
            return
        try:
            conn.execute(insert(Capture), _capture_rows(refs, self.run_id))
            conn.commit()
        except BaseException:
            conn.rollback()
            raise

    def _index_connection(self) -> Connection | None:
        """The archiver's own connection for index rows (a transaction per record costs least
        on a bare connection). On PostgreSQL its commits do not wait for the WAL flush: the row
        is visible to every other writer at once, and a server crash can lose only the last
        rows' index entries, never bytes an entry points at (the record is written first)."""
        if self._writer_conn is None:
            bind = self.sessions.kw.get("bind")
            if not isinstance(bind, Engine):
                return None
            self._writer_conn = bind.connect()
            if bind.dialect.name == "postgresql":
                self._writer_conn.exec_driver_sql("SET synchronous_commit TO OFF")
                self._writer_conn.commit()
        return self._writer_conn

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
        for conn in (self._reader, self._writer_conn):
            if conn is not None:
                conn.close()
        self._reader = self._writer_conn = None


def _remember(memory: dict[str, CaptureRef], key: str, ref: CaptureRef, *, replace: bool) -> None:
    """Keep ``ref`` under ``key``, forgetting the oldest entry beyond :data:`REMEMBERED`."""
    if key in memory:
        if not replace:
            return
        del memory[key]  # re-inserted last: the dict's order is the age
    memory[key] = ref
    if len(memory) > REMEMBERED:
        del memory[next(iter(memory))]

