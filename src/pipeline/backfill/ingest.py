"""Importing WARC records into the archive: the one entry point of ``baotinh import warc`` and of
the web-archive backfill.

Each record is sorted first: only ``response`` records with status 200 and HTML of a registered
site's article URL (legacy domains included) are articles; every other record is counted in the
run's ledger under ``skipped`` with an ``import_*`` reason. An article record is extracted as a
crawled page is (:func:`pipeline.crawling.workers.extract_page`, ``fetched_at`` = WARC-Date),
copied into the archive's own captures (:class:`~pipeline.archive.captures.WarcFileWriter`,
the same ``captures`` index, revisits for payloads already kept) and written by the store
(:func:`pipeline.archive.store.upsert_articles`) — or, when it is older than the archived copy,
placed in the article's history as an earlier version (:mod:`pipeline.backfill.earlier`). Its
provenance (source file or URL, record id, offset) goes to ``import_provenance``, whose unique
source key makes a second import of the same capture add nothing.

>>> with Importer(settings, registry=registry) as importer:     # doctest: +SKIP
...     importer.add_file(Path("demo.warc.gz"))
>>> importer.result.summary()                                  # doctest: +SKIP
'import: ok, 120 records in 1 file(s): 34 new, …'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.archive import db, store
from pipeline.archive.captures import Exchange, WarcFileWriter, WarcInfo, add_captures, find_original, sha1_base32
from pipeline.archive.models import Article
from pipeline.backfill import earlier
from pipeline.backfill.provenance import add_provenance, known_keys
from pipeline.backfill.result import ImportResult
from pipeline.backfill.source import WarcSource, expand_paths, iter_file
from pipeline.config import Settings
from pipeline.crawling import ledger
from pipeline.crawling.status import SkipReason
from pipeline.crawling.workers import ExtractionResult, FetchedPage, extract_page
from pipeline.errors import InputError
from pipeline.record import CaptureRef, StoreItem
from pipeline.registry.load import Registry, Site, load_registry

__all__ = ["Importer", "ImportResult", "WarcSource", "import_files", "import_records", "localise"]

BATCH = 50
# Ledger reasons of the records that are not articles (metric ``skipped``).
NOT_RESPONSE = "import_not_response"  # request, metadata, warcinfo, revisit, resource …
OFFSITE = "import_offsite"  # no registered site owns the host (or not one of the sites asked for)
NOT_ARTICLE = "import_not_article"  # the site's URL, but not its article pattern (listings, images)
NOT_HTML = "import_not_html"  # an article URL answered with something else than HTML
ALREADY = "already_imported"  # metric ``unchanged``: this capture was imported before
UNREADABLE = "import_unreadable"  # metric ``failed``: a file that cannot be read (to its end)


def localise(site: Site, origin: str) -> Site:
    """``site`` with ``origin``'s host and port as one of its hosts (a mirror, a local copy), so
    that records fetched from there are archived under the site's own domain."""
    from urllib.parse import urlsplit

    netloc = urlsplit(origin).netloc.lower()
    if not netloc:
        raise InputError(f"not an http(s) URL: {origin!r}")
    return dataclasses.replace(site, aliases=site.aliases + (netloc,))


@dataclass(slots=True)
class _Pending:
    source: WarcSource
    site: Site


