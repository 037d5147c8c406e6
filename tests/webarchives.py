"""Offline stand-ins for the web's archives (issue 17, item 5), served for real on 127.0.0.1.

- :func:`make_legacy_warc` captures the demo paper as it was served under a legacy domain into a
  WARC (one gzip member per record), with capture dates of our choosing;
- :class:`WaybackFixture` speaks the Wayback CDX API (``/cdx/search/cdx?url=…&matchType=domain
  &output=json&from=&to=&filter=statuscode:200&collapse=digest``, paged by ``showResumeKey`` /
  ``resumeKey`` and ``limit``) and replays captures in ``id_`` mode (``/web/<ts>id_/<url>``);
- :class:`CommonCrawlFixture` serves ``/collinfo.json``, a CDXJ index per collection
  (``/<coll>-index?url=…&output=json``, with ``showNumPages`` and ``page``) and the WARC files
  with HTTP ``Range``.

Both are built from WARC files, write every request to a JSON-lines access log (wall-clock
arrival time, path, status, User-Agent), and can refuse every Nth replay with 429 and a
``Retry-After``. ``python -m tests.webarchives wayback|commoncrawl WARC… --access-log F`` serves one.
"""

from __future__ import annotations

import argparse
import io
import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline.demo.site import DemoSite

LEGACY_HOST = "demo-cu.baotinh.test"


@dataclass(frozen=True)
class Shot:
    """One capture to make: a path of the demo site, when, and under which host."""

    path: str
    when: datetime  # aware
    host: str = LEGACY_HOST


def make_legacy_warc(path: Path, shots: Sequence[Shot], site: DemoSite | None = None) -> Path:
    """Render each shot with the demo site and write it as a response record (gzip members)."""
    site = site or DemoSite()
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="1.1")
        for shot in shots:
            page = site.render(shot.path, host=shot.host)
            reason = {200: "OK", 404: "Not Found", 301: "Moved Permanently"}.get(page.status, "")
            headers = [("Content-Type", page.content_type), *page.headers]
            http = StatusAndHeaders(f"{page.status} {reason}", headers, protocol="HTTP/1.1")
            stamp = shot.when.strftime("%Y-%m-%dT%H:%M:%SZ")
            record = writer.create_warc_record(
                f"http://{shot.host}{shot.path}", "response", payload=io.BytesIO(page.body),
                http_headers=http, warc_headers_dict={"WARC-Date": stamp})
            writer.write_record(record)
    return path


@dataclass(frozen=True)
class Entry:
    """One response record of a served WARC: its index fields and where it lies."""

    url: str
    timestamp: str
    status: str
    mime: str
    digest: str
    filename: str
    offset: int
    length: int
    payload: bytes
    content_type: str

    @property
    def urlkey(self) -> str:
        parts = urlsplit(self.url)
        host = (parts.hostname or "").removeprefix("www.")
        return ",".join(reversed(host.split("."))) + ")" + (parts.path or "/") + (
            "?" + parts.query if parts.query else "")


def read_entries(warcs: Sequence[Path]) -> list[Entry]:
    entries = []
    for warc in warcs:
        with warc.open("rb") as fh:
            iterator = ArchiveIterator(fh)
            for record in iterator:
                if record.rec_type != "response":
                    continue
                payload = record.content_stream().read()
                iterator.read_to_end()
                http = record.http_headers
                date = record.rec_headers.get_header("WARC-Date")
                entries.append(Entry(
                    url=record.rec_headers.get_header("WARC-Target-URI"),
                    timestamp=date.replace("-", "").replace(":", "").replace("T", "")[:14],
                    status=http.get_statuscode() if http else "200",
                    mime=(http.get_header("Content-Type") or "").split(";")[0] if http else "",
                    digest=(record.rec_headers.get_header("WARC-Payload-Digest") or "").removeprefix("sha1:"),
                    filename=warc.name, offset=iterator.get_record_offset(),
                    length=iterator.get_record_length(), payload=payload,
                    content_type=(http.get_header("Content-Type") if http else None) or "text/html",
                ))
    return sorted(entries, key=lambda e: (e.urlkey, e.timestamp))


@dataclass
class Served:
    """A running fixture: where it listens, its access log, and the WARC files behind it."""

    base_url: str
    access_log: Path
    server: ThreadingHTTPServer
    thread: threading.Thread
    entries: list[Entry] = field(default_factory=list)

    def requests(self) -> list[dict[str, Any]]:
        if not self.access_log.exists():
            return []
        return [json.loads(line) for line in self.access_log.read_text().splitlines() if line.strip()]

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.server.server_close()


