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
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from pipeline.archive import db, store
from pipeline.archive.captures import Exchange, WarcFileWriter, WarcInfo, add_captures, find_original, sha1_base32
from pipeline.archive.models import Article
from pipeline.archive.transactions import in_transaction
from pipeline.backfill import earlier
from pipeline.backfill.provenance import add_provenance, known_keys
from pipeline.backfill.result import ImportResult
from pipeline.backfill.source import WarcSource, expand_paths, iter_file
from pipeline.config import Settings
from pipeline.crawling import ledger
from pipeline.crawling.status import SkipReason
from pipeline.crawling.workers import ExtractionPool, ExtractionResult, FetchedPage, extract_page
from pipeline.errors import InputError
from pipeline.record import CaptureRef, StoreItem
from pipeline.registry.load import Registry, Site, load_registry

__all__ = ["Importer", "ImportResult", "WarcSource", "import_files", "import_records", "localise"]

BATCH = 50
# Ledger reasons of the records that are not articles (metric ``skipped``).
NOT_RESPONSE = "import_not_response"  # request, metadata, warcinfo, resource …
REVISIT = "import_revisit"  # a revisit record (the payload is another record's): no page of its own
OFFSITE = "import_offsite"  # no registered site owns the host (or not one of the sites asked for)
NOT_ARTICLE = "import_not_article"  # the site's URL, but not its article pattern (listings, images)
NOT_HTML = "import_not_html"  # an article URL answered with something else than HTML
ALREADY = "already_imported"  # metric ``unchanged``: this capture was imported before
UNREADABLE = "import_unreadable"  # metric ``not_followed``: a file that cannot be read (to its end)


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


@dataclass(slots=True)
class _Attempt:
    """What one attempt of a batch's transaction wrote. PostgreSQL may abort the attempt (a
    deadlock victim) and :func:`in_transaction` run it again: only the committed attempt is
    added to the run's counts, so a batch run twice counts once."""

    outcomes: list[tuple[_Pending, StoreItem, str]]
    synced: set[str]


