"""End to end in a real headless Chromium: the reader's path through the site, screenshots.

Why a real browser: the test client cannot see what CSP blocks, what the JavaScript does,
which direction text is laid out in, or whether the page fits a 360 px phone. Debian's
``chromium`` and ``chromium-driver`` are driven with Selenium (driver and browser come from one
package, so their versions always match; nothing is downloaded at run time).

Two servers: one over the bundled corpus (the reader's journey, with ``aawsat`` shown as its
Latin slug through a ``SEARCHAPP_SOURCE_NAMES`` file, so a left-to-right piece sits in an
Arabic byline), and one over real data: an index of one SaudiNewsNet zip when
``/work/shared/data/saudinewsnet`` exists, else the bundled corpus again. Screenshots go to
``$SEARCHAPP_SCREENSHOTS`` (default: a pytest temporary directory), never into the checkout.
"""

from __future__ import annotations

import contextlib
import itertools
import json
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
SAUDINEWSNET = Path("/work/shared/data/saudinewsnet")
REAL_QUERY = "النفط"
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


@contextlib.contextmanager
def _serve(index: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """``searchapp serve`` over ``index`` on a free loopback port; yields its URL."""
    port = _free_port()
    cmd = [sys.executable, "-c", "from searchapp.cli import main; main()", "serve",
           "--host", "127.0.0.1", "--port", str(port), "--index", str(index), "--threads", "4"]
    # A file, not a pipe: nobody reads the server's output while the test runs, and a full
    # pipe would block the server on its next log line.
    log = (index.parent / f"serve-{port}.log").open("w+b")
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail(f"searchapp serve did not start: {log.read().decode()}")
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """The bundled corpus; ``aawsat`` named by its slug (a Latin piece in Arabic lines)."""
    root = tmp_path_factory.mktemp("e2e")
    assert reindex([ROOT / "corpus"], root / "index").errors == []
    names = root / "names.json"
    names.write_text(json.dumps({"aawsat": "aawsat"}), "utf-8")
    with _serve(root / "index", {"SEARCHAPP_SOURCE_NAMES": str(names)}) as url:
        yield url


@pytest.fixture(scope="module")
def real_server(tmp_path_factory) -> Iterator[str]:
    """One SaudiNewsNet day when the shared data is there, else the bundled corpus."""
    zips = sorted(SAUDINEWSNET.glob("*.zip")) if SAUDINEWSNET.is_dir() else []
    index = tmp_path_factory.mktemp("e2e-real") / "index"
    report = reindex(zips[:1] or [ROOT / "corpus"], index)
    assert report.errors == [] or zips, report.errors
    with _serve(index) as url:
        yield url


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    """Where screenshots go: ``$SEARCHAPP_SCREENSHOTS`` or a temporary directory."""
    where = os.environ.get("SEARCHAPP_SCREENSHOTS")
    path = Path(where) if where else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


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


def _emulate(driver, width: int, height: int = 800) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500})


def _screenshot(driver, directory: Path, name: str, width: int) -> Path:
    """Full-page screenshot at ``width`` CSS pixels (mobile emulation below 500)."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": 800, "deviceScaleFactor": 1, "mobile": width < 500})
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": min(height, 4000), "deviceScaleFactor": 1,
        "mobile": width < 500})
    path = directory / name
    driver.save_screenshot(str(path))
    overflow = driver.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert overflow <= 0, f"{name}: page is {overflow}px wider than the {width}px screen"
    return path


# Per meta line, its isolated pieces in document order: class, text, and the left/top of the
# last line box it ends in and the right/top of the first it starts in (a piece may wrap).
PIECES_JS = """
return Array.from(document.querySelectorAll(arguments[0])).map(line =>
  Array.from(line.querySelectorAll(':scope > bdi')).map(b => {
    const rs = b.getClientRects(), first = rs[0], last = rs[rs.length - 1];
    return [b.className, b.textContent, last.left, last.top, first.right, first.top];
  }));
"""


def assert_right_to_left(driver, selector: str) -> int:
    """Each line's pieces run right to left in document order (source first, at the right):
    the one after starts left of where the one before ends, or on a later line. Returns the
    number of lines checked."""
    lines = [ps for ps in driver.execute_script(PIECES_JS, selector) if len(ps) > 1]
    for pieces in lines:
        for (k1, t1, end_left, end_top, _, _), (k2, t2, _, _, start_right, start_top) in \
                itertools.pairwise(pieces):
            same_line = abs(end_top - start_top) < 4
            assert (start_right <= end_left + 1) if same_line else start_top > end_top, (
                f"{selector}: {k2} «{t2}» is not after {k1} «{t1}» right to left: {pieces}")
    return len(lines)


def visible_fragments_js() -> str:
    return """
