"""The WSGI application: routing, responses, and a threaded ``wsgiref`` server.

Read-only and small by design: GET and HEAD only, no framework, no cookies. HTML pages and the
JSON API share the parameter parsing of :mod:`pipeline.web.api`.
"""

from __future__ import annotations

import logging
import re
import socketserver
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, parse_qsl
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer
from wsgiref.simple_server import make_server as wsgiref_make_server

from pipeline.errors import InputError
from pipeline.search import QueryError, SearchQuery, search
from pipeline.web import api, pages
from pipeline.web.archive import (
    ReadOnlyArchive,
    fetch_article,
    list_sources,
    read_article_capture,
)
from pipeline.web.http import Response, html_response, json_error, json_response
from pipeline.web.i18n import localise_error, pick_language
from pipeline.web.openapi import build_openapi
from pipeline.web.records import ArticleRoutes
from pipeline.web.render import Templates, load_templates
from pipeline.web.tables import CSV_TYPE, JSONL_TYPE, article_csv, count_export, export_chunks, hits_csv
from pipeline.web.views import Page

__all__ = ["Request", "Response", "WebApp", "make_app", "make_server"]

log = logging.getLogger("pipeline.web")

StartResponse = Callable[..., Any]

_STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                 ".svg": "image/svg+xml"}
_ARTICLE_CAPTURE = re.compile(r"/articles/([1-9][0-9]{0,17})/capture")
_API_ARTICLE = re.compile(r"/api/articles/([^/]*)")
_STATIC = re.compile(r"/static/([a-z0-9_-]+\.(?:css|js|svg))")
# Every view also as data (Datasette's convention), and whole results as downloads (web.tables).
_ARTICLE_DATA = re.compile(r"/articles/([1-9][0-9]{0,17})\.(json|csv)")
_SEARCH_DATA = re.compile(r"/search\.(json|csv)")
_EXPORT = re.compile(r"/export\.(csv|jsonl)")
# Defence in depth: even if markup slipped through, inline scripts and remote loads are refused.
_SECURITY_HEADERS = (
    ("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                                "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
)
_REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 400: "Bad Request", 404: "Not Found",
            405: "Method Not Allowed", 500: "Internal Server Error", 503: "Service Unavailable"}


@dataclass(frozen=True, slots=True)
class Request:
    """The parts of a WSGI request the application reads."""

    method: str
    path: str
    query_string: str
    accept_language: str | None
    host: str | None = None
    scheme: str = "http"

    @classmethod
    def from_environ(cls, environ: Mapping[str, Any]) -> Request:
        # PEP 3333 gives PATH_INFO as latin-1-decoded bytes; undo that to read UTF-8 paths.
        raw_path = environ.get("PATH_INFO", "") or "/"
        try:
            path = raw_path.encode("latin-1").decode("utf-8")
        except UnicodeError:
            path = raw_path
        return cls(method=environ.get("REQUEST_METHOD", "GET").upper(), path=path,
                   query_string=environ.get("QUERY_STRING", ""),
                   accept_language=environ.get("HTTP_ACCEPT_LANGUAGE"),
                   host=environ.get("HTTP_HOST"), scheme=environ.get("wsgi.url_scheme", "http"))

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(self.query_string, keep_blank_values=False)

    @property
    def query_pairs(self) -> tuple[tuple[str, str], ...]:
        return tuple(parse_qsl(self.query_string))


