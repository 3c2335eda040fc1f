"""The website's build (seqbook.sphinx_ext, seqbook.site): what pages load, how images and
lists read, widget frames as files, the downloads and the "run this chapter" box.

A small book (two notebook chapters, a page citing a reference) is built twice with Sphinx,
as Jupyter Book does: once plain and once for a course with a repository and a JupyterHub.
The last tests check the real book (`built_book`)."""
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import nbformat
import pytest

from bs4 import BeautifulSoup

from seqbook.site.downloads import NOTEBOOKS_ZIP, WHEEL, nbgitpuller_url
from pages import NOTEBOOK_HEADER
from test_book import CHAPTER_IDS

ROOT = Path(__file__).resolve().parents[1]
HUB = {"repository_url": "https://github.com/example/seqbook-course", "repository_branch": "spring",
       "launch_buttons": {"jupyterhub_url": "https://hub.example.edu/", "notebook_interface": "jupyterlab"}}

CONF = """
extensions = ["myst_nb", "sphinx.ext.mathjax", "sphinxcontrib.bibtex", "seqbook.sphinx_ext"]
root_doc = "index"
html_theme = "sphinx_book_theme"
html_theme_options = {theme_options!r}
templates_path = [{templates!r}]
html_static_path = [{static!r}]
mathjax_path = "vendor/mathjax/tex-chtml-full.js"
html_css_files = ["seqbook.css"]
exclude_patterns = ["_build"]
bibtex_bibfiles = ["refs.bib"]
myst_enable_extensions = ["dollarmath"]
nb_execution_mode = "cache"
nb_execution_cache_path = {cache!r}
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_mime_priority_overrides = [["html", "application/vnd.jupyter.widget-view+json", 100],
                              ["html", "text/html", 5]]
nb_ipywidgets_js = {{"vendor/require.js": {{}}, "vendor/embed-amd.js": {{}}}}
suppress_warnings = ["mystnb.unknown_mime_type"]
"""
CHAPTER = NOTEBOOK_HEADER + """
# A chapter

Some text {cite}`elman1990`.

```{code-cell} ipython3
import matplotlib.pyplot as plt
from seqbook.widgets import Slider, interact

def line(slope):
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, slope])
    ax.set_title(f"slope {slope}")
    return fig

interact(line, slope=Slider([1, 2], description="slope"))
```

```{code-cell} ipython3
---
tags: [hide-input]
mystnb:
  figure:
    caption: A line of slope $W_{hh}$.
    name: fig-line
---
fig, ax = plt.subplots(figsize=(3, 2))
ax.plot([0, 1]);
```

```{bibliography}
```
"""
LIVE_WIDGET = NOTEBOOK_HEADER + """
# A page with a live ipywidget

```{code-cell} ipython3
import ipywidgets
ipywidgets.IntSlider()
```
"""
INDEX = """# The book

```{toctree}
book/part/chapter
book/part/live
```

```{seqbook-install}
```
"""
BIB = """@article{elman1990, author = {Elman, Jeffrey L.}, title = {Finding Structure in Time},
  journal = {Cognitive Science}, volume = {14}, pages = {179--211}, year = {1990}}
"""


@pytest.fixture(scope="module")
def small_books(tmp_path_factory):
    """{"plain": html dir, "hub": html dir} of the small book built both ways."""
    root = tmp_path_factory.mktemp("small-book")
    cache = root / "jupyter_cache"
    sites = {}
    for name, options in (("plain", {}), ("hub", HUB)):
        src = root / name
        (src / "book" / "part" / "data").mkdir(parents=True)
        (src / "book" / "part" / "data" / "words.txt").write_text("a b c\n")
        (src / "book" / "part" / "chapter.md").write_text(CHAPTER)
        (src / "book" / "part" / "live.md").write_text(LIVE_WIDGET)
        (src / "index.md").write_text(INDEX)
        (src / "refs.bib").write_text(BIB)
        (src / "conf.py").write_text(CONF.format(theme_options=options, templates=str(ROOT / "book" / "_templates"),
                                                 static=str(ROOT / "book" / "_static"),
                                                 cache=str(cache)))
        result = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-q",
                                 str(src), str(src / "_build" / "html")], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
        sites[name] = src / "_build" / "html"
    return sites


def page(site, name):
    return (site / f"{name}.html").read_text()


def test_one_sidebar_toggle_and_no_unused_scripts(small_books):
    html = page(small_books["plain"], "book/part/chapter")
    assert len(re.findall(r'<button[^>]*\bprimary-toggle\b', html)) == 1, "a hidden duplicate steals the handler"
    assert "fontawesome.js" not in html, "the icons come from the theme's webfont"
    assert 'class="fa-solid fa-bars"' in html
    assert "searchindex.js" not in html, "only the search page needs the index"
    assert "searchindex.js" in page(small_books["plain"], "search")


