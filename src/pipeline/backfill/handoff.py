"""The backfill's fetched captures handed to the WARC import: one ingest path for both.

Each memento is a WARC record (:mod:`pipeline.backfill.memento`); it is read back as a
:class:`~pipeline.backfill.source.WarcSource` and added to an
:class:`~pipeline.backfill.ingest.Importer` working in the backfill's own run (the backfill
started it and will finish it), flushed at once so that the article, its capture copy, its
provenance (the memento URL, or the Common Crawl file and offset) and its ledger counts are
committed before the next capture is fetched.
"""

from __future__ import annotations

from types import TracebackType

from pipeline.archive import db
from pipeline.backfill.ingest import Importer
from pipeline.backfill.memento import Memento
from pipeline.backfill.provenance import known_keys
from pipeline.backfill.result import ImportResult
from pipeline.backfill.source import WarcSource
from pipeline.config import Settings
from pipeline.errors import InputError
from pipeline.registry.load import Registry, Site

__all__ = ["WarcImport"]

_COUNTERS = ("new", "updated", "unchanged", "earlier", "known", "failed")


def _snapshot(result: ImportResult) -> dict[str, int]:
    counts = {name: int(getattr(result, name)) for name in _COUNTERS}
    counts.update({f"skipped:{k}": v for k, v in result.skipped.items()})
    return counts


class WarcImport:
    """The backfill's :class:`~pipeline.backfill.run.Ingest`: one importer per run."""

    def __init__(self, settings: Settings, registry: Registry) -> None:
        self.settings = settings
        self.registry = registry
        self._importer: Importer | None = None
        self._run_id: int | None = None
        self._engine = db.make_engine(settings.database_url)
        self._sessions = db.make_sessionmaker(self._engine)

    def _for_run(self, run_id: int, site: Site) -> Importer:
        if self._importer is None or self._run_id != run_id:
            self.close()
            self._importer = Importer(self.settings, registry=self.registry, sites=[site.id], run_id=run_id,
                                      batch_size=1)
            self._run_id = run_id
        return self._importer

    def __call__(self, memento: Memento, *, run_id: int, site: Site) -> str:
        importer = self._for_run(run_id, site)
        offset = memento.capture.offset if memento.capture.filename else None
        try:
            source = WarcSource.from_bytes(memento.record, source=memento.source, offset=offset)
        except InputError as exc:
            importer.result.fail(memento.capture.original, str(exc))
            return "failed:import_unreadable"
        before = _snapshot(importer.result)
        importer.add(source)  # batch_size=1: an article record is written (committed) at once
        after = _snapshot(importer.result)
        changed = [name for name, n in after.items() if n > before.get(name, 0)]
        outcome = changed[0] if changed else "skipped:import"
        if outcome == "known":
            return "unchanged"
        if outcome == "failed":
            return "failed:extract_error"
        return outcome

    def archived(self, source_key: str) -> bool:
        """Whether the capture with this ``WARC-Source-URI`` was imported before."""
        with self._sessions() as session:
            return bool(known_keys(session, [source_key]))

    def close(self) -> None:
        """Close the current run's importer (it writes what it holds; the run stays open)."""
        if self._importer is not None:
            self._importer.close()
            self._importer = None

    def __enter__(self) -> WarcImport:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if self._importer is not None:
                self._importer.close(interrupted=exc is not None)
                self._importer = None
        finally:
            self._engine.dispose()