class WebApp(ArticleRoutes):
    """The WSGI application over one read-only archive."""

    def __init__(self, archive: ReadOnlyArchive, templates: Templates, *, export_max: int = 10_000) -> None:
        self.archive = archive
        self.templates = templates
        self.export_max = export_max  # most articles of one download (BAOTINH_WEB_EXPORT_MAX)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request = Request.from_environ(environ)
        try:
            response = self.handle(request)
        except Exception:
            # Never a stack trace to the client; the log keeps it.
            log.exception("error serving %s %s", request.method, request.path)
            response = self.server_error(request)
        return self.send(request, response, start_response)

    def send(self, request: Request, response: Response, start_response: StartResponse) -> Iterable[bytes]:
        # A response's own header (the captured page's CSP) replaces the default of that name.
        own = {name.lower() for name, _ in response.headers}
        defaults = [(name, value) for name, value in _SECURITY_HEADERS if name.lower() not in own]
        headers = [("Content-Type", response.content_type), *defaults, *response.headers]
        body = response.body
        if isinstance(body, bytes):
            headers.append(("Content-Length", str(len(body))))
        start_response(f"{response.status} {_REASONS.get(response.status, 'Unknown')}", headers)
        if request.method == "HEAD":
            close = getattr(body, "close", None)
            if close is not None:
                close()
            return [b""]
        return [body] if isinstance(body, bytes) else body

    def handle(self, request: Request) -> Response:
        """Route ``request`` to its handler."""
        if request.method not in ("GET", "HEAD"):
            resp = (json_error(405, "method_not_allowed", f"{request.method} is not allowed; use GET")
                    if request.path.startswith("/api/") else
                    self.html(405, pages.error_page(self.context(request), "method_not_allowed",
                                                    f"{request.method}: GET, HEAD")))
            return Response(resp.status, resp.body, resp.content_type, (("Allow", "GET, HEAD"),))
        if request.path.startswith("/api/"):
            return self.handle_api(request)
        path = request.path
        if path in ("/", "/search"):
            return self.search_page(request)
        if (data := self.data_view(request)) is not None:
            return data
        if (routed := self.route_article(request)) is not None:
            return routed
        if m := _ARTICLE_CAPTURE.fullmatch(path):
            return self.capture(request, int(m.group(1)))
        if m := _STATIC.fullmatch(path):
            return self.static(request, m.group(1))
        if path == "/favicon.ico":
            return Response(404, b"", "text/plain; charset=utf-8")
        return self.not_found(request)

    def handle_api(self, request: Request) -> Response:
        """The JSON endpoints; every failure becomes the JSON error shape."""
        path = request.path
        if path == "/api/openapi.json":
            return json_response(200, build_openapi())
        if path == "/api/search":
            return self.api_search(request)
        if (routed := self.api_keyed(request)) is not None:
            return routed
        if path == "/api/export":  # the whole result as a download, as /export.csv|jsonl
            fmt = request.query.get("format", ["jsonl"])[-1]
            if fmt not in ("csv", "jsonl"):
                return json_error(400, "bad_parameter", f"parameter 'format' must be csv or jsonl, not {fmt!r}")
            return self.download(request, fmt)
        if m := _API_ARTICLE.fullmatch(path):
            raw = m.group(1)
            if not raw.isascii() or not raw.isdigit() or int(raw) < 1 or len(raw) > 18:
                return json_error(400, "bad_parameter", f"article id must be a positive whole number, not {raw!r}")
            return self.api_article(request, int(raw))
        return json_error(404, "not_found", f"no API endpoint {path}; see /api/openapi.json")

    # -- pages ---------------------------------------------------------------------------------
    def html(self, status: int, page: Page) -> Response:
        """``page`` rendered by its template."""
        return html_response(status, self.templates.render(page))

    def context(self, request: Request) -> pages.PageContext:
        requested = request.query.get("lang", [None])[0]
        return pages.PageContext(
            lang=pick_language(requested, request.accept_language),
            explicit_lang=requested is not None and requested in ("vi", "en"),
            path=request.path, query=request.query_pairs,
        )

    def search_page(self, request: Request) -> Response:
        ctx = self.context(request)
        with self.archive.sessions() as session:
            sources = list_sources(session)
            try:
                params = api.parse_search_params(request.query, paged=True)
            except api.BadParameter as exc:
                return self.html(400, pages.search_page(ctx, SearchQuery(), sources, None,
                                                        localise_error(ctx.lang, exc)))
            if params.is_empty:
                return self.html(200, pages.search_page(ctx, params, sources, None))
            try:
                result = search(session, params)
            except QueryError as exc:
                return self.html(400, pages.search_page(ctx, params, sources, None, localise_error(ctx.lang, exc)))
        return self.html(200, pages.search_page(ctx, params, sources, result, export_max=self.export_max))

    # -- data views and downloads --------------------------------------------------------------
    def data_view(self, request: Request) -> Response | None:
        """``/search.json|csv``, ``/articles/N.json|csv``, ``/export.csv|jsonl``; None for other paths."""
        path = request.path
        if m := _ARTICLE_DATA.fullmatch(path):
            with self.archive.sessions() as session:
                found = fetch_article(session, int(m.group(1)))
                if found is None:
                    return json_error(404, "not_found", f"no article with id {m.group(1)}")
                data = api.article_as_dict(*found)
            if m.group(2) == "json":
                return json_response(200, data)
            return Response(200, article_csv(data), CSV_TYPE,
                            (("Content-Disposition", f'inline; filename="article-{m.group(1)}.csv"'),))
        if m := _SEARCH_DATA.fullmatch(path):
            return self.search_data(request, m.group(1))
        if m := _EXPORT.fullmatch(path):
            return self.download(request, m.group(1))
        return None

    def _data_params(self, request: Request, *, paged: bool) -> SearchQuery | Response:
        try:
            return api.parse_search_params(request.query, paged=paged)
        except api.BadParameter as exc:
            return json_error(400, "bad_parameter", localise_error(self.context(request).lang, exc))

    def search_data(self, request: Request, fmt: str) -> Response:
        """The search page's hits as JSON (the API's shape, plus the page) or CSV."""
        params = self._data_params(request, paged=True)
        if isinstance(params, Response):
            return params
        with self.archive.sessions() as session:
            try:
                result = search(session, params)
            except QueryError as exc:
                return json_error(400, "bad_query", localise_error(self.context(request).lang, exc))
        if fmt == "csv":
            return Response(200, hits_csv(result), CSV_TYPE,
                            (("Content-Disposition", 'inline; filename="search.csv"'),))
        data = api.result_as_dict(result)
        data.update(page=params.offset // api.PAGE_SIZE + 1, page_size=api.PAGE_SIZE)
        return json_response(200, data)

    def download(self, request: Request, fmt: str) -> Response:
        """Every match of the search, streamed as CSV or JSON lines, at most ``export_max``."""
        params = self._data_params(request, paged=False)
        if isinstance(params, Response):
            return params
        with self.archive.sessions() as session:
            try:
                rows, capped = count_export(session, params, self.export_max)
            except QueryError as exc:
                return json_error(400, "bad_query", localise_error(self.context(request).lang, exc))
        body = export_chunks(self.archive.sessions, params, self.export_max, fmt)
        return Response(200, body, CSV_TYPE if fmt == "csv" else JSONL_TYPE, (
            ("Content-Disposition", f'attachment; filename="baotinh-search.{fmt}"'),
            ("X-Baotinh-Export-Rows", str(rows)), ("X-Baotinh-Export-Capped", "true" if capped else "false"),
            ("X-Baotinh-Export-Max", str(self.export_max))))

    def capture(self, request: Request, article_id: int) -> Response:
        """The HTTP payload of the article's WARC response record, as plain text."""
        with self.archive.sessions() as session:
            found = fetch_article(session, article_id)
            payload = read_article_capture(self.archive, session, found[0]) if found else None
        if payload is None:
            ctx = self.context(request)
            return self.html(404, pages.error_page(ctx, "not_found", ctx.t("capture_missing")))
        # text/plain + nosniff: the captured HTML is shown as source, never rendered here.
        return Response(200, payload.body, f"text/plain; charset={payload.charset}",
                        (("Content-Disposition", f'inline; filename="article-{article_id}.txt"'),))

    def static(self, _request: Request, name: str) -> Response:
        resource = resources.files("pipeline.web") / "static" / name
        if not resource.is_file():
            return self.not_found(_request)
        suffix = name[name.rfind("."):]
        return Response(200, resource.read_bytes(), _STATIC_TYPES[suffix],
                        (("Cache-Control", "public, max-age=3600"),))

    def not_found(self, request: Request) -> Response:
        if request.path.startswith("/api/"):
            return json_error(404, "not_found", "not found")
        ctx = self.context(request)
        return self.html(404, pages.error_page(ctx, "not_found", ctx.t("not_found_text")))

    def server_error(self, request: Request) -> Response:
        if request.path.startswith("/api/"):
            return json_error(500, "server_error", "internal error; it has been logged")
        try:
            ctx = self.context(request)
            return self.html(500, pages.error_page(ctx, "server_error", ctx.t("server_error_text")))
        except Exception:
            log.exception("error rendering the error page")
            return Response(500, b"internal error", "text/plain; charset=utf-8")

    # -- API -----------------------------------------------------------------------------------
    def api_search(self, request: Request) -> Response:
        try:
            params = api.parse_search_params(request.query)
        except api.BadParameter as exc:
            return json_error(400, "bad_parameter", str(exc))
        with self.archive.sessions() as session:
            try:
                result = search(session, params)
            except QueryError as exc:
                return json_error(400, "bad_query", str(exc))
            except InputError as exc:
                return json_error(400, "bad_parameter", str(exc))
        return json_response(200, api.result_as_dict(result))

    def api_article(self, request: Request, article_id: int) -> Response:
        with self.archive.sessions() as session:
            found = fetch_article(session, article_id)
            if found is None:
                return json_error(404, "not_found", f"no article with id {article_id}")
            return json_response(200, self.article_json(request, session, *found))


def make_app(archive: ReadOnlyArchive, *, export_max: int = 10_000) -> WebApp:
    """The application over ``archive`` with the packaged templates."""
    return WebApp(archive, load_templates(), export_max=export_max)


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    """One thread a request; threads do not keep the process alive at shutdown."""

    daemon_threads = True


class QuietRequestHandler(WSGIRequestHandler):
    """Access lines go to the ``pipeline.web`` logger instead of raw stderr."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        log.info("%s - %s", self.address_string(), format % args)


def make_server(app: WebApp, host: str = "127.0.0.1", port: int = 8080) -> ThreadingWSGIServer:
    """A threaded HTTP server for ``app`` (port 0 picks a free port; see ``server_port``)."""
    server = wsgiref_make_server(host, port, app, server_class=ThreadingWSGIServer,
                                 handler_class=QuietRequestHandler)
    assert isinstance(server, ThreadingWSGIServer)
    return server

