"""The article side of the web UI: ``/a/<key>`` pages, citations, captures and Wayback permalinks.

Routes (all GET/HEAD, read-only):

* ``/a/<key>``: the article page, with its "Trích dẫn / Cite" block and its capture links;
  ``/articles/<id>`` (an id local to one database) redirects here;
* ``/a/<key>.csl.json`` and ``/a/<key>.bib``: the citation for reference managers;
* ``/a/<key>/capture.warc``: the WARC record the current version was extracted from;
* ``/a/<key>/captured``: the page as captured, in a sandboxed frame under a banner;
* ``/web/<YYYYMMDDhhmmss>/<url>``: the capture of ``url`` at or before that moment (UTC, as in
  the Wayback Machine; redirected to the capture's exact timestamp), and
  ``/web/<timestamp>id_/<url>`` its payload alone, served under :data:`CAPTURED_CSP`;
* ``/api/a/<key>``: the article as JSON (with its key, capture, ``duplicate_of`` and versions).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pipeline.archive.captures import find_capture
from pipeline.archive.keys import is_article_key
from pipeline.archive.models import Article, Source
from pipeline.errors import ArchiveError
from pipeline.record import CaptureRef
from pipeline.web import api, pages
from pipeline.web.archive import ReadOnlyArchive, fetch_article, fetch_article_by_key, list_versions
from pipeline.web.capture import (
    CAPTURED_CSP,
    article_capture,
    capture_uris,
    find_nearest_capture,
    list_captures,
    parse_timestamp,
    read_captured_page,
    read_warc_records,
    wayback_timestamp,
)
from pipeline.web.cite import bibtex, build_citation, csl_json, format_reference
from pipeline.web.http import Response, json_error, json_response, redirect
from pipeline.web.links import outside_link
from pipeline.web.views import CapturedView, CaptureLinks, CiteView, Page, VersionsView

if TYPE_CHECKING:
    from pipeline.web.app import Request

__all__ = ["ArticleRoutes", "article_path"]

_KEYED = re.compile(r"/a/([a-z2-7]{12,52})(\.csl\.json|\.bib|/capture\.warc|/captured)?")
_OLD_ARTICLE = re.compile(r"/articles/([1-9][0-9]{0,17})")
_WEB = re.compile(r"/web/([0-9]{4,14})(id_)?/(https?:/{1,2}.+)")
_API_KEYED = re.compile(r"/api/a/([^/]*)")
# The frame page shows a captured page from this same origin, sandboxed.
_FRAME_PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                   "frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


def article_path(article: Article) -> str:
    """The permanent path of an article: ``/a/<key>`` (``/articles/<id>`` before revision 0009)."""
    return f"/a/{article.key}" if article.key else f"/articles/{article.id}"


def web_path(ref: CaptureRef, raw: bool = False) -> str:
    """The Wayback-style path of a capture."""
    return f"/web/{wayback_timestamp(ref.date)}{'id_' if raw else ''}/{ref.uri}"


class ArticleRoutes:
    """Mixed into :class:`~pipeline.web.app.WebApp`: the article-side routes."""

    archive: ReadOnlyArchive

    def context(self, request: Request) -> pages.PageContext:
        raise NotImplementedError

    def html(self, status: int, page: Page) -> Response:
        raise NotImplementedError

    def not_found(self, request: Request) -> Response:
        raise NotImplementedError

    def route_article(self, request: Request) -> Response | None:
        """The response of an article-side path; ``None`` when the path is not one."""
        path = request.path
        if m := _KEYED.fullmatch(path):
            key, part = m.group(1), m.group(2) or ""
            return self.keyed(request, key, part)
        if m := _OLD_ARTICLE.fullmatch(path):
            with self.archive.sessions() as session:
                found = fetch_article(session, int(m.group(1)))
                target = article_path(found[0]) if found else None
            if target is None:
                return self.not_found(request)
            query = f"?{request.query_string}" if request.query_string else ""
            return redirect(target + query, 301)
        if path.startswith("/web/"):
            return self.wayback(request)
        return None

    def keyed(self, request: Request, key: str, part: str) -> Response:
        with self.archive.sessions() as session:
            found = fetch_article_by_key(session, key)
            if found is None:
                return self.not_found(request)
            article, source = found
            if part == "":
                return self.keyed_page(request, session, article, source)
            if part in (".csl.json", ".bib"):
                citation = build_citation(article, source, self.absolute(request, f"/a/{key}"))
                if part == ".bib":
                    return Response(200, bibtex(citation).encode("utf-8"), "application/x-bibtex; charset=utf-8",
                                    (("Content-Disposition", f'attachment; filename="{key}.bib"'),))
                return Response(200, csl_json(citation).encode("utf-8"), "application/vnd.citationstyles.csl+json",
                                (("Content-Disposition", f'attachment; filename="{key}.csl.json"'),))
            ref = article_capture(session, article) if self.archive.features.has_captures else None
            if ref is None:
                return self.capture_missing(request)
            if part == "/capture.warc":
                return self.warc(request, session, ref, key)
            return self.captured(request, session, ref, article)

    def keyed_page(self, request: Request, session: Session, article: Article,
                   source: Source | None) -> Response:
        ctx = self.context(request)
        versions: VersionsView | None = None
        if self.archive.features.has_versions:
            columns, rows = list_versions(session, self.archive.features, article.id)
            if columns:
                versions = pages.versions_view(ctx, columns, rows)
        key = article.key or ""
        citation = build_citation(article, source, self.absolute(request, f"/a/{key}"))
        cite = CiteView(reference=format_reference(citation, ctx.lang), permalink=citation.permalink,
                        csl_url=f"/a/{key}.csl.json", bibtex_url=f"/a/{key}.bib")
        capture: CaptureLinks | None = None
        capture_url = None
        ref = article_capture(session, article) if self.archive.features.has_captures else None
        if ref is not None:
            taken = pages.time_view(ctx, ref.date)
            assert taken is not None
            uris = [u for u in dict.fromkeys((article.url, article.canonical_url, ref.uri)) if u]
            history = tuple((web_path(r), t) for r in list_captures(session, uris)
                            if (t := pages.time_view(ctx, r.date)) is not None)
            capture = CaptureLinks(captured_url=ctx.link(f"/a/{key}/captured"), warc_url=f"/a/{key}/capture.warc",
                                   wayback_url=web_path(ref), taken=taken, history=history)
            capture_url = f"/a/{key}/capture.warc"
        back = request.query.get("back", [None])[0]
        page = pages.article_page(ctx, article, source, versions=versions, capture_url=capture_url,
                                  back=back, cite=cite, capture=capture)
        return self.html(200, page)

    def warc(self, request: Request, session: Session, ref: CaptureRef, name: str) -> Response:
        try:
            data = read_warc_records(self.archive, session, ref)
        except ArchiveError:
            return self.capture_missing(request)
        return Response(200, data, "application/warc",
                        (("Content-Disposition", f'attachment; filename="{name}.warc"'),))

    def captured(self, request: Request, session: Session, ref: CaptureRef, article: Article | None) -> Response:
        """The frame page: banner (when, from where) above the sandboxed payload."""
        ctx = self.context(request)
        taken = pages.time_view(ctx, ref.date)
        assert taken is not None
        if article is None:
            found = session.scalars(select(Article).where(
                or_(Article.url == ref.uri, Article.canonical_url == ref.uri)).limit(1)).first()
            key = found.key if found is not None else None
        else:
            key = article.key
        view = CapturedView(
            banner=ctx.t("captured_banner", time=taken.shown, url=ref.uri),
            frame_url=web_path(ref, raw=True), original=outside_link(ref.uri, ref.uri),
            article_url=ctx.link(f"/a/{key}") if key else None,
            warc_url=f"/a/{key}/capture.warc" if key and article is not None else None,
        )
        page = Page("captured.html", pages.page_frame(ctx, ctx.t("captured_title")), view)
        rendered = self.html(200, page)
        return Response(rendered.status, rendered.body, rendered.content_type,
                        (*rendered.headers, ("Content-Security-Policy", _FRAME_PAGE_CSP)))

    def wayback(self, request: Request) -> Response:
        m = _WEB.fullmatch(request.path)
        moment = parse_timestamp(m.group(1)) if m else None
        if m is None or moment is None:
            return self.not_found(request)
        url = m.group(3)
        url = re.sub(r"^(https?):/(?!/)", r"\1://", url)  # a proxy may have merged the slashes
        if request.query_string:
            url += f"?{request.query_string}"
        with self.archive.sessions() as session:
            if not self.archive.features.has_captures:
                return self.capture_missing(request)
            ref = find_nearest_capture(session, capture_uris(session, url), moment)
            if ref is None:
                return self.capture_missing(request)
            raw = bool(m.group(2))
            if wayback_timestamp(ref.date) != m.group(1) or ref.uri != url:
                return redirect(web_path(ref, raw=raw))
            if not raw:
                return self.captured(request, session, ref, None)
            try:
                page = read_captured_page(self.archive, session, ref)
            except ArchiveError:
                return self.capture_missing(request)
        return Response(200, page.body, page.content_type,
                        (("Content-Security-Policy", CAPTURED_CSP),
                         ("Cache-Control", "private, max-age=3600")))

    def capture_missing(self, request: Request) -> Response:
        ctx = self.context(request)
        return self.html(404, pages.error_page(ctx, "not_found", ctx.t("capture_missing")))

    def absolute(self, request: Request, path: str) -> str:
        """``path`` on this server, as the client reached it (for permalinks in citations)."""
        host = request.host or "127.0.0.1"
        return f"{request.scheme}://{host}{path}"

    # -- API -----------------------------------------------------------------------------------
    def api_keyed(self, request: Request) -> Response | None:
        """``/api/a/<key>``; ``None`` when the path is not it."""
        m = _API_KEYED.fullmatch(request.path)
        if m is None:
            return None
        key = m.group(1)
        if not is_article_key(key):
            return json_error(400, "bad_parameter", f"not an article key: {key!r} (12 or more of a-z, 2-7)")
        with self.archive.sessions() as session:
            found = fetch_article_by_key(session, key)
            if found is None:
                return json_error(404, "not_found", f"no article with key {key}")
            return json_response(200, self.article_json(request, session, *found))

    def article_json(self, request: Request, session: Session, article: Article,
                     source: Source | None) -> dict[str, Any]:
        """The article's JSON: the record, its key and permalink, capture, duplicate and versions."""
        out = api.article_as_dict(article, source)
        out["permalink"] = self.absolute(request, article_path(article))
        ref = article_capture(session, article) if self.archive.features.has_captures else None
        out["capture"] = api.capture_as_dict(ref, web_path(ref) if ref else None)
        versions = api.versions_as_list(session, article.id)
        ids = [v["capture_record_id"] for v in versions if v["capture_record_id"]]
        refs = {r.record_id: r for r in (find_capture(session, i) for i in ids) if r is not None}
        for v in versions:
            ref = refs.get(v["capture_record_id"])
            v["wayback"] = web_path(ref) if ref else None
        out["versions"] = versions
        return out
