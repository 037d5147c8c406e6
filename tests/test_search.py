"""Search core on the shared corpus, on SQLite and on PostgreSQL (issue 4)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, text, update
from sqlalchemy.orm import Session

from pipeline.archive import db
from pipeline.archive.models import Article
from pipeline.archive.sqlite import install_sqlite_functions
from pipeline.search import QueryError, SearchQuery, filtered_articles, make_snippet, parse_query, rebuild_index, search
from pipeline.text.fold import fold
from tests.conftest import MigratedSqlite
from tests.search_corpus.corpus import corpus_records, load_corpus


def fill_corpus(engine: Engine) -> None:
    """The search corpus, loaded once per session into a template archive."""
    with db.make_sessionmaker(engine).begin() as session:
        load_corpus(session)


def open_corpus(url: str) -> Session:
    """A session on a copy of the corpus's template archive."""
    engine = db.make_engine(url)
    install_sqlite_functions(engine)
    return db.make_sessionmaker(engine)()


@pytest.fixture
def sqlite_session(tmp_path: Path, migrated_sqlite: MigratedSqlite) -> Iterator[Session]:
    session = open_corpus(migrated_sqlite(tmp_path / "search.sqlite", fill_corpus))
    yield session
    session.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def session(request: pytest.FixtureRequest) -> Session:
    name = "sqlite_session" if request.param == "sqlite" else "pg_session"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


def ids(session: Session, text_: str, **kw: object) -> list[int]:
    result = search(session, SearchQuery(text=text_, limit=500, **kw))  # type: ignore[arg-type]
    return [h.id for h in result.hits]


def titles_of(session: Session, hit_ids: list[int]) -> list[str]:
    return [session.get(Article, i).title or "" for i in hit_ids]  # type: ignore[union-attr]


# -- folding ---------------------------------------------------------------------------------
def test_sql_fold_equals_python_fold_on_every_corpus_character(session: Session) -> None:
    chars = sorted({c for r in corpus_records() for s in (r.title, r.description, r.text, r.author)
                    if s for c in unicodedata.normalize("NFC", s)})
    sample = "".join(chars)
    assert session.scalar(text("SELECT baotinh_fold(:s)"), {"s": sample}) == fold(sample)
    assert len(chars) > 80


@pytest.mark.parametrize("variant", ["kim thanh", "Kim Thành", "KIM THÀNH",
                                     unicodedata.normalize("NFD", "Kim Thành")])
def test_kim_thanh_in_every_form_finds_the_same(session: Session, variant: str) -> None:
    expected = ids(session, "kim thanh")
    assert len(expected) >= 10
    assert sorted(ids(session, variant)) == sorted(expected)
    # The NFD-stored title is found too.
    assert any("Huyện ủy" in unicodedata.normalize("NFC", t) for t in titles_of(session, expected))


@pytest.mark.parametrize("variant", ["dong nai", "Đồng Nai", "Ðồng Nai", "ĐỒNG NAI"])
def test_dong_nai_folds_d_bar_and_eth(session: Session, variant: str) -> None:
    found = titles_of(session, ids(session, variant))
    assert sorted(found) == ["Ðồng Nai khởi công cầu mới", "Đồng Nai thu hút đầu tư"]


def test_hoa_binh_old_and_new_tone_placement(session: Session) -> None:
    old, new = ids(session, "hoà bình"), ids(session, "hòa bình")
    assert sorted(old) == sorted(new) == sorted(ids(session, "hoa binh"))
    assert {"Hoà Bình phát triển du lịch hồ", "Hòa Bình đón khách quốc tế"} <= set(titles_of(session, old))


def test_exact_diacritics_rank_first(session: Session) -> None:
    hits = search(session, SearchQuery(text="bán", limit=20)).hits
    assert hits[0].title == "Chợ quê bán hàng Tết"
    exact = ["bán" in (h.title or "").lower() + (h.description or "").lower() + h.snippet.as_text().lower()
             for h in hits]
    assert exact == sorted(exact, reverse=True), "exact 'bán' hits must come before 'bàn'/'ban'"
    bare = titles_of(session, ids(session, "ban"))
    assert {"Xưởng mộc đóng bàn ghế", "Ban quản lý dự án họp", "Chợ quê bán hàng Tết"} <= set(bare)
    top_ban = search(session, SearchQuery(text="bàn ghế", limit=1)).hits[0]
    assert top_ban.title == "Xưởng mộc đóng bàn ghế"


