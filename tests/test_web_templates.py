"""The web UI's templates: Jinja2 autoescaping everywhere, no way to mark outside text safe.

These render pages straight from views (no server, no database) so they run in milliseconds.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from jinja2 import StrictUndefined, UndefinedError

from pipeline.archive.models import Article, Source
from pipeline.search import SearchQuery
from pipeline.web import pages
from pipeline.web.render import load_templates
from pipeline.web.views import Page

WEB = Path(__file__).resolve().parent.parent / "src" / "pipeline" / "web"
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
# Ways to switch escaping off or to mark text as markup; none may appear in the web package.
UNSAFE = re.compile(r"\|\s*safe\b|Markup\s*\(|autoescape\s+false|autoescape\s*=\s*False", re.IGNORECASE)


def _ctx(lang: str = "vi") -> pages.PageContext:
    return pages.PageContext(lang=lang, explicit_lang=False, path="/articles/1")


def _hostile_article() -> tuple[Article, Source]:
    article = Article(
        id=1, url="https://baohaiduong.vn/a-1.html", canonical_url="https://baohaiduong.vn/a-1.html",
        site="baohaiduong", title=f"Tiêu đề {SCRIPT} {IMG}", description=f"Sapo {SCRIPT}",
        author=f"Tác giả {IMG} {SCRIPT}", text=f"Đoạn một {SCRIPT}\nĐoạn hai {IMG}",
        captions=[f"Chú thích {SCRIPT} {IMG}"],
        images=[{"url": f"https://baohaiduong.vn/{IMG}.jpg", "caption": f"Ảnh {IMG}"},
                {"url": "javascript:alert(1)", "caption": None}],
        section=IMG, tags=[SCRIPT], flags=["<b>flag</b>"], word_count=4, language="vi",
        published_at=datetime(2025, 3, 1, 8, 30, tzinfo=UTC), source_agency=IMG,
    )
    source = Source(id="baohaiduong", name=f"Báo {SCRIPT}", province_before=IMG, province_after="Hải Phòng")
    return article, source


def test_no_template_or_module_turns_escaping_off() -> None:
    files = [p for p in WEB.rglob("*") if p.is_file() and p.suffix in (".html", ".py")]
    assert any(p.suffix == ".html" for p in files) and any(p.suffix == ".py" for p in files)
    found = [(p.relative_to(WEB).as_posix(), m.group(0)) for p in files
             for m in UNSAFE.finditer(p.read_text(encoding="utf-8"))]
    assert found == []


def test_environment_escapes_every_template_and_refuses_unknown_names() -> None:
    env = load_templates().env
    assert env.autoescape is True and env.undefined is StrictUndefined
    with pytest.raises(UndefinedError):
        env.from_string("{{ nothing_here }}").render()
    assert env.from_string("{{ x }}").render(x=SCRIPT) == "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_hostile_article_is_escaped() -> None:
    article, source = _hostile_article()
    html = load_templates().render(pages.article_page(_ctx(), article, source, versions=None,
                                                      capture_url=None))
    assert "<script>alert" not in html and "<img" not in html and "onerror=alert(1)>" not in html
    assert html.count("<script") == 1  # the page's own app.js
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    for shown in ("Tiêu đề &lt;script&gt;", "Sapo &lt;script&gt;", "Tác giả &#34;&gt;&lt;img",
                  "Chú thích &lt;script&gt;", "Ảnh &#34;&gt;&lt;img", "Đoạn một &lt;script&gt;",
                  "&lt;b&gt;flag&lt;/b&gt;"):
        assert shown in html, shown
    # The image's own URL is escaped inside its href; a javascript: URL is only text.
    assert 'href="https://baohaiduong.vn/&#34;&gt;&lt;img' in html
    assert 'href="javascript:' not in html and "javascript:alert(1)" in html


def test_hostile_query_is_escaped_in_the_form() -> None:
    params = SearchQuery(text=IMG, author=SCRIPT, section=IMG)
    html = load_templates().render(pages.search_page(_ctx("en"), params, [], None, error=f"bad {SCRIPT}"))
    assert "<script>alert" not in html and "<img" not in html
    assert 'value="&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"' in html
    assert 'id="query-error">bad &lt;script&gt;' in html


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_page_renders_in_both_languages(lang: str) -> None:
    article, source = _hostile_article()
    ctx = _ctx(lang)
    templates = load_templates()
    versions = pages.versions_view(ctx, ["version", "valid_from"], [[1, article.published_at]])
    built: list[Page] = [
        pages.search_page(ctx, SearchQuery(), [source], None),
        pages.article_page(ctx, article, source, versions=versions, capture_url="/articles/1/capture"),
        pages.error_page(ctx, "not_found", "nothing"),
    ]
    for page in built:
        html = templates.render(page)
        assert html.startswith("<!doctype html>") and f'<html lang="{lang}">' in html
        assert html.rstrip().endswith("</html>")
