"""Sphinx extension for the book: a downloadable .ipynb of every chapter, a clean page head.

Chapters are MyST Markdown notebooks. For each, jupytext writes the equivalent .ipynb
(no outputs: "Run all" reproduces them) into `_sources/`, and the theme's download menu
offers it. Scripts the theme stack adds twice (sphinx-thebe's config, which throws
"already declared" in the browser) are kept once. The exam pages (`book/exam/`) are
generated from `book/exam/questions.yml`, so they are rebuilt when it changes, and the
finished site gets the files those pages offer: the flashcards (HTML, Anki) and the
book's mock exams (notebook, HTML, answer sheet).
"""
from __future__ import annotations

from pathlib import Path

import jupytext


def offer_notebook_download(app, pagename, templatename, context, doctree):
    if doctree is None:
        return
    source = Path(app.env.doc2path(pagename))
    if source.suffix != ".md":
        return
    notebook = jupytext.read(source, fmt="md:myst")
    if "kernelspec" not in notebook.metadata:
        return  # plain Markdown page, not a notebook
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    jupytext.write(notebook, target, fmt="ipynb")
    # sphinx-book-theme (priority 501) turns this into a "download .ipynb" entry.
    context["ipynb_source"] = f"{pagename}.ipynb"


def drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    seen, kept = set(), []
    for script in context.get("script_files", []):
        # The same inline script arrives once with filename None and once with "".
        key = (script.filename or "", tuple(sorted(script.attributes.items())))
        if key not in seen:
            seen.add(key)
            kept.append(script)
    context["script_files"] = kept


EXAM_BANK = "book/exam/questions.yml"


def exam_pages_depend_on_the_bank(app, docname, source):
    # ... and on the code that renders them: a change to either rebuilds the exam pages.
    if docname.startswith("book/exam/"):
        import seqbook.exam
        import seqbook.quiz
        app.env.note_dependency(str(Path(app.srcdir) / EXAM_BANK))
        for code in [*Path(seqbook.exam.__file__).parent.glob("*.py"), Path(seqbook.quiz.__file__)]:
            app.env.note_dependency(str(code))


def exam_pages_load_mathjax(app, pagename, templatename, context, doctree):
    # Their math sits in generated HTML, which Sphinx does not see: load MathJax anyway.
    if pagename.startswith("book/exam/"):
        app.env.get_domain("math").data["has_equations"][pagename] = True


def write_exam_files(app, exception):
    if exception is not None or app.builder.format != "html" or not (Path(app.srcdir) / EXAM_BANK).is_file():
        return
    from seqbook.exam import bank, flashcards, mock, proofread

    questions = bank.load(Path(app.srcdir) / EXAM_BANK)
    out = Path(app.outdir) / "book" / "exam"
    flashcards.write(out, questions)
    mock.write_book_files(out / "mock", questions)
    proofread.check_site(app.outdir)  # no raw TeX, `$` or `**` on any exam page: else the build fails


def setup(app):
    app.connect("source-read", exam_pages_depend_on_the_bank)
    app.connect("html-page-context", exam_pages_load_mathjax, priority=400)
    app.connect("build-finished", write_exam_files)
    app.connect("html-page-context", offer_notebook_download, priority=400)
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
