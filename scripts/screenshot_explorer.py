"""Take the README's screenshot of the explorer (docs/img/explorer.png) with the browser tests'
driver (model/explore/browser.py: headless Chromium from the Debian packages, Selenium).

    .venv/bin/python scripts/screenshot_explorer.py [--out docs/img/explorer.png]

It serves the explorer on the flagship experiment (its 10,000 replications unless
--replications says otherwise), waits for the result, and prints how long the first view and
one change (China's budget) took to show.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model.explore import browser  # noqa: E402
from model.explore.app import create_app, serving  # noqa: E402
from model.io import atomic_write_bytes, toml_dumps  # noqa: E402

FLAGSHIP = ROOT / "experiments" / "aci_rare_earth_divide_and_rule.toml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "explorer.png")
    parser.add_argument("--replications", type=int, default=None)
    args = parser.parse_args()
    if browser.missing():
        sys.exit("missing " + ", ".join(browser.missing()) + ": apt-get install -y chromium "
                 "chromium-driver")
    with tempfile.TemporaryDirectory() as tmp:
        raw = tomllib.loads(FLAGSHIP.read_text())
        raw["replications"] = args.replications or raw["replications"]
        experiment = Path(tmp) / FLAGSHIP.name
        experiment.write_text(toml_dumps(raw))
        driver = browser.chromium(Path(tmp) / "profile", 1400, 1150)
        try:
            with serving(create_app(experiment, warm=True)) as server:
                start = time.perf_counter()
                driver.get(server.url)
                first = browser.wait_until(lambda: browser.shown_value(driver, "p-adopted"))
                shown = time.perf_counter() - start
                start = time.perf_counter()
                browser.set_number(driver, "budget", 1)
                browser.wait_until(lambda: browser.shown_value(driver, "p-adopted") != first)
                changed = time.perf_counter() - start
                browser.set_number(driver, "budget", raw["china"]["budget"])
                browser.wait_until(lambda: browser.shown_value(driver, "p-adopted") == first)
                time.sleep(0.5)                           # let the loading overlay fade
                png = driver.get_screenshot_as_png()
        finally:
            driver.quit()
    atomic_write_bytes(args.out, png)
    print(f"wrote {args.out}; {raw['replications']:,} replications: first view {shown:.1f} s, "
          f"after changing China's budget {changed:.1f} s")


if __name__ == "__main__":
    main()
