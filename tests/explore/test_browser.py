"""The explorer in a real browser (headless Chromium): the page runs what ``eucoalition run``
runs, the map shows every state, bad input gets a message on the page, nothing is fetched from
elsewhere, and the comparison is ``eucoalition compare``'s."""

from __future__ import annotations

import tomllib

from helpers import run_cli
from selenium.webdriver.common.by import By

from model.explore.browser import set_number, shown_value, wait_until


def changed(browser, element_id: str, old: float | None, what: str) -> float:
    """The value shown in ``element_id`` once it exists and differs from ``old``."""
    def check():
        v = shown_value(browser, element_id)
        return (v,) if v is not None and v != old else None

    return wait_until(check, what=what)[0]


def click_option(browser, control: str, value: str) -> None:
    browser.find_element(By.CSS_SELECTOR, f"#{control} input[value='{value}']").find_element(
        By.XPATH, "./ancestor::label").click()


def page_toml(browser) -> str:
    return browser.find_element(By.ID, "toml").get_attribute("textContent")


def test_the_page_runs_what_eucoalition_run_runs(explorer, browser, tmp_path):
    browser.get(explorer.url)
    first = changed(browser, "p-adopted", None, "the first result")
    tiles = browser.find_elements(By.CSS_SELECTOR, "#tile-map .tile")
    assert len(tiles) == 27
    assert {t.get_attribute("data-iso2") for t in tiles} >= {"DE", "FR", "HU", "CY", "MT"}
    germany = browser.find_element(By.CSS_SELECTOR, "#tile-map .tile[data-iso2='DE']")
    assert germany.get_attribute("title").startswith("Germany: P(for) ")
    assert "Only 2 parameter draws" in browser.find_element(By.ID, "few-draws").text

    set_number(browser, "budget", 3)
    squeezed = changed(browser, "p-adopted", first, "the result with China's budget at 3")
    assert squeezed < first                     # more Chinese spending, less support
    click_option(browser, "levers", "aci_in_force")
    wait_until(lambda: "aci_in_force" in page_toml(browser), what="the lever")
    shown = changed(browser, "p-adopted", squeezed, "the result with the lever")
    total = [float(browser.find_element(By.ID, "interval-total").get_attribute(f"data-{k}"))
             for k in ("low", "high")]
    browser.save_screenshot(str(tmp_path / "explorer.png"))
    assert (tmp_path / "explorer.png").stat().st_size > 10_000

    text = page_toml(browser)
    exported = tomllib.loads(text)
    assert exported["china"]["budget"] == 3
    assert exported["commission"]["options"] == ["aci_in_force"]
    path = tmp_path / "exported.toml"
    path.write_text(text)
    summary = run_cli("run", path, "--out", tmp_path / "out", "--json").json()
    assert summary["p_adopted"] == shown
    assert summary["p_adopted_interval"]["total"] == total

    origin = explorer.url.rstrip("/")
    requested = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    assert requested and all(url.startswith(origin + "/") for url in requested), requested


def test_bad_input_gets_a_message_on_the_page(explorer, browser):
    browser.get(explorer.url)
    shown = changed(browser, "p-adopted", None, "the first result")

    def message():
        found = browser.find_elements(By.ID, "error-text")
        return found[0].text if found and found[0].text else None

    set_number(browser, "budget", -1)
    assert wait_until(message, what="the budget message").startswith(
        "China's budget: must be a number of at least 0 (got -1)")
    set_number(browser, "budget", 0.5)
    wait_until(lambda: not message(), what="the message to go")
    set_number(browser, "replications", 0)
    assert "Replications: must be a whole number from 1 to 50,000" in wait_until(
        message, what="the replications message")
    assert shown_value(browser, "p-adopted") == shown       # the last good result stays
    assert "Traceback" not in browser.page_source


def test_a_council_with_every_state_absent_says_so(small_flagship, browser, tmp_path):
    from model.explore.app import create_app, serving
    from model.inputs.council import composition

    raw = tomllib.loads(small_flagship.read_text())
    raw["absent"] = list(composition("eu27").members)
    path = tmp_path / "nobody.toml"
    from model.io import toml_dumps

    path.write_text(toml_dumps(raw))
    with serving(create_app(path)) as server:
        browser.get(server.url)
        text = wait_until(lambda: browser.find_element(By.ID, "error-text").text,
                          what="the message")
    assert text == "Absent states: every state is absent"


def test_the_comparison_is_eucoalition_compare(explorer, browser, tmp_path):
    browser.get(explorer.url)
    changed(browser, "p-adopted", None, "the first result")
    saved = page_toml(browser)
    browser.find_element(By.ID, "save").click()
    wait_until(lambda: browser.find_element(By.ID, "saved-label").text, what="the saved label")
    click_option(browser, "actions", "rare_earth_licence_slowdown")     # lift the squeeze
    wait_until(lambda: "rare_earth_licence_slowdown" not in page_toml(browser),
               what="the squeeze lifted")
    current = page_toml(browser)
    browser.find_element(By.XPATH, "//div[@id='tabs']/div[contains(., 'Compare')]").click()
    shown = changed(browser, "difference", None, "the comparison")
    (tmp_path / "a.toml").write_text(saved)
    (tmp_path / "b.toml").write_text(current)
    report = run_cli("compare", tmp_path / "a.toml", tmp_path / "b.toml", "--out",
                     tmp_path / "out", "--json").json()
    assert report["difference"] == shown
    moving = browser.find_element(By.ID, "moving").text
    assert report["states"][0]["iso2"] in moving


def test_the_downloads_are_the_experiment_file_and_the_briefing(explorer, browser, tmp_path):
    browser.execute_cdp_cmd("Browser.setDownloadBehavior",
                            {"behavior": "allow", "downloadPath": str(tmp_path)})
    browser.get(explorer.url)
    shown = changed(browser, "p-adopted", None, "the first result")
    browser.find_element(By.ID, "download-toml").click()
    toml = wait_until(lambda: list(tmp_path.glob("*.toml")), what="the experiment file")[0]
    assert toml.name == "aci_rare_earth_divide_and_rule.toml"
    assert toml.read_text() == page_toml(browser)
    browser.find_element(By.ID, "download-brief").click()
    brief = wait_until(lambda: list(tmp_path.glob("*-brief.html")), what="the briefing")[0]
    html = brief.read_text()
    assert f"{100 * shown:.1f}%" in html and "data:image/png;base64," in html
