"""Province then and now (issue 16, acceptance 4): a 2019 Hải Dương article is Hải Dương at
publication and Hải Phòng now, in search filters, facets, `show`, the API and every export format."""

from __future__ import annotations

import csv
import gzip
import json
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.archive import db
from pipeline.archive.models import Article
from pipeline.archive.sqlite import install_sqlite_functions
from pipeline.config import Settings
from pipeline.export.dataset import ExportOptions, export_articles
from pipeline.registry.provinces import MERGER_AT, province_at, province_now
from pipeline.search import SearchQuery, search
from pipeline.text.dates import VN_TZ
from pipeline.web import make_app, open_archive
from pipeline.web.app import Request
from tests.conftest import PgCopy, TemplateDatabases, run_cli
from tests.province_archive import HD_2019, HD_2025, HD_UNDATED, HP_2019, fill, write_captures

WHO = {HD_2019: ("Hải Dương", "Hải Phòng"), HD_2025: ("Hải Phòng", "Hải Phòng"),
       HD_UNDATED: (None, "Hải Phòng"), HP_2019: ("Hải Phòng", "Hải Phòng")}


# -- the rule itself ----------------------------------------------------------------------------
def test_province_at_publication_turns_at_the_merger() -> None:
    assert datetime(2025, 7, 1, tzinfo=VN_TZ) == MERGER_AT
    just_before = datetime(2025, 6, 30, 23, 59, 59, tzinfo=VN_TZ)
    assert province_at(just_before, None, "Hải Dương", "Hải Phòng") == "Hải Dương"
    assert province_at(MERGER_AT, None, "Hải Dương", "Hải Phòng") == "Hải Phòng"
    # Undated: known only when the archive saw it before the merger.
    assert province_at(None, just_before, "Hải Dương", "Hải Phòng") == "Hải Dương"
    assert province_at(None, MERGER_AT, "Hải Dương", "Hải Phòng") is None
    # A province the merger left alone, or a site with one name known.
    assert province_at(None, None, "Hải Phòng", "Hải Phòng") == "Hải Phòng"
    assert province_at(None, None, None, "Hải Phòng") == "Hải Phòng"
    assert province_now("Hải Dương", "Hải Phòng") == "Hải Phòng" and province_now("Huế", None) == "Huế"


# -- the archive --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def archive_dir(db_templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("province") / "archive"
    folder.mkdir()
    shutil.copyfile(db_templates.sqlite(fill), folder / "baotinh.sqlite")
    engine = db.make_engine(f"sqlite:///{folder / 'baotinh.sqlite'}")
    install_sqlite_functions(engine)
    write_captures(folder, db.make_sessionmaker(engine))
    engine.dispose()
    return folder


@pytest.fixture(scope="module")
def sessions(archive_dir: Path) -> Iterator[sessionmaker[Session]]:
    engine = db.make_engine(f"sqlite:///{archive_dir / 'baotinh.sqlite'}")
    install_sqlite_functions(engine)
    yield db.make_sessionmaker(engine)
    engine.dispose()


def urls(session: Session, **kw: Any) -> set[str]:
    return {h.canonical_url for h in search(session, SearchQuery(limit=500, **kw)).hits}


def check_search(session: Session) -> None:
    at_hd = urls(session, provinces=("hai duong",))
    assert HD_2019 in at_hd and not at_hd & {HD_2025, HD_UNDATED, HP_2019}
    at_hp = urls(session, text="kim thanh", provinces=("Hải Phòng",))
    assert HD_2025 in at_hp and HD_2019 not in at_hp and HD_UNDATED not in at_hp
    now_hp = urls(session, provinces_now=("HẢI PHÒNG",))
    assert {HD_2019, HD_2025, HD_UNDATED, HP_2019} <= now_hp
    hits = {h.canonical_url: h for h in search(session, SearchQuery(text="kim thanh", limit=100)).hits}
    assert (hits[HD_2019].province, hits[HD_2019].province_now) == WHO[HD_2019]
    assert (hits[HD_2025].province, hits[HD_2025].province_now) == WHO[HD_2025]
    facets = search(session, SearchQuery(text="huyen uy kim thanh so ket", facets=True)).facets
    assert facets["province"] == [("Hải Dương", 1)] and facets["province_now"] == [("Hải Phòng", 1)]
    both = search(session, SearchQuery(sites=("baohaiduong",), facets=True, limit=1)).facets
    assert dict(both["province"]) == {"Hải Dương": 24, "Hải Phòng": 1}  # the undated one is under neither
    assert dict(both["province_now"]) == {"Hải Phòng": 26}
    assert dict(both["month"])["2019-08"] == 1 and dict(both["year"]) == {"2019": 1, "2021": 23, "2025": 1}
    assert dict(both["tag"])["Học tập và làm theo Bác"] == 1 and dict(both["section"])["Xã hội"] == 2
    # The tag filter (JSON lists: json_each on SQLite, jsonb_array_elements_text on PostgreSQL).
    assert urls(session, tag="hoc tap va lam theo bac") == {HD_2019}


