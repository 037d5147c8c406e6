"""Where an imported capture came from: the ``import_provenance`` table (revision 0011).

One row per imported article record: the source file (or memento URL), the source record's
WARC-Record-ID, offset and payload digest, free provenance text, the record id of the copy in the
archive's captures, and what became of it (``new``, ``updated``, ``unchanged``, ``earlier``).
``source_key`` is unique: importing the same capture twice adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from pipeline.archive.models import Base

__all__ = ["ImportProvenance", "ProvenanceView", "add_provenance", "known_keys", "provenance_of"]


class ImportProvenance(Base):
    """One imported capture and its origin."""

    __tablename__ = "import_provenance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_key: Mapped[str] = mapped_column(String(2048), unique=True)
    source: Mapped[str] = mapped_column(String(2048))
    source_record_id: Mapped[str | None] = mapped_column(String(128))
    source_offset: Mapped[int | None] = mapped_column(BigInteger)
    source_digest: Mapped[str | None] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(Text)
    uri: Mapped[str] = mapped_column(String(2048))
    captured_at: Mapped[datetime | None]
    canonical_url: Mapped[str | None] = mapped_column(String(2048))
    capture_record_id: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(32))
    crawl_run_id: Mapped[int | None] = mapped_column(Integer)
    imported_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_import_provenance_canonical_url", "canonical_url"),
        Index("ix_import_provenance_capture_record_id", "capture_record_id"),
    )


@dataclass(frozen=True, slots=True)
class ProvenanceView:
    """One imported capture of an article, as ``show`` names it."""

    source: str
    source_record_id: str | None
    source_offset: int | None
    note: str | None
    captured_at: datetime | None
    capture_record_id: str | None
    outcome: str

    def describe(self) -> str:
        """``file.warc.gz, record <urn:uuid:…> at offset 1234 (captured 2019-08-06T…)``."""
        where = self.source
        if self.source_record_id:
            where += f", record {self.source_record_id}"
        if self.source_offset is not None:
            where += f" at offset {self.source_offset}"
        if self.captured_at is not None:
            where += f" (captured {self.captured_at.isoformat()})"
        return where + (f"; {self.note}" if self.note else "")


def known_keys(session: Session, keys: Iterable[str]) -> set[str]:
    """The source keys among ``keys`` that were imported already."""
    wanted = list(set(keys))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        found.update(session.scalars(select(ImportProvenance.source_key)
                                     .where(ImportProvenance.source_key.in_(chunk))))
    return found


def add_provenance(session: Session, rows: list[dict[str, object]]) -> None:
    """Insert provenance rows (keys: the columns but ``id``)."""
    if rows:
        session.execute(insert(ImportProvenance), rows)


def provenance_of(session: Session, canonical_url: str) -> list[ProvenanceView]:
    """Every imported capture of an article, oldest capture first."""
    rows = session.scalars(select(ImportProvenance).where(ImportProvenance.canonical_url == canonical_url)
                           .order_by(ImportProvenance.captured_at, ImportProvenance.id))
    return [ProvenanceView(r.source, r.source_record_id, r.source_offset, r.note, r.captured_at,
                           r.capture_record_id, r.outcome) for r in rows]
