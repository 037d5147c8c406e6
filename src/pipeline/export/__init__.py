"""Export: datasets (JSONL, CSV, Parquet, WARC) with manifests, checksums and datasheets.

``dataset`` runs an export (:func:`export_articles`), ``formats`` writes the data files,
``warc`` the WARC + CDXJ export, ``manifest`` builds and verifies ``manifest.json``
(:func:`verify_export`), ``datasheet`` writes the folder's README.md.

The names below load on first use: importing one module of this room (the CLI does, to list
the formats in ``--help``) does not import pyarrow and SQLAlchemy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.export.dataset import ExportOptions, ExportResult, export_articles
    from pipeline.export.manifest import verify_export

_LAZY = {
    "ExportOptions": "pipeline.export.dataset",
    "ExportResult": "pipeline.export.dataset",
    "export_articles": "pipeline.export.dataset",
    "verify_export": "pipeline.export.manifest",
}

__all__ = ["ExportOptions", "ExportResult", "export_articles", "verify_export"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
