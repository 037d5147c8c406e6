"""The packaged site registry and `pipeline.registry.check` (what `baotinh sites check` runs)."""

from __future__ import annotations

import copy
import csv
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from pipeline.registry.check import (
    MERGER_MAP,
    POST_MERGER_PROVINCES,
    RegistryProblem,
    check_registry,
    check_registry_data,
    format_sites_table,
    site_as_dict,
)
from pipeline.registry.load import Registry, default_registry_path, load_registry

from . import paths

TSV = paths.TSV


@pytest.fixture(scope="module")
def reg() -> Registry:
    return load_registry()


@pytest.fixture()
def raw() -> dict[str, Any]:
    return tomllib.loads(default_registry_path().read_text(encoding="utf-8"))


def tsv_rows() -> list[dict[str, str]]:
    with TSV.open(encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def test_packaged_registry_is_sound(reg: Registry) -> None:
    assert check_registry(reg) == []


def test_has_63_papers_plus_demo(reg: Registry) -> None:
    ids = [s.id for s in reg]
    assert len(ids) == 64 and len(set(ids)) == 64
    assert {"demo", "baohaiduong", "baohaiphong", "hanoimoi", "sggp"} <= set(ids)


def test_every_tsv_province_appears_once_with_its_merger(reg: Registry) -> None:
    papers = [s for s in reg if s.id != "demo"]
    by_province = {s.province_before: s for s in papers}
    assert len(by_province) == 63
    for row in tsv_rows():
        site = by_province[row["province_pre2025"]]
        merged = row["merged_into_2025"]
        if merged.startswith("(unchanged)"):
            expected = row["province_pre2025"]
        elif merged.startswith("TP HCM"):
            expected = "TP Hồ Chí Minh"
        else:
            expected = merged.split(" (")[0]
        assert site.province_after == expected, site.id
        first_domain = row["domain(s) seen, oldest→newest"].split(" (")[0].split(" → ")
        seen = {d.strip() for part in first_domain for d in part.split(" / ")}
        assert seen & set(site.all_hosts), (site.id, seen)


def test_34_post_merger_provinces(reg: Registry) -> None:
    assert len(POST_MERGER_PROVINCES) == 34
    assert {s.province_after for s in reg} == set(POST_MERGER_PROVINCES)
    assert len(MERGER_MAP) == 63


def test_at_least_eight_families_in_use(reg: Registry) -> None:
    used = {s.family for s in reg}
    assert len(used) >= 8
    assert {"newscontents", "bbg-postid", "slug-id-html", "slug-a-id", "vinhlong-subdomain"} <= used


@pytest.mark.parametrize(
    ("url", "site_id"),
    [
        ("https://baohaiphong.com.vn/tin-tuc/abc-12345.html", "baohaiphong"),
        ("https://www.baobacgiang.com.vn/bg2/x-postid1.bbg", "baobacgiang"),
        ("http://baodienbienphu.info.vn/tin-tuc/abc", "baodienbienphu"),
        ("https://baothuathienhue.vn/a-1234.html", "huengaynay"),
        ("https://baodongkhoi.vn/x", "baodongkhoi"),
        ("https://dongkhoi.baovinhlong.vn/x-01012024-a1234.html", "baodongkhoi"),
        ("https://travinh.baovinhlong.vn/", "baotravinh"),
        ("https://baovinhlong.com.vn/", "baovinhlong"),
        ("https://bhd.1cdn.vn/2021/02/20/a.jpg", "baohaiduong"),
        ("https://en.sggp.org.vn/a-post1.html", "sggp"),
    ],
)
def test_for_url_maps_aliases_to_the_current_site(reg: Registry, url: str, site_id: str) -> None:
    site = reg.for_url(url)
    assert site is not None and site.id == site_id


@pytest.mark.parametrize(
    ("site_id", "url"),
    [
        ("baohaiduong", "https://baohaiduong.vn/nong-nghiep/ty-phu-trung-ga-151256"),
        ("baohaiduong", "https://baohaiduong.vn/kinh-te/ha-tang-khu-cong-nghiep-387551.html"),
        ("baohanam", "https://baohanam.com.vn/van-hoa/le-hoi/le-hoi-den-tran-thuong-122101.html"),
        ("baobacgiang", "https://baobacgiang.vn/bg2/moi-nhat/bac-giang-don-tet-postid413098.bbg"),
        ("baobinhduong", "https://baobinhduong.vn/le-van-duong-ky-su-xay-dung-a128477.html"),
        ("baocantho", "https://baocantho.com.vn/hoc-sinh-thpt-fpt-mo-phong-a167101.html"),
        ("baodongkhoi", "https://dongkhoi.baovinhlong.vn/den-tho-an-su-16112020-a80176.html"),
        ("sggp", "https://www.sggp.org.vn/cho-sinh-vien-muon-laptop-mien-phi-post566364.html"),
        ("baohatinh", "https://baohatinh.vn/viet-nam-tu-sua-chua-may-bay-c-295m-post139172.html"),
        ("baonghean", "https://baonghean.vn/hanh-trinh-chinh-phuc-dinh-nui-10215374.html"),
        ("baonghean", "https://baonghean.vn/nghe-an-se-to-chuc-29-le-hoi-post263070.html"),
        ("hanoimoi", "https://hanoimoi.vn/phat-trien-he-thong-mang-luoi-duong-sat-703441.html"),
        ("baoquangninh", "https://baoquangninh.vn/khai-thac-than-thoi-ky-phap-thuoc-post3349315.html"),
        ("demo", "http://demo.baotinh.test/kinh-te/gia-lua-tang-manh-1024.html"),
    ],
)
def test_article_patterns_accept_real_article_urls(reg: Registry, site_id: str, url: str) -> None:
    assert reg.get(site_id).is_article_url(url)


@pytest.mark.parametrize(
    ("site_id", "url"),
    [
        ("baohaiduong", "https://baohaiduong.vn/nong-nghiep"),
        ("baohaiduong", "https://baohaiduong.vn/tag/nong-nghiep-123456"),
        ("baohanam", "https://baohanam.com.vn/van-hoa/le-hoi"),
        ("baobacgiang", "https://baobacgiang.vn/bg2/moi-nhat/"),
        ("baobacgiang", "https://baobacgiang.vn/tag/bac-giang-postid1.bbg"),
        ("sggp", "https://www.sggp.org.vn/chinhtri/"),
        ("baocantho", "https://baocantho.com.vn/tim-kiem?q=can-tho"),
        ("demo", "http://demo.baotinh.test/chinh-tri"),
        ("demo", "http://demo.baotinh.test/tac-gia/thu-ha-2024"),
    ],
)
def test_article_patterns_reject_listing_and_tag_urls(reg: Registry, site_id: str, url: str) -> None:
    assert not reg.get(site_id).is_article_url(url)


def fields_of(problems: list[RegistryProblem]) -> set[tuple[str | None, str]]:
    return {(p.site_id, p.field) for p in problems}


def test_check_catches_duplicate_ids(raw: dict[str, Any]) -> None:
    raw["sites"].append(copy.deepcopy(raw["sites"][1]))
    assert any(p.field == "id" for p in check_registry_data(raw))


def test_check_catches_a_domain_claimed_twice(raw: dict[str, Any]) -> None:
    raw["sites"][2]["aliases"] = ["hanoimoi.vn"]
    problems = check_registry_data(raw)
    assert any(p.field == "domains" and "hanoimoi.vn" in p.message for p in problems)


def test_check_catches_a_bad_regex(raw: dict[str, Any]) -> None:
    raw["families"]["bbg-postid"]["exclude_patterns"] = ["/tag/(", "/video/"]
    raw["sites"][3]["article_pattern"] = "[unclosed"
    found = fields_of(check_registry_data(raw))
    assert ("family:bbg-postid", "exclude_patterns") in found
    assert (raw["sites"][3]["id"], "article_pattern") in found


def test_check_catches_unknown_family_and_schema_errors(raw: dict[str, Any]) -> None:
    raw["sites"][1]["family"] = "no-such-family"
    assert fields_of(check_registry_data(raw)) == {(None, "schema")}
    raw = tomllib.loads(default_registry_path().read_text(encoding="utf-8"))
    del raw["sites"][1]["name"]
    assert fields_of(check_registry_data(raw)) == {(None, "schema")}


def test_check_catches_missing_required_fields(raw: dict[str, Any]) -> None:
    del raw["sites"][1]["province_after"]
    assert (raw["sites"][1]["id"], "province_after") in fields_of(check_registry_data(raw))


def test_check_catches_province_errors(raw: dict[str, Any]) -> None:
    by_id = {s["id"]: s for s in raw["sites"]}
    by_id["baonamdinh"]["province_after"] = "Nam Định"  # not a post-merger province
    by_id["baohanam"]["province_after"] = "Hải Phòng"  # a real province, but the wrong one
    by_id["baolongan"]["province_before"] = "Tây Ninh"  # Long An gone, Tây Ninh twice
    problems = check_registry_data(raw)
    found = fields_of(problems)
    assert ("baonamdinh", "province_after") in found
    assert ("baohanam", "province_after") in found
    messages = [p.message for p in problems if p.site_id is None]
    assert "no paper for Long An" in messages
    assert any(m.startswith("Tây Ninh has 2 papers") for m in messages)


def test_check_catches_foreign_and_relative_urls(raw: dict[str, Any]) -> None:
    site = raw["sites"][1]
    site["feeds"] = ["https://example.org/rss/home.rss"]
    site["start_urls"] = ["ftp://hanoimoi.vn/"]
    found = fields_of(check_registry_data(raw))
    assert (site["id"], "feeds") in found and (site["id"], "start_urls") in found


def test_check_catches_an_article_pattern_matching_start_urls(raw: dict[str, Any]) -> None:
    site = raw["sites"][1]
    site["article_pattern"] = "^https?://[^/]+/.*$"
    problems = check_registry_data(raw)
    assert any(p.site_id == site["id"] and p.field == "article_pattern" and "non-article" in p.message
               for p in problems)


def test_check_catches_bad_selectors_and_dates(raw: dict[str, Any]) -> None:
    raw["families"]["newscontents"]["hints"]["body"] = "div#newscontents >> ]["
    raw["sites"][1]["founded"] = "24/10/1957"
    found = fields_of(check_registry_data(raw))
    assert ("family:newscontents", "hints.body") in found
    assert (raw["sites"][1]["id"], "founded") in found


def test_sites_table_and_json(reg: Registry) -> None:
    table = format_sites_table(reg)
    lines = table.splitlines()
    assert len(lines) == 2 + 64
    assert any("baohaiduong" in ln and "Hải Dương → Hải Phòng" in ln and "slug-id-html" in ln for ln in lines)
    data = json.loads(json.dumps(site_as_dict(reg.get("baobacgiang")), ensure_ascii=False))
    assert data["domain"] == "baobacgiang.vn"
    assert "baobacgiang.com.vn" in data["aliases"]
    assert data["hints"]["body"].startswith("div.ArticleContent")


# -- fixtures: the demo paper's own registry file (issue 12) ---------------------------------
def test_demo_is_a_bundled_fixture_not_a_paper(reg: Registry) -> None:
    from pipeline.registry.load import bundled_registry_paths

    packaged, *fixtures = bundled_registry_paths()
    assert [p.name for p in fixtures] == ["registry.toml"] and fixtures[0].parent.name == "demo"
    assert all(s["id"] != "demo" for s in tomllib.loads(packaged.read_text(encoding="utf-8"))["sites"])
    assert reg.fixtures == {"demo"} and reg.is_fixture(reg.get("demo"))
    assert len(reg.papers) == 63 and "demo" not in {s.id for s in reg.papers}
    assert reg.with_site(reg.get("baohaiduong")).fixtures == {"demo"}


def test_fixture_flag_in_an_extra_file_and_its_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.registry import load as registry_load

    extra = tmp_path / "extra.toml"
    extra.write_text('[[sites]]\nid = "testpaper"\nname = "T"\ndomains = ["paper.test"]\nfixture = true\n',
                     encoding="utf-8")
    reg = load_registry(extra)
    assert reg.fixtures == {"demo", "testpaper"} and len(reg.papers) == 63
    extra.write_text('[[sites]]\nid = "testpaper"\nname = "T"\ndomains = ["paper.test"]\nfixture = "yes"\n',
                     encoding="utf-8")
    with pytest.raises(registry_load.RegistryError, match="fixture must be true or false"):
        load_registry(extra)
    # a bundled fixture file may not slip a paper in
    extra.write_text('[[sites]]\nid = "testpaper"\nname = "T"\ndomains = ["paper.test"]\n', encoding="utf-8")
    monkeypatch.setattr(registry_load, "bundled_registry_paths", lambda: (default_registry_path(), extra))
    with pytest.raises(registry_load.RegistryError, match="must say fixture = true"):
        load_registry()


def test_sites_command_lists_papers_and_fixtures_on_request() -> None:
    from .conftest import run_cli

    papers = run_cli("sites")
    assert papers.returncode == 0 and len(papers.stdout.splitlines()) == 2 + 63
    assert "demo.baotinh.test" not in papers.stdout
    everything = run_cli("sites", "--fixtures", "--json")
    assert [json.loads(x)["id"] for x in everything.stdout.splitlines()].count("demo") == 1
    check = run_cli("sites", "check")
    assert check.returncode == 0 and check.stdout.startswith("ok: 63 papers and 1 fixture(s)")
