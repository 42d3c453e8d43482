"""Fixtures of the explorer's tests: a small experiment, the explorer served on a free port,
and headless Chromium. Without Chromium and its driver the browser tests fail (they are part
of the suite) unless EUCOALITION_NO_BROWSER=1 says explicitly to skip them."""

from __future__ import annotations

import os
import tomllib

import pytest
from helpers import FLAGSHIP

from model.io import toml_dumps

#: Replications of the tests' scenarios: two blocks, so both intervals are computed.
REPLICATIONS = 500


@pytest.fixture(scope="module")
def small_flagship(tmp_path_factory):
    """The flagship experiment with fewer replications, as a file."""
    raw = tomllib.loads(FLAGSHIP.read_text())
    raw["replications"] = REPLICATIONS
    path = tmp_path_factory.mktemp("experiment") / "flagship_small.toml"
    path.write_text(toml_dumps(raw))
    return path


@pytest.fixture(scope="module")
def explorer(small_flagship):
    """The explorer started from the small flagship, served on a free port."""
    from model.explore.app import create_app, serving

    with serving(create_app(small_flagship)) as server:
        yield server


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium with a fresh profile (fails if it is not installed)."""
    from model.explore import browser as chromium

    found = chromium.verdict(chromium.missing(), os.environ)
    if found is not None:
        action, why = found
        (pytest.skip if action == "skip" else pytest.fail)(why)
    driver = chromium.chromium(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield driver
    finally:
        driver.quit()
