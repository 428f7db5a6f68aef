"""End to end in a real headless Chromium: the reader's path through the site, screenshots.

Why a real browser: the test client cannot see what CSP blocks, what the JavaScript does,
which direction text is laid out in, or whether the page fits a 360 px phone. Debian's
``chromium`` and ``chromium-driver`` are driven with Selenium (driver and browser come from one
package, so their versions always match; nothing is downloaded at run time).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from searchapp import reindex

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--lang=ar"]


def _unavailable(reason: str) -> None:
    """CI installs Chromium (.ci/run), so there a missing browser is a failure, not a skip."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; .ci/run should have installed it (apt-get install chromium "
                    "chromium-driver)", pytrace=False)
    pytest.skip(f"{reason} (apt-get install chromium chromium-driver)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """``searchapp serve`` over an index of the bundled corpus, on a free loopback port."""
    index = tmp_path_factory.mktemp("e2e") / "index"
    assert reindex([ROOT / "corpus"], index).errors == []
    port = _free_port()
    cmd = [sys.executable, "-c", "from searchapp.cli import main; main()", "serve",
           "--host", "127.0.0.1", "--port", str(port), "--index", str(index), "--threads", "4"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url + "/", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    out = proc.stdout.read().decode() if proc.poll() is not None else ""
                    pytest.fail(f"searchapp serve did not start: {out}")
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    try:
        from selenium import webdriver
    except ImportError:
        _unavailable("selenium is not installed (pip install -e '.[test]')")
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (os.path.exists(path) or shutil.which(Path(path).name)):
            _unavailable(f"{path} is missing")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"]:
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=opts, service=webdriver.ChromeService(CHROMEDRIVER))
    driver.set_window_size(1280, 1000)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


def _wait(driver, condition, timeout: float = 10):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(condition)


def _screenshot(driver, name: str, width: int) -> Path:
    """Full-page screenshot at ``width`` CSS pixels (mobile emulation below 500)."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": 800, "deviceScaleFactor": 1, "mobile": width < 500})
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": min(height, 4000), "deviceScaleFactor": 1,
        "mobile": width < 500})
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    overflow = driver.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert overflow <= 0, f"{name}: page is {overflow}px wider than the {width}px screen"
    return path


def test_reader_journey(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    d = browser
    d.get(server + "/")
    box = d.find_element(By.ID, "q")
    assert d.switch_to.active_element == box, "the search box has focus on arrival"

    # Autocomplete: typing the start of a word shows completions from /api/suggest.
    box.send_keys("بوت")
    _wait(d, lambda d: d.find_elements(By.CSS_SELECTOR, ".suggestions li"))
    options = [li.text for li in d.find_elements(By.CSS_SELECTOR, ".suggestions li")]
    assert "بوتين" in options
    assert box.get_attribute("aria-expanded") == "true"
    _screenshot(d, "autocomplete-desktop.png", 1280)
    box.send_keys(Keys.ESCAPE)

    # Search: type a query, submit, see highlighted results laid out right to left.
    box.clear()
    box.send_keys("سوريا")
    d.find_element(By.CSS_SELECTOR, "form[role=search] button").click()
    _wait(d, lambda d: d.find_elements(By.CSS_SELECTOR, ".hit"))
    assert d.find_element(By.ID, "q").get_attribute("value") == "سوريا"
    marks = [m.text for m in d.find_elements(By.CSS_SELECTOR, ".hit mark")]
    assert marks and all("سوري" in m for m in marks)
    for selector in ("body", ".hits", ".snippet"):
        el = d.find_element(By.CSS_SELECTOR, selector)
        assert el.value_of_css_property("direction") == "rtl", selector
    hits = len(d.find_elements(By.CSS_SELECTOR, ".hit"))
    _screenshot(d, "results-desktop.png", 1280)
    _screenshot(d, "results-phone.png", 360)

    # Facet: choose a section; the results narrow to it and the choice is marked.
    facet = d.find_element(By.CSS_SELECTOR, ".facet[data-facet=section] a")
    expected = int(facet.find_element(By.CSS_SELECTOR, ".n").text)
    facet.click()
    _wait(d, lambda d: d.find_elements(By.CSS_SELECTOR, ".facet a[aria-current]"))
    assert len(d.find_elements(By.CSS_SELECTOR, ".hit")) == expected < hits

    # Click through to an article: its page shows the query words highlighted.
    link = d.find_element(By.CSS_SELECTOR, ".hit-title a")
    title = link.text
    link.click()
    _wait(d, lambda d: d.find_elements(By.CSS_SELECTOR, "article h1"))
    assert d.find_element(By.CSS_SELECTOR, "article h1").text == title
    assert d.find_elements(By.CSS_SELECTOR, "article mark")
    _screenshot(d, "article-phone.png", 360)

    # Nothing was blocked by the Content-Security-Policy or failed to load.
    errors = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], errors


def test_works_without_javascript(server, tmp_path):
    """The plain form still searches: the result page is complete HTML from the server."""
    with urllib.request.urlopen(server + "/?q=%D8%B3%D9%88%D8%B1%D9%8A%D8%A7", timeout=10) as r:
        body = r.read().decode()
    assert "<mark>" in body and 'class="hit"' in body
