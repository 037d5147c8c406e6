"""Registry: the provincial papers as data (``sites.toml``), loaded, merged and checked.

``load`` reads and validates the TOML (families hold what one CMS shares, sites what differs);
``check`` is ``baotinh sites check``. Imports only ``text`` and the ground floor.
"""

from __future__ import annotations

from pipeline.registry.load import (
    ExtractionHints,
    Family,
    Registry,
    RegistryError,
    Site,
    UnknownSiteError,
    host_of,
    load_registry,
)

__all__ = [
    "ExtractionHints", "Family", "Registry", "RegistryError", "Site", "UnknownSiteError", "host_of",
    "load_registry",
]