# -- query language --------------------------------------------------------------------------
def test_phrase_or_exclusion_prefix(session: Session) -> None:
    phrase = ids(session, '"nông thôn mới"')
    loose = ids(session, "nông thôn mới")
    assert phrase and set(phrase) <= set(loose)
    assert ids(session, '"mới nông"') == []  # the reversed syllables are not the phrase
    either = set(ids(session, '"dong nai" OR "hoa binh"'))
    assert either == set(ids(session, "dong nai")) | set(ids(session, "hoa binh"))
    without = set(ids(session, "thanh -hoa"))
    assert without == set(ids(session, "thanh")) - set(ids(session, "hoa"))
    assert set(ids(session, "dong*")) >= set(ids(session, "dong")) | set(ids(session, "dong nai"))


@pytest.mark.parametrize("bad", ["OR", "kim OR", "OR kim", "kim OR OR thanh", "-kim", "-kim -thanh",
                                 "-", "*", '"', "a*", "kim AND", "AND kim", "NOT", "kim NOT",
                                 "kim OR -thanh", "NOT kim"])
def test_malformed_queries_raise_query_error(session: Session, bad: str) -> None:
    with pytest.raises(QueryError) as exc:
        search(session, SearchQuery(text=bad))
    assert str(exc.value) and "Traceback" not in str(exc.value)


@pytest.mark.parametrize("literal", ["NEAR(a b)", "^kim", "title:kim", "(kim", 'kim"thanh', "kim and",
                                     "{kim}", "kim + thanh"])
def test_engine_syntax_is_read_literally(session: Session, literal: str) -> None:
    result = search(session, SearchQuery(text=literal))
    assert result.total >= 0  # ran without an engine syntax error


def test_user_input_never_reaches_the_engine_raw() -> None:
    # A word glued to punctuation reads as the syllable sequence it spells (like "nông-thôn").
    parsed = parse_query('NEAR(kim "thanh')
    assert parsed.to_fts5() == '("near kim") AND ("thanh")'
    assert parsed.to_tsquery() == "(('near' <-> 'kim')) & ('thanh')"


# -- filters, sorting, facets ------------------------------------------------------------------
def test_province_filter_old_and_new_names(session: Session) -> None:
    # Issue 16: `provinces` is the province at publication (the corpus predates the merger),
    # `provinces_now` the province today.
    old = ids(session, "kim thanh", provinces=("hai duong",))
    new = ids(session, "kim thanh", provinces_now=("Hải Phòng",))
    assert old and sorted(old) == sorted(new)
    assert ids(session, "kim thanh", provinces=("Hải Phòng",)) == []
    assert all(h.site == "baohaiduong" and h.province == "Hải Dương" and h.province_now == "Hải Phòng"
               for h in search(session, SearchQuery(text="kim thanh", provinces=("HẢI DƯƠNG",))).hits)
    # Bình Phước merged into Đồng Nai: the new name finds both papers.
    sites = {h.site for h in search(session, SearchQuery(text="", provinces_now=("dong nai",), limit=500)).hits}
    assert sites == {"baodongnai", "baobinhphuoc"}


def test_date_author_section_language_filters(session: Session) -> None:
    q = SearchQuery(text="", date_from=date(2021, 1, 1), date_to=date(2021, 12, 31), limit=500)
    hits = search(session, q).hits
    assert hits and all(h.published_at and h.published_at.year == 2021 for h in hits)
    by_author = search(session, SearchQuery(text="", author="tran thi hoa", limit=500)).hits
    assert by_author and all(fold(h.author or "") == "tran thi hoa" for h in by_author)
    by_section = search(session, SearchQuery(text="", section="giao duc", limit=500)).hits
    assert by_section and all(h.section == "Giáo dục" for h in by_section)
    assert search(session, SearchQuery(text="kim", language="en")).total == 0