class Importer:
    """One import run: records in (:meth:`add`, :meth:`add_file`), a :class:`ImportResult` out.

    ``sites`` limits the import to those registry ids; ``origin`` (with one site) is the host a
    mirror of that site was captured from. With ``run_id`` the caller owns the run (it started
    it and will finish it): the import only adds its ledger counts to it. ``note`` is provenance
    text stored with every record of this import.
    """

    def __init__(self, settings: Settings, *, registry: Registry | None = None, sites: Sequence[str] = (),
                 origin: str | None = None, run_id: int | None = None, args: dict[str, Any] | None = None,
                 note: str | None = None, batch_size: int = BATCH) -> None:
        self.settings = settings
        self.registry = registry or load_registry(*settings.registry_paths)
        self.sites = tuple(self.registry.get(s) for s in sites)  # UnknownSiteError for a wrong id
        if origin is not None and len(self.sites) != 1:
            raise InputError("--origin needs exactly one --site")
        self.origin_site = localise(self.sites[0], origin) if origin else None
        self.note = note
        self.batch_size = batch_size
        self.engine = db.make_engine(settings.database_url)
        db.upgrade(self.engine)
        self.sessions = db.make_sessionmaker(self.engine)
        self.own_run = run_id is None
        self._ledger: dict[ledger.LedgerKey, int] = {}
        self._synced: set[str] = set()
        self.result = ImportResult()
        self.result.run_id = run_id if run_id is not None else self._start_run(args or {})
        self.writer = WarcFileWriter(settings.archive_dir, prefix="import", info=WarcInfo(
            crawl_run=self.result.run_id, site=self.sites[0].id if len(self.sites) == 1 else None,
            robots="n/a", extra={"description": "records copied by baotinh import warc"}))
        self._pending: list[_Pending] = []
        self._keys: set[str] = set()
        self._digests: dict[str, CaptureRef] = {}
        self._closed = False

    def _start_run(self, args: dict[str, Any]) -> int:
        with self.sessions.begin() as session:
            site_id = None
            if len(self.sites) == 1:
                store.sync_source(session, self.sites[0])
                self._synced.add(self.sites[0].id)
                site_id = self.sites[0].id
            return store.start_run(session, site_id, args={"command": "import", **args})

    # -- records -------------------------------------------------------------------------
    def site_of(self, url: str) -> Site | None:
        """The site a record's URL belongs to (legacy domains and the mirror origin included)."""
        if self.origin_site is not None and self.origin_site.owns_host(_host(url)):
            return self.origin_site
        site = self.registry.for_url(url)
        if site is None or (self.sites and site.id not in {s.id for s in self.sites}):
            return None
        return site

    def add(self, source: WarcSource) -> None:
        """Sort one record: count it in the ledger, or queue it for the next batch."""
        self.result.records += 1
        site = self.site_of(source.url) if source.url else None
        site_id = site.id if site is not None else ""
        self._count(site_id, source.url, "discovered", "import")
        reason = self._skip_reason(source, site)
        if reason is not None:
            self.result.add_skip(reason)
            self._count(site_id, source.url, "skipped", reason)
            return
        assert site is not None
        self._pending.append(_Pending(source, site))
        if len(self._pending) >= self.batch_size:
            self.flush()

    def _skip_reason(self, source: WarcSource, site: Site | None) -> str | None:
        if source.rec_type != "response" or source.status is None:
            return NOT_RESPONSE
        if site is None:
            return OFFSITE
        if source.status != 200:
            return f"import_http_{source.status}"
        if not site.is_article_url(source.url):
            return NOT_ARTICLE
        ctype = source.content_type
        if ctype and "html" not in ctype:
            return NOT_HTML
        if source.date is None:
            return NOT_RESPONSE
        return None

    def add_all(self, sources: Iterable[WarcSource]) -> None:
        for source in sources:
            self.add(source)

    def add_file(self, path: Path) -> None:
        """Every record of one file; a file that cannot be read to its end is a failure of the
        run (the records read before the damage stand)."""
        self.result.files += 1
        try:
            self.add_all(iter_file(path))
        except InputError as exc:
            self.result.fail(str(path), str(exc))
            self._count("", "", "failed", UNREADABLE)

    # -- ledger --------------------------------------------------------------------------
    def _count(self, site_id: str, url: str, metric: str, reason: str = "") -> None:
        key = ledger.LedgerKey(site_id, ledger.section_of(url) if url else "", metric, reason)
        self._ledger[key] = self._ledger.get(key, 0) + 1

    # -- batches -------------------------------------------------------------------------
    def flush(self) -> None:
        """Extract the queued records, copy the articles' records into the captures, and write
        articles, capture index rows, provenance and ledger counts in one transaction."""
        pending, self._pending = self._pending, []
        with self.sessions() as session:
            known = known_keys(session, [p.source.key for p in pending])
            items = []
            for p in pending:
                key = p.source.key
                if key in known or key in self._keys:
                    self.result.known += 1
                    self._count(p.site.id, p.source.url, "unchanged", ALREADY)
                    continue
                self._keys.add(key)
                extracted = self._extract(p)
                if extracted is not None:
                    items.append((p, extracted, self._original(session, p.source)))
        written = [(p, r, self.writer.write_exchange(_exchange(p.source), original))
                   for p, r, original in items]
        for _p, _r, ref in written:
            if ref.rec_type == "response":
                self._digests.setdefault(ref.digest, ref)
        with self.sessions.begin() as session:
            add_captures(session, [ref for _p, _r, ref in written], run_id=self.result.run_id)
            rows = [self._write(session, p, r.store_item(ref)) for p, r, ref in written]
            add_provenance(session, rows)
            if self.result.run_id is not None:
                ledger.add_counts(session, self.result.run_id, self._ledger)
            self._ledger.clear()

    def _extract(self, p: _Pending) -> ExtractionResult | None:
        source = p.source
        headers = {k.lower(): v for k, v in source.headers}
        assert source.date is not None
        page = FetchedPage(url=source.url, body=source.body, status=200, headers=headers,
                           fetched_at=source.date, site=p.site)
        result = extract_page(page)
        if result.record is not None:
            self._count(p.site.id, source.url, "fetched")
            return result
        if result.error_type is not None:
            self.result.fail(source.url, result.error or "extraction failed")
            self._count(p.site.id, source.url, "failed", f"{SkipReason.EXTRACT_ERROR.value}:{result.error_type}")
            return None
        reason = SkipReason.NOT_HTML.value if not source.body.strip() else SkipReason.NOT_ARTICLE.value
        self.result.add_skip(reason)
        self._count(p.site.id, source.url, "skipped", reason)
        return None

    def _original(self, session: Session, source: WarcSource) -> CaptureRef | None:
        """The response record already holding this payload (the copy becomes a revisit)."""
        if not source.body:
            return None
        digest = sha1_base32(source.body)
        return self._digests.get(digest) or find_original(session, digest)

    def _write(self, session: Session, p: _Pending, item: StoreItem) -> dict[str, object]:
        """Write one article (new, updated, unchanged or an earlier version) and return its
        provenance row."""
        record = item.record
        if record.fetched_at is None:
            item = dataclasses.replace(item, record=dataclasses.replace(record, fetched_at=p.source.date))
            record = item.record
        site = self.registry.find(p.site.id) or p.site
        if site.id not in self._synced:
            store.sync_source(session, site)
            self._synced.add(site.id)
        outcome = _store(session, item, run_id=self.result.run_id)
        metric = {"earlier": "unchanged", "known": "unchanged"}.get(outcome, outcome)
        self._count(site.id, record.canonical_url, metric, "earlier_version" if outcome == "earlier" else "")
        setattr(self.result, outcome, getattr(self.result, outcome) + 1)
        source = p.source
        assert item.capture is not None
        return {
            "source_key": source.key, "source": source.source, "source_record_id": source.record_id or None,
            "source_offset": source.offset, "source_digest": source.payload_digest,
            "note": source.note or self.note, "uri": source.url, "captured_at": source.date,
            "canonical_url": record.canonical_url, "capture_record_id": item.capture.record_id,
            "outcome": outcome, "crawl_run_id": self.result.run_id, "imported_at": datetime.now(UTC),
        }

    # -- the end -------------------------------------------------------------------------
    def close(self, *, interrupted: bool = False) -> ImportResult:
        """Write what is queued, close the run (when the importer owns it) and the files."""
        if self._closed:
            return self.result
        self._closed = True
        try:
            if not interrupted:
                self.flush()
            self.result.interrupted = interrupted
            if self.own_run and self.result.run_id is not None:
                self._finish_run()
        finally:
            self.writer.close()
            self.engine.dispose()
        return self.result

    def _finish_run(self) -> None:
        r = self.result
        message = "; ".join(f"{where}: {why}" for where, why in r.failures[:3]) or None
        with self.sessions.begin() as session:
            if self._ledger and r.run_id is not None:
                ledger.add_counts(session, r.run_id, self._ledger)
                self._ledger.clear()
            assert r.run_id is not None
            store.finish_run(session, r.run_id, status=r.status.value, message=message, counts=store.RunCounts(
                pages_fetched=r.articles, articles_new=r.new, articles_updated=r.updated,
                articles_unchanged=r.unchanged + r.earlier + r.known, errors=r.failed))

    def __enter__(self) -> Importer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close(interrupted=exc is not None)


