"""The query language and the matching under ranking and snippets, as pure functions (issue 16)."""

from __future__ import annotations

import unicodedata

import pytest

from pipeline.search import QueryError, make_snippet, parse_query
from pipeline.search.matching import (
    PHRASE_EXACT,
    PHRASE_FOLDED,
    PHRASE_PUNCT,
    WORDS_EXACT,
    WORDS_FOLDED,
    join_fields,
    make_matcher,
    phrase_checks,
    phrases_hold,
    prepare,
    term_score,
)


@pytest.mark.parametrize(("typed", "fts5", "en"), [
    ("dong nai", '("dong" AND "nai")', "Searching: dong nai"),
    ("dong nai OR binh duong", '("dong nai" OR "binh duong")', 'Searching: "dong nai" OR "binh duong"'),
    ("kim AND thanh", '("kim") AND ("thanh")', "Searching: kim AND thanh"),
    ("a b OR c d e", '("a b" OR "c d e")', 'Searching: "a b" OR "c d e"'),
    ("x AND dong nai OR binh duong", '("x") AND ("dong nai" OR "binh duong")',
     'Searching: x AND ("dong nai" OR "binh duong")'),
    ("nông thôn NOT hà nội", '("nong" AND "thon") NOT ("ha noi")', 'Searching: nông thôn AND NOT "hà nội"'),
    ('"nông thôn mới" -"Hà Nội"', '("nong thon moi") NOT ("ha noi")', 'Searching: "nông thôn mới" AND NOT "hà nội"'),
    ("nông* thôn", '("nong"*) AND ("thon")', "Searching: nông* AND thôn"),
    ("hoà binh", '("hoa" AND "binh")', "Searching: hoà binh"),
    ("kim or thanh", '("kim" AND "or" AND "thanh")', "Searching: kim or thanh"),
])
def test_the_rules_of_the_query_language(typed: str, fts5: str, en: str) -> None:
    parsed = parse_query(typed)
    assert parsed.to_fts5() == fts5
    assert parsed.describe("en") == en


def test_or_groups_are_phrases_on_postgresql_too() -> None:
    assert parse_query("dong nai OR binh duong").to_tsquery() == "(('dong' <-> 'nai') | ('binh' <-> 'duong'))"
    assert parse_query("dong nai").to_tsquery() == "(('dong' & 'nai'))"
    assert parse_query("dong nai").as_phrases().to_tsquery() == "(('dong' <-> 'nai'))"


def test_the_vietnamese_display() -> None:
    assert parse_query("đồng nai OR bình dương").describe("vi") == 'Tìm: "đồng nai" HOẶC "bình dương"'
    assert parse_query("kim AND thanh -ha").describe("vi") == "Tìm: kim VÀ thanh VÀ KHÔNG ha"


@pytest.mark.parametrize("bad", ["kim AND", "AND kim", "NOT", "kim NOT", "kim OR -thanh", "kim AND OR thanh"])
def test_operators_without_their_words_are_errors(bad: str) -> None:
    with pytest.raises(QueryError):
        parse_query(bad)


def score(query: str, title: str = "", lead: str = "", body: str = "") -> float:
    term = parse_query(query).terms[0]
    return term_score(make_matcher(term), [prepare(title), prepare(lead), prepare(body)])


def test_side_by_side_and_as_typed_rank_first() -> None:
    # Both tone placements are the same word; title beats body.
    assert score("hoà bình", title="Hòa Bình đón khách") == score("hòa bình", title="Hoà Bình đón khách")
    assert score("hoà bình", title="Hòa Bình đón khách") > score("hoà bình", body="Hòa Bình đón khách")
    assert score("hoà bình", body="tỉnh Hòa Bình") >= PHRASE_EXACT
    assert PHRASE_FOLDED <= score("hoà bình", body="hoa bính") < PHRASE_EXACT
    assert score("hoà bình", body="văn hóa và bình quân") == WORDS_FOLDED
    assert score("hoà bình", body="xã Bình Hòa") == WORDS_EXACT  # both as typed, but reversed
    # Typed without marks: every spelling is equal.
    assert score("hoa binh", body="hoa bính") == score("hoa binh", body="Hòa Bình")
    assert score("mới", body="Mỗi ngày") < score("mới", body="năm học mới")
    assert score('"binh duong"', body="Lưu Bình - Dương Lễ") == PHRASE_PUNCT + 0.1
    assert score("ba ria vung tau", body="tỉnh Bà Rịa-Vũng Tàu") >= PHRASE_EXACT  # a hyphen inside a name


def test_phrases_must_stand_side_by_side() -> None:
    checks = phrase_checks(parse_query("dong nai OR binh duong"))
    assert checks is not None
    assert phrases_hold(checks, join_fields("Cầu nối Đồng Nai", None, "", None))
    assert not phrases_hold(checks, join_fields("Chèo cổ", "", "Lưu Bình - Dương Lễ", None))
    assert not phrases_hold(checks, join_fields("Hòa Bình", "Dương Lễ", None, None))  # two fields
    assert phrase_checks(parse_query("dong nai")) is None  # a run: the index's match is the answer


def test_snippets_mark_exactly_what_matched() -> None:
    text = "Mỗi năm, tỉnh Đồng Nai có thêm nhiều dự án mới; cánh đồng lúa và đàn nai ở xa."
    marked = [s for s, m in make_snippet(text, parse_query("mới").terms).segments if m]
    assert marked == ["mới"]
    marked = [s for s, m in make_snippet(text, parse_query("dong nai").terms).segments if m]
    assert marked == ["Đồng Nai"]
    decomposed = unicodedata.normalize("NFD", text)
    assert [s for s, m in make_snippet(decomposed, parse_query('"đồng nai"').terms).segments if m] == ["Đồng Nai"]
    assert [s for s, m in make_snippet("Lưu Bình - Dương Lễ, bình dị", parse_query('"binh duong"').terms).segments
            if m] == ["Bình - Dương"]
