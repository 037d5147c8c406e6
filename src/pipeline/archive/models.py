"""SQLAlchemy 2.x models of the archive. Schema changes go through Alembic revisions only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from pipeline.text.dates import VN_TZ

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class AwareDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime on every backend.

    Stored in UTC (SQLite keeps no offset, so values are converted before they are bound and
    sort correctly as text); read back in Vietnam's local time, so an article published at
    19:05 in Hải Dương reads ``…T19:05:01+07:00`` whatever the server's zone.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the archive stores aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(VN_TZ)


JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: AwareDateTime(),
        dict[str, Any]: JSONType,
        list[Any]: JSONType,
    }


class Source(Base):
    """A site (paper) as the archive knows it; a snapshot of its registry entry."""

    __tablename__ = "sources"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    province_before: Mapped[str | None] = mapped_column(String(100))
    province_after: Mapped[str | None] = mapped_column(String(100))
    family: Mapped[str | None] = mapped_column(String(64))
    domain: Mapped[str] = mapped_column(String(255))
    registry_sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CrawlRun(Base):
    """One crawl of one site: when, what it asked for, what it found, how it ended."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[str | None] = mapped_column(ForeignKey("sources.id"), index=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    # running, ok, partial, failed, interrupted
    status: Mapped[str] = mapped_column(String(16), default="running")
    pages_fetched: Mapped[int] = mapped_column(Integer, default=0)
    articles_new: Mapped[int] = mapped_column(Integer, default=0)
    articles_updated: Mapped[int] = mapped_column(Integer, default=0)
    articles_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    args: Mapped[dict[str, Any]] = mapped_column(default=dict)
    software_version: Mapped[str | None] = mapped_column(String(32))
    pid: Mapped[int | None] = mapped_column(Integer)
    hostname: Mapped[str | None] = mapped_column(String(255))
    message: Mapped[str | None] = mapped_column(Text)


class Article(Base):
    """The current version of one article, keyed on its canonical URL."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    canonical_url: Mapped[str] = mapped_column(String(2048), unique=True)
    url: Mapped[str] = mapped_column(String(2048))
    site: Mapped[str | None] = mapped_column(ForeignKey("sources.id"))
    title: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(500))
    published_at: Mapped[datetime | None]
    modified_at: Mapped[datetime | None]
    section: Mapped[str | None] = mapped_column(String(200))
    tags: Mapped[list[Any]] = mapped_column(default=list)
    language: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    captions: Mapped[list[Any]] = mapped_column(default=list)
    images: Mapped[list[Any]] = mapped_column(default=list)
    word_count: Mapped[int] = mapped_column(Integer, default=0)
    content_sha256: Mapped[str] = mapped_column(String(64))
    fetched_at: Mapped[datetime | None]
    date_source: Mapped[str | None] = mapped_column(String(32))
    modified_source: Mapped[str | None] = mapped_column(String(32))
    source_agency: Mapped[str | None] = mapped_column(String(200))
    flags: Mapped[list[Any]] = mapped_column(default=list)
    extractor_version: Mapped[str | None] = mapped_column(String(32))
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    # Archival fidelity (issue 5, revision 0002): the capture of the current version, its
    # provenance, withdrawal, and near-duplicate link.
    capture_warc: Mapped[str | None] = mapped_column(String(1024))
    capture_offset: Mapped[int | None] = mapped_column(BigInteger)
    capture_length: Mapped[int | None] = mapped_column(BigInteger)
    capture_record_id: Mapped[str | None] = mapped_column(String(64))
    capture_digest: Mapped[str | None] = mapped_column(String(64))
    registry_sha256: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    version_since: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    withdrawn_status: Mapped[int | None] = mapped_column(Integer)
    simhash: Mapped[int | None] = mapped_column(BigInteger)  # signed 64-bit view of the SimHash
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("articles.id"), index=True)
    # The stable key (revision 0009): a digest of the canonical URL, see pipeline.archive.keys.
    key: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_articles_site_published", "site", "published_at"),
        Index("ix_articles_published_at", "published_at"),
        Index("uq_articles_key", "key", unique=True),
    )


class FrontierEntry(Base):
    """One URL a site has shown the crawler: when it was fetched, when it is due again (issue 6)."""

    __tablename__ = "frontier"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[str] = mapped_column(String(64))
    # path?query: the same page whatever origin (mirror, legacy domain) served it
    url_key: Mapped[str] = mapped_column(String(2048))
    url: Mapped[str] = mapped_column(String(2048))
    canonical_url: Mapped[str | None] = mapped_column(String(2048))
    discovered_via: Mapped[str] = mapped_column(String(16))  # sitemap, feed, listing
    first_seen_at: Mapped[datetime]
    last_fetched_at: Mapped[datetime | None]
    next_due_at: Mapped[datetime | None]  # None: never again unless --refresh
    fetch_count: Mapped[int] = mapped_column(Integer, default=0)
    etag: Mapped[str | None] = mapped_column(String(255))
    last_modified: Mapped[str | None] = mapped_column(String(64))
    last_status: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(String(32))
    robots: Mapped[str | None] = mapped_column(String(16))  # allowed, disallowed
    published_at: Mapped[datetime | None]
    last_run_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("site_id", "url_key", name="uq_frontier_site_url_key"),
        Index("ix_frontier_site_due", "site_id", "next_due_at"),
    )


class LedgerCount(Base):
    """One count of a run's coverage ledger: (site, section, metric, reason) → count."""

    __tablename__ = "crawl_ledger"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id"))
    site_id: Mapped[str] = mapped_column(String(64))
    section: Mapped[str] = mapped_column(String(200), default="")
    metric: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(64), default="")
    count: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        UniqueConstraint("run_id", "site_id", "section", "metric", "reason", name="uq_crawl_ledger_key"),
    )


