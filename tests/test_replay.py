"""pywb replays the demo archive's WARC export (issue 16, acceptance 3).

The demo paper is crawled for real, exported with ``baotinh export --format warc``, and pywb
(a dev dependency) serves a collection made of that folder: its WARC file and the export's own
``index.cdxj``, unchanged. pywb runs in a child process: its gevent would otherwise patch this
test process.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import IN_CI
from tests.test_damaged_archive import run_in_process

# Replays one URL at one timestamp through pywb's WSGI app: raw (id_) and rewritten (mp_, the
# page pywb puts in its replay frame).
REPLAY = """
import json, sys
from pywb.apps.frontendapp import FrontEndApp
from werkzeug.test import Client
folder, stamp, url = sys.argv[1:4]
config = {"collections": {"baotinh": {"index_paths": folder + "/index.cdxj", "archive_paths": folder + "/"}}}
client = Client(FrontEndApp(config_file=None, custom_config=config))
out = {}
for mode in ("id_", "mp_"):
    resp = client.get(f"/baotinh/{stamp}{mode}/{url}")
    out[mode] = [resp.status_code, resp.headers.get("Content-Type"), resp.get_data(as_text=True)]
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def exported(demo_archive: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    try:
        import pywb  # noqa: F401
    except ImportError:
        message = "pywb is not installed; it is a dev dependency: pip install -e '.[dev]'"
        if IN_CI:
            pytest.fail(f"{message} (CI=true: the replay test must run)")
        pytest.skip(message)
    root = tmp_path_factory.mktemp("replay")
    archive = root / "archive"
    shutil.copytree(demo_archive, archive)  # the demo paper crawled once for the session
    result = run_in_process(("export", "--format", "warc", "--output", "{out}"), archive, root)
    assert result.returncode == 0, result.stderr
    yield archive, root / "out"


def test_the_readme_key_names_the_same_article_in_every_crawl(exported: tuple[Path, Path]) -> None:
    """The README's ``baotinh show 4yecpd55we3g``: a key depends on the canonical URL only."""
    result = run_in_process(("show", "4yecpd55we3g", "--json"), exported[0], exported[0])
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["title"].startswith("Huyện ủy Kim Thành")


def test_pywb_replays_an_article_from_the_export(exported: tuple[Path, Path]) -> None:
    folder = exported[1]
    lines = (folder / "index.cdxj").read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line.split(" ", 2)[2]) | {"stamp": line.split(" ", 2)[1]} for line in lines]
    article = next(e for e in entries if "kim-thanh" in e["url"] and "105123" in e["url"])
    proc = subprocess.run([sys.executable, "-c", REPLAY, str(folder), article["stamp"], article["url"]],
                          capture_output=True, text=True, timeout=120, cwd=folder, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    replayed = json.loads(proc.stdout.strip().splitlines()[-1])
    status, content_type, body = replayed["id_"]
    assert status == 200 and content_type.startswith("text/html")
    assert "Huyện ủy Kim Thành" in body and "</html>" in body  # the article's HTML, as captured
    status, _type, body = replayed["mp_"]
    assert status == 200 and "Huyện ủy Kim Thành" in body and "wombat" in body.lower()  # rewritten by pywb