return Array.from(document.querySelectorAll('.snippet')).map(s =>
  Array.from(s.querySelectorAll('.fragment')).filter(f => getComputedStyle(f).display !== 'none'
    && f.getClientRects().length > 0).length);
"""


FACETS_JS = """
return Array.from(document.querySelectorAll('.facet ul')).map(ul => {
  const cs = getComputedStyle(ul);
  return {overflows: ul.scrollWidth > ul.clientWidth + 1, scrolls: cs.overflowX === 'auto'
          || cs.overflowX === 'scroll', wraps: cs.flexWrap === 'wrap',
          mask: (cs.maskImage || cs.webkitMaskImage || 'none') !== 'none'
                || (cs.webkitMaskImage || 'none') !== 'none'};
});
"""


def test_reader_journey(server, browser, shots):
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
    _screenshot(d, shots, "autocomplete-desktop.png", 1280)
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
    # A Latin source slug (aawsat) before Arabic pieces keeps its place: it is the rightmost.
    metas = d.execute_script(PIECES_JS, ".hit-meta")
    assert any(p and p[0][1] == "aawsat" for p in metas), metas
    assert assert_right_to_left(d, ".hit-meta")
    assert d.find_element(By.ID, "q").get_attribute("list") is None, "JS replaces the datalist"
    _screenshot(d, shots, "results-desktop.png", 1280)
    _screenshot(d, shots, "results-phone.png", 360)

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
    _screenshot(d, shots, "article-phone.png", 360)

    # Nothing was blocked by the Content-Security-Policy or failed to load.
    errors = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], errors


def test_works_without_javascript(server, tmp_path):
    """The plain form still searches: the result page is complete HTML from the server, with
    completions of the query in a <datalist> the browser offers without JavaScript."""
    with urllib.request.urlopen(server + "/?q=%D8%B3%D9%88%D8%B1%D9%8A%D8%A7", timeout=10) as r:
        body = r.read().decode()
    assert "<mark>" in body and 'class="hit"' in body
    with urllib.request.urlopen(server + "/?q=%D8%A8%D9%88%D8%AA", timeout=10) as r:  # بوت
        body = r.read().decode()
    assert 'list="q-completions"' in body and '<option value="بوتين">' in body


def test_real_data_results_on_desktop_and_phone(real_server, browser, shots):
    """A real-data query at 1280 and 360 px: bylines in order, chips that show they scroll,
    at most two snippet fragments per hit on the phone, no sideways page scroll."""
    from urllib.parse import quote

    from selenium.webdriver.common.by import By

    d = browser
    d.get(real_server + "/?q=" + quote(REAL_QUERY))
    _wait(d, lambda d: d.find_elements(By.CSS_SELECTOR, ".hit"))
    assert assert_right_to_left(d, ".hit-meta") >= 3
    _screenshot(d, shots, "real-results-1280.png", 1280)

    _emulate(d, 360)
    try:
        d.refresh()
        _wait(d, lambda d: d.find_elements(By.CSS_SELECTOR, ".hit"))
        assert assert_right_to_left(d, ".hit-meta") >= 3
        d.save_screenshot(str(shots / "real-results-360-top.png"))  # what a phone shows first
        counts = d.execute_script(visible_fragments_js())
        assert counts and max(counts) <= 2, counts
        facets = d.execute_script(FACETS_JS)
        assert facets
        for f in facets:  # clipped chips must say so: wrap, or scroll with a fade
            assert not f["overflows"] or (f["scrolls"] and f["mask"]) or f["wraps"], facets
    finally:
        d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    _screenshot(d, shots, "real-results-360.png", 360)

    d.get(real_server + "/help")
    _screenshot(d, shots, "help-360.png", 360)
    # The help page's code examples stay one left-to-right token each on a phone.
    _emulate(d, 360)
    try:
        d.refresh()
        for code in d.find_elements(By.CSS_SELECTOR, "code[dir=ltr]"):
            if " " in code.text:
                continue  # may break at its own spaces, never inside a token
            lines = d.execute_script("return arguments[0].getClientRects().length", code)
            assert lines == 1, f"«{code.text}» is broken over {lines} lines"
    finally:
        d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
