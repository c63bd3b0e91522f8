"""A headless Chromium driven by Selenium, for end-to-end tests of the web UI.

The browser and its driver are Debian's (``chromium``, ``chromium-driver``, which ``.ci/run``
installs); Selenium is told where both are, so it never looks for or downloads a driver.
A test without them is skipped with the reason, never failed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

#: Where Debian installs them; PATH is the fallback for other systems.
CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMEDRIVER_PATHS = ("/usr/bin/chromedriver",)

#: A bound on any wait for the page: a broken UI fails the test instead of hanging it.
WAIT_LIMIT_S = 20

#: The page as a reader of the README sees it in the screenshot.
WINDOW_SIZE = (1280, 860)

#: Keep Chromium from calling home (updates, sync, safe browsing): tests talk to 127.0.0.1 only.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",  # containers and CI runners have no user namespaces for the sandbox
    "--disable-dev-shm-usage",  # a container's /dev/shm is often too small for Chromium
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--password-store=basic",
    f"--window-size={WINDOW_SIZE[0]},{WINDOW_SIZE[1]}",
)


def _first_executable(paths: Iterable[str], name: str) -> str | None:
    for path in paths:
        if os.access(path, os.X_OK):
            return path
    return shutil.which(name)


def browser_paths() -> tuple[str, str]:
    """The Chromium and chromedriver executables; skips the test when one is missing."""
    chromium = _first_executable(CHROMIUM_PATHS, "chromium")
    driver = _first_executable(CHROMEDRIVER_PATHS, "chromedriver")
    if chromium is None or driver is None:
        pytest.skip(
            "the browser test needs Chromium and chromedriver "
            "(Debian: apt-get install chromium chromium-driver; .ci/run does it)"
        )
    return chromium, driver


def start_chromium() -> Any:
    """A headless Chromium WebDriver that records the console (see :func:`console_errors`).

    Skips the test when Selenium, Chromium or chromedriver is not installed. The caller quits it.
    """
    pytest.importorskip("selenium", reason="the browser test needs selenium (the dev extra)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver = browser_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


def wait_until(driver: Any, condition: Callable[[Any], Any], what: str) -> Any:
    """``condition(driver)``'s first truthy value; fails saying ``what`` after WAIT_LIMIT_S."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_LIMIT_S, poll_frequency=0.1).until(
        condition, message=f"{what} (waited {WAIT_LIMIT_S}s)"
    )


#: Console levels a working page never logs at: errors, failed loads and its own warnings.
TROUBLE_LEVELS = frozenset({"SEVERE", "WARNING"})


def console_errors(driver: Any, expected: Iterable[str] = ()) -> list[str]:
    """The console's errors and warnings since the last call, but those containing one of the
    ``expected`` texts (a 400 the page provoked on purpose, say)."""
    allowed = tuple(expected)
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if entry["level"] in TROUBLE_LEVELS
        and not any(text in entry["message"] for text in allowed)
    ]


def save_screenshot(driver: Any, variable: str = "SWARM_SAVE_SCREENSHOT") -> Path | None:
    """Save a PNG of the page where the environment variable says; nothing when it is unset.

    A relative path is taken from the repository's root, so that
    ``SWARM_SAVE_SCREENSHOT=docs/img/dashboard.png`` works from any directory.
    """
    where = os.environ.get(variable)
    if not where:
        return None
    path = Path(where)
    if not path.is_absolute():
        path = Path(__file__).resolve().parent.parent / path
    path.parent.mkdir(parents=True, exist_ok=True)
    size = driver.get_window_size()
    width, height = size["width"], size["height"]
    _fit_window_to_page(driver, width)
    try:
        if not driver.save_screenshot(str(path)):
            raise AssertionError(f"Chromium could not save a screenshot to {path}")
    finally:
        driver.set_window_size(width, height)
    return path


def _fit_window_to_page(driver: Any, width: int) -> None:
    """Make the window as tall as the page's content, so the picture has no empty space."""
    # Shrunk first: a page at least as tall as its window (min-height: 100vh) grows with it.
    driver.set_window_size(width, 200)
    content, chrome = driver.execute_script(
        "return [document.documentElement.scrollHeight, window.outerHeight - window.innerHeight]"
    )
    driver.set_window_size(width, int(content) + int(chrome))