def test_sort_newest_oldest_and_paging(session: Session) -> None:
    newest = search(session, SearchQuery(text="thanh", sort="newest", limit=500)).hits
    dates = [h.published_at for h in newest]
    assert dates == sorted(dates, reverse=True)  # type: ignore[type-var]
    oldest = ids(session, "thanh", sort="oldest")
    assert oldest == [h.id for h in reversed(newest)]
    page2 = search(session, SearchQuery(text="thanh", sort="newest", limit=10, offset=10)).hits
    assert [h.id for h in page2] == [h.id for h in newest[10:20]]


def test_total_and_facets(session: Session) -> None:
    result = search(session, SearchQuery(text="nông thôn", facets=True, limit=5))
    assert len(result.hits) == 5 and not result.total_is_estimate
    assert sum(n for _, n in result.facets["site"]) == result.total
    assert sum(n for _, n in result.facets["year"]) == result.total
    assert {k for k, _ in result.facets["province_now"]} <= {"Hải Phòng", "Đồng Nai", "Phú Thọ", "Thanh Hóa"}


def test_filtered_articles_matches_search(session: Session) -> None:
    q = SearchQuery(text="kim thanh", sites=("baohaiduong",))
    assert sorted(session.scalars(filtered_articles(q))) == sorted(ids(session, q.text, sites=q.sites))


# -- snippets --------------------------------------------------------------------------------
def test_snippet_marks_original_text() -> None:
    original = "Sáng nay, tại " + unicodedata.normalize("NFD", "Kim Thành") + " và Ðồng Nai, " + "chữ " * 60
    snip = make_snippet(original, parse_query("kim thanh dong nai").terms)
    marked = [s for s, m in snip.segments if m]
    assert marked == ["Kim", "Thành", "Ðồng", "Nai"]
    assert snip.as_text().startswith("Sáng nay, tại «Kim» «Thành» và «Ðồng» «Nai»")
    assert snip.as_text().endswith(" …")


def test_snippet_window_moves_to_the_match() -> None:
    original = "mở đầu " * 100 + "giữa bài có Thanh Hà ở đây " + "kết thúc " * 100
    snip = make_snippet(original, parse_query("thanh ha").terms)
    assert snip.segments[0] == ("… ", False)
    assert [s for s, m in snip.segments if m] == ["Thanh Hà"]  # the phrase, marked whole
    assert len(snip.as_text().split()) <= 36


# -- the index follows the articles ------------------------------------------------------------
def test_index_follows_update_delete_and_rebuild(session: Session) -> None:
    target = ids(session, "dong nai")[0]
    session.execute(update(Article).where(Article.id == target).values(title="Vịnh Hạ Long", text="Quảng Ninh"))
    assert target not in ids(session, "dong nai") and target in ids(session, "ha long")
    session.execute(delete(Article).where(Article.id == target))
    assert target not in ids(session, "ha long")
    count = rebuild_index(session)
    assert count == len(corpus_records()) - 1
    assert len(ids(session, "dong nai")) == 1
    session.rollback()


# -- one behaviour on both backends ----------------------------------------------------------
PARITY_QUERIES = (
    "kim thanh", "Kim Thành", "dong nai", "Ðồng Nai", "hoà bình", "hòa bình", "bán", "ban", "bàn",
    '"nông thôn mới"', "nong thon moi", "thanh", "thành phố", '"thanh hoa"', "thanh -hoa",
    "dong riềng", "dong", "đông", "nguyễn văn thành", "tran thi hoa", "vải thiều", "vai thieu",
    "chí linh OR ninh giang", "cẩm giàng", "bien hoa", "mai chau", "thanh niên", "kỷ luật",
    "du lịch", "sam son", "dong*", "nong*", "NEAR(", "hoa", "2024", "xây dựng -nông",
)


