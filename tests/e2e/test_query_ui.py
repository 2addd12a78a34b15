"""The YASGUI page driven in headless Chromium: type a query, run it, see the result table."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kg.build import build
from kg.vocab import DEFAULT_BASE_IRI

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support.browser import MISSING, chromium
from support.live_server import LiveServer, start_server

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

pytestmark = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    root = tmp_path_factory.mktemp("ui")
    build([], root / "store", base_iri=DEFAULT_BASE_IRI)
    live = start_server(root / "store", root)
    yield live
    live.stop()


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    with chromium(javascript=True) as driver:
        yield driver


def test_typed_query_runs_and_shows_the_result_table(server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    browser.get(f"{server.url}/")
    wait = WebDriverWait(browser, 20)
    editor = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, ".yasqe .CodeMirror")))
    # The page opens with the first example query; the example buttons come from queries/*.rq.
    titles = [b.text for b in browser.find_elements(By.CSS_SELECTOR, "#examples button")]
    assert "Ordered authors of a paper" in titles
    editor.click()
    chain = webdriver.ActionChains(browser)
    chain.key_down(Keys.CONTROL).send_keys("a").key_up(Keys.CONTROL).send_keys(Keys.DELETE)
    chain.send_keys("SELECT ?title WHERE { ?paper <http://purl.org/dc/terms/title> ?title } ORDER BY ?title")
    chain.perform()
    typed = browser.execute_script("return window.kgYasgui.getTab().getYasqe().getValue()")
    assert typed.startswith("SELECT ?title WHERE {") and "ORDER BY ?title" in typed
    browser.find_element(By.CSS_SELECTOR, ".yasqe_queryButton").click()
    table = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, ".yasr table.dataTable")))
    wait.until(lambda _: "Llama 2" in table.text)
    cells = [c.text for c in table.find_elements(By.CSS_SELECTOR, "tbody td")]
    assert any(c.startswith("Emotional Intelligence of Large Language Models") for c in cells)
    assert any(c.startswith("Llama 2: Open Foundation") for c in cells)


def test_example_button_opens_its_query(server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    browser.get(f"{server.url}/sparql")  # a browser asking /sparql gets the same page
    wait = WebDriverWait(browser, 20)
    button = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "#examples button[data-example='top-cited']")))
    button.click()
    query = browser.execute_script("return window.kgYasgui.getTab().getYasqe().getValue()")
    assert "cito:cites" in query