class Importer:
    """One import run: records in (:meth:`add`, :meth:`add_file`), a :class:`ImportResult` out.

    ``sites`` limits the import to those registry ids; ``origin`` (with one site) is the host a
    mirror of that site was captured from. With ``run_id`` the caller owns the run (it started
    it and will finish it): the import only adds its ledger counts to it. ``note`` is provenance
    text stored with every record of this import.
    """

    def __init__(self, settings: Settings, *, registry: Registry | None = None, sites: Sequence[str] = (),
                 origin: str | None = None, run_id: int | None = None, args: dict[str, Any] | None = None,
                 note: str | None = None, batch_size: int = BATCH, workers: int = 0) -> None:
        self.settings = settings
        self.registry = registry or load_registry(*settings.registry_paths)
        self.sites = tuple(self.registry.get(s) for s in sites)  # UnknownSiteError for a wrong id
        if origin is not None and len(self.sites) != 1:
            raise InputError("--origin needs exactly one --site")
        self.origin_site = localise(self.sites[0], origin) if origin else None
        self.note = note
        self.batch_size = batch_size
        # extraction processes (0: in this process); spawned on the first batch
        self.workers = workers
        self._pool: ExtractionPool | None = None
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
        site = self.sites[0] if len(self.sites) == 1 else None

        def start(session: Session) -> int:
            if site is not None:
                store.sync_source(session, site)
            return store.start_run(session, site.id if site else None, args={"command": "import", **args})

        run_id = in_transaction(self.sessions, start)
        if site is not None:
            self._synced.add(site.id)
        return run_id

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
        if source.rec_type == "revisit":
            return REVISIT
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
            message, named = str(exc), f"{path.resolve()}: "
            self.result.fail(str(path), message.removeprefix(named))
            # not an article's outcome (no record was discovered): the ledger's accounts still add up
            self._count("", "", ledger.NOT_FOLLOWED, UNREADABLE)

    # -- ledger --------------------------------------------------------------------------
    def _count(self, site_id: str, url: str, metric: str, reason: str = "",
               into: dict[ledger.LedgerKey, int] | None = None) -> None:
        counts = self._ledger if into is None else into
        key = ledger.LedgerKey(site_id, ledger.section_of(url) if url else "", metric, reason)
        counts[key] = counts.get(key, 0) + 1

    # -- batches -------------------------------------------------------------------------
    def flush(self) -> None:
        """Extract the queued records, copy the articles' records into the captures, and write
        articles, capture index rows, provenance and ledger counts in one transaction.

        The transaction is run again when PostgreSQL aborts it as a deadlock victim (another
        writer on the same archive); the records are copied into the captures once, before it,
        and the batch is counted once, after its commit.
        """
        pending, self._pending = self._pending, []
        extracted = self._extract_all(self._drop_known(pending))
        with self.sessions() as session:  # a short read: which payloads the captures hold already
            originals = [self._original(session, p.source) for p, _r in extracted]
        # on disk before the index rows that point at them (as the crawler's captures)
        written = [(p, r.store_item(self.writer.write_exchange(_exchange(p.source), original)))
                   for (p, r), original in zip(extracted, originals, strict=True)]
        done = in_transaction(self.sessions, lambda session: self._write_batch(session, written))
        # committed: the counts of the attempt that was, the payloads the captures now index
        self._ledger.clear()
        self._synced |= done.synced
        for _p, _item, outcome in done.outcomes:
            setattr(self.result, outcome, getattr(self.result, outcome) + 1)
        for _p, item in written:
            if item.capture is not None and item.capture.rec_type == "response":
                self._digests.setdefault(item.capture.digest, item.capture)

    def _write_batch(self, session: Session, written: list[tuple[_Pending, StoreItem]]) -> _Attempt:
        """One attempt of a batch's transaction; it changes nothing of the importer's own state
        (counts, ledger, synced sites): :meth:`flush` adds what the committed attempt did."""
        add_captures(session, [i.capture for _p, i in written if i.capture is not None], run_id=self.result.run_id)
        attempt = _Attempt(outcomes=[], synced=set())
        deltas = dict(self._ledger)
        rows = []
        for p, item, outcome in self._write_items(session, written, attempt):
            metric = "unchanged" if outcome == earlier.EARLIER else outcome
            reason = "earlier_version" if outcome == earlier.EARLIER else ""
            self._count(p.site.id, item.record.canonical_url, metric, reason, into=deltas)
            rows.append(self._provenance(p, item, outcome))
        add_provenance(session, rows)
        if self.result.run_id is not None:
            ledger.add_counts(session, self.result.run_id, deltas)
        return attempt

    def _drop_known(self, pending: list[_Pending]) -> list[_Pending]:
        """The records not imported before (nor earlier in this run); the others are counted."""
        with self.sessions() as session:
            known = known_keys(session, [p.source.key for p in pending])
        fresh = []
        for p in pending:
            key = p.source.key
            if key in known or key in self._keys:
                self.result.known += 1
                self._count(p.site.id, p.source.url, "unchanged", ALREADY)
            else:
                self._keys.add(key)
                fresh.append(p)
        return fresh

    def _extract_all(self, pending: list[_Pending]) -> list[tuple[_Pending, ExtractionResult]]:
        """Extract the pages (in worker processes with ``workers``, a share each); the records
        without an article are counted and left out."""
        pages = [_page(p) for p in pending]
        if self.workers > 0 and len(pages) > 1:
            if self._pool is None:
                self._pool = ExtractionPool(self.workers)
            share = -(-len(pages) // self.workers)
            futures = [self._pool.submit_batch(pages[i:i + share]) for i in range(0, len(pages), share)]
            results = [r for f in futures for r in f.result()]
        else:
            results = [extract_page(page) for page in pages]
        return [(p, r) for p, r in zip(pending, results, strict=True) if self._extracted(p, r)]

    def _extracted(self, p: _Pending, result: ExtractionResult) -> bool:
        """Count one extraction in the ledger; whether it gave an article."""
        source = p.source
        if result.record is not None:
            self._count(p.site.id, source.url, "fetched")
            return True
        if result.error_type is not None:
            self.result.fail(source.url, result.error or "extraction failed")
            self._count(p.site.id, source.url, "failed", f"{SkipReason.EXTRACT_ERROR.value}:{result.error_type}")
            return False
        reason = SkipReason.NOT_HTML.value if not source.body.strip() else SkipReason.NOT_ARTICLE.value
        self.result.add_skip(reason)
        self._count(p.site.id, source.url, "skipped", reason)
        return False

    def _original(self, session: Session, source: WarcSource) -> CaptureRef | None:
        """The response record already holding this payload (the copy becomes a revisit)."""
        if not source.body:
            return None
        digest = sha1_base32(source.body)
        return self._digests.get(digest) or find_original(session, digest)

    def _write_items(self, session: Session, written: list[tuple[_Pending, StoreItem]],
                     attempt: _Attempt) -> list[tuple[_Pending, StoreItem, str]]:
        """Write the batch's articles; each with its outcome (also kept in ``attempt``).

        Articles the archive does not hold yet are inserted together (one upsert, then dated by
        their captures); the others one by one, in order, as updates or earlier versions.
        """
        items = [(p, self._prepared(session, p, item, attempt.synced)) for p, item in written]
        urls = [item.record.canonical_url for _p, item in items]
        held = set(session.scalars(select(Article.canonical_url).where(Article.canonical_url.in_(urls))))
        fresh: dict[str, tuple[_Pending, StoreItem]] = {}
        later: list[tuple[_Pending, StoreItem]] = []
        for p, item in items:
            url = item.record.canonical_url
            if url in held or url in fresh:
                later.append((p, item))
            else:
                fresh[url] = (p, item)
        outcomes: list[tuple[_Pending, StoreItem, str]] = []
        if fresh:
            store.upsert_articles(session, [item for _p, item in fresh.values()], run_id=self.result.run_id)
            _date_new(session, [item for _p, item in fresh.values()])
            outcomes += [(p, item, "new") for p, item in fresh.values()]
        outcomes += [(p, item, _store(session, item, run_id=self.result.run_id)) for p, item in later]
        attempt.outcomes = outcomes
        return outcomes

    def _prepared(self, session: Session, p: _Pending, item: StoreItem, synced: set[str]) -> StoreItem:
        """The item dated by its capture, its site's ``sources`` row in place (``synced``: the
        sites synced by this attempt, which count only once it is committed)."""
        if item.record.fetched_at is None:
            item = dataclasses.replace(item, record=dataclasses.replace(item.record, fetched_at=p.source.date))
        site = self.registry.find(p.site.id) or p.site
        if site.id not in self._synced and site.id not in synced:
            store.sync_source(session, site)
            synced.add(site.id)
        return item

    def _provenance(self, p: _Pending, item: StoreItem, outcome: str) -> dict[str, object]:
        """The provenance row of one written article."""
        record, source = item.record, p.source
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
            if self._pool is not None:
                self._pool.close(wait=not interrupted)
            self.writer.close()
            self.engine.dispose()
        return self.result

    def _finish_run(self) -> None:
        r = self.result
        assert r.run_id is not None
        run_id = r.run_id
        message = "; ".join(f"{where}: {why}" for where, why in r.failures[:3]) or None
        counts = store.RunCounts(pages_fetched=r.articles, articles_new=r.new, articles_updated=r.updated,
                                 articles_unchanged=r.unchanged + r.earlier + r.known, errors=r.failed)

        def finish(session: Session) -> None:
            ledger.add_counts(session, run_id, self._ledger)
            store.finish_run(session, run_id, status=r.status.value, message=message, counts=counts)

        in_transaction(self.sessions, finish)
        self._ledger.clear()

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


def _date_new(session: Session, items: list[StoreItem]) -> None:
    """Articles first known from a capture were first seen, and current since, its date."""
    table = cast(Table, Article.__table__)
    stmt = (update(table).where(table.c.canonical_url == bindparam("b_url"))
            .values(first_seen_at=bindparam("at"), last_seen_at=bindparam("at"), version_since=bindparam("at")))
    session.execute(stmt, [{"b_url": i.record.canonical_url, "at": i.record.fetched_at} for i in items])


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).netloc.lower()


def _page(p: _Pending) -> FetchedPage:
    """A record as the extraction workers take a fetched page (``fetched_at`` = WARC-Date)."""
    source = p.source
    assert source.date is not None
    return FetchedPage(url=source.url, body=source.body, status=200, fetched_at=source.date, site=p.site,
                       headers={k.lower(): v for k, v in source.headers})


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

