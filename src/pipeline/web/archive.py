"""Read-only access to the archive for the web UI: the engine, optional tables, raw captures.

The web UI never writes: SQLite files are opened with ``mode=ro`` (``immutable=1`` in a
read-only folder) and ``query_only``, and a missing one is never created;
PostgreSQL sessions run read-only transactions. Columns and tables added by later issues
(versions, WARC captures) are detected at start-up with SQLAlchemy's inspector, so the UI
shows them when the archive has them and works without them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, column, event, inspect, select, table
from sqlalchemy.orm import Session, sessionmaker

from pipeline.archive import db
from pipeline.archive.models import Article, AwareDateTime, JSONType, Source
from pipeline.archive.sqlite import install_sqlite_functions
from pipeline.config import Settings
from pipeline.errors import ArchiveError
from pipeline.text.dates import VN_TZ

__all__ = [
    "ArchiveFeatures",
    "CapturePayload",
    "ReadOnlyArchive",
    "detect_features",
    "fetch_article",
    "fetch_article_by_key",
    "inside_archive",
    "list_sources",
    "list_versions",
    "open_archive",
    "read_article_capture",
    "readonly_url",
]

VERSIONS_TABLE = "article_versions"
# Columns of a version shown in the article page, in this order, when the table has them.
VERSION_DISPLAY_COLUMNS = (
    "version", "valid_from", "valid_to", "fetched_at", "captured_at", "changed_at", "recorded_at",
    "title", "changed_fields", "word_count", "content_sha256", "extractor_version",
)
# Typed columns, so values come back as aware datetimes and lists on every backend.
_VERSION_TYPES: dict[str, Any] = {
    **{name: AwareDateTime() for name in ("valid_from", "valid_to", "fetched_at", "captured_at",
                                          "changed_at", "recorded_at")},
    "changed_fields": JSONType,
}
CAPTURE_COLUMNS = ("capture_warc", "capture_offset", "capture_length", "capture_record_id",
                   "capture_digest", "capture_payload_digest")
_CHARSET = re.compile(r"charset=\"?([A-Za-z0-9_.:-]+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ArchiveFeatures:
    """Which optional parts of the schema this archive has."""

    has_versions: bool = False
    capture_columns: tuple[str, ...] = ()
    # The columns of ``article_versions`` the article page shows (reflected once, at start-up).
    version_columns: tuple[str, ...] = ()

    @property
    def has_captures(self) -> bool:
        return {"capture_warc", "capture_offset"} <= set(self.capture_columns)


@dataclass(frozen=True, slots=True)
class ReadOnlyArchive:
    """An archive opened for reading: sessions, detected features and the capture folder."""

    engine: Engine
    sessions: sessionmaker[Session]
    features: ArchiveFeatures
    archive_dir: Path
    captures_dir: Path

    def close(self) -> None:
        self.engine.dispose()


def readonly_url(url: str) -> str:
    """The SQLite URL opened with ``mode=ro`` (and ``immutable=1`` on a read-only folder); others unchanged.

    >>> readonly_url("sqlite:///archive/baotinh.sqlite").startswith("sqlite:///file:archive/baotinh.sqlite?mode=ro")
    True
    """
    return db.readonly_url(url)


def _set_pg_read_only(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    cur.close()
    dbapi_conn.commit()


def open_archive(settings: Settings) -> ReadOnlyArchive:
    """Open the archive of ``settings`` read-only; raise :class:`ArchiveError` when it cannot be.

    A missing archive is :class:`~pipeline.errors.ArchiveMissingError` and nothing is created;
    the schema must be at the current revision: a read-only UI cannot migrate it.
    """
    engine = db.make_engine(settings.database_url, read_only=True)
    if engine.dialect.name != "sqlite":  # SQLite is query_only from make_engine already
        event.listen(engine, "connect", _set_pg_read_only)
    # The search core's SQL functions (a no-op when make_engine already installed them).
    install_sqlite_functions(engine, tune_reads=True)
    try:
        db.check_schema(engine)
        features = detect_features(engine)
    except ArchiveError:
        engine.dispose()
        raise
    except Exception as exc:
        engine.dispose()
        raise ArchiveError(f"cannot open the archive database {db.shown_url(engine.url)}: {exc}") from None
    return ReadOnlyArchive(
        engine=engine, sessions=db.make_sessionmaker(engine), features=features,
        archive_dir=settings.capture_root, captures_dir=settings.captures_dir,
    )


def detect_features(engine: Engine) -> ArchiveFeatures:
    """Inspect the schema for the versions table and the articles' capture columns."""
    inspector = inspect(engine)
    columns = {c["name"] for c in inspector.get_columns("articles")}
    version_columns: tuple[str, ...] = ()
    has_versions = inspector.has_table(VERSIONS_TABLE)
    if has_versions:
        present = [c["name"] for c in inspector.get_columns(VERSIONS_TABLE)]
        if "article_id" in present:
            version_columns = tuple(c for c in VERSION_DISPLAY_COLUMNS if c in present) or tuple(
                c for c in present if c not in ("id", "article_id", "text", "data"))
    return ArchiveFeatures(
        has_versions=has_versions,
        capture_columns=tuple(c for c in CAPTURE_COLUMNS if c in columns),
        version_columns=version_columns,
    )


