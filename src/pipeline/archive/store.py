"""Writing and reading the archive: sources, crawl runs and article upserts.

Functions take a :class:`~sqlalchemy.orm.Session` and never commit; the caller owns the
transaction (``with sessionmaker.begin() as session: ...``).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from pipeline import __version__
from pipeline.archive import dedup, versions
from pipeline.archive.keys import KEY_LENGTH, article_key, assign_keys, is_article_key
from pipeline.archive.models import Article, CrawlRun, Source
from pipeline.archive.search_index import (
    folded_fields,
    index_new_articles,
    insert_articles_pg,
    vectors_written,
    write_vectors,
)
from pipeline.archive.tsvector import tsvector_literal
from pipeline.record import ArticleRecord, Image, StoreItem
from pipeline.registry.load import Site
from pipeline.text.fold import fold, folded_words
from pipeline.text.simhash import simhash_text, to_signed

__all__ = [
    "RunCounts",
    "SiteStats",
    "UpsertCounts",
    "article_to_record",
    "finish_run",
    "get_article",
    "site_fingerprint",
    "start_run",
    "sync_source",
    "site_stats",
    "upsert_articles",
]

# Columns compared to decide whether a re-fetched article changed (a new version).
CONTENT_COLUMNS = versions.CONTENT_COLUMNS
# SQLite allows 32,766 bound parameters; an article row binds about 30.
_UPSERT_CHUNK = 500


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class UpsertCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(self.new + other.new, self.updated + other.updated,
                            self.unchanged + other.unchanged)


@dataclass(frozen=True, slots=True, kw_only=True)
class RunCounts:
    pages_fetched: int = 0
    articles_new: int = 0
    articles_updated: int = 0
    articles_unchanged: int = 0
    errors: int = 0


def site_fingerprint(site: Site) -> str:
    """SHA-256 of a site's effective registry entry (family merged in)."""
    data = json.dumps(asdict(site), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def sync_source(session: Session, site: Site, *, now: datetime | None = None) -> None:
    """Create or refresh the ``sources`` row of ``site``."""
    now = now or utcnow()
    row = session.get(Source, site.id)
    fingerprint = site_fingerprint(site)
    if row is None:
        session.add(Source(
            id=site.id, name=site.name, province_before=site.province_before,
            province_after=site.province_after, family=site.family, domain=site.domain,
            registry_sha256=fingerprint, created_at=now, updated_at=now,
        ))
    elif row.registry_sha256 != fingerprint:
        row.name, row.family, row.domain = site.name, site.family, site.domain
        row.province_before, row.province_after = site.province_before, site.province_after
        row.registry_sha256, row.updated_at = fingerprint, now
    session.flush()


def start_run(session: Session, site_id: str | None, *, args: dict[str, Any] | None = None,
              now: datetime | None = None) -> int:
    """Record the start of a crawl run and return its id."""
    run = CrawlRun(
        site_id=site_id, started_at=now or utcnow(), status="running", pages_fetched=0,
        articles_new=0, articles_updated=0, articles_unchanged=0, errors=0, args=args or {},
        software_version=__version__, pid=os.getpid(), hostname=socket.gethostname(),
    )
    session.add(run)
    session.flush()
    return run.id


def finish_run(session: Session, run_id: int, *, status: str, counts: RunCounts,
               message: str | None = None, now: datetime | None = None) -> None:
    """Close a crawl run with its final status and counts."""
    session.execute(
        update(CrawlRun).where(CrawlRun.id == run_id).values(
            finished_at=now or utcnow(), status=status, message=message, **asdict(counts),
        )
    )


def record_columns(record: ArticleRecord) -> dict[str, Any]:
    """The article columns an extraction sets (identity and crawl bookkeeping left out)."""
    return {
        "title": record.title, "description": record.description, "author": record.author,
        "published_at": record.published_at, "modified_at": record.modified_at,
        "section": record.section, "tags": list(record.tags), "language": record.language,
        "text": record.text, "captions": list(record.captions),
        "images": [i.as_dict() for i in record.images], "word_count": record.word_count,
        "content_sha256": record.content_sha256, "date_source": record.date_source,
        "modified_source": record.modified_source, "source_agency": record.source_agency,
        "flags": list(record.flags), "extractor_version": record.extractor_version,
    }


def _record_row(record: ArticleRecord) -> dict[str, Any]:
    return {"canonical_url": record.canonical_url, "url": record.url, "site": record.site,
            "fetched_at": record.fetched_at, **record_columns(record)}


def _content_key(values: dict[str, Any]) -> str:
    return json.dumps([values.get(c) for c in CONTENT_COLUMNS], ensure_ascii=False,
                      default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v))