def test_widget_manager_loads_only_where_a_widget_view_is_drawn(small_books):
    site = small_books["plain"]
    chapter, live = page(site, "book/part/chapter"), page(site, "book/part/live")
    for script in ("vendor/require.js", "vendor/embed-amd.js", "application/vnd.jupyter.widget-state+json"):
        assert script not in chapter, f"{script} loads on a page whose widgets are seqbook's own HTML"
        assert script in live, f"{script} is needed where an ipywidget view is drawn"


def test_widget_frames_are_files_loaded_on_demand(small_books):
    site = small_books["plain"]
    html = page(site, "book/part/chapter")
    assert "data:image/png" not in html
    frames = json.loads(re.search(r'class="seqbook-frames">(.*?)</script>', html, re.S).group(1))
    urls = {frame[kind] for frame in frames.values() for kind in ("wide", "narrow")}
    assert len(urls) == 4
    for url in urls:
        assert url.startswith("../../_images/widgets/") and (site / "book/part" / url).resolve().is_file()
    assert re.search(r'<img class="seqbook-frame"[^>]*loading="lazy"', html)


def test_images_are_described_and_lazy(small_books):
    html = page(small_books["plain"], "book/part/chapter")
    figure = re.search(r'<figure[^>]*id="fig-line"[^>]*>.*?<img ([^>]*)>', html, re.S).group(1)
    assert 'alt="A line of slope W sub hh."' in figure
    for img in re.findall(r"<img [^>]*>", html):
        assert 'loading="lazy"' in img, img


def test_reference_lists_and_code_toggles_read_right(small_books):
    html = page(small_books["plain"], "book/part/chapter")
    assert 'role="listitem"' in html and "doc-biblioentry" not in html
    assert re.search(r'<details class="[^"]*hide above-input[^"]*">\s*<summary>', html), \
        "the toggle must be named by what it says"


def test_search_page_shows_maths_as_text(small_books):
    assert "seqbook-search.js" in page(small_books["plain"], "search")
    assert "seqbook-search.js" not in page(small_books["plain"], "index")


def test_every_chapter_offers_its_notebook_all_notebooks_and_the_package(small_books):
    site = small_books["plain"]
    box = re.search(r'<aside class="seqbook-run".*?</aside>', page(site, "book/part/chapter"), re.S).group(0)
    assert 'href="../../_sources/book/part/chapter.ipynb"' in box
    assert f'href="../../dist/{NOTEBOOKS_ZIP}"' in box
    assert f'data-href="../../dist/{WHEEL}"' in box and f"pip install {WHEEL}" in box
    assert "hub" not in box.lower(), "no launch link without a configured hub"
    intro = re.search(r'<aside class="seqbook-run".*?</aside>', page(site, "index"), re.S).group(0)
    assert f'href="dist/{NOTEBOOKS_ZIP}"' in intro and "chapter.ipynb" not in intro


def test_downloads_are_published(small_books):
    site = small_books["hub"]
    notebook = nbformat.reads((site / "_sources/book/part/chapter.ipynb").read_text(), as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells), "the download is unexecuted"
    with zipfile.ZipFile(site / "dist" / NOTEBOOKS_ZIP) as archive:
        names = set(archive.namelist())
        assert names == {"seqbook-notebooks/part/chapter.ipynb", "seqbook-notebooks/part/live.ipynb",
                         "seqbook-notebooks/part/data/words.txt"}
        nbformat.validate(nbformat.reads(archive.read("seqbook-notebooks/part/chapter.ipynb"), as_version=4))
    with zipfile.ZipFile(site / "dist" / WHEEL) as wheel:
        assert "seqbook/widgets.py" in wheel.namelist()
        metadata = wheel.read(next(n for n in wheel.namelist() if n.endswith("METADATA"))).decode()
        assert "Requires-Dist: torch==2.13.0" in metadata


def test_a_course_with_a_hub_gets_launch_links(small_books):
    html = page(small_books["hub"], "book/part/chapter")
    box = re.search(r'<aside class="seqbook-run".*?</aside>', html, re.S).group(0)
    assert 'pip install "git+https://github.com/example/seqbook-course"' in box
    link = re.search(r'<a class="seqbook-launch" href="([^"]+)"', box).group(1).replace("&amp;", "&")
    assert link == nbgitpuller_url("https://hub.example.edu/", HUB["repository_url"], "spring",
                                   "book/part/chapter.md")
    url = urlparse(link)
    assert (url.scheme, url.netloc, url.path) == ("https", "hub.example.edu", "/hub/user-redirect/git-pull")
    assert parse_qs(url.query) == {"repo": ["https://github.com/example/seqbook-course"], "branch": ["spring"],
                                   "urlpath": ["lab/tree/seqbook-course/book/part/chapter.md"]}


