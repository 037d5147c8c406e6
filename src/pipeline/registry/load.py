"""The site registry: which papers exist, where they live and how their pages are built.

The registry is data (``registry/sites.toml``, packaged); this module loads and validates it.
A *family* groups the sites that run one CMS and holds the shared URL patterns and extraction
hints; a *site* holds only what differs. A site's effective settings are its family's merged with
its own.

Besides ``sites.toml``, the package bundles *fixtures*: registry files for sites that are not
papers (the demo paper's ``demo/registry.toml``, listed in :data:`BUNDLED_FIXTURES`). They are
loaded with the papers, so ``get("demo")`` works everywhere, and their sites say
``fixture = true``, which :attr:`Registry.papers` (``crawl --all``, ``baotinh sites``) honours.

>>> reg = load_registry()
>>> reg.get("baohaiduong").province_after
'Hải Phòng'
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pipeline.errors import ConfigError

__all__ = [
    "BUNDLED_FIXTURES",
    "ExtractionHints",
    "Family",
    "Registry",
    "RegistryError",
    "Site",
    "UnknownSiteError",
    "bundled_registry_paths",
    "default_registry_path",
    "load_registry",
    "host_of",
]


class RegistryError(ConfigError, ValueError):
    """The registry file is malformed."""


class UnknownSiteError(ConfigError, LookupError):
    """No site with that id (or for that URL) in the registry."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtractionHints:
    """CSS selectors and rules that help extraction on one CMS; every field is optional."""

    title: str | None = None
    body: str | None = None  # the article body container
    lead: str | None = None  # the sapo
    date: str | None = None  # element holding the visible date line
    date_format: str | None = None  # a strptime format, when the date line is unusual
    byline: str | None = None  # element holding the author, when it is not the last paragraph
    caption: str | None = None  # photo caption elements
    section: str | None = None  # breadcrumb / category link
    tags: str | None = None  # tag links
    remove: tuple[str, ...] = ()  # boilerplate inside the body (related lists, share bars …)

    def merged(self, override: ExtractionHints) -> ExtractionHints:
        """These hints with every field that ``override`` sets replaced."""
        changes: dict[str, Any] = {}
        for name in self.__slots__:  # type: ignore[attr-defined]
            value = getattr(override, name)
            if name == "remove":
                if value:
                    changes[name] = tuple(dict.fromkeys(self.remove + value))
            elif value is not None:
                changes[name] = value
        return replace(self, **changes)


@dataclass(frozen=True, slots=True, kw_only=True)
class Family:
    """A CMS family: URL patterns and extraction hints shared by its sites."""

    id: str
    description: str = ""
    article_pattern: str | None = None
    listing_patterns: tuple[str, ...] = ()
    pagination: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    exclude_patterns: tuple[str, ...] = ()
    hints: ExtractionHints = field(default_factory=ExtractionHints)


@dataclass(frozen=True, slots=True, kw_only=True)
class Site:
    """One paper with its family's settings already merged in.

    ``start_urls``, ``feeds`` and ``sitemaps`` are absolute URLs on the site's current domain.
    """

    id: str
    name: str
    province_before: str | None = None
    province_after: str | None = None
    family: str | None = None
    domains: tuple[str, ...] = ()  # current first; all are served by the site today
    aliases: tuple[str, ...] = ()  # legacy domains, mirrors and media hosts
    scheme: str = "https"
    start_urls: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    listing_patterns: tuple[str, ...] = ()
    pagination: tuple[str, ...] = ()
    article_pattern: str | None = None
    exclude_patterns: tuple[str, ...] = ()
    hints: ExtractionHints = field(default_factory=ExtractionHints)
    founded: str | None = None  # ISO date; earlier published dates are flagged
    language: str = "vi"
    notes: str = ""

    @property
    def domain(self) -> str:
        """The current primary domain."""
        return self.domains[0]

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.domain}"

    @property
    def all_hosts(self) -> tuple[str, ...]:
        return self.domains + self.aliases

    def owns_host(self, host: str) -> bool:
        """True when ``host`` (any case, with or without ``www.``) belongs to this site."""
        h = _bare_host(host)
        return any(h == _bare_host(d) for d in self.all_hosts)

    def is_article_url(self, url: str) -> bool:
        """True when ``url`` matches the article pattern and no exclude pattern."""
        if self.article_pattern is None:
            return False
        if any(re.search(p, url) for p in self.exclude_patterns):
            return False
        return re.search(self.article_pattern, url) is not None

    def is_listing_url(self, url: str) -> bool:
        return any(re.search(p, url) for p in self.listing_patterns + self.pagination)


def host_of(url: str) -> str:
    """The lower-case host of ``url`` without ``www.`` and without a port."""
    return _bare_host(urlsplit(url).hostname or "")


def _bare_host(host: str) -> str:
    host = host.lower().rstrip(".")
    host = host.split(":", 1)[0]
    return host[4:] if host.startswith("www.") else host


