"""Headless Chromium driving the explorer (the browser tests and scripts/screenshot_explorer.py).

Chromium and its driver come from the Debian packages (``apt-get install chromium
chromium-driver``), driven by Selenium (in the [test] extra). The flags keep Chromium off the
network: it would otherwise try to reach Google's services at every start, which a closed
network refuses. Selenium is imported when a browser starts, so the package needs it only then.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path

__all__ = ["CHROMIUM", "CHROMEDRIVER", "FLAGS", "SKIP_VARIABLE", "missing", "verdict",
           "chromium", "wait_until", "shown_value", "set_number"]

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage")
#: Set to 1 to skip the browser tests explicitly (without it a missing browser fails them).
SKIP_VARIABLE = "EUCOALITION_NO_BROWSER"


def missing() -> list[str]:
    """The browser's files that are not installed."""
    return [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]


def verdict(absent: list[str], environ: Mapping[str, str]) -> tuple[str, str] | None:
    """What the browser tests do: ``("skip", why)`` when :data:`SKIP_VARIABLE` is ``1``,
    ``("fail", why)`` when the browser is missing, None to run. Missing is a failure, not a
    skip, so that a suite without a browser never passes by leaving the explorer untested.

    >>> verdict([], {})
    >>> verdict(["/usr/bin/chromium"], {})[0], verdict([], {SKIP_VARIABLE: "1"})[0]
    ('fail', 'skip')
    """
    if environ.get(SKIP_VARIABLE) == "1":
        return "skip", f"{SKIP_VARIABLE}=1: browser tests skipped on request"
    if absent:
        return "fail", ("headless Chromium is needed for the explorer's tests: missing "
                        + ", ".join(absent) + " (apt-get install -y chromium chromium-driver, "
                        f"or set {SKIP_VARIABLE}=1 to skip them)")
    return None


def chromium(profile: Path | str, width: int = 1400, height: int = 1100):
    """A headless Chromium (Selenium WebDriver) with a fresh profile in ``profile``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


def wait_until(check: Callable[[], object], timeout: float = 60.0, what: str = "the page"):
    """Poll ``check`` until it returns something true (returned); a TimeoutError after
    ``timeout`` seconds names ``what`` was awaited. Exceptions of a page still rendering
    (an element not there yet, or replaced meanwhile) count as not yet."""
    from selenium.common.exceptions import WebDriverException

    end = time.monotonic() + timeout
    while True:
        try:
            value = check()
        except WebDriverException:
            value = None
        if value:
            return value
        if time.monotonic() > end:
            raise TimeoutError(f"waited {timeout:g} s for {what}")
        time.sleep(0.2)


def shown_value(driver, element_id: str) -> float | None:
    """The full value behind a number the page shows (its ``data-value``), None if absent."""
    from selenium.webdriver.common.by import By

    found = driver.find_elements(By.ID, element_id)
    text = found[0].get_attribute("data-value") if found else None
    return float(text) if text else None


def set_number(driver, element_id: str, value) -> None:
    """Type ``value`` into a number box and press Enter (the page runs on Enter or blur)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = driver.find_element(By.ID, element_id)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    box.send_keys(str(value), Keys.ENTER)
