"""Run the chapters outside the repository.

The build publishes, under `dist/` of the site, a wheel of the `seqbook` package the
chapters import and a zip of every chapter as a notebook (with the data files the chapters
read, in the same folders). Every chapter starts with a box that offers its notebook, the
zip and the install line: `pip install git+<repository>` when the book's `_config.yml`
names a repository, else `pip install <the wheel's URL>` (the page fills in its own address,
so the line is right wherever the site is served). Where a course configures a JupyterHub
(`launch_buttons: jupyterhub_url`), the box also opens the chapter there through
nbgitpuller, as UC Berkeley's Data 8 does. The `{seqbook-install}` directive puts the same
box on any page (the introduction).
"""
from __future__ import annotations

import html
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from urllib.parse import urlencode

import jupytext
from docutils import nodes
from docutils.parsers.rst import Directive

import seqbook

REPOSITORY = Path(seqbook.__file__).resolve().parents[2]  # the package's pyproject.toml
DIST = "dist"
NOTEBOOKS_ZIP = "seqbook-notebooks.zip"
WHEEL = f"seqbook-{seqbook.__version__}-py3-none-any.whl"
INTERFACES = {"jupyterlab": "lab/tree", "classic": "tree"}


def nbgitpuller_url(hub: str, repository: str, branch: str, path: str, interface: str = "jupyterlab") -> str:
    """A link that makes the hub clone (or update) `repository` into the reader's home and
    open `path` (relative to the repository) in `interface`."""
    folder = repository.rstrip("/").removesuffix(".git").rsplit("/", 1)[-1]
    query = urlencode({"repo": repository, "branch": branch,
                       "urlpath": f"{INTERFACES[interface]}/{folder}/{path}"})
    return f"{hub.rstrip('/')}/hub/user-redirect/git-pull?{query}"


def is_notebook(source: Path) -> bool:
    return source.suffix == ".md" and "kernelspec" in jupytext.read(source, fmt="md:myst").metadata


def is_chapter(app, docname: str) -> bool:
    """A notebook page that runs on its own (the exam pages read the bank in the repository)."""
    return docname.startswith("book/") and not docname.startswith("book/exam/") \
        and is_notebook(Path(app.env.doc2path(docname)))


class RunBox(nodes.General, nodes.Element):
    """Where the box goes; filled in when the page is written (it depends on the config)."""


class InstallDirective(Directive):
    def run(self):
        return [RunBox()]


def add_run_box(app, doctree, docname):
    """Put the box under the title of every chapter and fill in every box of the page."""
    if is_chapter(app, docname) and not any(doctree.findall(RunBox)):
        section = next(doctree.findall(nodes.section), None)
        if section is not None:
            section.insert(1, RunBox(chapter=True))
    for box in list(doctree.findall(RunBox)):
        if app.builder.format == "html":
            box.replace_self(nodes.raw("", run_box_html(app, docname, box.get("chapter", False)), format="html"))
        else:
            box.parent.remove(box)


def run_box_html(app, docname: str, chapter: bool) -> str:
    options = app.config.html_theme_options
    up = "../" * docname.count("/")
    repository = options.get("repository_url", "").strip()
    wheel = f"{up}{DIST}/{WHEEL}"
    if repository:
        install = f'<code>pip install "git+{html.escape(repository)}"</code>'
    else:
        install = (f'<code class="seqbook-install" data-href="{wheel}">pip install {WHEEL}</code> '
                   f'(<a href="{wheel}">the wheel</a>)'
                   f'<script>document.querySelectorAll("code.seqbook-install").forEach(function (c) {{'
                   f' c.textContent = "pip install " + new URL(c.dataset.href, location.href).href; }});</script>')
    links = []
    if chapter:
        links.append(f'<a href="{up}_sources/{docname}.ipynb" download>this chapter as a notebook (.ipynb)</a>')
    links.append(f'<a href="{up}{DIST}/{NOTEBOOKS_ZIP}" download>all chapters (.zip, with their data)</a>')
    hub = options.get("launch_buttons", {}).get("jupyterhub_url", "").strip()
    if chapter and hub and repository:
        path = f'{options.get("path_to_docs", "").strip("/")}/{docname}.md'.lstrip("/")
        url = nbgitpuller_url(hub, repository, options.get("repository_branch") or "main", path,
                              options["launch_buttons"].get("notebook_interface", "jupyterlab"))
        links.append(f'<a class="seqbook-launch" href="{html.escape(url)}">open it on the course JupyterHub</a>')
    how = "" if docname == app.config.root_doc else f' <a href="{up}{app.config.root_doc}.html#run-locally">How to run the chapters</a>.'
    return (f'<aside class="seqbook-run" aria-label="Run the chapters yourself">'
            f'<p><strong>Run {"this chapter" if chapter else "the chapters"} yourself:</strong> '
            f'{" · ".join(links)}.</p>'
            f'<p>Install the <code>seqbook</code> package first (Python 3.11): {install}.{how}</p></aside>')


def write_downloads(app, exception):
    """The chapters as notebooks (`_sources/` and the zip) and the wheel, into the site."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    (out / DIST).mkdir(exist_ok=True)
    notebooks = sorted(d for d in app.env.found_docs if is_notebook(Path(app.env.doc2path(d))))
    chapters = [d for d in notebooks if is_chapter(app, d)]
    with zipfile.ZipFile(out / DIST / NOTEBOOKS_ZIP, "w", zipfile.ZIP_DEFLATED) as archive:
        for docname in notebooks:
            notebook = jupytext.writes(jupytext.read(app.env.doc2path(docname), fmt="md:myst"), fmt="ipynb")
            # The download button's copy (sphinx-book-theme overwrites it with the executed
            # notebook when launch buttons are configured): no outputs, "Run all" makes them.
            target = out / "_sources" / f"{docname}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(notebook, encoding="utf-8")
            if docname in chapters:
                archive.writestr(f"seqbook-notebooks/{Path(docname).relative_to('book')}.ipynb", notebook)
        for folder in sorted({Path(app.env.doc2path(d)).parent / "data" for d in chapters}):
            for data in sorted(folder.rglob("*")) if folder.is_dir() else []:
                if data.is_file():
                    archive.write(data, f"seqbook-notebooks/{data.relative_to(Path(app.srcdir) / 'book')}")
    build_wheel(REPOSITORY, out / DIST)


def build_wheel(repository: Path, into: Path) -> Path:
    """The package as a wheel, built from a copy of its sources (the build leaves files
    behind); kept when it is newer than every source file."""
    wheel = into / WHEEL
    sources = [repository / "pyproject.toml", *(repository / "src").rglob("*.py")]
    if wheel.is_file() and wheel.stat().st_mtime > max(f.stat().st_mtime for f in sources):
        return wheel
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(repository / name, tmp)
        shutil.copytree(repository / "src", Path(tmp) / "src",
                        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                                "--wheel-dir", str(into), tmp], capture_output=True, text=True)
        if built.returncode:
            raise RuntimeError(f"building the seqbook wheel failed:\n{built.stdout}{built.stderr}")
    return wheel
