"""An older capture of an archived article becomes an earlier version, never the latest.

A live crawl keeps the current version in ``articles`` and superseded ones in
``article_versions`` (:mod:`pipeline.archive.versions`), in the order the crawls saw them. An
import brings captures from the past, possibly after a live crawl: a 2024 copy from the Wayback
Machine imported today must not replace the article fetched yesterday. So a capture older than
the archived one is placed in the article's history by its capture time:

* when the version current at that time has the same content, nothing changes;
* when the next version has the same content, that version is made to start at the capture
  time (it was current earlier than the archive knew);
* otherwise the capture is inserted as a version of its own, between the two, and the later
  versions are renumbered.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.archive import store, versions
from pipeline.archive.models import Article, ArticleVersion
from pipeline.record import StoreItem

__all__ = ["EARLIER", "UNCHANGED", "place_earlier"]

EARLIER = "earlier"  # inserted as an earlier version
UNCHANGED = "unchanged"  # the history already holds this content at that time
_OLDEST = datetime.min.replace(tzinfo=UTC)


@dataclass(slots=True)
class _Entry:
    """One version in the article's history: a row of ``article_versions``, or the current one."""

    valid_from: datetime | None
    content: dict[str, Any]
    row: ArticleVersion | None  # None: the current version (the ``articles`` row)


def _comparable(values: dict[str, Any]) -> dict[str, Any]:
    """Content values in one form, whether read from a version's JSON or from a record."""
    out: dict[str, Any] = {}
    for column in versions.CONTENT_COLUMNS:
        value = values.get(column)
        if isinstance(value, str) and column in ("published_at", "modified_at"):
            with contextlib.suppress(ValueError):
                value = datetime.fromisoformat(value)
        if isinstance(value, datetime):
            value = value.astimezone(UTC).isoformat()
        out[column] = versions.jsonable(value)
    return out


def _history(session: Session, article: Article) -> list[_Entry]:
    rows = session.scalars(select(ArticleVersion).where(ArticleVersion.article_id == article.id)
                           .order_by(ArticleVersion.version)).all()
    entries = [_Entry(r.valid_from, _comparable(r.data or {}), r) for r in rows]
    current = {c: getattr(article, c) for c in versions.CONTENT_COLUMNS}
    entries.append(_Entry(article.version_since or article.first_seen_at, _comparable(current), None))
    return entries


def place_earlier(session: Session, article: Article, item: StoreItem, *, run_id: int | None) -> str:
    """Place ``item`` (captured before ``article.fetched_at``) in the article's history.

    Returns :data:`UNCHANGED` or :data:`EARLIER`. The current version stays as it is.
    """
    record = item.record
    at = record.fetched_at
    assert at is not None, "an imported record has its capture time"
    new = _comparable(store.record_columns(record))
    entries = _history(session, article)
    # The version current at ``at``: the last one starting at or before it, but never the
    # current one (its content was seen later than ``at``).
    pos = sum(1 for e in entries if (e.valid_from or _OLDEST) <= at)
    pos = min(pos, len(entries) - 1)
    before = entries[pos - 1] if pos > 0 else None
    after = entries[pos]
    if article.first_seen_at is None or at < article.first_seen_at:
        article.first_seen_at = at
    if before is not None and before.content == new:
        return UNCHANGED
    if after.content == new:
        _start_at(article, after, at)
        if before is not None and before.row is not None:
            before.row.valid_to = at
        return UNCHANGED
    _insert_version(session, article, item, entries, pos, run_id=run_id)
    return EARLIER


def _start_at(article: Article, entry: _Entry, at: datetime) -> None:
    if entry.row is not None:
        entry.row.valid_from = at
    else:
        article.version_since = at


def _insert_version(session: Session, article: Article, item: StoreItem, entries: list[_Entry], pos: int,
                    *, run_id: int | None) -> None:
    """Insert ``item`` as version ``pos + 1``, renumbering the later rows (highest first, so the
    unique (article, version) key holds at every step)."""
    record = item.record
    at = record.fetched_at
    assert at is not None
    after = entries[pos]
    for entry in reversed(entries[pos:]):
        if entry.row is not None:
            entry.row.version += 1
            session.flush()
    article.version = (article.version or 1) + 1
    before = entries[pos - 1] if pos > 0 else None
    if before is not None and before.row is not None:
        before.row.valid_to = at
        before.row.changed_fields = _changed(before.content, _comparable(store.record_columns(record)))
    successor_from = after.valid_from or at
    capture = versions.capture_values(item.capture)
    session.add(ArticleVersion(
        article_id=article.id, version=pos + 1, valid_from=at, valid_to=max(successor_from, at),
        changed_fields=_changed(_comparable(store.record_columns(record)), after.content),
        title=record.title, text=record.text or "", content_sha256=record.content_sha256,
        data={c: versions.jsonable(v) for c, v in store.record_columns(record).items()
              if c in versions.CONTENT_COLUMNS},
        extractor_version=record.extractor_version, registry_sha256=article.registry_sha256,
        crawl_run_id=run_id, **{c: capture.get(c) for c in versions.CAPTURE_COLUMNS},
    ))
    session.flush()


def _changed(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return [c for c in versions.CONTENT_COLUMNS if old.get(c) != new.get(c)]
