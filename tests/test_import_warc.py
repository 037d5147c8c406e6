"""``baotinh import warc`` (issue 17, items 1 and 3): WARCs made by other tools into the archive.

Acceptance 1: a WARC made by real ``wget --warc-file`` of the served demo paper imports as its 34
articles, with fetched_at = WARC-Date and provenance (file, record id, offset); a second import
adds nothing. One live copy and one archived copy of an article are one record with versions
ordered by capture time, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import io
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline.archive import db
from pipeline.archive.models import Article, ArticleVersion
from pipeline.backfill.ingest import Importer, ImportResult, import_files, import_records
from pipeline.backfill.provenance import provenance_of
from pipeline.backfill.source import WarcSource
from pipeline.config import Settings
from pipeline.crawling import ledger
from pipeline.demo.site import DemoSite
from pipeline.errors import InputError
from tests.conftest import IN_CI, CliResult, MigratedSqlite, ServedSite, run_cli, start_demo_server
from tests.test_hostile_scope import query

DEMO_ARTICLES = 34
LEGACY_HOST = "demo-cu.baotinh.test"  # the demo paper's former domain (demo/registry.toml)


# -- fixtures: one served paper, one wget WARC, one import per module ---------------------------
@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedSite]:
    from pipeline.demo import site as demo_site

    folder = tmp_path_factory.mktemp("served")
    shutil.copytree(Path(demo_site.__file__).parent / "articles", folder / "articles")
    site = start_demo_server(folder / "articles")
    try:
        yield site
    finally:
        site.stop()


@pytest.fixture(scope="module")
def wget_warc(served: ServedSite, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The served demo paper mirrored by real wget into a WARC (``--warc-file``)."""
    if shutil.which("wget") is None:
        if IN_CI:
            pytest.fail("wget is not installed (CI=true: `make test` installs it)")
        pytest.skip("wget is not installed (apt-get install wget; `make test` does it as root)")
    folder = tmp_path_factory.mktemp("wget")
    # no keep-alive: the demo server's keep-alive answers wait on delayed ACKs (about 40 ms each)
    subprocess.run(["wget", "--recursive", "--level=inf", "--no-parent", "--no-http-keep-alive", "--quiet",
                    "--delete-after", f"--directory-prefix={folder / 'mirror'}",
                    f"--warc-file={folder / 'demo'}", served.base_url + "/"],
                   check=False, timeout=120, cwd=folder)  # wget exits 8 on the demo's deliberate 404s
    warc = folder / "demo.warc.gz"
    assert warc.exists(), "wget wrote no WARC"
    return warc


@pytest.fixture(scope="module")
def imported(served: ServedSite, wget_warc: Path,
             tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CliResult, ImportResult]:
    """The wget WARC imported twice into one archive: through the command line, then again
    through the library (the command's own function, without a second interpreter start)."""
    archive = tmp_path_factory.mktemp("archive")
    first = run_cli("import", "warc", str(wget_warc), "--site", "demo", "--origin", served.base_url,
                    archive=archive)
    second = import_files(Settings(archive_dir=archive), [wget_warc], sites=["demo"], origin=served.base_url)
    return archive, first, second


def article_records(warc: Path) -> dict[str, tuple[str, str, int]]:
    """URL → (WARC-Date, WARC-Record-ID, offset) of the response records of article pages."""
    out: dict[str, tuple[str, str, int]] = {}
    with open(warc, "rb") as fh:
        records = ArchiveIterator(fh)
        for record in records:
            uri = record.rec_headers.get_header("WARC-Target-URI") or ""
            if record.rec_type == "response" and uri.endswith(".html"):
                record.content_stream().read()
                out[uri] = (record.rec_headers.get_header("WARC-Date"), record.rec_headers.get_header("WARC-Record-ID"),
                            records.get_record_offset())
    return out


# -- acceptance 1 ----------------------------------------------------------------------------
def test_a_wget_warc_of_the_demo_paper_imports_as_its_34_articles(
        imported: tuple[Path, CliResult, ImportResult]) -> None:
    archive, first, _second = imported
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"{DEMO_ARTICLES} new" in first.stdout
    rows = query(archive, "SELECT canonical_url, site FROM articles")
    assert len(rows) == DEMO_ARTICLES
    # the mirror's host is the demo paper's: archived under its own domain
    assert all(str(url).startswith("http://demo.baotinh.test/") and site == "demo" for url, site in rows)