def test_nbgitpuller_link_format():
    assert nbgitpuller_url("https://datahub.berkeley.edu", "https://github.com/data-8/materials-sp22.git",
                           "main", "lab/lab01/lab01.ipynb", "classic") == (
        "https://datahub.berkeley.edu/hub/user-redirect/git-pull?"
        "repo=https%3A%2F%2Fgithub.com%2Fdata-8%2Fmaterials-sp22.git&branch=main"
        "&urlpath=tree%2Fmaterials-sp22%2Flab%2Flab01%2Flab01.ipynb")


# The real book.

PLOTTING = re.compile(r"\bplt\.|\bfig\.|\bax\w*\.|\baxes\b|subplots|imshow|\.plot\(")
MAX_VISIBLE_PLOTTING_LINES = 8


def chapter_pages(built_book):
    return {name: (built_book / f"{name}.html").read_text() for name in CHAPTER_IDS}


def code_cells(html):
    """(source, folded) of every code cell whose source is on the page."""
    for cell in BeautifulSoup(html, "html.parser").select("div.cell"):
        source = cell.select_one("div.cell_input pre")
        if source is not None:
            yield source.get_text().rstrip("\n"), source.find_parent("details") is not None


def test_long_plotting_code_is_folded_and_model_code_is_not(built_book):
    """A code cell that draws with matplotlib and is longer than 8 lines is folded
    (`hide-input`) or removed (`remove-input`, the caption explains the figure); folded
    cells are plotting code, so the models' code stays in view. (The chapter engineers tag
    the cells: this fails until their branches are merged.)"""
    unfolded, folded_model = [], []
    for name, html in chapter_pages(built_book).items():
        for source, folded in code_cells(html):
            lines = len(source.splitlines())
            plots = bool(PLOTTING.search(source))
            if plots and lines > MAX_VISIBLE_PLOTTING_LINES and not folded:
                unfolded.append(f"{name}: {lines} lines from {source.splitlines()[0]!r}")
            if folded and not plots:
                folded_model.append(f"{name}: {source.splitlines()[0]!r}")
    assert not unfolded, "plotting code to fold (hide-input):\n" + "\n".join(unfolded)
    assert not folded_model, "folded code that draws nothing:\n" + "\n".join(folded_model)


def test_every_figure_says_what_it_shows(built_book):
    """No image's alt text is its file path: a caption (`mystnb: figure: caption:`) or an
    alt text (`mystnb: image: alt:`) describes every output figure. (Chapters supply them:
    this lists the figures that have neither.)"""
    missing = []
    for name, html in chapter_pages(built_book).items():
        for alt in re.findall(r'<img [^>]*?alt="([^"]*)"', html):
            if not alt.strip() or alt.endswith((".png", ".svg", ".jpg")):
                missing.append(f"{name}: {alt or '(empty)'}")
    assert not missing, "figures without a description:\n" + "\n".join(missing)


def test_reference_lists_have_no_raw_tex(built_book):
    for page in built_book.rglob("*.html"):
        for entry in re.findall(r'<div class="citation"[^>]*>(.*?)</div>', page.read_text(), re.S):
            text = re.sub(r"<[^>]+>", "", entry)
            assert not re.search(r"[$\\{}]", text), f"{page.relative_to(built_book)}: {text.strip()[:120]}"


def test_pages_load_only_what_they_use(built_book):
    for page in built_book.rglob("*.html"):
        if page.relative_to(built_book).parts[0] == "_static":
            continue  # the theme's template macros (webpack-macros.html) are copied there: not a page
        html = page.read_text()
        assert "fontawesome.js" not in html, page
        if "application/vnd.jupyter.widget-view+json" not in html:
            assert "embed-amd.js" not in html and "widget-state+json" not in html, page
        assert "data:image/png" not in "".join(re.findall(r'<div class="seqbook-widget".*?</div>', html, re.S)), page


def test_the_book_publishes_every_chapter_and_the_package(built_book):
    with zipfile.ZipFile(built_book / "dist" / NOTEBOOKS_ZIP) as archive:
        names = set(archive.namelist())
    for chapter in CHAPTER_IDS:
        assert f"seqbook-notebooks/{chapter.removeprefix('book/')}.ipynb" in names
        assert f"../../dist/{WHEEL}" in (built_book / f"{chapter}.html").read_text()
    assert "seqbook-notebooks/seq2seq/data/copy_models.pt" in names
    assert (built_book / "dist" / WHEEL).is_file()
    assert 'class="seqbook-launch"' not in (built_book / "book/rnn/rnn_bptt.html").read_text(), \
        "no JupyterHub is configured for this book"
