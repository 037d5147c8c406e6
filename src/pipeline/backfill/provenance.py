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

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from pipeline.archive.models import ImportProvenance

__all__ = ["ImportProvenance", "ProvenanceView", "add_provenance", "known_keys", "provenance_of"]


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