def test_fetched_at_is_the_warc_date_and_provenance_names_file_record_and_offset(
        imported: tuple[Path, CliResult, ImportResult], wget_warc: Path, served: ServedSite) -> None:
    archive = imported[0]
    records = article_records(wget_warc)
    rows = query(archive, "SELECT p.uri, p.source, p.source_record_id, p.source_offset, a.fetched_at, "
                          "a.capture_record_id, p.capture_record_id FROM import_provenance p "
                          "JOIN articles a ON a.canonical_url = p.canonical_url")
    assert len(rows) == DEMO_ARTICLES
    for uri, source, record_id, offset, fetched_at, capture, copied in rows:
        date, expected_id, expected_offset = records[str(uri)]
        assert source == str(wget_warc.resolve())
        assert (record_id, offset) == (expected_id, expected_offset)
        warc_date = datetime.fromisoformat(date.replace("Z", "+00:00"))
        assert datetime.fromisoformat(str(fetched_at)).replace(tzinfo=UTC) == warc_date
        assert capture == copied  # the article points at the copy in the archive's captures
    # the offset leads to that very record in the source file
    uri, _source, record_id, offset = rows[0][:4]
    with open(wget_warc, "rb") as fh:
        fh.seek(int(str(offset)))
        record = next(iter(ArchiveIterator(fh)))
        assert record.rec_headers.get_header("WARC-Record-ID") == record_id


def test_a_second_import_of_the_same_file_adds_nothing(imported: tuple[Path, CliResult, ImportResult]) -> None:
    archive, _first, second = imported
    assert second.exit_code == 0, second.summary()
    assert "0 new" in second.summary() and f"{DEMO_ARTICLES} already imported" in second.summary()
    assert query(archive, "SELECT count(*) FROM articles") == [(DEMO_ARTICLES,)]
    assert query(archive, "SELECT count(*) FROM captures") == [(DEMO_ARTICLES,)]
    assert query(archive, "SELECT count(*) FROM import_provenance") == [(DEMO_ARTICLES,)]
    assert len(list((archive / "captures").glob("*.warc.gz"))) == 1


def test_every_other_record_is_counted_in_the_runs_ledger(imported: tuple[Path, CliResult, ImportResult]) -> None:
    archive = imported[0]
    engine = db.make_engine(f"sqlite:///{archive / 'baotinh.sqlite'}")
    try:
        with db.make_sessionmaker(engine)() as session:
            totals = ledger.totals_by_metric(ledger.read_ledger(session, 1))
            assert ledger.check_run_accounts(session, 1) is None  # every record ends in one outcome
            assert ledger.get_run(session, 1).status == "ok"  # type: ignore[union-attr]
            second = ledger.totals_by_metric(ledger.read_ledger(session, 2))
    finally:
        engine.dispose()
    assert totals["new"] == {"": DEMO_ARTICLES}
    skipped = totals["skipped"]
    assert skipped["import_not_response"] > 0  # wget's requests, warcinfo, its log
    assert skipped["import_not_article"] > 0  # home, sections, feeds, sitemaps, robots.txt
    assert sum(totals["discovered"].values()) == DEMO_ARTICLES + sum(skipped.values())
    assert second["unchanged"] == {"already_imported": DEMO_ARTICLES}


def test_the_copied_records_pass_verify(imported: tuple[Path, CliResult, ImportResult]) -> None:
    from pipeline.archive.fixity import verify_archive

    archive = imported[0]
    engine = db.make_engine(f"sqlite:///{archive / 'baotinh.sqlite'}")
    try:
        with db.make_sessionmaker(engine)() as session:
            report = verify_archive(session, archive)  # what `baotinh verify` runs
    finally:
        engine.dispose()
    assert report.ok and report.records == DEMO_ARTICLES and report.files == 1


