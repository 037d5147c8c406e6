"""The bundled demo paper: article data, renderer and a local HTTP server."""

from __future__ import annotations

from pipeline.demo.articles import DemoArticle, DemoExpected, DemoImage, load_demo_articles
from pipeline.demo.server import AccessLog, AccessRecord, RunningServer, serve_site
from pipeline.demo.site import DemoSite, Page

__all__ = [
    "AccessLog",
    "AccessRecord",
    "DemoArticle",
    "DemoExpected",
    "DemoImage",
    "DemoSite",
    "Page",
    "RunningServer",
    "load_demo_articles",
    "serve_site",
]
