"""``python -m pipeline.demo``: serve the demo paper until SIGTERM/SIGINT.

The first line on stdout is the base URL (flushed), so a parent process can read it.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from pipeline.demo.server import AccessRecord, serve_site
from pipeline.demo.site import DemoSite
from pipeline.errors import BaotinhError


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m pipeline.demo", description="Serve the bundled demo paper.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    parser.add_argument("--articles", type=Path, default=None, help="directory of article TOML files")
    parser.add_argument("--access-log", type=Path, default=None, help="append one JSON line per request")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Serve until a signal arrives; return the exit code."""
    args = parse_args(argv)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log_file = args.access_log.open("a", encoding="utf-8") if args.access_log else None
    try:
        site = DemoSite(args.articles)
        writer = None
        if log_file is not None:
            lock = threading.Lock()
            stream = log_file

            def writer(record: AccessRecord) -> None:
                with lock:
                    stream.write(json.dumps(record.as_dict(), ensure_ascii=False) + "\n")
                    stream.flush()

        with serve_site(site, args.host, args.port, on_request=writer) as server:
            print(server.base_url, flush=True)
            while not stop.wait(0.5):
                pass
    except (BaotinhError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return getattr(exc, "exit_code", 1)
    finally:
        if log_file is not None:
            log_file.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