def list_sources(session: Session) -> list[Source]:
    """Every paper of the archive, by name."""
    return list(session.scalars(select(Source).order_by(Source.name, Source.id)))


def _display_value(value: Any) -> Any:
    if isinstance(value, datetime):
        # SQLite keeps datetimes as naive UTC (see models.AwareDateTime).
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(VN_TZ)
    return value


def list_versions(session: Session, features: ArchiveFeatures,
                  article_id: int) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    """The column names shown and the rows of ``article_versions`` for one article, oldest first."""
    shown = features.version_columns
    if not features.has_versions or not shown:
        return (), []
    versions = table(VERSIONS_TABLE, *[column(c, _VERSION_TYPES.get(c)) for c in {*shown, "article_id", "id"}])
    order = versions.c.version if "version" in shown else versions.c.id
    rows = session.execute(
        select(*[versions.c[c] for c in shown]).where(versions.c.article_id == article_id).order_by(order)
    ).all()
    return shown, [tuple(_display_value(v) for v in row) for row in rows]


@dataclass(frozen=True, slots=True)
class CapturePayload:
    """The HTTP payload of an article's capture, decoded from its content-encoding."""

    body: bytes
    charset: str
    uri: str | None


def inside_archive(root: Path, relative: str) -> bool:
    try:
        return (root / relative).resolve().is_relative_to(root.resolve())
    except (OSError, ValueError):
        return False


def read_article_capture(archive: ReadOnlyArchive, session: Session, article: Article) -> CapturePayload | None:
    """The payload of the response record an article was extracted from; ``None`` without one.

    Follows a ``revisit`` to its original through the ``captures`` index (issue 5's reader);
    a WARC path leading outside the archive folder, or an unreadable record, gives ``None``.
    """
    from pipeline.archive.captures import find_capture, read_capture, read_member, read_record

    if not archive.features.has_captures:
        return None
    warc = getattr(article, "capture_warc", None)
    offset = getattr(article, "capture_offset", None)
    length = getattr(article, "capture_length", None)
    record_id = getattr(article, "capture_record_id", None)
    if not warc or offset is None or not inside_archive(archive.archive_dir, warc):
        return None
    try:
        ref = find_capture(session, record_id) if record_id else None
        if ref is not None and inside_archive(archive.archive_dir, ref.warc):
            response = read_capture(archive.archive_dir, ref, session)
            headers, body, uri = response.headers, response.body, response.uri
        elif length:
            record, _raw, body = read_record(read_member(archive.archive_dir, warc, int(offset), int(length)))
            if record.rec_type != "response":
                return None
            headers = {k.lower(): v for k, v in (record.http_headers.headers if record.http_headers else [])}
            uri = record.rec_headers.get_header("WARC-Target-URI")
        else:
            return None
    except ArchiveError:
        return None
    match = _CHARSET.search(headers.get("content-type", ""))
    return CapturePayload(body=body, charset=match.group(1) if match else "utf-8", uri=uri)


def fetch_article(session: Session, article_id: int) -> tuple[Article, Source | None] | None:
    """An article and its paper, or ``None``."""
    article = session.get(Article, article_id)
    if article is None:
        return None
    return article, session.get(Source, article.site) if article.site else None


def fetch_article_by_key(session: Session, key: str) -> tuple[Article, Source | None] | None:
    """An article by its stable key (revision 0009), and its paper; ``None`` when none has it."""
    article = session.scalars(select(Article).where(Article.key == key).limit(1)).first()
    if article is None:
        return None
    return article, session.get(Source, article.site) if article.site else None
