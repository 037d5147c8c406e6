"""The read-only web UI and JSON API over the archive (``baotinh serve``).

    >>> from pipeline.web import make_app, make_server, open_archive  # doctest: +SKIP
    >>> server = make_server(make_app(open_archive(settings)), "127.0.0.1", 0)
"""

from __future__ import annotations

from pipeline.web.app import WebApp, make_app, make_server
from pipeline.web.archive import ReadOnlyArchive, open_archive

__all__ = ["ReadOnlyArchive", "WebApp", "make_app", "make_server", "open_archive"]