def test_search_filters_and_facets_sqlite(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        check_search(session)


def test_search_filters_facets_and_export_postgresql(pg_copy: PgCopy, tmp_path: Path) -> None:
    engine = db.make_engine(pg_copy(fill))
    try:
        sm = db.make_sessionmaker(engine)
        with sm() as session:
            check_search(session)
            export_articles(session, ExportOptions(format="jsonl", output=tmp_path / "pg",
                                                   fields=("canonical_url", "province", "province_now")),
                            archive_dir=tmp_path)
        rows = [json.loads(x) for x in (tmp_path / "pg" / "articles-00000.jsonl").read_text().splitlines()]
        got = {r["canonical_url"]: (r["province"], r["province_now"]) for r in rows}
        assert {u: got[u] for u in WHO} == WHO
    finally:
        engine.dispose()


# -- API and show ---------------------------------------------------------------------------------
def test_api_and_json_views(archive_dir: Path, sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        ids = {a.canonical_url: a.id for a in session.scalars(select(Article))}
    app = make_app(open_archive(Settings(archive_dir=archive_dir)))
    try:
        for url, (then, now) in WHO.items():
            for path in (f"/api/articles/{ids[url]}", f"/articles/{ids[url]}.json"):
                data = json.loads(bytes(app.handle(Request("GET", path, "", None)).body))  # type: ignore[arg-type]
                assert (data["province"], data["province_now"]) == (then, now), path
        found = json.loads(bytes(app.handle(Request(  # type: ignore[arg-type]
            "GET", "/api/search", "q=huyen+uy&province=H%E1%BA%A3i+D%C6%B0%C6%A1ng&facets=1", None)).body))
        assert [h["canonical_url"] for h in found["hits"]] == [HD_2019]
        assert found["hits"][0]["province_now"] == "Hải Phòng"
        assert {"value": "Hải Dương", "count": 1} in found["facets"]["province"]
    finally:
        app.archive.close()


def cli_in_process(archive_dir: Path, *args: str) -> tuple[int, str]:
    """``baotinh --archive DIR ARGS`` in this process (the real CLI without a new interpreter)."""
    from click.testing import CliRunner

    from pipeline.cli.main import cli

    result = CliRunner(env={"BAOTINH_DB": None}).invoke(cli, ["--archive", str(archive_dir), *args],
                                                        prog_name="baotinh")
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stdout


def test_show_and_cli_filters(archive_dir: Path, sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        article_id = session.scalars(select(Article.id).where(Article.canonical_url == HD_2019)).one()
    code, out = cli_in_process(archive_dir, "show", str(article_id), "--json")
    assert code == 0
    data = json.loads(out)
    assert (data["province"], data["province_now"]) == WHO[HD_2019]
    _code, text = cli_in_process(archive_dir, "show", str(article_id))
    assert "province           Hải Dương" in text and "province_now       Hải Phòng" in text
    code, out = cli_in_process(archive_dir, "search", "huyện ủy", "--province-now", "hai phong",
                               "--province", "Hải Dương", "--json")
    assert code == 0
    lines = [json.loads(x) for x in out.splitlines()]
    assert [h["canonical_url"] for h in lines[:-1]] == [HD_2019] and lines[-1]["total"] == 1


# -- every export format ----------------------------------------------------------------------------
def _exported(folder: Path, fmt: str) -> dict[str, tuple[str | None, str | None]]:
    path = folder / f"articles-00000.{fmt}"
    if fmt == "jsonl":
        rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    elif fmt == "csv":
        with open(path, encoding="utf-8", newline="") as fh:
            rows = [{k: v or None for k, v in r.items()} for r in csv.DictReader(fh)]
    else:
        rows = pq.read_table(path).to_pylist()
    return {r["canonical_url"]: (r["province"], r["province_now"]) for r in rows if r["canonical_url"] in WHO}


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_every_row_format_has_both_columns(sessions: sessionmaker[Session], archive_dir: Path,
                                           tmp_path: Path, fmt: str) -> None:
    with sessions() as session:
        export_articles(session, ExportOptions(format=fmt, output=tmp_path / "default"), archive_dir=archive_dir)
        export_articles(session, ExportOptions(format=fmt, output=tmp_path / "chosen",
                                               fields=("canonical_url", "province", "province_now"),
                                               query=SearchQuery(provinces=("Hải Dương",))),
                        archive_dir=archive_dir)
    assert _exported(tmp_path / "default", fmt) == WHO
    assert _exported(tmp_path / "chosen", fmt) == {HD_2019: WHO[HD_2019]}
    manifest = json.loads((tmp_path / "default" / "manifest.json").read_text(encoding="utf-8"))
    assert [f["name"] for f in manifest["schema"]["fields"]][-2:] == ["province", "province_now"]


def test_warc_export_index_carries_both(sessions: sessionmaker[Session], archive_dir: Path, tmp_path: Path) -> None:
    with sessions() as session:
        export_articles(session, ExportOptions(format="warc", output=tmp_path / "w", all_versions=False),
                        archive_dir=archive_dir)
    got = {}
    for line in (tmp_path / "w" / "index.cdxj").read_text(encoding="utf-8").splitlines():
        fields = json.loads(line.split(" ", 2)[2])
        got[fields["url"]] = (fields.get("province"), fields.get("province_now"))
    assert {u: got[u] for u in WHO} == WHO
    with gzip.open(tmp_path / "w" / "articles-00000.warc.gz") as fh:
        assert fh.read(5) == b"WARC/"
    manifest = json.loads((tmp_path / "w" / "manifest.json").read_text(encoding="utf-8"))
    assert {"province", "province_now"} <= {f["name"] for f in manifest["schema"]["fields"]}


def test_cli_export_accepts_province_fields(archive_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli"
    result = run_cli("export", "--format", "csv", "--output", str(out),
                     "--fields", "canonical_url,province,province_now", "--province-now", "Hải Phòng",
                     archive=archive_dir)
    assert result.returncode == 0, result.stderr
    assert _exported(out, "csv") == WHO
