"""A paper the registry does not know: generic discovery (issue 3, acceptance 3) and `sites suggest`."""

from __future__ import annotations

import sqlite3
import tomllib
from pathlib import Path

import pytest

from pipeline.demo import load_demo_articles

from .conftest import ServedSite, run_cli

pytestmark = pytest.mark.slow


def test_crawl_url_archives_only_articles(demo_server: ServedSite, archive: Path) -> None:
    # Served on 127.0.0.1, the demo paper is a site the registry does not know.
    articles = load_demo_articles(demo_server.articles_dir)
    result = run_cli("crawl", "--url", demo_server.base_url + "/", "--delay", "0.01", archive=archive)
    assert result.returncode == 0, result.stderr
    conn = sqlite3.connect(archive / "baotinh.sqlite")
    rows = conn.execute("select url, site, title, author from articles").fetchall()
    conn.close()
    paths = {url.removeprefix(demo_server.base_url) for url, *_ in rows}
    assert paths == {a.path for a in articles}
    assert {site for _, site, *_ in rows} == {"127.0.0.1"}
    # No listing, tag, author or search page was archived, and robots.txt was obeyed.
    requested = [r["path"] for r in demo_server.requests()]
    assert not any(p.startswith("/tim-kiem") for p in requested)
    assert all(title for _, _, title, _ in rows)


def test_sites_suggest_drafts_a_valid_entry(demo_server: ServedSite) -> None:
    result = run_cli("sites", "suggest", demo_server.base_url + "/")
    assert result.returncode == 0, result.stderr
    entry = tomllib.loads(result.stdout)["sites"][0]
    assert entry["feeds"] and entry["sitemaps"]
    import re

    pattern = re.compile(entry["article_pattern"])
    for a in load_demo_articles(demo_server.articles_dir):
        assert pattern.search(demo_server.base_url + a.path), a.path
    assert not pattern.search(demo_server.base_url + "/chinh-tri")
    assert not any("/tim-kiem" in u for u in entry.get("start_urls", []))


def test_sites_suggest_unreachable() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = run_cli("sites", "suggest", f"http://127.0.0.1:{port}/")
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot reach") and len(result.stderr.splitlines()) == 1
