"""A real headless Chromium for browser tests: Debian's ``chromium`` + ``chromium-driver``.

:func:`find_browser` looks for the binaries; when they are missing and this process may
install packages (root, with apt-get), it installs them once, under a lock shared by parallel
test processes. Where it cannot, the tests skip with the reason — except under ``CI=true``,
where a missing browser is a failure.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
PACKAGES = ("chromium", "chromium-driver")
BROWSER_NAMES = ("chromium", "chromium-browser")
DRIVER_NAMES = ("chromedriver",)
LOCK_PATH = Path(tempfile.gettempdir()) / "baotinh-chromium-install.lock"
# The flags of a quiet, sandbox-less (containers run as root) headless browser with no
# network traffic of its own.
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
    "--no-first-run", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--window-size=1280,1000",
)


@dataclass(frozen=True, slots=True)
class Browser:
    """Where the browser and its driver are."""

    binary: Path
    driver: Path


def _which(names: tuple[str, ...], extra_dirs: tuple[str, ...] = ("/usr/bin", "/usr/lib/chromium")) -> Path | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return Path(found)
        for folder in extra_dirs:
            candidate = Path(folder) / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return candidate
    return None


def locate_browser() -> Browser | None:
    """Chromium and chromedriver when both are installed."""
    binary, driver = _which(BROWSER_NAMES), _which(DRIVER_NAMES)
    return Browser(binary, driver) if binary and driver else None


def can_install() -> str | None:
    """``None`` when this process may install Debian packages, else why it may not."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "not root"
    if shutil.which("apt-get") is None:
        return "no apt-get"
    return None


def install_browser() -> None:
    """``apt-get update && apt-get install -y chromium chromium-driver``, once, under a lock."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    with LOCK_PATH.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if locate_browser() is not None:  # another process installed it while we waited
            return
        for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", *PACKAGES]):
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1200, check=False)
            if proc.returncode != 0:
                tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
                raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {' | '.join(tail)}")


def find_browser() -> Browser:
    """The browser, installed if needed and allowed; skips (fails under CI) otherwise."""
    browser = locate_browser()
    if browser is not None:
        return browser
    reason = can_install()
    if reason is None:
        try:
            install_browser()
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
            reason = f"installing {' '.join(PACKAGES)} failed: {exc}"
        browser = locate_browser()
        if browser is not None:
            return browser
        reason = reason or "installed, but chromium/chromedriver are still not on PATH"
    message = (f"Chromium not available ({reason}); install it with: "
               f"sudo apt-get install -y {' '.join(PACKAGES)}")
    if IN_CI:
        pytest.fail(f"{message} (CI=true: browser tests must run)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium() -> Browser:
    """Debian's Chromium and chromedriver (see :func:`find_browser`)."""
    return find_browser()


def start_driver(chromium: Browser, profile: Path, *, flags: tuple[str, ...] = (), log_network: bool = False) -> Any:
    """A Selenium WebDriver on a fresh headless Chromium profile: a Vietnamese reader's browser
    (the UI picks its language from Accept-Language), with ``flags`` added and, with
    ``log_network``, Chromium's performance (network) log kept. Skips (fails under CI) without
    selenium."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        if IN_CI:
            pytest.fail("selenium is not installed (CI=true)")
        pytest.skip("selenium is not installed: pip install selenium")
    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium.binary)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--lang=vi-VN", *flags):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": "vi-VN,vi"})
    if log_network:
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    # No download of a driver of its own (Selenium Manager): the system one is given.
    drv = webdriver.Chrome(service=Service(executable_path=str(chromium.driver)), options=options)
    drv.set_page_load_timeout(30)
    return drv


@pytest.fixture
def driver(chromium: Browser, tmp_path: Path) -> Iterator[object]:
    """A Selenium WebDriver on a fresh headless Chromium profile (see :func:`start_driver`)."""
    drv = start_driver(chromium, tmp_path / "profile")
    try:
        yield drv
    finally:
        drv.quit()