def _domain_match(entry: Entry, domain: str) -> bool:
    host = (urlsplit(entry.url).hostname or "").lower()
    domain = domain.lower().removeprefix("www.")
    return host == domain or host.endswith("." + domain)


def _in_range(entry: Entry, query: dict[str, str]) -> bool:
    start, end = query.get("from", ""), query.get("to", "")
    return (not start or entry.timestamp >= start[:14].ljust(14, "0")) and (
        not end or entry.timestamp <= end[:14].ljust(14, "9"))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fixture: ArchiveFixture

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        arrived = time.time()
        status, headers, body = self.fixture.answer(self.path, dict(self.headers.items()))
        self.fixture.log(arrived, self.path, status, self.headers.get("User-Agent", ""),
                         self.headers.get("Range", ""))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet: the access log has every request."""


class ArchiveFixture:
    """What both fixtures share: entries, the access log, the 429 misbehaviour."""

    def __init__(self, warcs: Sequence[Path], access_log: Path, *, refuse_every: int = 0,
                 retry_after: int = 1) -> None:
        self.warcs = {w.name: w for w in warcs}
        self.entries = read_entries(warcs)
        self.access_log = access_log
        self.refuse_every = refuse_every
        self.retry_after = retry_after
        self._lock = threading.Lock()
        self._replays = 0

    def log(self, arrived: float, path: str, status: int, agent: str, range_: str) -> None:
        line = json.dumps({"t": arrived, "path": path, "status": status, "ua": agent, "range": range_})
        with self._lock, self.access_log.open("a") as fh:
            fh.write(line + "\n")

    def refuse(self) -> bool:
        """Whether this replay is refused (every ``refuse_every``-th one, the first one included)."""
        if not self.refuse_every:
            return False
        with self._lock:
            self._replays += 1
            return self._replays % self.refuse_every == 1 or self.refuse_every == 1

    def too_many(self) -> tuple[int, list[tuple[str, str]], bytes]:
        return 429, [("Retry-After", str(self.retry_after)), ("Content-Type", "text/plain")], b"slow down"

    def answer(self, target: str, headers: dict[str, str]) -> tuple[int, list[tuple[str, str]], bytes]:
        raise NotImplementedError

    def serve(self) -> Served:
        handler = type("Handler", (_Handler,), {"fixture": self})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        return Served(f"http://127.0.0.1:{server.server_address[1]}", self.access_log, server, thread,
                      self.entries)


def _query(target: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(target)
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}


class WaybackFixture(ArchiveFixture):
    """The Wayback CDX API and ``id_`` replay over the entries."""

    def answer(self, target: str, headers: dict[str, str]) -> tuple[int, list[tuple[str, str]], bytes]:
        path, query = _query(target)
        if path == "/cdx/search/cdx":
            return self.cdx(query)
        if path.startswith("/web/"):
            return self.replay(target[len("/web/"):])
        return 404, [("Content-Type", "text/plain")], b"not found"

    def cdx(self, query: dict[str, str]) -> tuple[int, list[tuple[str, str]], bytes]:
        domain = query.get("url", "")
        rows = [e for e in self.entries if _domain_match(e, domain) and _in_range(e, query)]
        if query.get("filter") == "statuscode:200":
            rows = [e for e in rows if e.status == "200"]
        if query.get("collapse") == "digest":  # as the real server: adjacent repeats dropped
            rows = [e for i, e in enumerate(rows) if i == 0 or rows[i - 1].digest != e.digest
                    or rows[i - 1].url != e.url]
        start = int(query.get("resumeKey") or 0)
        limit = int(query.get("limit") or 0) or len(rows)
        page = rows[start:start + limit]
        out: list[list[str]] = [["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]]
        out += [[e.urlkey, e.timestamp, e.url, e.mime, e.status, e.digest, str(e.length)] for e in page]
        if query.get("showResumeKey") == "true" and start + limit < len(rows):
            out += [[], [str(start + limit)]]
        return 200, [("Content-Type", "application/json")], json.dumps(out).encode()

    def replay(self, rest: str) -> tuple[int, list[tuple[str, str]], bytes]:
        stamp, _, url = rest.partition("/")
        if not stamp.endswith("id_"):
            return 400, [("Content-Type", "text/plain")], b"only id_ replay here"
        if self.refuse():
            return self.too_many()
        same_url = [e for e in self.entries if e.url == url]
        for e in same_url:
            if e.timestamp == stamp[:-3]:
                headers = [("Content-Type", e.content_type), ("X-Archive-Orig-Content-Type", e.content_type)]
                return int(e.status), headers, e.payload
        if same_url:  # as the real one: the nearest capture of that URL, by a redirect
            near = min(same_url, key=lambda e: abs(int(e.timestamp) - int(stamp[:-3].ljust(14, "0"))))
            return 302, [("Location", f"/web/{near.timestamp}id_/{url}"), ("Content-Type", "text/plain")], b""
        return 404, [("Content-Type", "text/plain")], b"no such capture"


class CommonCrawlFixture(ArchiveFixture):
    """``collinfo.json``, a CDXJ index per collection, and the WARC files with HTTP ranges."""

    def __init__(self, warcs: Sequence[Path], access_log: Path, *, collection: str = "CC-MAIN-2019-35",
                 page_size: int = 5, **kwargs: Any) -> None:
        super().__init__(warcs, access_log, **kwargs)
        self.collection = collection
        self.page_size = page_size

    def answer(self, target: str, headers: dict[str, str]) -> tuple[int, list[tuple[str, str]], bytes]:
        path, query = _query(target)
        if path == "/collinfo.json":
            info = [{"id": self.collection, "name": "fixture crawl", "from": "2019-01-01T00:00:00",
                     "to": "2019-12-31T23:59:59", "cdx-api": f"/{self.collection}-index"}]
            return 200, [("Content-Type", "application/json")], json.dumps(info).encode()
        if path == f"/{self.collection}-index":
            return self.index(query)
        name = path.lstrip("/")
        if name in self.warcs:
            return self.ranged(self.warcs[name], headers.get("Range", ""))
        return 404, [("Content-Type", "text/plain")], b"not found"

    def index(self, query: dict[str, str]) -> tuple[int, list[tuple[str, str]], bytes]:
        rows = [e for e in self.entries if _domain_match(e, query.get("url", "")) and _in_range(e, query)]
        if query.get("filter") == "=status:200":
            rows = [e for e in rows if e.status == "200"]
        if not rows:
            return 404, [("Content-Type", "application/json")], b'{"message": "No Captures found"}'
        pages = (len(rows) + self.page_size - 1) // self.page_size
        if query.get("showNumPages") == "true":
            body = {"pages": pages, "pageSize": self.page_size, "blocks": pages}
            return 200, [("Content-Type", "application/json")], json.dumps(body).encode()
        page = int(query.get("page") or 0)
        lines = []
        for e in rows[page * self.page_size:(page + 1) * self.page_size]:
            data = {"url": e.url, "mime": e.mime, "status": e.status, "digest": e.digest,
                    "length": str(e.length), "offset": str(e.offset), "filename": e.filename}
            lines.append(f"{e.urlkey} {e.timestamp} {json.dumps(data)}" if query.get("output") != "json"
                         else json.dumps({"urlkey": e.urlkey, "timestamp": e.timestamp, **data}))
        return 200, [("Content-Type", "text/x-ndjson")], ("\n".join(lines) + "\n").encode()

    def ranged(self, warc: Path, range_header: str) -> tuple[int, list[tuple[str, str]], bytes]:
        if self.refuse():
            return self.too_many()
        data = warc.read_bytes()
        spec = range_header.removeprefix("bytes=")
        if not range_header.startswith("bytes=") or "-" not in spec:
            return 200, [("Content-Type", "application/warc")], data
        first, last = spec.split("-", 1)
        start, end = int(first), int(last) if last else len(data) - 1
        if start >= len(data):
            return 416, [("Content-Range", f"bytes */{len(data)}")], b""
        end = min(end, len(data) - 1)
        return 206, [("Content-Type", "application/warc"),
                     ("Content-Range", f"bytes {start}-{end}/{len(data)}")], data[start:end + 1]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=("wayback", "commoncrawl"))
    parser.add_argument("warcs", nargs="+", type=Path)
    parser.add_argument("--access-log", type=Path, required=True)
    parser.add_argument("--refuse-every", type=int, default=0)
    args = parser.parse_args(argv)
    kind = WaybackFixture if args.kind == "wayback" else CommonCrawlFixture
    served = kind(args.warcs, args.access_log, refuse_every=args.refuse_every).serve()
    print(served.base_url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        served.stop()


if __name__ == "__main__":
    main()
