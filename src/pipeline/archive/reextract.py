"""Re-extraction: rebuild article records from their stored WARC captures, no network.

When the extractor or a site's registry entry improves, ``reextract_archive`` reads each
article's capture back, runs the current extractor on the exact bytes once received, and
updates the record; a record whose content changes gets a new version (the old one goes to
``article_versions``), exactly as a re-fetch would. Each record keeps the extractor version
and the registry fingerprint it was made with, so records made by an older extractor can be
found (``outdated``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from pipeline.archive import dedup, versions
from pipeline.archive.captures import read_capture
from pipeline.archive.models import Article, Source
from pipeline.archive.search_index import FoldedFields, folded_fields, vectors_written, write_vectors
from pipeline.archive.store import record_columns
from pipeline.errors import ArchiveError, BaotinhError
from pipeline.record import CaptureRef
from pipeline.registry.load import Registry, Site, host_of
from pipeline.text.dates import VN_TZ

# The fields the search index holds, in its order.
INDEXED_COLUMNS = ("title", "description", "text", "author")

__all__ = ["ReextractOptions", "ReextractReport", "outdated_condition", "reextract_archive"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReextractOptions:
    """Which records to rebuild."""

    site: str | None = None
    since: date | None = None  # published on or after this day (Vietnam time)
    outdated: bool = False  # only records made by another extractor or registry entry
    batch: int = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class ReextractReport:
    checked: int
    changed: int
    unchanged: int
    failed: int
    failures: tuple[tuple[int, str], ...] = ()
    extractor_version: str = ""


def outdated_condition(extractor_version: str) -> Any:
    """SQL condition: made by another extractor, or before the site's registry entry changed."""
    source_sha = select(Source.registry_sha256).where(Source.id == Article.site).scalar_subquery()
    return or_(
        Article.extractor_version.is_(None), Article.extractor_version != extractor_version,
        Article.registry_sha256.is_(None), Article.registry_sha256 != source_sha,
    )


def _selection(options: ReextractOptions, extractor_version: str) -> Select[Article]:
    stmt = select(Article).where(Article.capture_warc.is_not(None)).order_by(Article.id)
    if options.site:
        stmt = stmt.where(Article.site == options.site)
    if options.since:
        start = datetime(options.since.year, options.since.month, options.since.day, tzinfo=VN_TZ)
        stmt = stmt.where(Article.published_at >= start)
    if options.outdated:
        stmt = stmt.where(outdated_condition(extractor_version))
    return stmt


def _capture_of(article: Article) -> CaptureRef:
    assert article.capture_warc is not None
    return CaptureRef(
        warc=article.capture_warc, offset=int(article.capture_offset or 0),
        length=int(article.capture_length or 0), record_id=article.capture_record_id or "",
        digest=article.capture_digest or "", sha256="", uri=article.url,
        date=article.fetched_at or datetime.now(UTC), status=200,
    )


def site_for(registry: Registry, article: Article) -> Site | None:
    """The article's registry site, as it was when the page was fetched.

    A page fetched from a mirror (``--origin``) was extracted with the mirror's host as an
    alias of the site (so its links and images map to the site's own domain); re-extraction
    must see the same, or every record would "change".
    """
    site = registry.find(article.site) if article.site else None
    host = host_of(article.url)
    if site is None or not host or site.owns_host(host):
        return site
    return dataclasses.replace(site, aliases=site.aliases + (host,))


def _charset(headers: dict[str, str]) -> str | None:
    for part in headers.get("content-type", "").split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip("\"' ")
    return None


def _iter_articles(session: Session, stmt: Select[Article], batch: int) -> Iterator[list[Article]]:
    last = 0
    while True:
        chunk = list(session.scalars(stmt.where(Article.id > last).limit(batch)))
        if not chunk:
            return
        yield chunk
        last = chunk[-1].id


def reextract_archive(session: Session, archive_dir: Path, registry: Registry,
                      options: ReextractOptions = ReextractOptions(), *,
                      now: datetime | None = None) -> ReextractReport:
    """Re-extract the selected articles from their captures; returns what changed.

    Never touches the network. A capture that cannot be read or extracted is counted as failed
    (``baotinh verify`` says why) and its record is left as it was.
    """
    from pipeline.extract import EXTRACTOR_VERSION

    now = now or datetime.now(UTC)
    fingerprints = {s.id: s.registry_sha256 for s in session.scalars(select(Source))}
    unchanged = 0
    failures: list[tuple[int, str]] = []
    changed_ids: list[int] = []
    with vectors_written(session):
        for chunk in _iter_articles(session, _selection(options, EXTRACTOR_VERSION), options.batch):
            ids, same = _reextract_chunk(session, chunk, archive_dir, registry, fingerprints, failures, now)
            changed_ids.extend(ids)
            unchanged += same
    dedup.update_duplicates(session, changed_ids)
    changed = len(changed_ids)
    checked = changed + unchanged + len(failures)
    return ReextractReport(checked=checked, changed=changed, unchanged=unchanged, failed=len(failures),
                           failures=tuple(failures[:20]), extractor_version=EXTRACTOR_VERSION)


def _reextract_chunk(session: Session, chunk: list[Article], archive_dir: Path, registry: Registry,
                     fingerprints: dict[str, str | None], failures: list[tuple[int, str]],
                     now: datetime) -> tuple[list[int], int]:
    """Re-extract one batch of articles; returns the ids that changed and how many did not.

    The search vectors of the changed texts are written here, a batch a statement (PostgreSQL;
    the caller holds :func:`vectors_written`).
    """
    from pipeline.extract import extract_article

    changed_ids: list[int] = []
    unchanged = 0
    vectors: list[tuple[int, FoldedFields]] = []
    for article in chunk:
        site = site_for(registry, article)
        try:
            captured = read_capture(archive_dir, _capture_of(article), session)
            record = extract_article(captured.body, article.url, site=site, fetched_at=captured.date,
                                     http_charset=_charset(captured.headers))
        except (ArchiveError, BaotinhError) as exc:
            failures.append((article.id, str(exc)))
            continue
        values = record_columns(record)
        values["registry_sha256"] = fingerprints.get(article.site or "")
        old = {c: getattr(article, c) for c in versions.CONTENT_COLUMNS}
        fields = versions.changed_fields(old, values)
        if fields:
            versions.archive_version(session, article, fields, now=now)
            changed_ids.append(article.id)
        else:
            unchanged += 1
        if any(getattr(article, c) != values[c] for c in INDEXED_COLUMNS):
            vectors.append((article.id, folded_fields(*(values[c] for c in INDEXED_COLUMNS))))
        for key, value in values.items():
            setattr(article, key, value)
    session.flush()
    write_vectors(session, vectors)
    return changed_ids, unchanged