@dataclass(frozen=True)
class Registry:
    """All known sites, by id and by host; ``fixtures`` are the ids of sites marked ``fixture = true``."""

    sites: tuple[Site, ...]
    families: Mapping[str, Family]
    fixtures: frozenset[str] = frozenset()

    def __iter__(self) -> Iterator[Site]:
        return iter(self.sites)

    def __len__(self) -> int:
        return len(self.sites)

    @cached_property
    def _by_id(self) -> dict[str, Site]:
        return {s.id: s for s in self.sites}

    @cached_property
    def _by_host(self) -> dict[str, Site]:
        table: dict[str, Site] = {}
        for s in self.sites:
            for h in s.all_hosts:
                table.setdefault(_bare_host(h), s)
        return table

    @property
    def papers(self) -> tuple[Site, ...]:
        """The real papers: every site but the fixtures (what ``crawl --all`` and ``sites`` use)."""
        return tuple(s for s in self.sites if s.id not in self.fixtures)

    def is_fixture(self, site: Site) -> bool:
        """True when ``site`` is a fixture (the demo paper, a test site), not a paper."""
        return site.id in self.fixtures

    def get(self, site_id: str) -> Site:
        try:
            return self._by_id[site_id]
        except KeyError:
            raise UnknownSiteError(
                f"unknown site id {site_id!r}; `baotinh sites` lists the known ones"
            ) from None

    def find(self, site_id: str) -> Site | None:
        return self._by_id.get(site_id)

    def for_url(self, url: str) -> Site | None:
        """The site that owns ``url``'s host (legacy aliases included), or ``None``."""
        host = host_of(url)
        site = self._by_host.get(host)
        if site is not None:
            return site
        # A subdomain of a known domain (m.baohaiduong.vn, media.…) belongs to it.
        parts = host.split(".")
        for i in range(1, len(parts) - 1):
            site = self._by_host.get(".".join(parts[i:]))
            if site is not None:
                return site
        return None

    def with_site(self, site: Site) -> Registry:
        """A registry with ``site`` added (or replacing the site with the same id)."""
        others = tuple(s for s in self.sites if s.id != site.id)
        return Registry(others + (site,), self.families, self.fixtures)