def upsert_articles(session: Session, items: Sequence[ArticleRecord | StoreItem], *,
                    run_id: int | None = None, now: datetime | None = None) -> UpsertCounts:
    """Insert new articles and update changed ones, keyed on ``canonical_url``.

    ``items`` are the crawler's :class:`StoreItem` s (a record with its capture and what the
    extraction worker computed) or bare records. A record whose content equals the archived one
    only refreshes ``last_seen_at``; a batch holding the same URL twice keeps the last. Returns
    how many were new/updated/unchanged.
    """
    now = now or utcnow()
    latest: dict[str, StoreItem] = {}
    for value in items:
        item = StoreItem.of(value)
        latest[item.record.canonical_url] = item
    counts = UpsertCounts()
    chunks = list(latest.values())
    for start in range(0, len(chunks), _UPSERT_CHUNK):
        counts += _upsert_chunk(session, chunks[start:start + _UPSERT_CHUNK], run_id, now)
    return counts


def _upsert_chunk(session: Session, items: list[StoreItem], run_id: int | None,
                  now: datetime, *, retried: bool = False) -> UpsertCounts:
    urls = {i.record.canonical_url for i in items}
    # One lookup: the archived articles of the batch and the holders of the new rows' keys.
    keys = [article_key(url) for url in urls]
    found = session.scalars(select(Article).where(Article.canonical_url.in_(urls) | Article.key.in_(keys))).all()
    existing = {a.canonical_url: a for a in found if a.canonical_url in urls}
    held = {a.key: a.canonical_url for a in found if a.key is not None}
    # Changed texts get their vectors from the items' folds (PostgreSQL), not the SQL fold.
    with vectors_written(session) if existing else nullcontext():
        return _write_chunk(session, items, existing, held, run_id, now, retried=retried)


def _write_chunk(session: Session, items: list[StoreItem], existing: dict[str, Article], held: dict[str, str],
                 run_id: int | None, now: datetime, *, retried: bool = False) -> UpsertCounts:
    new_rows: list[dict[str, Any]] = []
    unchanged = 0
    fingerprints = _registry_fingerprints(session, {i.record.site for i in items if i.record.site})
    changed_urls: dict[str, int] = {}
    by_url = {i.record.canonical_url: i for i in items}
    for item in items:
        record = item.record
        row = _record_row(record)
        row.update(_archival_row(item, fingerprints.get(record.site or "")))
        current = existing.get(record.canonical_url)
        if current is None:
            row.update(first_seen_at=now, last_seen_at=now, crawl_run_id=run_id, version=1, version_since=now)
            new_rows.append(row)
        elif _refresh(session, current, row, run_id, now):
            changed_urls[record.canonical_url] = current.id
        else:
            unchanged += 1
    inserted: dict[str, int] = {}
    if new_rows:
        _set_keys(session, new_rows, held)
        inserted = _insert_ignoring_conflicts(session, new_rows, by_url, _row_preparer(session, by_url))
        index_new_articles(session, ((article_id, by_url[url]) for url, article_id in inserted.items()))
    session.flush()
    write_vectors(session, [(article_id, _item_fields(by_url[url])) for url, article_id in changed_urls.items()])
    if inserted or changed_urls:
        _update_duplicates(session, session.get_bind().dialect.name == "postgresql", list(by_url.values()),
                           inserted, changed_urls)
    counts = UpsertCounts(len(inserted), len(changed_urls), unchanged)
    # Rows another writer inserted since the lookup: the archived article now, seen again or changed.
    skipped = [by_url[r["canonical_url"]] for r in new_rows if r["canonical_url"] not in inserted]
    if skipped and not retried:
        counts += _upsert_chunk(session, skipped, run_id, now, retried=True)
    return counts


def _row_preparer(session: Session, by_url: dict[str, StoreItem]) -> Callable[[list[dict[str, Any]]], None]:
    vectors = session.get_bind().dialect.name == "postgresql"
    return lambda part: _hash_rows(part, by_url, vectors=vectors)


