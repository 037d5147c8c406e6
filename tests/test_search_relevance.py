"""The relevance set (issue 16): judged queries over a handwritten corpus, nDCG@10 on SQLite
and on PostgreSQL, and the cases the issue names one by one.

Run with ``-s`` to see each backend's nDCG and the queries below 1.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pipeline.archive import db
from pipeline.archive.sqlite import install_sqlite_functions
from pipeline.search import SearchQuery, search
from tests.conftest import TemplateDatabases, _need_pg, _pg_created
from tests.relevance import corpus
from tests.relevance.judgments import JUDGMENTS

NDCG_FLOOR = 0.95
K = 10


def fill_relevance(engine: Engine) -> None:
    with db.make_sessionmaker(engine).begin() as session:
        corpus.load(session)


def open_session(url: str) -> Session:
    engine = db.make_engine(url)
    install_sqlite_functions(engine)
    return db.make_sessionmaker(engine)()


@pytest.fixture(scope="module")
def lite(db_templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    path = Path(tmp_path_factory.mktemp("relevance")) / "relevance.sqlite"
    path.write_bytes(db_templates.sqlite(fill_relevance).read_bytes())
    session = open_session(f"sqlite:///{path}")
    yield session
    session.close()
    session.get_bind().dispose()  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def pg(db_templates: TemplateDatabases) -> Iterator[Session]:
    _need_pg()
    with _pg_created(template=db_templates.postgresql(fill_relevance)) as url:
        session = open_session(url)
        yield session
        session.close()
        session.get_bind().dispose()  # type: ignore[union-attr]


@pytest.fixture(params=["sqlite", "postgresql"])
def session(request: pytest.FixtureRequest) -> Session:
    return request.getfixturevalue("lite" if request.param == "sqlite" else "pg")  # type: ignore[no-any-return]


def keys_of(session: Session) -> dict[int, str]:
    return {i: k for k, i in corpus.ids_by_key(session).items()}


def ranked(session: Session, text: str, limit: int = K) -> list[str]:
    names = keys_of(session)
    return [names[h.id] for h in search(session, SearchQuery(text=text, limit=limit)).hits]


def ndcg(ranking: list[str], grades: dict[str, int], k: int = K) -> float:
    """nDCG@k with gains 2^grade - 1; unjudged articles count 0."""
    def dcg(gains: list[int]) -> float:
        return sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(gains[:k]))

    ideal = dcg(sorted(grades.values(), reverse=True))
    return dcg([grades.get(key, 0) for key in ranking]) / ideal if ideal else 1.0


def test_the_set_is_large_enough() -> None:
    assert len(corpus.ARTICLES) >= 60 and len(JUDGMENTS) >= 40
    keys = {a.key for a in corpus.ARTICLES}
    for query, grades in JUDGMENTS.items():
        assert set(grades) <= keys, query
        assert any(g > 0 for g in grades.values()), query


def test_ndcg_at_10(session: Session) -> None:
    backend = session.get_bind().dialect.name
    scores = {q: ndcg(ranked(session, q), grades) for q, grades in JUDGMENTS.items()}
    mean = sum(scores.values()) / len(scores)
    below = sorted((s, q) for q, s in scores.items() if s < 1)
    print(f"\nnDCG@{K} {backend}: {mean:.4f} over {len(scores)} queries; below 1: "
          + (", ".join(f"{q!r} {s:.3f}" for s, q in below) or "none"))
    assert mean >= NDCG_FLOOR, below


def test_hoa_binh_puts_hoa_binh_first(session: Session) -> None:
    """Either tone placement, typed either way: the province first, before "Bình Giang",
    "bình quân" and "văn hóa", and the two placements side by side."""
    for typed in ("hoà bình", "hòa bình", "Hoà Bình"):
        top = ranked(session, typed)
        assert top[0] in ("hb_dulich", "hb_cam", "hb_sapnhap"), (typed, top)
        assert set(top[:3]) == {"hb_dulich", "hb_cam", "hb_sapnhap"}, (typed, top)
        assert top.index("hx_binhgiang") > top.index("bx_cuuchienbinh") if "hx_binhgiang" in top else True


def test_readme_or_example_returns_only_dong_nai_and_binh_duong(session: Session) -> None:
    result = search(session, SearchQuery(text="dong nai OR binh duong", limit=50))
    names = keys_of(session)
    found = {names[h.id] for h in result.hits}
    assert found == set(JUDGMENTS["dong nai OR binh duong"]), found
    assert result.total == len(found)
    # "Lưu Bình - Dương Lễ" spans punctuation: not the phrase, whatever the index says.
    assert "bx_cheo" not in found and ranked(session, '"bình dương"', 50).count("bx_cheo") == 0
    assert ranked(session, "lưu bình dương lễ") == ["bx_cheo"]
    # The same set in date order, and counted the same in the facets.
    newest = search(session, SearchQuery(text="dong nai OR binh duong", sort="newest", limit=50, facets=True))
    assert {names[h.id] for h in newest.hits} == found
    assert sum(n for _, n in newest.facets["site"]) == newest.total == len(found)
    for hit in result.hits:
        marked = {s.lower() for s, m in hit.snippet.segments if m}
        assert marked <= {"đồng nai", "bình dương"}, marked


def test_parsed_query_is_shown_back(session: Session) -> None:
    result = search(session, SearchQuery(text="đồng nai OR bình dương"))
    assert result.parsed_query == {"vi": 'Tìm: "đồng nai" HOẶC "bình dương"',
                                   "en": 'Searching: "đồng nai" OR "bình dương"'}
    assert result.understood("vi") == 'Tìm: "đồng nai" HOẶC "bình dương"'
    both = search(session, SearchQuery(text="kim AND thanh", limit=50))
    assert both.understood("vi") == "Tìm: kim VÀ thanh" and both.total >= 5  # AND is an operator
    assert search(session, SearchQuery(text="nông thôn NOT kim -hà")).understood("en") == \
        "Searching: nông thôn AND NOT kim AND NOT hà"
    assert search(session, SearchQuery(text="")).parsed_query == {}


def test_moi_is_not_moi(session: Session) -> None:
    """"mới" ranks and marks "mới", never "Mỗi", where the article has both or only "mới"."""
    hits = search(session, SearchQuery(text="mới", limit=50)).hits
    names = keys_of(session)
    exact = [names[h.id] in JUDGMENTS["mới"] for h in hits]
    assert exact == sorted(exact, reverse=True), "every 'mới' article before any 'mỗi' one"
    for hit in hits[:sum(exact)]:
        assert {s.lower() for s, m in hit.snippet.segments if m} == {"mới"}, hit.snippet.segments


@pytest.mark.slow  # PostgreSQL (the session-wide detection knows the parametrised tests only)
def test_same_hits_on_both_backends(lite: Session, pg: Session) -> None:
    for query in JUDGMENTS:
        assert sorted(ranked(lite, query, 100)) == sorted(ranked(pg, query, 100)), query


def test_paging_past_the_reranked_window(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages after the re-ranked window continue in the backend's order: no hit twice, none lost."""
    import pipeline.search.ranking as ranking

    monkeypatch.setattr(ranking, "RERANK_WINDOW", 5)
    total = search(session, SearchQuery(text="mỗi")).total
    pages = [h.id for offset in range(0, total, 4)
             for h in search(session, SearchQuery(text="mỗi", limit=4, offset=offset)).hits]
    assert len(pages) == len(set(pages)) == total >= 15
    top = [h.id for h in search(session, SearchQuery(text="mỗi", limit=5)).hits]
    assert pages[:5] == top


