"""Citing and the capture in a real headless Chromium (issue 16, acceptance 2).

Search, open an article (its stable key in the address), copy the citation, open the captured
page (no request leaves 127.0.0.1: read from Chromium's performance log), download the WARC
record and read it with warcio. Screenshots go to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from pipeline.web import make_app, make_server, open_archive
from tests.browser import Browser, chromium, start_driver  # noqa: F401 - pytest fixture
from tests.test_cite import ARTICLE_URL, add_two_captures
from tests.test_web import fill_archive
from tests.test_web_browser import shoot, wait_for

LOOPBACK = "127.0.0.1"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = fill_archive(tmp_path_factory.mktemp("cite-browser") / "archive")
    add_two_captures(settings)
    archive = open_archive(settings)
    server = make_server(make_app(archive), LOOPBACK, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://{LOOPBACK}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        archive.close()


@pytest.fixture
def logged_driver(chromium: Browser, tmp_path: Path) -> Iterator[Any]:  # noqa: F811
    """A headless Chromium that keeps its network log and saves downloads to ``tmp_path/dl``."""
    # One process for the page and its frames, so the frame's requests are in the page's log.
    in_process = "--disable-features=IsolateOrigins,site-per-process,IsolateSandboxedIframes"
    drv = start_driver(chromium, tmp_path / "profile", flags=(in_process,), log_network=True)
    (tmp_path / "dl").mkdir()
    drv.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path / "dl")})
    try:
        yield drv
    finally:
        drv.quit()


def network_log(drv: Any) -> tuple[list[str], list[str]]:
    """The URLs requested since the log was last read, and those that left the browser.

    Chromium logs a request it then refuses (a CSP violation) as ``requestWillBeSent`` followed
    by ``loadingFailed`` with a ``blockedReason``; only the others went out on the network.
    """
    sent: dict[str, str] = {}
    blocked: set[str] = set()
    for entry in drv.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message["method"] == "Network.requestWillBeSent":
            sent[params["requestId"]] = params["request"]["url"]
        elif message["method"] == "Network.loadingFailed" and params.get("blockedReason"):
            blocked.add(params["requestId"])
    urls = list(sent.values())
    return urls, [url for rid, url in sent.items() if rid not in blocked]


def test_cite_and_capture_in_chromium(logged_driver: Any, base_url: str, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from warcio.archiveiterator import ArchiveIterator

    drv = logged_driver
    drv.get(base_url + "/")
    box = wait_for(drv, "input#q")
    box.send_keys("thanh ha vai thieu")
    box.send_keys(Keys.RETURN)
    wait_for(drv, "#hits li.hit")
    link = next(a for a in drv.find_elements(By.CSS_SELECTOR, "#hits li.hit h3 a") if "(bài 1)" in a.text)
    link.click()
    wait_for(drv, "#cite")
    key = urlsplit(drv.current_url).path.removeprefix("/a/")
    assert len(key) == 12 and drv.current_url.startswith(f"{base_url}/a/{key}")
    shoot(drv, "cite-01-article")

    # The copy button copies the reference as shown.
    reference = drv.find_element(By.ID, "cite-text").text
    assert "Báo Hải Dương" in reference and f"/a/{key}" in reference and "Lưu trữ ngày" in reference
    button = drv.find_element(By.ID, "cite-copy")
    assert button.is_displayed() and button.text == "Chép trích dẫn"
    button.click()
    status = drv.find_element(By.ID, "cite-status")
    deadline = time.monotonic() + 10
    while not status.text and time.monotonic() < deadline:
        time.sleep(0.05)
    assert status.text == "Đã chép vào bộ nhớ tạm."
    assert button.get_attribute("data-copied") == reference

    # The captured page: banner, sandboxed frame, nothing fetched from outside 127.0.0.1.
    network_log(drv)  # forget what came before
    drv.find_element(By.ID, "captured-link").click()
    banner = wait_for(drv, "#captured-banner")
    assert ARTICLE_URL in banner.text and "02/11/2026 10:00" in banner.text
    frame = drv.find_element(By.ID, "captured-frame")
    assert frame.get_attribute("sandbox") == ""
    drv.switch_to.frame(frame)
    assert wait_for(drv, "h1").text == "Kim Thành bản 2"
    drv.switch_to.default_content()
    time.sleep(0.3)  # let the frame's subresources be requested (or refused)
    shoot(drv, "cite-02-captured")
    urls, went_out = network_log(drv)
    assert any("id_/" in u for u in urls), urls
    assert any("cdn.example.com" in u for u in urls), urls  # the page asked; the CSP refused
    outside = [u for u in went_out if urlsplit(u).hostname not in (LOOPBACK, None) and not u.startswith("data:")]
    assert outside == [], outside

    # The WARC record, downloaded by the browser, read by warcio.
    drv.back()
    wait_for(drv, "#warc-link").click()
    target = tmp_path / "dl" / f"{key}.warc"
    deadline = time.monotonic() + 15
    while not target.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert target.exists(), list((tmp_path / "dl").iterdir())
    with open(target, "rb") as fh:
        records = [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), r.content_stream().read())
                   for r in ArchiveIterator(fh)]
    assert [(t, u) for t, u, _b in records] == [("response", ARTICLE_URL)]
    assert "Kim Thành bản 2" in records[0][2].decode("utf-8")