def test_same_hits_on_sqlite_and_postgresql(sqlite_session: Session, pg_session: Session) -> None:
    assert len(PARITY_QUERIES) >= 30
    for q in PARITY_QUERIES:
        for sort in ("newest", "oldest"):
            lite, pg = ids(sqlite_session, q, sort=sort), ids(pg_session, q, sort=sort)
            assert lite == pg, (q, sort)
        lite_rel, pg_rel = ids(sqlite_session, q), ids(pg_session, q)
        assert sorted(lite_rel) == sorted(pg_rel), q
        a = search(sqlite_session, SearchQuery(text=q, facets=True))
        b = search(pg_session, SearchQuery(text=q, facets=True))
        assert a.total == b.total and a.facets == b.facets, q


def test_capped_path_matches_a_full_sort_on_both_backends(sqlite_session: Session, pg_session: Session,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond CANDIDATE_CAP matches, newest/oldest walk the date index and totals become
    estimates: with the cap set tiny, the pages must still equal a full sort, on both backends."""
    import pipeline.search.candidates as search_module

    full = {name: search(s, SearchQuery(text="thanh", sort="newest", limit=500)).hits
            for name, s in (("sqlite", sqlite_session), ("pg", pg_session))}
    assert len(full["sqlite"]) > 12
    monkeypatch.setattr(search_module, "CANDIDATE_CAP", 5)
    for name, s in (("sqlite", sqlite_session), ("pg", pg_session)):
        for offset in (0, 7):
            page = search(s, SearchQuery(text="thanh", sort="newest", limit=5, offset=offset))
            assert [h.id for h in page.hits] == [h.id for h in full[name][offset:offset + 5]], (name, offset)
            assert page.total_is_estimate and page.total >= 5
        oldest = search(s, SearchQuery(text="thanh", sort="oldest", limit=5))
        assert [h.id for h in oldest.hits] == [h.id for h in reversed(full[name])][:5], name
        relevance = search(s, SearchQuery(text="thanh", limit=5, facets=True))
        assert len(relevance.hits) == 5 and relevance.total_is_estimate
    assert [h.id for h in full["sqlite"]] == [h.id for h in full["pg"]]


# -- one backend per database ------------------------------------------------------------------
def test_one_backend_per_database_chosen_from_the_engine() -> None:
    """SQLite gets FTS5, PostgreSQL the tsvector; any other database a QueryError saying so."""
    from sqlalchemy import create_engine, create_mock_engine

    from pipeline.search.backends import PostgresBackend, SqliteBackend, backend_for

    assert isinstance(backend_for(Session(create_engine("sqlite://"))), SqliteBackend)
    assert isinstance(backend_for(Session(create_engine("postgresql+psycopg://u@localhost/x"))), PostgresBackend)
    assert backend_for(Session(create_engine("sqlite://"))) is backend_for(Session(create_engine("sqlite://")))
    with pytest.raises(QueryError, match="needs SQLite"):
        backend_for(Session(create_mock_engine("mysql://u@localhost/x", lambda *a, **k: None)))


def test_the_public_api_is_the_package() -> None:
    import pipeline.search as api

    for name in ("search", "SearchQuery", "SearchHit", "SearchResult", "Snippet", "QueryError",
                 "parse_query", "filtered_articles", "rebuild_index", "SORTS", "CANDIDATE_CAP"):
        assert name in api.__all__ and getattr(api, name) is not None, name


def test_sqlite_reads_candidates_by_id_without_a_parameter_each(sqlite_session: Session) -> None:
    """Facets read the (up to 2,000) candidates by id: on SQLite the ids are written into the
    statement, since SQLite before 3.32 allows only 999 parameters."""
    from sqlalchemy import event, select

    from pipeline.search.backends import SqliteBackend

    engine = sqlite_session.get_bind()
    params: list[object] = []
    listener = lambda conn, cur, stmt, p, ctx, many: params.append(p)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        found = sqlite_session.execute(select(Article.id).where(SqliteBackend().ids_condition(range(1, 3001))))
        assert {i for (i,) in found} == set(sqlite_session.scalars(select(Article.id)))
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert params and all(p == () for p in params)