@pytest.mark.parametrize(("lang", "shown"), [("vi", 'Tìm: "dong nai" HOẶC "binh duong"'),
                                             ("en", 'Searching: "dong nai" OR "binh duong"')])
def test_the_results_page_shows_the_parsed_query(lang: str, shown: str) -> None:
    """The page prints the result's parsed-query string in its language (escaped, like all text)."""
    from pipeline.search import SearchResult, parse_query
    from pipeline.web import pages
    from pipeline.web.render import load_templates

    params = SearchQuery(text="dong nai OR binh duong")
    result = SearchResult(query=params, total=0, hits=(), parsed_query=parse_query(params.text).descriptions())
    ctx = pages.PageContext(lang=lang, explicit_lang=False, path="/")
    html = load_templates().render(pages.search_page(ctx, params, [], result))
    escaped = shown.replace('"', "&#34;")
    assert f'id="understood" class="understood">{escaped}</p>' in html


def test_beyond_the_check_cap_the_first_pages_still_hold_phrases_only(session: Session,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Too many candidates to check them all: the re-ranked window is checked as it is read."""
    import pipeline.search.candidates as candidates
    import pipeline.search.ranking as ranking

    monkeypatch.setattr(candidates, "CHECK_CAP", 0)
    names = keys_of(session)
    result = search(session, SearchQuery(text="dong nai OR binh duong", limit=20))
    assert {names[h.id] for h in result.hits} == set(JUDGMENTS["dong nai OR binh duong"])
    # The index's count: "Lưu Bình - Dương Lễ" and "cuộc sống hòa bình. Đường vào …" included.
    assert result.total == len(result.hits) + 2
    monkeypatch.setattr(ranking, "RERANK_WINDOW", 4)
    pages = [names[h.id] for offset in range(0, 12, 3)
             for h in search(session, SearchQuery(text="dong nai OR binh duong", limit=3, offset=offset)).hits]
    assert len(pages) == len(set(pages)) and not {"bx_cheo", "bx_cuuchienbinh"} & set(pages[:3])
    assert set(pages) >= set(JUDGMENTS["dong nai OR binh duong"])
