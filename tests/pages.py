"""The book's pages as the tests see them: the table of contents, the chapters, and a page
opened in headless Chromium with the network off."""
import http.server
import itertools
from pathlib import Path
from urllib.parse import urlparse

import yaml

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps calling Google's hosts.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """A static file server that does not log every request."""

    def log_message(self, *args):
        pass


def toc_files(repo_root: Path = ROOT) -> list[str]:
    toc = yaml.safe_load((repo_root / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [chapter["file"] for chapter in part["chapters"]]
    return files


# The front matter that makes a MyST Markdown file a notebook (every chapter starts with it).
NOTEBOOK_HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""


def is_notebook(name: str) -> bool:
    return (ROOT / f"{name}.md").read_text().startswith("---\njupytext:")


# The chapters: the notebooks of the table of contents, but the exam pages (generated from the bank).
CHAPTERS = [name for name in toc_files() if is_notebook(name) and not name.startswith("book/exam/")]


def open_page(browser, url, width=1280):
    """Load `url` offline; return the page and the list of problems seen while it is open.

    A problem is a console error, an uncaught exception, a non-local request, an HTTP error
    or a failed request. A request the page itself cut off by navigating again (a reload
    while a MathJax font was still loading) did not fail: Chromium reports it as
    net::ERR_ABORTED after the next navigation started; any other failure counts.
    """
    page = browser.new_page(viewport={"width": width, "height": 900})
    problems = []
    order = itertools.count()
    started, last_navigation = {}, [-1]

    def on_request(request):
        started[request] = next(order)
        if request.is_navigation_request() and request.frame == page.main_frame:
            last_navigation[0] = started[request]

    def on_failed(request):
        cut_off = request.failure == "net::ERR_ABORTED" and started.get(request, -1) < last_navigation[0]
        if not cut_off:
            problems.append(f"failed: {request.url} ({request.failure})")

    page.on("request", on_request)
    page.route("**/*", lambda route: route.continue_() if urlparse(route.request.url).hostname == "127.0.0.1"
               else (problems.append(f"outside request: {route.request.url}"), route.abort()))
    page.on("console", lambda msg: msg.type == "error" and problems.append(f"console: {msg.text}"))
    page.on("pageerror", lambda error: problems.append(f"exception: {error}"))
    page.on("requestfailed", on_failed)
    page.on("response", lambda response: response.status >= 400
            and problems.append(f"HTTP {response.status}: {response.url}"))
    page.goto(url, wait_until="networkidle")
    return page, problems
