"""Serve a generated fixture site on 127.0.0.1: nginx when installed, else a threaded Python server.

nginx costs a fraction of the CPU of Python's ``http.server``, which matters on a 2-core machine
where the crawler should have both cores; the benchmark output says which server was used.
"""

from __future__ import annotations

import functools
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

NGINX_CONF = """
daemon off;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {work}/tmp;
    proxy_temp_path {work}/tmp;
    fastcgi_temp_path {work}/tmp;
    uwsgi_temp_path {work}/tmp;
    scgi_temp_path {work}/tmp;
    types {{ text/html html; application/xml xml; application/rss+xml rss; text/plain txt; }}
    default_type application/octet-stream;
    charset utf-8;
    charset_types text/html application/xml application/rss+xml text/plain;
    sendfile on;
    keepalive_timeout 30;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        index index.html;
    }}
}}
"""


@dataclass(frozen=True, slots=True)
class Served:
    base_url: str
    kind: str  # "nginx" or "python"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None
    )


class _QuietHandler(SimpleHTTPRequestHandler):
    extensions_map = {".html": "text/html; charset=utf-8", ".xml": "application/xml; charset=utf-8",
                      ".rss": "application/rss+xml; charset=utf-8", ".txt": "text/plain; charset=utf-8"}

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return


@contextmanager
def serve_static(root: Path, work: Path, *, prefer_nginx: bool = True) -> Iterator[Served]:
    """Serve ``root`` until the block ends."""
    nginx = _nginx_binary() if prefer_nginx else None
    if nginx:
        work.mkdir(parents=True, exist_ok=True)
        (work / "tmp").mkdir(exist_ok=True)
        port = _free_port()
        conf = work / "nginx.conf"
        conf.write_text(NGINX_CONF.format(work=work.resolve(), port=port, root=root.resolve()))
        proc = subprocess.Popen([nginx, "-c", str(conf.resolve()), "-p", str(work.resolve())],
                                stderr=subprocess.DEVNULL)
        try:
            _wait_listening(port, proc)
            yield Served(f"http://127.0.0.1:{port}", "nginx")
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        return
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(f"http://127.0.0.1:{server.server_address[1]}", "python")
    finally:
        server.shutdown()
        server.server_close()


def _wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("nginx exited at start; see the benchmark work folder's error.log")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nginx did not listen on port {port}")
