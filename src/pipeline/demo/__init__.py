"""The bundled demo paper: article data, renderer, its registry entry and the one local HTTP server."""

from __future__ import annotations

from pipeline.demo.articles import DemoArticle, DemoExpected, DemoImage, load_demo_articles
from pipeline.demo.misbehaviour import Misbehaviour
from pipeline.demo.server import AccessLog, AccessRecord, RunningServer, serve_site
from pipeline.demo.site import DemoSite, Page

__all__ = [
    "AccessLog",
    "AccessRecord",
    "DemoArticle",
    "DemoExpected",
    "DemoImage",
    "DemoSite",
    "Misbehaviour",
    "Page",
    "RunningServer",
    "load_demo_articles",
    "serve_site",
]