def test_a_wacz_holding_the_same_warc_is_the_same_records(imported: tuple[Path, CliResult, ImportResult],
                                                          wget_warc: Path, served: ServedSite, tmp_path: Path) -> None:
    wacz = tmp_path / "demo.wacz"
    with zipfile.ZipFile(wacz, "w") as z:
        z.write(wget_warc, "archive/data.warc.gz")
        z.writestr("datapackage.json", "{}")
    archive = tmp_path / "copy"
    shutil.copytree(imported[0], archive)
    result = import_files(Settings(archive_dir=archive), [wacz], sites=["demo"], origin=served.base_url)
    assert (result.new, result.known, result.failed) == (0, DEMO_ARTICLES, 0)


def test_a_file_cut_short_keeps_what_was_read_and_says_so(imported: tuple[Path, CliResult, ImportResult],
                                                          wget_warc: Path, served: ServedSite, tmp_path: Path) -> None:
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(wget_warc.read_bytes()[:wget_warc.stat().st_size * 2 // 3])
    archive = tmp_path / "copy"
    shutil.copytree(imported[0], archive)
    result = import_files(Settings(archive_dir=archive), [cut], sites=["demo"], origin=served.base_url)
    assert result.exit_code == 3 and result.status == "partial"
    assert 0 < result.known < DEMO_ARTICLES and result.failed == 1
    assert "cut short" in result.failures[0][1]
    engine = db.make_engine(f"sqlite:///{archive / 'baotinh.sqlite'}")
    try:
        with db.make_sessionmaker(engine)() as session:
            assert ledger.check_run_accounts(session, result.run_id or 0) is None
            totals = ledger.totals_by_metric(ledger.read_ledger(session, result.run_id or 0))
    finally:
        engine.dispose()
    assert totals[ledger.NOT_FOLLOWED] == {"import_unreadable": 1}


def test_unreadable_inputs_are_one_error_line(tmp_path: Path) -> None:
    (tmp_path / "notes.warc").write_text("not a WARC\n")
    garbage = run_cli("import", "warc", str(tmp_path / "notes.warc"), archive=tmp_path / "a")
    assert garbage.returncode == 2 and "not a readable WARC file" in garbage.stderr
    assert "Traceback" not in garbage.stderr
    with pytest.raises(InputError, match="no such file or folder"):
        import_files(Settings(archive_dir=tmp_path / "a"), [tmp_path / "nope.warc.gz"])


# -- one article across copies (item 3) --------------------------------------------------------
def legacy_copy(warc: Path, out: Path, *, origin: str, days: int, edited: set[str]) -> Path:
    """``warc`` as if captured ``days`` earlier under the paper's former domain; the article
    pages whose path is in ``edited`` carry one paragraph fewer (an earlier edition)."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    with open(warc, "rb") as fh:
        for record in ArchiveIterator(fh):
            uri = record.rec_headers.get_header("WARC-Target-URI") or ""
            if record.rec_type != "response" or not uri.startswith(origin):
                continue
            path = uri[len(origin):]
            body = record.content_stream().read()
            if path in edited:
                start = body.index(b"<p>", body.index(b"<article"))
                body = body[:start] + body[body.index(b"</p>", start) + 4:]
            headers = [(k, v) for k, v in record.http_headers.headers if k.lower() != "content-length"]
            date = datetime.fromisoformat(record.rec_headers.get_header("WARC-Date").replace("Z", "+00:00"))
            writer.write_record(writer.create_warc_record(
                f"http://{LEGACY_HOST}{path}", "response", payload=io.BytesIO(body),
                http_headers=StatusAndHeaders(record.http_headers.statusline, headers, protocol="HTTP/1.1"),
                warc_headers_dict={"WARC-Date": (date - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")}))
    out.write_bytes(buffer.getvalue())
    return out


LISTED = 3  # article pages of the live crawl of exactly the pages listed


@pytest.fixture(scope="module")
def listed(served: ServedSite, wget_warc: Path,
           tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CliResult, list[str], set[str]]:
    """A live ``crawl --urls -`` (the list on stdin) of three articles, a listing page and a page
    that is not there, from the served paper as its mirror; the paths the server was asked for."""
    archive = tmp_path_factory.mktemp("listed")
    paths = [a.path for a in DemoSite(served.articles_dir).articles()[:LISTED]]
    listing = f"# pages to archive\n\n{served.base_url}/chinh-tri  # a listing\n{served.base_url}/khong-co-123.html\n"
    text = "".join(f"{served.base_url}{p}\n" for p in paths) + listing
    asked_before = len(served.requests())
    result = run_cli("crawl", "demo", "--origin", served.base_url, "--urls", "-", "--delay", "0.01",
                     "--workers", "0", archive=archive, input=text.encode())
    asked = [str(r["path"]) for r in served.requests()[asked_before:]]
    return archive, result, asked, set(paths)


def test_crawl_urls_fetches_exactly_the_listed_pages(listed: tuple[Path, CliResult, list[str], set[str]]) -> None:
    archive, result, asked, paths = listed
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{LISTED} new" in result.stdout
    assert "/robots.txt" in asked  # obeyed (asked by Scrapy's middleware and by the spider)
    pages = sorted(a for a in asked if a != "/robots.txt")
    assert pages == sorted(["/chinh-tri", "/khong-co-123.html", *paths])  # each once, no link followed
    assert sorted(str(u) for (u,) in query(archive, "SELECT canonical_url FROM articles")) == sorted(
        f"http://demo.baotinh.test{p}" for p in paths)
    engine = db.make_engine(f"sqlite:///{archive / 'baotinh.sqlite'}")
    try:
        with db.make_sessionmaker(engine)() as session:
            totals = ledger.totals_by_metric(ledger.read_ledger(session, 1))
            assert ledger.check_run_accounts(session, 1) is None
    finally:
        engine.dispose()
    assert totals["discovered"] == {"url_list": LISTED + 2}
    assert totals["skipped"] == {"not_article": 1} and totals["withdrawn"] == {"http_404": 1}


def test_an_older_capture_under_the_legacy_domain_becomes_an_earlier_version(
        listed: tuple[Path, CliResult, list[str], set[str]], served: ServedSite, wget_warc: Path,
        tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    shutil.copytree(listed[0], archive)
    edited = listed[3]  # the live crawl's articles: their older edition had one paragraph fewer
    before = dict(query(archive, "SELECT canonical_url, id FROM articles"))
    old = legacy_copy(wget_warc, tmp_path / "old.warc.gz", origin=served.base_url, days=400, edited=edited)
    result = import_files(Settings(archive_dir=archive), [old])  # every site; the alias maps it
    assert (result.new, result.updated, result.earlier, result.unchanged) == (DEMO_ARTICLES - LISTED, 0, LISTED, 0)
    after = dict(query(archive, "SELECT canonical_url, id FROM articles"))
    assert len(after) == DEMO_ARTICLES and {u: after[u] for u in before} == before  # same rows
    engine = db.make_engine(f"sqlite:///{archive / 'baotinh.sqlite'}")
    try:
        with db.make_sessionmaker(engine)() as session:
            for article in session.scalars(select(Article)):
                path = article.canonical_url.removeprefix("http://demo.baotinh.test")
                olds = session.scalars(select(ArticleVersion).where(ArticleVersion.article_id == article.id)
                                       .order_by(ArticleVersion.version)).all()
                assert article.version_since is not None and article.fetched_at is not None
                if path in edited:  # the older edition is version 1, the live one stays current
                    assert [v.version for v in olds] == [1] and article.version == 2
                    assert olds[0].valid_from is not None
                    assert olds[0].valid_from < article.fetched_at - timedelta(days=399)
                    assert olds[0].valid_to == article.version_since
                    assert len(olds[0].text) < len(article.text)
                else:  # known from the older capture alone
                    assert olds == [] and article.version == 1
                    assert article.version_since == article.fetched_at
                assert [p.outcome for p in provenance_of(session, article.canonical_url)] == [
                    "earlier" if path in edited else "new"]
    finally:
        engine.dispose()


# -- versions by capture time, on both databases -----------------------------------------------
def demo_record(path: str, when: datetime, *, drop_paragraphs: int = 0, key: str) -> WarcSource:
    """A WARC response record of one demo article page as captured at ``when``."""
    page = DemoSite().render(path, host="demo.baotinh.test")
    body = page.body
    for _ in range(drop_paragraphs):
        start = body.index(b"<p>", body.index(b"<article"))
        body = body[:start] + body[body.index(b"</p>", start) + 4:]
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=False)
    writer.write_record(writer.create_warc_record(
        f"http://demo.baotinh.test{path}", "response", payload=io.BytesIO(body),
        http_headers=StatusAndHeaders("200 OK", [("Content-Type", page.content_type)], protocol="HTTP/1.1"),
        warc_headers_dict={"WARC-Date": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "WARC-Source-URI": key}))
    return WarcSource.from_bytes(buffer.getvalue(), source=key)


def test_versions_follow_capture_time_whatever_the_import_order(engine: Engine, tmp_path: Path) -> None:
    settings = Settings(archive_dir=tmp_path, db_url=engine.url.render_as_string(hide_password=False))
    path = DemoSite().articles()[0].path
    t = [datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=30 * i) for i in range(4)]
    # edition A (two paragraphs fewer) at t0, B (one fewer) at t1, C (as served) at t2 and t3
    a, b = (demo_record(path, t[0], drop_paragraphs=2, key="a"), demo_record(path, t[1], drop_paragraphs=1, key="b"))
    c2, c3 = demo_record(path, t[2], key="c2"), demo_record(path, t[3], key="c3")
    first = import_records(settings, [c3], sites=["demo"])
    later = import_records(settings, [a, c2, b, dataclasses.replace(a)], sites=["demo"])
    assert (first.new, later.new, later.earlier, later.unchanged, later.known) == (1, 0, 2, 1, 1)
    with db.make_sessionmaker(engine)() as session:
        article = session.scalars(select(Article)).one()
        rows = session.scalars(select(ArticleVersion).where(ArticleVersion.article_id == article.id)
                               .order_by(ArticleVersion.version)).all()
        assert [(r.version, r.valid_from, r.valid_to) for r in rows] == [(1, t[0], t[1]), (2, t[1], t[2])]
        assert (article.version, article.version_since, article.fetched_at) == (3, t[2], t[3])
        assert len(rows[0].text) < len(rows[1].text) < len(article.text)
        assert [p.source for p in provenance_of(session, article.canonical_url)] == ["a", "b", "c2", "c3"]


def test_a_stopped_import_closes_its_run_as_interrupted(tmp_path: Path, migrated_sqlite: MigratedSqlite) -> None:
    settings = Settings(archive_dir=tmp_path, db_url=migrated_sqlite(tmp_path / "baotinh.sqlite"))
    record = demo_record(DemoSite().articles()[0].path, datetime(2024, 1, 1, tzinfo=UTC), key="k")
    with pytest.raises(KeyboardInterrupt), Importer(settings, sites=["demo"]) as importer:
        importer.add(record)
        raise KeyboardInterrupt  # Ctrl-C, or the SIGTERM `baotinh import warc` turns into one
    engine = db.make_engine(settings.database_url)
    try:
        with db.make_sessionmaker(engine)() as session:
            run = ledger.get_run(session, importer.result.run_id or 0)
            assert run is not None and run.status == "interrupted"
            assert session.scalars(select(Article)).first() is None
    finally:
        engine.dispose()


def test_a_chunked_gzip_answer_is_kept_decoded_with_its_travel_headers_renamed() -> None:
    import gzip

    html = "<html><body><p>Xin chào Hải Dương</p></body></html>".encode()
    packed = gzip.compress(html)
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(packed), packed)
    block = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Encoding: gzip\r\n"
             b"Transfer-Encoding: chunked\r\n\r\n" + chunked)
    record = (b"WARC/1.1\r\nWARC-Type: response\r\nWARC-Target-URI: http://demo.baotinh.test/a-1.html\r\n"
              b"WARC-Date: 2019-08-06T12:05:01Z\r\nWARC-Record-ID: <urn:uuid:0000>\r\n"
              b"Content-Type: application/http; msgtype=response\r\n"
              b"Content-Length: %d\r\n\r\n%s\r\n\r\n" % (len(block), block))
    source = WarcSource.from_bytes(gzip.compress(record), source="cc.warc.gz", offset=123)
    assert (source.status, source.body, source.offset, source.key) == (200, html, 123, "<urn:uuid:0000>")
    assert source.date == datetime(2019, 8, 6, 12, 5, 1, tzinfo=UTC)
    names = [k for k, _v in source.headers]
    assert names == ["Content-Type", "X-Archive-Orig-Content-Encoding", "X-Archive-Orig-Transfer-Encoding"]
    assert source.content_type == "text/html"
