"""The one module that reads the environment.

Every other module receives a :class:`Settings` (or plain arguments); none reads ``os.environ``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import __version__
from pipeline.errors import ConfigError

PROJECT_URL = "https://github.com/baotinh/baotinh"
DEFAULT_USER_AGENT = f"baotinh/{__version__} (+{PROJECT_URL}; archive of Vietnam's provincial press)"
DB_FILENAME = "baotinh.sqlite"
DEFAULT_WEB_EXPORT_MAX = 10_000


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Where the archive lives and how to reach it.

    >>> s = Settings(archive_dir=Path("archive"))
    >>> s.database_url
    'sqlite:///archive/baotinh.sqlite'
    """

    archive_dir: Path
    db_url: str | None = None
    registry_paths: tuple[Path, ...] = ()
    user_agent: str = DEFAULT_USER_AGENT
    extra: Mapping[str, str] = field(default_factory=dict)
    # where WARC captures live when every machine must read them (a shared path); default: the archive
    capture_store: Path | None = None

    @property
    def database_url(self) -> str:
        """The SQLAlchemy URL: ``--db``/``BAOTINH_DB`` or the SQLite file in the archive."""
        if self.db_url:
            return self.db_url
        return f"sqlite:///{self.archive_dir / DB_FILENAME}"

    @property
    def capture_root(self) -> Path:
        """The folder the captures index paths (``captures/…warc.gz``) are relative to."""
        return self.capture_store or self.archive_dir

    @property
    def captures_dir(self) -> Path:
        return self.capture_root / "captures"

    @property
    def exports_dir(self) -> Path:
        return self.archive_dir / "exports"

    @property
    def logs_dir(self) -> Path:
        return self.archive_dir / "logs"

    @property
    def web_export_max(self) -> int:
        """Most articles one download of search results from the web UI/API holds
        (``BAOTINH_WEB_EXPORT_MAX``, default 10,000); :class:`ConfigError` when not a positive number."""
        return self._positive("BAOTINH_WEB_EXPORT_MAX") or DEFAULT_WEB_EXPORT_MAX

    @property
    def recent_span(self) -> int | None:
        """Ids in each of PostgreSQL's recent search tiers (``BAOTINH_RECENT_SPAN``; None:
        the library's 200,000); :class:`ConfigError` when not a positive number."""
        return self._positive("BAOTINH_RECENT_SPAN")

    @property
    def search_tiers(self) -> bool:
        """False when ``BAOTINH_SEARCH_TIERS`` is ``off``: PostgreSQL keeps no recent search tiers
        (searches are slower, writers faster: docs/POSTGRES.md); :class:`ConfigError` on another value."""
        raw = self.extra.get("BAOTINH_SEARCH_TIERS", "").strip().lower()
        if raw in ("", "on"):
            return True
        if raw == "off":
            return False
        raise ConfigError(f"BAOTINH_SEARCH_TIERS must be on or off, not {raw!r}")

    def _positive(self, name: str) -> int | None:
        """The setting ``name`` as a positive whole number, None when unset."""
        raw = self.extra.get(name, "").strip()
        if not raw:
            return None
        if not raw.isdigit() or int(raw) < 1:
            raise ConfigError(f"{name} must be a positive whole number, not {raw!r}")
        return int(raw)

    def as_env(self) -> dict[str, str]:
        """Environment variables that reproduce these settings in a child process."""
        env = {"BAOTINH_ARCHIVE": str(self.archive_dir), "BAOTINH_USER_AGENT": self.user_agent}
        if self.db_url:
            env["BAOTINH_DB"] = self.db_url
        if self.capture_store:
            env["BAOTINH_CAPTURE_STORE"] = str(self.capture_store)
        if self.registry_paths:
            env["BAOTINH_REGISTRY"] = os.pathsep.join(str(p) for p in self.registry_paths)
        return env


def load_settings(
    *,
    archive: str | Path | None = None,
    db: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Settings from explicit values first, then ``BAOTINH_*`` variables, then defaults."""
    env = os.environ if environ is None else environ
    archive_dir = Path(archive or env.get("BAOTINH_ARCHIVE") or "archive")
    registry = tuple(Path(p) for p in env.get("BAOTINH_REGISTRY", "").split(os.pathsep) if p)
    store = env.get("BAOTINH_CAPTURE_STORE")
    return Settings(
        archive_dir=archive_dir,
        db_url=db or env.get("BAOTINH_DB") or None,
        registry_paths=registry,
        user_agent=env.get("BAOTINH_USER_AGENT") or DEFAULT_USER_AGENT,
        extra={k: v for k, v in env.items() if k.startswith("BAOTINH_")},
        capture_store=Path(store) if store else None,
    )
