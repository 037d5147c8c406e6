"""Fixity: re-read every WARC record the archive points to and check it is intact.

For each record referenced by an article (current version or an older one) or by the revisit
index, ``verify_archive`` reads the gzip member at its offset, checks the record id, recomputes
the payload SHA-1 and the block SHA-256 and compares them with the record's own headers and
with the digest the database holds. The record is parsed here byte by byte (not through a
lenient reader), so a single flipped byte is found.

The database itself is checked first (SQLite's ``PRAGMA quick_check``): damaged pages are
findings of the report, not a traceback, and the records that can still be read are checked.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import zlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from pipeline.archive.models import Article, ArticleVersion, Capture
from pipeline.errors import ArchiveDamagedError

__all__ = ["FixityProblem", "FixityReport", "RecordCheck", "check_database", "check_record", "verify_archive"]

# How many lines of ``PRAGMA quick_check`` a report keeps (one damaged page gives a few).
QUICK_CHECK_LINES = 20
T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordCheck:
    """The outcome of checking one record: ``None`` problem means intact."""

    warc: str
    offset: int
    record_id: str | None
    problem: str | None = None
    kind: str | None = None  # missing, corrupt, mismatch


@dataclass(frozen=True, slots=True, kw_only=True)
class FixityProblem:
    """A damaged or missing capture and the articles that rely on it."""

    warc: str
    offset: int
    record_id: str | None
    kind: str
    detail: str
    articles: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class FixityReport:
    """What ``verify`` found: WARC records checked, their problems, and the database's own damage."""

    records: int
    files: int
    problems: tuple[FixityProblem, ...] = field(default_factory=tuple)
    # Damage of the database file itself: quick_check's lines, tables that could not be read.
    database: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems and not self.database


def check_database(session: Session) -> list[str]:
    """SQLite's ``PRAGMA quick_check`` on the archive: its complaints, empty when the file is sound.

    Other databases keep their pages to themselves: nothing to check. A file too damaged for the
    check to run gives one line saying so.
    """
    if session.get_bind().dialect.name != "sqlite":
        return []
    try:
        lines = [str(row[0]) for row in session.execute(text(f"PRAGMA quick_check({QUICK_CHECK_LINES})"))]
    except ArchiveDamagedError as exc:
        session.rollback()
        return [f"quick_check cannot run: {exc.detail}"]
    return [] if lines == ["ok"] else lines


def _readable(session: Session, what: str, damage: list[str], read: Callable[[], list[T]]) -> list[T]:
    """``read()``, or nothing and a line in ``damage`` when the database pages behind it are damaged."""
    try:
        return read()
    except ArchiveDamagedError as exc:
        session.rollback()
        damage.append(f"{what} cannot be read: {exc.detail}")
        return []


def _digest(algorithm: str, data: bytes) -> str:
    return f"{algorithm}:" + base64.b32encode(hashlib.new(algorithm, data).digest()).decode("ascii")


def _same_digest(declared: str, data: bytes) -> bool:
    algorithm, _, value = declared.partition(":")
    algorithm = algorithm.lower().replace("-", "")
    try:
        raw = hashlib.new(algorithm, data).digest()
    except ValueError:
        return False
    candidates = {base64.b32encode(raw).decode("ascii"), raw.hex(), base64.b64encode(raw).decode("ascii")}
    return value in candidates or value.upper() in candidates or value.lower() in candidates


