"""What an import did: counts, status, exit code, the summary line."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.crawling.status import RunStatus
from pipeline.errors import ExitCode

__all__ = ["ImportResult"]


@dataclass(slots=True, kw_only=True)
class ImportResult:
    """The counts of one import run (``baotinh import warc`` or a backfill through it).

    ``records`` is every record read; each ends in exactly one of ``new``, ``updated``,
    ``unchanged``, ``earlier`` (an older capture placed in the history), ``known`` (imported
    before: nothing added), ``skipped`` (by ledger reason) or ``failed``.
    """

    run_id: int | None = None
    files: int = 0
    records: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    earlier: int = 0
    known: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    failed: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (where, why), the first few
    interrupted: bool = False

    @property
    def articles(self) -> int:
        """Article records handled (archived, placed in a history, or found imported already)."""
        return self.new + self.updated + self.unchanged + self.earlier + self.known

    @property
    def status(self) -> RunStatus:
        if self.interrupted:
            return RunStatus.INTERRUPTED
        if self.failed and not self.articles:
            return RunStatus.FAILED
        if self.failed:
            return RunStatus.PARTIAL
        return RunStatus.OK

    @property
    def exit_code(self) -> int:
        """0 ok (nothing new is a success), 3 partial, 1 failed; 2 when no file held a WARC
        record at all (an input that cannot be read)."""
        if self.failed and not self.records:
            return ExitCode.USAGE
        return {RunStatus.OK: ExitCode.OK, RunStatus.PARTIAL: ExitCode.PARTIAL,
                RunStatus.FAILED: ExitCode.FAILED}.get(self.status, ExitCode.PARTIAL)

    def add_skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def fail(self, where: str, why: str) -> None:
        self.failed += 1
        if len(self.failures) < 20:
            self.failures.append((where, why))

    def summary(self) -> str:
        """One line: ``import: 34 new, 0 updated, … (run 7)``."""
        skipped = sum(self.skipped.values())
        line = (f"import: {self.status.value}, {self.records} records in {self.files} file(s): "
                f"{self.new} new, {self.updated} updated, {self.unchanged} unchanged, "
                f"{self.earlier} earlier versions, {self.known} already imported, "
                f"{skipped} not articles, {self.failed} failed")
        if self.skipped:
            line += " (" + ", ".join(f"{k} {v}" for k, v in sorted(self.skipped.items())) + ")"
        return line + (f" (run {self.run_id})" if self.run_id is not None else "")

    def as_dict(self) -> dict[str, object]:
        return {"run_id": self.run_id, "status": self.status.value, "files": self.files,
                "records": self.records, "new": self.new, "updated": self.updated,
                "unchanged": self.unchanged, "earlier": self.earlier, "known": self.known,
                "skipped": dict(self.skipped), "failed": self.failed,
                "failures": [list(f) for f in self.failures]}
