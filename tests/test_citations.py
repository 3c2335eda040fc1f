"""One citation convention: every chapter cites the bare keys of `book/references.bib` and ends
with a bibliography filtered to the page (`docname in docnames`), so its reference list shows
exactly the works it cites; the built pages link each citation to their own list."""
import re

import pytest
import yaml
from bs4 import BeautifulSoup

from pages import CHAPTERS, ROOT

BIB_KEYS = set(re.findall(r"^@\w+\{([^,\s]+),", (ROOT / "book" / "references.bib").read_text(), re.M))
CITE = re.compile(r"\{cite(?::\w+)?\}`([^`]*)`")
BIBLIOGRAPHY = re.compile(r"^```\{bibliography\}\n(.*?)^```", re.M | re.S)


def cited_keys(chapter: str) -> set[str]:
    text = (ROOT / f"{chapter}.md").read_text()
    return {key.strip() for keys in CITE.findall(text) for key in keys.split(",")}


CITING = [chapter for chapter in CHAPTERS if cited_keys(chapter)]


def test_most_chapters_cite():
    assert len(CITING) >= 15


@pytest.mark.parametrize("chapter", CITING)
def test_chapter_cites_bare_keys_and_lists_them_in_its_own_bibliography(chapter):
    assert cited_keys(chapter) <= BIB_KEYS, f"not in references.bib: {sorted(cited_keys(chapter) - BIB_KEYS)}"
    (options,) = BIBLIOGRAPHY.findall((ROOT / f"{chapter}.md").read_text())
    assert options.strip() == ":filter: docname in docnames"


def test_the_one_bib_and_no_hidden_bibtex_warning():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["bibtex_bibfiles"] == ["book/references.bib"]
    assert list(ROOT.glob("book/**/*.bib")) == [ROOT / "book" / "references.bib"]
    # A key listed on two pages is expected with per-page lists (sphinxcontrib-bibtex 2.7 links
    # each citation to its own page's list); any other bibtex warning, e.g. a key listed twice
    # on one page (duplicate_local_citation), must stay visible.
    suppressed = config["sphinx"]["config"]["suppress_warnings"]
    assert [w for w in suppressed if w.startswith("bibtex")] == ["bibtex.duplicate_citation"]


def test_every_citation_links_to_its_own_pages_list_of_exactly_the_works_it_cites(built_book):
    for chapter in CITING:
        page = BeautifulSoup((built_book / f"{chapter}.html").read_text(), "html.parser")
        listed = {entry["id"] for entry in page.select("div.citation[id]")}
        targets = [a["href"] for a in page.select("span.bibtex-citation a[href]")]
        assert targets and all(href.startswith("#") for href in targets), \
            f"{chapter}: a citation links to another page: {[h for h in targets if not h.startswith('#')]}"
        assert {href[1:] for href in targets} == listed, chapter
        assert len(listed) == len(cited_keys(chapter)), chapter
