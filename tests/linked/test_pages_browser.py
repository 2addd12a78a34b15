"""The resource pages in headless Chromium: a paper shows its ordered, linked authors and its claims
highlighted in their context; following an author leads to the person's papers."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kg.store import KgStore
from kg.vocab import DEFAULT_BASE_IRI

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support.browser import MISSING, chromium
from support.live_server import LiveServer

from tests.conftest import select

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402

pytestmark = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")
PAPER = "2307.09288"
PAPER_IRI = DEFAULT_BASE_IRI + "paper/" + PAPER


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    with chromium(javascript=False) as driver:
        yield driver


def test_paper_page_shows_ordered_authors_and_highlighted_claims(
    ld_server: LiveServer, sample_store: KgStore, browser  # type: ignore[no-untyped-def]
) -> None:
    browser.get(f"{ld_server.url}/paper/{PAPER}")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Llama 2: Open Foundation and Fine-Tuned Chat Models"
    expected = [r["name"] for r in select(sample_store, f"""SELECT ?name WHERE {{ <{PAPER_IRI}> kg:authorship ?a .
        ?a kg:position ?pos ; kg:author/foaf:name ?name }} ORDER BY ?pos""")]
    authors = browser.find_elements(By.CSS_SELECTOR, "#authors li a")
    assert [a.text for a in authors] == expected and len(expected) == 68
    assert authors[0].get_attribute("href") == f"{ld_server.url}/person/hugo-touvron"

    anchors = {r["anchor"] for r in select(sample_store, f"SELECT ?anchor WHERE {{ ?c kg:statedIn <{PAPER_IRI}> ; "
                                                        "nif:anchorOf ?anchor }")}
    marks = browser.find_elements(By.CSS_SELECTOR, "#claims li mark")
    assert len(marks) == len(anchors) > 10
    assert {m.text for m in marks} == {" ".join(a.split()) for a in anchors}
    # Each sentence sits inside its context (sliced at its offsets): text around the mark in the same block.
    for context in browser.find_elements(By.CSS_SELECTOR, "#claims li .claim-context"):
        assert len(context.text) > len(context.find_element(By.TAG_NAME, "mark").text)

    links = {a.text: a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#links a")}
    assert links["DOI"] == f"https://doi.org/10.48550/arXiv.{PAPER}"
    assert links["arXiv abstract"] == f"https://arxiv.org/abs/{PAPER}"
    assert "haswbstatement:P818=" + PAPER in links["Wikidata (by arXiv id)"]
    categories = [c.text for c in browser.find_elements(By.CSS_SELECTOR, "#categories li")]
    assert categories[0].startswith("Computation and Language") and "primary" in categories[0]
    assert len(browser.find_elements(By.CSS_SELECTOR, "#cites li")) == 55


def test_author_link_leads_to_the_person_page_listing_the_paper(
    ld_server: LiveServer, browser  # type: ignore[no-untyped-def]
) -> None:
    browser.get(f"{ld_server.url}/paper/{PAPER}")
    browser.find_element(By.CSS_SELECTOR, "#authors li a").click()
    assert browser.current_url == f"{ld_server.url}/person/hugo-touvron"
    assert browser.find_element(By.TAG_NAME, "h1").text == "Hugo Touvron"
    papers = browser.find_elements(By.CSS_SELECTOR, "#papers li a")
    assert [p.text for p in papers] == ["Llama 2: Open Foundation and Fine-Tuned Chat Models"]


def test_category_page_lists_its_papers(ld_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    browser.get(f"{ld_server.url}/category/cs.CL")
    assert browser.find_element(By.TAG_NAME, "h1").text == "cs.CL: Computation and Language"
    titles = [p.text for p in browser.find_elements(By.CSS_SELECTOR, "#papers li a")]
    assert "Llama 2: Open Foundation and Fine-Tuned Chat Models" in titles


def test_concept_page_lists_claims_mentioning_it(
    ld_server: LiveServer, sample_store: KgStore, browser  # type: ignore[no-untyped-def]
) -> None:
    row = select(sample_store, """SELECT ?c (COUNT(?claim) AS ?n) WHERE { ?claim kg:mentions ?c }
        GROUP BY ?c ORDER BY DESC(?n) ?c LIMIT 1""")[0]
    browser.get(ld_server.url + "/" + row["c"][len(DEFAULT_BASE_IRI):])
    assert len(browser.find_elements(By.CSS_SELECTOR, "#claims li mark")) == int(row["n"])