def _tuple(value: Any, key: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise RegistryError(f"{where}: {key} must be a string or a list of strings")


_HINT_KEYS = set(ExtractionHints.__slots__)  # type: ignore[attr-defined]
_FAMILY_KEYS = {
    "description", "article_pattern", "listing_patterns", "pagination", "feeds", "sitemaps",
    "exclude_patterns", "hints",
}
_SITE_KEYS = {
    "id", "name", "province_before", "province_after", "family", "domains", "aliases", "scheme",
    "start_urls", "feeds", "sitemaps", "listing_patterns", "pagination", "article_pattern",
    "exclude_patterns", "hints", "founded", "language", "notes", "fixture",
}


def _parse_hints(raw: Any, where: str) -> ExtractionHints:
    if raw is None:
        return ExtractionHints()
    if not isinstance(raw, dict):
        raise RegistryError(f"{where}: hints must be a table")
    unknown = set(raw) - _HINT_KEYS
    if unknown:
        raise RegistryError(f"{where}: unknown hint keys {sorted(unknown)}")
    values: dict[str, Any] = {k: v for k, v in raw.items() if k != "remove"}
    for k, v in values.items():
        if not isinstance(v, str):
            raise RegistryError(f"{where}: hint {k} must be a string")
    return ExtractionHints(**values, remove=_tuple(raw.get("remove"), "remove", where))


def _parse_family(fid: str, raw: Any) -> Family:
    where = f"family {fid!r}"
    if not isinstance(raw, dict):
        raise RegistryError(f"{where}: must be a table")
    unknown = set(raw) - _FAMILY_KEYS
    if unknown:
        raise RegistryError(f"{where}: unknown keys {sorted(unknown)}")
    return Family(
        id=fid,
        description=str(raw.get("description", "")),
        article_pattern=raw.get("article_pattern"),
        listing_patterns=_tuple(raw.get("listing_patterns"), "listing_patterns", where),
        pagination=_tuple(raw.get("pagination"), "pagination", where),
        feeds=_tuple(raw.get("feeds"), "feeds", where),
        sitemaps=_tuple(raw.get("sitemaps"), "sitemaps", where),
        exclude_patterns=_tuple(raw.get("exclude_patterns"), "exclude_patterns", where),
        hints=_parse_hints(raw.get("hints"), where),
    )


def _absolute(origin: str, paths: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(p if "://" in p else origin + (p if p.startswith("/") else "/" + p) for p in paths)


def _parse_site(raw: Any, families: Mapping[str, Family], index: int) -> Site:
    if not isinstance(raw, dict):
        raise RegistryError(f"site #{index}: must be a table")
    sid = raw.get("id")
    where = f"site {sid!r}" if sid else f"site #{index}"
    if not isinstance(sid, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", sid):
        raise RegistryError(f"{where}: id must be lower-case letters, digits, '-' or '_'")
    unknown = set(raw) - _SITE_KEYS
    if unknown:
        raise RegistryError(f"{where}: unknown keys {sorted(unknown)}")
    if not isinstance(raw.get("name"), str):
        raise RegistryError(f"{where}: name is required")
    domains = _tuple(raw.get("domains"), "domains", where)
    if not domains:
        raise RegistryError(f"{where}: at least one domain is required")
    fam_id = raw.get("family")
    fam = Family(id="")
    if fam_id is not None:
        if fam_id not in families:
            raise RegistryError(f"{where}: unknown family {fam_id!r}")
        fam = families[fam_id]
    scheme = raw.get("scheme", "https")
    origin = f"{scheme}://{domains[0]}"

    def own_or_family(key: str) -> tuple[str, ...]:
        own = _tuple(raw.get(key), key, where)
        return own if key in raw else getattr(fam, key)

    start = _tuple(raw.get("start_urls"), "start_urls", where) or ("/",)
    return Site(
        id=sid,
        name=raw["name"],
        province_before=raw.get("province_before"),
        province_after=raw.get("province_after"),
        family=fam_id,
        domains=domains,
        aliases=_tuple(raw.get("aliases"), "aliases", where),
        scheme=scheme,
        start_urls=_absolute(origin, start),
        feeds=_absolute(origin, own_or_family("feeds")),
        sitemaps=_absolute(origin, own_or_family("sitemaps")),
        listing_patterns=own_or_family("listing_patterns"),
        pagination=own_or_family("pagination"),
        article_pattern=raw.get("article_pattern", fam.article_pattern),
        exclude_patterns=own_or_family("exclude_patterns"),
        hints=fam.hints.merged(_parse_hints(raw.get("hints"), where)),
        founded=raw.get("founded"),
        language=raw.get("language", "vi"),
        notes=raw.get("notes", ""),
    )


def parse_registry(data: Mapping[str, Any]) -> Registry:
    """Build a registry from the parsed TOML tables (``families`` and ``sites``)."""
    fams_raw = data.get("families", {})
    if not isinstance(fams_raw, dict):
        raise RegistryError("families must be a table of tables")
    families = {fid: _parse_family(fid, raw) for fid, raw in fams_raw.items()}
    sites_raw = data.get("sites", [])
    if not isinstance(sites_raw, list):
        raise RegistryError("sites must be an array of tables ([[sites]])")
    sites = tuple(_parse_site(raw, families, i) for i, raw in enumerate(sites_raw))
    return Registry(sites, families, _fixture_ids(sites_raw))


def _fixture_ids(sites_raw: list[Any]) -> frozenset[str]:
    """The ids of the sites that say ``fixture = true`` (validated: a boolean)."""
    ids: set[str] = set()
    for raw in sites_raw:
        flag = raw.get("fixture", False)
        if not isinstance(flag, bool):
            raise RegistryError(f"site {raw.get('id')!r}: fixture must be true or false")
        if flag:
            ids.add(raw["id"])
    return frozenset(ids)


# Registry files bundled with the package besides registry/sites.toml, relative to the
# ``pipeline`` package: fixtures, read as data (never imported), whose every site must say
# ``fixture = true``. A room that ships a fixture site lists its file here.
BUNDLED_FIXTURES: tuple[str, ...] = ("demo/registry.toml",)


def default_registry_path() -> Path:
    """The packaged registry of the papers (``registry/sites.toml``)."""
    return Path(str(resources.files("pipeline.registry").joinpath("sites.toml")))


def bundled_registry_paths() -> tuple[Path, ...]:
    """The packaged registry, then the bundled fixture files, in the order they are loaded."""
    root = Path(str(resources.files("pipeline")))
    return (default_registry_path(), *(root / name for name in BUNDLED_FIXTURES))


def _read_registry_file(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RegistryError(f"cannot read registry {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"registry {path} is not valid TOML: {exc}") from None


def _require_fixtures(data: Mapping[str, Any], path: Path) -> None:
    """A bundled fixture file may only hold sites that say ``fixture = true``."""
    for raw in data.get("sites", []):
        if not isinstance(raw, dict) or raw.get("fixture") is not True:
            sid = raw.get("id") if isinstance(raw, dict) else None
            raise RegistryError(f"{path}: site {sid!r} is a bundled fixture and must say fixture = true")


def load_registry(*paths: Path | str) -> Registry:
    """Load the packaged registry and bundled fixtures, then any extra files (later ids win).

    Extra files use the same format; they let a user add or correct a site without editing
    the packaged data (``BAOTINH_REGISTRY`` names one, see :mod:`pipeline.config`). Within the
    bundled files a repeated id is kept twice, for ``baotinh sites check`` to report.
    """
    bundled = bundled_registry_paths()
    merged: dict[str, Any] = {"families": {}, "sites": []}
    by_id: dict[str | None, int] = {}
    for index, f in enumerate((*bundled, *(Path(p) for p in paths))):
        data = _read_registry_file(f)
        if 0 < index < len(bundled):
            _require_fixtures(data, f)
        merged["families"].update(data.get("families", {}))
        for raw in data.get("sites", []):
            sid = raw.get("id") if isinstance(raw, dict) else None
            if sid in by_id and index >= len(bundled):
                merged["sites"][by_id[sid]] = raw
            else:
                by_id.setdefault(sid, len(merged["sites"]))
                merged["sites"].append(raw)
    return parse_registry(merged)