class RunLock(Base):
    """A lock held in the database (per site), for archives shared between hosts."""

    __tablename__ = "run_locks"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    pid: Mapped[int] = mapped_column(Integer)
    hostname: Mapped[str] = mapped_column(String(255))
    acquired_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]


class Capture(Base):
    """One WARC response or revisit record: the payload-digest index that finds revisits."""

    __tablename__ = "captures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[str] = mapped_column(String(64), unique=True)
    uri: Mapped[str] = mapped_column(String(2048))
    date: Mapped[datetime]
    warc: Mapped[str] = mapped_column(String(1024))
    offset: Mapped[int] = mapped_column(BigInteger)
    length: Mapped[int] = mapped_column(BigInteger)
    payload_digest: Mapped[str] = mapped_column(String(64), index=True)
    payload_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    rec_type: Mapped[str] = mapped_column(String(16))  # response, revisit
    refers_to: Mapped[str | None] = mapped_column(String(64))
    crawl_run_id: Mapped[int | None] = mapped_column(Integer)


class ArticleVersion(Base):
    """A superseded version of an article: its old values, what changed, and its capture."""

    __tablename__ = "article_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[datetime | None]
    valid_to: Mapped[datetime]
    changed_fields: Mapped[list[Any]] = mapped_column(default=list)
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text, default="")
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)  # every content column, JSON-ready
    capture_warc: Mapped[str | None] = mapped_column(String(1024))
    capture_offset: Mapped[int | None] = mapped_column(BigInteger)
    capture_length: Mapped[int | None] = mapped_column(BigInteger)
    capture_record_id: Mapped[str | None] = mapped_column(String(64))
    capture_digest: Mapped[str | None] = mapped_column(String(64))
    extractor_version: Mapped[str | None] = mapped_column(String(32))
    registry_sha256: Mapped[str | None] = mapped_column(String(64))
    crawl_run_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (UniqueConstraint("article_id", "version", name="uq_article_versions_article_version"),)


class SimhashBand(Base):
    """One band of an article's SimHash: near-duplicates share at least one (band, key)."""

    __tablename__ = "simhash_bands"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    band: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    key: Mapped[int] = mapped_column(Integer)
    # the article's whole hash (signed, as articles.simhash): compared without reading articles
    simhash: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_simhash_bands_band_key", "band", "key"),)


class CrawlJob(Base):
    """One site to crawl, queued for ``baotinh worker``; a lease while a worker crawls it."""

    __tablename__ = "crawl_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[str] = mapped_column(String(64))
    request: Mapped[str] = mapped_column(Text)  # the one-site CrawlRequest as JSON
    state: Mapped[str] = mapped_column(String(16))  # queued, leased, done, failed
    not_before: Mapped[datetime]
    enqueued_at: Mapped[datetime]
    lease_owner: Mapped[str | None] = mapped_column(String(255))
    lease_expires_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    exit_code: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str | None] = mapped_column(Text)


class CrawlLease(Base):
    """The lease log: every lease a worker took on a job, and how it ended."""

    __tablename__ = "crawl_leases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(Integer, index=True)
    site_id: Mapped[str] = mapped_column(String(64))
    owner: Mapped[str] = mapped_column(String(255))
    taken_at: Mapped[datetime]
    renewed_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(16))  # done, failed, released, lost, expired


# The origin of each imported capture (revision 0011): written by ``baotinh import warc`` and the
# web-archive backfill (pipeline.backfill.provenance), copied by ``db copy`` like every table here.
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
