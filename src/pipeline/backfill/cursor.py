"""Where a backfill of one site from one archive stands, kept under the archive folder.

``ARCHIVE/backfill/<site>.<source>/`` holds:

- ``listing.json``: the listing in progress: its parameters, the domains listed so far, the
  next index page to ask for (the resume key or page), and how many article captures were found
  so far; replaced atomically after each index page, removed when a backfill ran to its end (the
  next run lists again, to find captures made since);
- ``captures.jsonl``: those captures, one JSON object a line, appended page by page (only the
  first ``count`` lines that ``listing.json`` vouches for are read back: a page appended by a
  run killed before it could record it is listed again);
- ``done.txt``: the key of every capture fetched and archived, one a line, appended and flushed
  to disk after each one is committed; a later run never fetches them again.

A backfill killed at any moment resumes from these: the index pages already read are not asked
again, and the captures already archived are not fetched again.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.backfill.cdx import Capture
from pipeline.errors import ArchiveError

__all__ = ["Cursor", "ListingState", "cursor_dir"]


def cursor_dir(archive_dir: Path, site_id: str, source: str) -> Path:
    """The folder of one site's cursor for one source.

    >>> cursor_dir(Path("a"), "demo", "wayback").as_posix()
    'a/backfill/demo.wayback'
    """
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", site_id)
    return archive_dir / "backfill" / f"{safe}.{source}"


@dataclass
class ListingState:
    """A listing under way: which parameters, which domains are done, where the next page starts."""

    params: dict[str, str]
    domains_done: list[str] = field(default_factory=list)
    domain: str | None = None  # the domain being listed
    token: str | None = None  # its next page (resume key, or "<crawl> <page>")
    captures: list[Capture] = field(default_factory=list)
    complete: bool = False
    saved: int = 0  # how many of ``captures`` are in the captures file already

    def as_dict(self) -> dict[str, Any]:
        return {"params": self.params, "domains_done": self.domains_done, "domain": self.domain,
                "token": self.token, "complete": self.complete, "count": len(self.captures)}

    @classmethod
    def from_dict(cls, data: dict[str, Any], captures: list[Capture]) -> ListingState:
        return cls(params={str(k): str(v) for k, v in dict(data["params"]).items()},
                   domains_done=[str(d) for d in data.get("domains_done", [])],
                   domain=data.get("domain"), token=data.get("token"), captures=captures,
                   complete=bool(data.get("complete")), saved=len(captures))


class Cursor:
    """The cursor files of one site and source (see the module's docstring)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.listing_path = folder / "listing.json"
        self.captures_path = folder / "captures.jsonl"
        self.done_path = folder / "done.txt"

    def _ensure(self) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ArchiveError(f"cannot write the backfill cursor under {self.folder}: {exc.strerror}") from exc

    def load_listing(self, params: dict[str, str]) -> ListingState:
        """The listing in progress with these parameters, or a new one."""
        try:
            data = json.loads(self.listing_path.read_text("utf-8"))
            if data["params"] != params:
                return ListingState(params)
            count = int(data["count"])
            with self.captures_path.open("rb+") as fh:
                lines = [line for _, line in zip(range(count), fh, strict=False)]
                if len(lines) < count:
                    return ListingState(params)
                fh.truncate(sum(len(line) for line in lines))  # a page its listing did not record
            return ListingState.from_dict(data, [Capture.from_dict(json.loads(line)) for line in lines])
        except FileNotFoundError:
            return ListingState(params)
        except (OSError, ValueError, KeyError, TypeError):
            return ListingState(params)  # a damaged listing is only work to redo

    def save_listing(self, state: ListingState) -> None:
        """Append the new captures to the captures file, then replace the listing file atomically."""
        self._ensure()
        tmp = self.listing_path.with_suffix(".tmp")
        try:
            mode = "a" if state.saved else "w"  # a new listing starts a new captures file
            with self.captures_path.open(mode, encoding="utf-8") as fh:
                for capture in state.captures[state.saved:]:
                    fh.write(json.dumps(capture.as_dict(), ensure_ascii=False) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            state.saved = len(state.captures)
            with tmp.open("w", encoding="utf-8") as fh:
                json.dump(state.as_dict(), fh, ensure_ascii=False)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.listing_path)
        except OSError as exc:
            raise ArchiveError(f"cannot write the backfill cursor {self.listing_path}: {exc.strerror}") from exc

    def finish_listing(self) -> None:
        """The backfill ran to its end: the next run lists the archive again."""
        self.listing_path.unlink(missing_ok=True)
        self.captures_path.unlink(missing_ok=True)

    def done(self) -> set[str]:
        """The keys of the captures already archived."""
        try:
            lines = self.done_path.read_text("utf-8").splitlines()
        except FileNotFoundError:
            return set()
        return {line for line in lines if line.strip()}

    def mark_done(self, capture: Capture) -> None:
        """Record that ``capture`` is archived (appended and flushed to disk)."""
        self._ensure()
        try:
            with self.done_path.open("a", encoding="utf-8") as fh:
                fh.write(capture.key + "\n")
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise ArchiveError(f"cannot write the backfill cursor {self.done_path}: {exc.strerror}") from exc