def _store(session: Session, item: StoreItem, *, run_id: int | None) -> str:
    """Write one imported article: ``new``, ``updated``, ``unchanged`` or ``earlier``."""
    record = item.record
    at = record.fetched_at
    current = session.scalars(select(Article).where(Article.canonical_url == record.canonical_url)).first()
    if current is not None and current.fetched_at is not None and at is not None and at < current.fetched_at:
        return earlier.place_earlier(session, current, item, run_id=run_id)
    last_seen = current.last_seen_at if current is not None else None
    counts = store.upsert_articles(session, [item], run_id=run_id, now=at)
    if current is not None and last_seen is not None and current.last_seen_at < last_seen:
        current.last_seen_at = last_seen  # a capture never makes the article seen less recently
    return "new" if counts.new else "updated" if counts.updated else "unchanged"


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).netloc.lower()


def _exchange(source: WarcSource) -> Exchange:
    """The record as the archive's WARC writer takes it: the answer as captured, at its date."""
    assert source.date is not None and source.status is not None
    return Exchange(url=source.url, status=source.status, reason=source.reason, protocol=source.protocol,
                    response_headers=source.headers, body=source.body, date=source.date)


def import_records(settings: Settings, records: Iterable[WarcSource], **options: Any) -> ImportResult:
    """Import ``records`` in one run (``options``: those of :class:`Importer`)."""
    importer = Importer(settings, **options)
    try:
        importer.add_all(records)
    except BaseException:
        importer.close(interrupted=True)
        raise
    return importer.close()


def import_files(settings: Settings, paths: Sequence[Path], **options: Any) -> ImportResult:
    """Import every WARC, WARC.gz and WACZ file of ``paths`` (folders searched) in one run.

    :class:`InputError` before anything starts when a path does not exist or holds no WARC file.
    """
    files = expand_paths(list(paths))
    if not files:
        raise InputError("no WARC file (*.warc, *.warc.gz, *.wacz) in " + ", ".join(str(p) for p in paths))
    importer = Importer(settings, **options)
    try:
        for path in files:
            importer.add_file(path)
    except BaseException:
        importer.close(interrupted=True)
        raise
    return importer.close()