def _hash_rows(rows: list[dict[str, Any]], by_url: dict[str, StoreItem], *, vectors: bool) -> None:
    """Give new ``rows`` their SimHash (and their items the text fold), and on PostgreSQL their
    ``search_vector``: one fold and one tokenisation of the text serve the hash and the vector."""
    for row in rows:
        item = by_url[row["canonical_url"]]
        words = None
        if not (item.simhash_known and item.folded_text is not None):
            folded = item.folded_text if item.folded_text is not None else fold(item.record.text)
            words = folded_words(folded)
            simhash = item.simhash if item.simhash_known else simhash_text(item.record.text, tokens=words)
            item = by_url[row["canonical_url"]] = replace(item, simhash=simhash, simhash_known=True,
                                                          folded_text=folded)
        row["simhash"] = to_signed(item.simhash) if item.simhash is not None else None
        if vectors:
            row["search_vector"] = tsvector_literal(_item_fields(item), text_words=words)


def _set_keys(session: Session, rows: list[dict[str, Any]], held: dict[str, str]) -> None:
    """Give new rows their stable keys (see :mod:`pipeline.archive.keys`), clash-checked;
    ``held``: the URLs holding the rows' first keys, by key."""

    def taken(key: str) -> str | None:
        if len(key) == KEY_LENGTH:
            return held.get(key)
        return session.scalars(select(Article.canonical_url).where(Article.key == key)).first()

    keys = assign_keys((r["canonical_url"] for r in rows), taken)
    for row in rows:
        row["key"] = keys[row["canonical_url"]]


def _refresh(session: Session, current: Article, row: dict[str, Any], run_id: int | None,
             now: datetime) -> bool:
    """Bring an archived article up to a re-fetched ``row``; True when its content changed."""
    old = {c: getattr(current, c) for c in CONTENT_COLUMNS}
    # Seen again with content: whatever a past 404 said, the page is back.
    current.withdrawn_at, current.withdrawn_status = None, None
    if _content_key(old) == _content_key(row):
        current.last_seen_at = now
        current.fetched_at = row["fetched_at"] or current.fetched_at
        if current.capture_record_id is None and row["capture_record_id"] is not None:
            for key in versions.CAPTURE_COLUMNS:
                setattr(current, key, row[key])
        return False
    versions.archive_version(session, current, versions.changed_fields(old, row), now=now, run_id=run_id)
    for key, value in row.items():
        setattr(current, key, value)
    current.last_seen_at = now
    current.crawl_run_id = run_id
    return True


def _update_duplicates(session: Session, postgres: bool, items: list[StoreItem], inserted: dict[str, int],
                       changed_urls: dict[str, int]) -> None:
    """Near-copy bookkeeping of the new and changed articles, with the workers' SimHashes.

    The ``inserted`` rows (ids by URL) carry their SimHash; on PostgreSQL their bands too, and
    the linking lock was taken with them (see :func:`insert_articles_pg`).
    """
    ids_by_url = {**inserted, **changed_urls}
    # SimHashes the extraction workers (or this store) computed (see workers.ExtractionResult).
    known = {ids_by_url[i.record.canonical_url]: i.simhash for i in items
             if i.simhash_known and i.record.canonical_url in ids_by_url}
    stored = list(inserted.values())
    dedup.update_duplicates(session, list(changed_urls.values()) + stored, known=known, stored=stored,
                            banded=stored if postgres else (), locked=postgres and bool(stored))


def _registry_fingerprints(session: Session, sites: set[str]) -> dict[str, str | None]:
    if not sites:
        return {}
    rows = session.execute(select(Source.id, Source.registry_sha256).where(Source.id.in_(sites))).all()
    return dict(rows)


def _archival_row(item: StoreItem, registry_sha256: str | None) -> dict[str, Any]:
    """Capture pointer (issue 5) and registry fingerprint of an item; every key always set."""
    row: dict[str, Any] = dict.fromkeys(versions.CAPTURE_COLUMNS)
    row.update(versions.capture_values(item.capture))
    row["registry_sha256"] = registry_sha256
    return row


def _item_fields(item: StoreItem) -> tuple[str | None, str | None, str | None, str | None]:
    r = item.record
    return folded_fields(r.title, r.description, r.text, r.author, folded_text=item.folded_text)


