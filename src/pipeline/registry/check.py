"""Validation of the site registry (``baotinh sites check``) and its table/JSON views.

:func:`check_registry` returns every problem it finds instead of stopping at the first, so one
run of ``baotinh sites check`` shows the whole list. The province lists are held here as data:
the registry must cover each of the 63 pre-merger provinces exactly once and map it to one of
the 34 provinces created on 1 July 2025.

>>> from pipeline.registry.load import load_registry
>>> check_registry(load_registry())
[]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from lxml.cssselect import CSSSelector, SelectorError

from pipeline.registry.load import (
    ExtractionHints,
    Family,
    Registry,
    RegistryError,
    Site,
    host_of,
    parse_registry,
)

__all__ = [
    "MERGER_MAP",
    "POST_MERGER_PROVINCES",
    "PRE_MERGER_PROVINCES",
    "RegistryProblem",
    "check_registry",
    "check_registry_data",
    "format_sites_table",
    "site_as_dict",
]

# Pre-merger province (63) -> post-merger province (34), per the National Assembly resolution
# of 12 June 2025 effective 1 July 2025. Names as the registry spells them.
MERGER_MAP: Mapping[str, str] = {
    "Hà Nội": "Hà Nội",
    "Thừa Thiên Huế": "Huế",
    "Lai Châu": "Lai Châu",
    "Điện Biên": "Điện Biên",
    "Sơn La": "Sơn La",
    "Lạng Sơn": "Lạng Sơn",
    "Quảng Ninh": "Quảng Ninh",
    "Thanh Hóa": "Thanh Hóa",
    "Nghệ An": "Nghệ An",
    "Hà Tĩnh": "Hà Tĩnh",
    "Cao Bằng": "Cao Bằng",
    "Tuyên Quang": "Tuyên Quang",
    "Hà Giang": "Tuyên Quang",
    "Lào Cai": "Lào Cai",
    "Yên Bái": "Lào Cai",
    "Thái Nguyên": "Thái Nguyên",
    "Bắc Kạn": "Thái Nguyên",
    "Phú Thọ": "Phú Thọ",
    "Vĩnh Phúc": "Phú Thọ",
    "Hòa Bình": "Phú Thọ",
    "Bắc Ninh": "Bắc Ninh",
    "Bắc Giang": "Bắc Ninh",
    "Hưng Yên": "Hưng Yên",
    "Thái Bình": "Hưng Yên",
    "Hải Phòng": "Hải Phòng",
    "Hải Dương": "Hải Phòng",
    "Ninh Bình": "Ninh Bình",
    "Nam Định": "Ninh Bình",
    "Hà Nam": "Ninh Bình",
    "Quảng Trị": "Quảng Trị",
    "Quảng Bình": "Quảng Trị",
    "Đà Nẵng": "Đà Nẵng",
    "Quảng Nam": "Đà Nẵng",
    "Quảng Ngãi": "Quảng Ngãi",
    "Kon Tum": "Quảng Ngãi",
    "Gia Lai": "Gia Lai",
    "Bình Định": "Gia Lai",
    "Khánh Hòa": "Khánh Hòa",
    "Ninh Thuận": "Khánh Hòa",
    "Lâm Đồng": "Lâm Đồng",
    "Đắk Nông": "Lâm Đồng",
    "Bình Thuận": "Lâm Đồng",
    "Đắk Lắk": "Đắk Lắk",
    "Phú Yên": "Đắk Lắk",
    "TP Hồ Chí Minh": "TP Hồ Chí Minh",
    "Bình Dương": "TP Hồ Chí Minh",
    "Bà Rịa–Vũng Tàu": "TP Hồ Chí Minh",
    "Đồng Nai": "Đồng Nai",
    "Bình Phước": "Đồng Nai",
    "Tây Ninh": "Tây Ninh",
    "Long An": "Tây Ninh",
    "Cần Thơ": "Cần Thơ",
    "Hậu Giang": "Cần Thơ",
    "Sóc Trăng": "Cần Thơ",
    "Vĩnh Long": "Vĩnh Long",
    "Bến Tre": "Vĩnh Long",
    "Trà Vinh": "Vĩnh Long",
    "Đồng Tháp": "Đồng Tháp",
    "Tiền Giang": "Đồng Tháp",
    "Cà Mau": "Cà Mau",
    "Bạc Liêu": "Cà Mau",
    "An Giang": "An Giang",
    "Kiên Giang": "An Giang",
}

PRE_MERGER_PROVINCES: tuple[str, ...] = tuple(MERGER_MAP)
POST_MERGER_PROVINCES: tuple[str, ...] = tuple(dict.fromkeys(MERGER_MAP.values()))

# Fixture sites (the demo paper, test sites) live on the reserved .test TLD; they do not count
# as provincial papers.
_FIXTURE_TLDS = (".test", ".localhost", ".invalid", ".example")
_HOST_RE = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")
_REQUIRED_SITE_FIELDS = ("name", "province_before", "province_after", "family")
_PATTERN_FIELDS = ("article_pattern", "listing_patterns", "pagination", "exclude_patterns")
# Pages that are never articles on any news site: probed against each article pattern.
_NON_ARTICLE_PATHS = ("/", "/tag/kinh-te", "/tac-gia/nguyen-van-a", "/tim-kiem?q=ha-noi",
                      "/rss/home.rss", "/sitemap.xml", "/video")


@dataclass(frozen=True, slots=True)
class RegistryProblem:
    """One thing wrong with the registry; ``site_id`` is None for registry-wide problems."""

    site_id: str | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.site_id if self.site_id is not None else "registry"
        return f"{where}: {self.field}: {self.message}"


def check_registry(reg: Registry) -> list[RegistryProblem]:
    """Every problem found in ``reg``, in registry order; an empty list means it is sound.

    Checks: required fields, unique ids, compilable regexes, no host claimed by two sites,
    known families, post-merger province names and the merger mapping, every pre-merger
    province covered exactly once, absolute http(s) URLs on the site's own hosts, article
    patterns that reject the site's own start/feed/sitemap URLs and tag/search pages, and CSS
    selectors that parse.
    """
    problems: list[RegistryProblem] = []
    problems += _check_families(reg.families)
    problems += _check_unique_ids(reg.sites)
    problems += _check_hosts_claimed_once(reg.sites)
    for site in reg.sites:
        problems += _check_site(site, reg.families)
    problems += _check_province_coverage(reg.sites)
    return problems


def check_registry_data(data: Mapping[str, Any]) -> list[RegistryProblem]:
    """Like :func:`check_registry` on parsed TOML tables; a parse error becomes one problem."""
    try:
        reg = parse_registry(data)
    except RegistryError as exc:
        return [RegistryProblem(None, "schema", str(exc))]
    return check_registry(reg)


def _check_families(families: Mapping[str, Family]) -> Iterator[RegistryProblem]:
    for fid, fam in families.items():
        where = f"family:{fid}"
        if fam.article_pattern is None:
            yield RegistryProblem(where, "article_pattern", "a family needs an article pattern")
        yield from _check_patterns(where, _patterns_of(fam))
        yield from _check_hints(where, fam.hints)


def _check_unique_ids(sites: Iterable[Site]) -> Iterator[RegistryProblem]:
    seen: set[str] = set()
    for site in sites:
        if site.id in seen:
            yield RegistryProblem(site.id, "id", "id used by more than one site")
        seen.add(site.id)


def _check_hosts_claimed_once(sites: Iterable[Site]) -> Iterator[RegistryProblem]:
    owner: dict[str, str] = {}
    for site in sites:
        for host in dict.fromkeys(_bare(h) for h in site.all_hosts):
            first = owner.setdefault(host, site.id)
            if first != site.id:
                yield RegistryProblem(site.id, "domains", f"{host} is already claimed by {first}")


def _check_site(site: Site, families: Mapping[str, Family]) -> Iterator[RegistryProblem]:
    for name in _REQUIRED_SITE_FIELDS:
        if not getattr(site, name):
            yield RegistryProblem(site.id, name, "required field is missing or empty")
    if not site.domains:
        yield RegistryProblem(site.id, "domains", "at least one domain is required")
    if site.family is not None and site.family not in families:
        yield RegistryProblem(site.id, "family", f"unknown family {site.family!r}")
    if site.scheme not in ("http", "https"):
        yield RegistryProblem(site.id, "scheme", f"scheme must be http or https, not {site.scheme!r}")
    for host in site.all_hosts:
        if not _HOST_RE.match(_bare(host)):
            yield RegistryProblem(site.id, "domains", f"{host!r} is not a host name")
    yield from _check_provinces(site)
    yield from _check_founded(site)
    yield from _check_patterns(site.id, _patterns_of(site))
    yield from _check_hints(site.id, site.hints)
    yield from _check_urls(site)
    if site.article_pattern is None:
        yield RegistryProblem(site.id, "article_pattern", "no article pattern (own or family)")
    elif _compiles(site.article_pattern):
        yield from _check_article_pattern_rejects(site)


def _check_provinces(site: Site) -> Iterator[RegistryProblem]:
    after = site.province_after
    if after and after not in POST_MERGER_PROVINCES:
        yield RegistryProblem(site.id, "province_after",
                              f"{after!r} is not one of the 34 post-merger provinces")
    before = site.province_before
    if before and before not in MERGER_MAP:
        yield RegistryProblem(site.id, "province_before",
                              f"{before!r} is not one of the 63 pre-merger provinces")
    elif before and after and MERGER_MAP[before] != after:
        yield RegistryProblem(site.id, "province_after",
                              f"{before} was merged into {MERGER_MAP[before]}, not {after}")


def _check_founded(site: Site) -> Iterator[RegistryProblem]:
    if site.founded is None:
        return
    try:
        date.fromisoformat(site.founded)
    except (TypeError, ValueError):
        yield RegistryProblem(site.id, "founded", f"{site.founded!r} is not an ISO date")


def _check_patterns(where: str, patterns: Iterable[tuple[str, str]]) -> Iterator[RegistryProblem]:
    for name, pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            yield RegistryProblem(where, name, f"regex {pattern!r} does not compile: {exc}")


def _check_hints(where: str, hints: ExtractionHints) -> Iterator[RegistryProblem]:
    for name in hints.__slots__:  # type: ignore[attr-defined]
        if name == "date_format":
            continue
        value = getattr(hints, name)
        selectors = value if isinstance(value, tuple) else (value,) if value else ()
        for selector in selectors:
            try:
                CSSSelector(selector)
            except (SelectorError, SyntaxError, ValueError) as exc:
                yield RegistryProblem(where, f"hints.{name}",
                                      f"CSS selector {selector!r} does not parse: {exc}")


def _check_urls(site: Site) -> Iterator[RegistryProblem]:
    for name in ("start_urls", "feeds", "sitemaps"):
        for url in getattr(site, name):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                yield RegistryProblem(site.id, name, f"{url!r} is not an absolute http(s) URL")
            elif not site.owns_host(parts.hostname):
                yield RegistryProblem(site.id, name, f"{url!r} is not on the site's own hosts")


def _check_article_pattern_rejects(site: Site) -> Iterator[RegistryProblem]:
    probes = (*site.start_urls, *site.feeds, *site.sitemaps,
              *(site.origin + path for path in _NON_ARTICLE_PATHS))
    for url in dict.fromkeys(probes):
        if _safe_is_article(site, url):
            yield RegistryProblem(site.id, "article_pattern",
                                  f"matches the non-article page {url}")


def _check_province_coverage(sites: Iterable[Site]) -> Iterator[RegistryProblem]:
    papers = [s for s in sites if not _is_fixture(s)]
    counts: dict[str, list[str]] = {}
    for site in papers:
        if site.province_before:
            counts.setdefault(site.province_before, []).append(site.id)
    for province in PRE_MERGER_PROVINCES:
        ids = counts.get(province, [])
        if not ids:
            yield RegistryProblem(None, "province_before", f"no paper for {province}")
        elif len(ids) > 1:
            yield RegistryProblem(None, "province_before",
                                  f"{province} has {len(ids)} papers: {', '.join(ids)}")


def _patterns_of(obj: Site | Family) -> Iterator[tuple[str, str]]:
    for name in _PATTERN_FIELDS:
        value = getattr(obj, name)
        if isinstance(value, str):
            yield name, value
        elif isinstance(value, tuple):
            yield from ((name, v) for v in value)


def _compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


def _safe_is_article(site: Site, url: str) -> bool:
    # A broken exclude pattern is reported elsewhere; it must not crash this probe.
    try:
        return site.is_article_url(url)
    except re.error:
        return False


def _bare(host: str) -> str:
    return host_of(f"//{host}") or host.lower()


def _is_fixture(site: Site) -> bool:
    return bool(site.domains) and all(_bare(d).endswith(_FIXTURE_TLDS) for d in site.domains)


def format_sites_table(reg: Registry) -> str:
    """A plain-text table of the sites: id, name, province before → after, family, domain."""
    header = ("id", "name", "province", "family", "domain")
    rows = [header] + [
        (
            s.id,
            s.name,
            f"{s.province_before or '?'} → {s.province_after or '?'}",
            s.family or "-",
            s.domains[0] if s.domains else "-",
        )
        for s in reg.sites
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def site_as_dict(site: Site) -> dict[str, Any]:
    """A JSON-ready dict of a site (effective settings, family merged in), for ``--json``."""
    data = asdict(site)
    for key, value in data.items():
        if isinstance(value, tuple):
            data[key] = list(value)
    data["hints"] = {k: list(v) if isinstance(v, tuple) else v
                     for k, v in asdict(site.hints).items() if v not in (None, ())}
    data["domain"] = site.domain if site.domains else None
    return data
