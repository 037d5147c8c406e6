"""The web UI in a real headless Chromium (Debian's), driven by Selenium (issue 4, acceptance 3).

Screenshots of every step go to ``test-artifacts/screenshots/`` (git-ignored).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.web import make_app, make_server, open_archive
from tests.browser import chromium, driver  # noqa: F401 - pytest fixtures
from tests.test_web import HOSTILE_IMG, HOSTILE_SCRIPT, XSS_TITLE, fill_archive

SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
WAIT_SECONDS = 15


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = fill_archive(tmp_path_factory.mktemp("browser") / "archive")
    archive = open_archive(settings)
    server = make_server(make_app(archive), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        archive.close()


def shoot(drv: Any, name: str) -> Path:
    """Save a screenshot of the current page and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    assert drv.save_screenshot(str(path)), path
    assert path.stat().st_size > 1000
    return path


def wait_for(drv: Any, css: str) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(drv, WAIT_SECONDS).until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))


def hit_titles(drv: Any) -> list[str]:
    from selenium.webdriver.common.by import By

    return [e.text for e in drv.find_elements(By.CSS_SELECTOR, "#hits li.hit h3 a")]


def test_search_filter_open_and_back(driver: Any, base_url: str) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(base_url + "/")
    wait_for(driver, "input#q")
    assert driver.find_element(By.TAG_NAME, "h1").text == "Tìm kiếm trong lưu trữ"
    shoot(driver, "01-home")

    box = driver.find_element(By.ID, "q")
    box.send_keys("kim thanh")
    box.send_keys(Keys.RETURN)
    wait_for(driver, "#hits li.hit")
    titles = hit_titles(driver)
    assert titles and any("Kim Thành" in t for t in titles), titles
    assert driver.find_elements(By.CSS_SELECTOR, "#hits mark")
    total_all = driver.find_element(By.ID, "total").text
    shoot(driver, "02-results-kim-thanh")

    # Filter by paper through its facet link.
    facet = driver.find_element(By.CSS_SELECTOR, "#facet-site a[href*='site=baohaiphong']")
    facet.click()
    WebDriverWait(driver, WAIT_SECONDS).until(lambda d: "site=baohaiphong" in d.current_url)
    wait_for(driver, "#hits li.hit")
    filtered_url = driver.current_url
    filtered = hit_titles(driver)
    assert filtered and driver.find_element(By.ID, "total").text != total_all
    selected = driver.find_element(By.CSS_SELECTOR, "select#site option:checked")
    assert selected.get_attribute("value") == "baohaiphong"
    for meta in driver.find_elements(By.CSS_SELECTOR, "#hits .meta"):
        assert "Hải Phòng" in meta.text
    shoot(driver, "03-filtered-by-site")

    # Open the first article, then go back.
    first = driver.find_element(By.CSS_SELECTOR, "#hits li.hit h3 a")
    first_title = first.text
    first.click()
    wait_for(driver, "#article-title")
    assert driver.find_element(By.ID, "article-title").text == first_title
    assert len(driver.find_elements(By.CSS_SELECTOR, "#article-text p")) >= 2
    shoot(driver, "04-article")

    driver.back()
    wait_for(driver, "#hits li.hit")
    assert driver.current_url == filtered_url
    assert hit_titles(driver) == filtered
    shoot(driver, "05-back-to-results")


def test_hostile_article_runs_nothing(driver: Any, base_url: str) -> None:  # noqa: F811
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    driver.get(base_url + "/?q=tin+gia")
    wait_for(driver, "#hits li.hit")
    link = driver.find_element(By.CSS_SELECTOR, "#hits li.hit h3 a")
    assert HOSTILE_SCRIPT in link.text
    shoot(driver, "06-xss-results")
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018 - reading it is the check
    link.click()
    wait_for(driver, "#article-title")
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018
    assert driver.find_element(By.ID, "article-title").text == XSS_TITLE
    body = driver.find_element(By.TAG_NAME, "body").text
    assert "<script>" in body and HOSTILE_IMG in body
    # Nothing the article carried became an element: no image, no extra script, no handler.
    assert driver.find_elements(By.CSS_SELECTOR, "main img") == []
    scripts = [s.get_attribute("src") for s in driver.find_elements(By.TAG_NAME, "script")]
    assert scripts == [base_url + "/static/app.js"]
    assert driver.execute_script("return document.querySelectorAll('[onerror],[onload],[onclick]').length") == 0
    shoot(driver, "07-xss-article")


def test_english_and_phone_width(driver: Any, base_url: str) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By

    driver.set_window_size(390, 844)
    driver.get(base_url + "/?q=vai+thieu")
    wait_for(driver, "#hits li.hit")
    driver.find_element(By.ID, "lang-switch").click()
    wait_for(driver, "#hits li.hit")
    assert driver.find_element(By.TAG_NAME, "h1").text == "Search the archive"
    # Readable on a phone: nothing wider than the screen.
    width = driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, width
    shoot(driver, "08-phone-english")