def _insert_ignoring_conflicts(session: Session, rows: list[dict[str, Any]],
                               items: dict[str, StoreItem] | None = None,
                               prepare: Callable[[list[dict[str, Any]]], None] | None = None) -> dict[str, int]:
    """Insert rows; a row another writer inserted meanwhile is left to that writer.

    Returns the ids of the rows this call inserted by canonical URL: their search rows, SimHash
    bands and near-copy links are the store's to write, the others are the archived articles.
    ``prepare`` completes a list of rows (and their items) before they are sent: on PostgreSQL
    part by part, so that the server inserts one part while the next is prepared; there each row
    goes with its search vector and SimHash bands, and the near-copy linking lock is taken.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return insert_articles_pg(session, rows, items or {}, prepare, lock=dedup.LINKING_LOCK)
    if prepare is not None:
        prepare(rows)
    if dialect == "sqlite":
        ignoring = sqlite_insert(Article).on_conflict_do_nothing(index_elements=["canonical_url"])
        returned = session.execute(ignoring.returning(Article.canonical_url, Article.id), rows)
        # A Result has keys() (its column names), so dict(returned) would read it as a mapping.
        return {url: article_id for url, article_id in returned}  # noqa: C416
    session.execute(insert(Article), rows)
    urls = [r["canonical_url"] for r in rows]
    return dict(session.execute(select(Article.canonical_url, Article.id).where(Article.canonical_url.in_(urls)))
                .tuples().all())


def article_to_record(article: Article) -> ArticleRecord:
    """The archived row as an :class:`ArticleRecord`."""
    return ArticleRecord(
        url=article.url, canonical_url=article.canonical_url, site=article.site,
        title=article.title, description=article.description, author=article.author,
        published_at=article.published_at, modified_at=article.modified_at,
        section=article.section, tags=tuple(article.tags or ()), language=article.language,
        text=article.text, captions=tuple(article.captions or ()),
        images=tuple(Image(url=i["url"], caption=i.get("caption")) for i in article.images or ()),
        word_count=article.word_count, content_sha256=article.content_sha256,
        fetched_at=article.fetched_at, date_source=article.date_source,
        modified_source=article.modified_source, source_agency=article.source_agency,
        flags=tuple(article.flags or ()), extractor_version=article.extractor_version,
    )


def get_article(session: Session, key: str | int) -> Article | None:
    """An article by id, stable key, URL or canonical URL."""
    if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
        found = session.get(Article, int(key))
        if found is not None or isinstance(key, int) or not is_article_key(key):
            return found
    if is_article_key(key):
        by_key = session.scalars(select(Article).where(Article.key == key)).first()
        if by_key is not None:
            return by_key
    return session.scalars(
        select(Article).where((Article.canonical_url == key) | (Article.url == key)).limit(1)
    ).first()


@dataclass(frozen=True, slots=True)
class SiteStats:
    site: str
    name: str | None
    articles: int
    first_published: datetime | None
    last_published: datetime | None
    last_run_at: datetime | None
    last_run_status: str | None


def site_stats(session: Session) -> list[SiteStats]:
    """Article counts and the last crawl of every site in the archive."""
    counts = session.execute(
        select(Article.site, func.count(), func.min(Article.published_at), func.max(Article.published_at))
        .group_by(Article.site)
    ).all()
    by_site = {row[0]: row for row in counts}
    names = {s.id: s.name for s in session.scalars(select(Source))}
    last_runs: dict[str | None, CrawlRun] = {}
    for crawl_run in session.scalars(select(CrawlRun).order_by(CrawlRun.id)):
        last_runs[crawl_run.site_id] = crawl_run
    sites = sorted(set(by_site) | set(last_runs) | set(names), key=lambda s: s or "")
    out = []
    for s in sites:
        if s is None:
            continue
        row = by_site.get(s)
        run = last_runs.get(s)
        first, last = (row[2], row[3]) if row else (None, None)
        out.append(SiteStats(
            site=s, name=names.get(s), articles=row[1] if row else 0,
            first_published=first, last_published=last,
            last_run_at=run.started_at if run else None, last_run_status=run.status if run else None,
        ))
    return out


def iter_records(session: Session, *, site: str | None = None) -> Iterable[ArticleRecord]:
    stmt = select(Article).order_by(Article.id)
    if site:
        stmt = stmt.where(Article.site == site)
    for a in session.scalars(stmt):
        yield article_to_record(a)