def _parse_headers(head: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in head.split(b"\r\n")[1:]:
        name, sep, value = line.partition(b":")
        if sep:
            out[name.decode("latin-1").strip().lower()] = value.decode("utf-8", "replace").strip()
    return out


def check_record(archive_dir: Path, warc: str, offset: int, length: int, *,
                 record_id: str | None, digest: str | None) -> RecordCheck:
    """Check one record (a gzip member of ``length`` bytes at ``offset`` of ``warc``)."""
    def fail(kind: str, problem: str) -> RecordCheck:
        return RecordCheck(warc=warc, offset=offset, record_id=record_id, problem=problem, kind=kind)

    path = archive_dir / warc
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            member = fh.read(length)
    except FileNotFoundError:
        return fail("missing", f"file {warc} is missing")
    except OSError as exc:
        return fail("missing", f"cannot read {warc}: {exc.strerror}")
    if len(member) < length:
        return fail("missing", f"{warc} ends before offset {offset}+{length} (truncated)")
    try:
        data = gzip.decompress(member)
    except (OSError, EOFError, zlib.error) as exc:
        return fail("corrupt", f"gzip member does not decompress: {exc}")
    head, sep, rest = data.partition(b"\r\n\r\n")
    if not sep or not head.startswith(b"WARC/"):
        return fail("corrupt", "no WARC header")
    headers = _parse_headers(head)
    if record_id is not None and headers.get("warc-record-id") != record_id:
        return fail("mismatch", f"record id {headers.get('warc-record-id')} != {record_id}")
    try:
        block = rest[: int(headers.get("content-length", "-1"))]
    except ValueError:
        return fail("corrupt", "bad Content-Length")
    if len(block) != int(headers.get("content-length", "-1")):
        return fail("corrupt", "block shorter than its Content-Length")
    block_digest = headers.get("warc-block-digest")
    if block_digest and not _same_digest(block_digest, block):
        return fail("corrupt", f"block digest mismatch ({block_digest.partition(':')[0]})")
    payload_digest = headers.get("warc-payload-digest")
    if headers.get("warc-type") == "response":
        _http, sep, payload = block.partition(b"\r\n\r\n")
        if payload_digest and not _same_digest(payload_digest, payload):
            return fail("corrupt", "payload digest mismatch (sha1)")
    if digest is not None and payload_digest != digest:
        return fail("mismatch", f"payload digest {payload_digest} != archive's {digest}")
    return RecordCheck(warc=warc, offset=offset, record_id=record_id)


@dataclass(frozen=True, slots=True)
class _Pointer:
    warc: str
    offset: int
    length: int
    record_id: str | None
    digest: str | None


_Users = dict[_Pointer, set[tuple[int, str]]]


def _pointers(session: Session, damage: list[str]) -> tuple[_Users, dict[str, str | None]]:
    """Every pointed-to record, with the articles that rely on it; revisits → originals.

    A table whose pages are damaged adds a line to ``damage`` and the others are still read.
    """
    users: _Users = defaultdict(set)
    rows: list[Any] = _readable(session, "articles", damage, lambda: list(session.execute(select(
        Article.id, Article.canonical_url, Article.capture_warc, Article.capture_offset,
        Article.capture_length, Article.capture_record_id, Article.capture_digest,
    ).where(Article.capture_warc.is_not(None))).all()))
    versions: list[Any] = _readable(session, "article_versions", damage, lambda: list(session.execute(select(
        Article.id, Article.canonical_url, ArticleVersion.capture_warc, ArticleVersion.capture_offset,
        ArticleVersion.capture_length, ArticleVersion.capture_record_id, ArticleVersion.capture_digest,
    ).join(Article, Article.id == ArticleVersion.article_id).where(ArticleVersion.capture_warc.is_not(None))).all()))
    captures = _readable(session, "captures", damage, lambda: list(session.scalars(select(Capture))))
    by_record: dict[str, _Pointer] = {}
    for c in captures:
        p = _Pointer(c.warc, c.offset, c.length, c.record_id, c.payload_digest)
        users.setdefault(p, set())
        by_record[c.record_id] = p
    refers = {c.record_id: c.refers_to for c in captures if c.rec_type == "revisit"}
    for aid, url, warc, offset, length, rid, digest in [*rows, *versions]:
        p = _Pointer(str(warc), int(offset or 0), int(length or 0), rid, digest)
        users[p].add((aid, url))
        # An article resting on a revisit also rests on the original it refers to.
        original = by_record.get(refers.get(rid or "") or "")
        if original is not None:
            users[original].add((aid, url))
    return users, refers


def verify_archive(session: Session, archive_dir: Path) -> FixityReport:
    """Check the database, then every record the archive points to; problems name the affected articles."""
    damage = check_database(session)
    users, refers = _pointers(session, damage)
    known = {p.record_id for p in users}
    problems: list[FixityProblem] = []
    for pointer, articles in sorted(users.items(), key=lambda kv: (kv[0].warc, kv[0].offset)):
        result = check_record(archive_dir, pointer.warc, pointer.offset, pointer.length,
                              record_id=pointer.record_id, digest=pointer.digest)
        if result.problem is None and pointer.record_id in refers and refers[pointer.record_id] not in known:
            result = RecordCheck(warc=pointer.warc, offset=pointer.offset, record_id=pointer.record_id,
                                 problem=f"revisit refers to {refers[pointer.record_id]}, not in the index",
                                 kind="missing")
        if result.problem is not None:
            problems.append(FixityProblem(
                warc=pointer.warc, offset=pointer.offset, record_id=pointer.record_id,
                kind=result.kind or "corrupt", detail=result.problem,
                articles=tuple(sorted(articles)),
            ))
    return FixityReport(records=len(users), files=len({p.warc for p in users}), problems=tuple(problems),
                        database=tuple(damage))
