"""``baotinh search`` and ``baotinh show`` run as a user runs them (subprocess)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import MigratedSqlite, run_cli
from tests.test_search import fill_corpus


@pytest.fixture
def corpus_archive(archive: Path, migrated_sqlite: MigratedSqlite) -> Path:
    migrated_sqlite(archive / "baotinh.sqlite", fill_corpus)  # the corpus, from a session template
    return archive


def test_search_table(corpus_archive: Path) -> None:
    res = run_cli("search", "kim thanh", "--limit", "3", "--facets", archive=corpus_archive)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == "Searching: kim thanh"  # the query as understood
    assert lines[1].startswith("23 articles; showing 1–3")
    assert "«Kim Thành»" in res.stdout
    assert any(line.startswith("site: ") for line in lines)


def test_search_json_lines(corpus_archive: Path) -> None:
    res = run_cli("search", "dong nai", "--json", "--sort", "newest", archive=corpus_archive)
    assert res.returncode == 0, res.stderr
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert [r["title"] for r in rows[:-1]] == ["Ðồng Nai khởi công cầu mới", "Đồng Nai thu hút đầu tư"]
    assert rows[-1] == {"total": 2, "total_is_estimate": False, "parsed_query": {
        "vi": "Tìm: dong nai", "en": "Searching: dong nai"}}
    assert ["Ðồng Nai", True] in rows[0]["snippet_segments"]  # the run, marked whole


@pytest.mark.parametrize("bad", ["OR", "kim OR", "-kim", "-", "*", '"', "a*"])
def test_malformed_query_exits_2_with_one_line(corpus_archive: Path, bad: str) -> None:
    # "--" ends the options, so a query may start with "-".
    res = run_cli("search", "--", bad, archive=corpus_archive)
    assert res.returncode == 2
    assert res.stderr.startswith("error: ") and len(res.stderr.strip().splitlines()) == 1
    assert "Traceback" not in res.stderr


def test_bad_date_exits_2(corpus_archive: Path) -> None:
    res = run_cli("search", "kim", "--from", "25/11/2024", archive=corpus_archive)
    assert res.returncode == 2 and "YYYY-MM-DD" in res.stderr


def test_show_by_id_and_url(corpus_archive: Path) -> None:
    res = run_cli("show", "1", "--json", archive=corpus_archive)
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["id"] == 1 and data["province_before"] and data["text"]
    by_url = run_cli("show", data["url"], archive=corpus_archive)
    assert by_url.returncode == 0 and data["canonical_url"] in by_url.stdout
    missing = run_cli("show", "999999", archive=corpus_archive)
    assert missing.returncode == 2 and missing.stderr.startswith("error: no article")
